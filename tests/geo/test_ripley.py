"""Ripley's K and Besag's L against pointpats and a brute-force reference."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pointpats import distance_statistics as pp

from geo.errors import InputDataError, ParameterError
from geo.points import read_points
from geo.ripley import ripley, ripley_xy
from webmap.commands.cli import cli


def _csr(n: int, *, seed: int, size: float = 1000.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, size, (n, 2))


def _clustered(*, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parents = rng.uniform(0, 1000, (8, 2))
    children = parents[rng.integers(0, 8, 300)] + rng.normal(0, 15, (300, 2))
    corners = np.array([[0, 0], [1000, 1000]])  # the same window as the CSR patterns
    return np.vstack([children, corners])


def _brute_force_translation_k(xy: np.ndarray, support: np.ndarray) -> np.ndarray:
    """K with each ordered pair weighted by |W| / |W ∩ (W + x_j - x_i)|, the window's
    overlap computed by shapely on the polygons themselves."""
    window = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
    n, area = len(xy), window.area
    k = np.zeros(len(support))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            dx, dy = xy[j] - xy[i]
            d = np.hypot(dx, dy)
            if d >= support[-1]:
                continue
            shifted = shapely.affinity.translate(window, dx, dy)
            weight = area / window.intersection(shifted).area
            k += weight * (d < support)
    return k * area / (n * n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uncorrected_k_and_l_equal_pointpats(seed: int) -> None:
    xy = _clustered(seed=seed) if seed else _csr(200, seed=seed)
    support = np.linspace(0, 200, 21)
    ours = ripley_xy(xy, distances=support, edge_correction="none", n_simulations=0)
    _, k_ref = pp.k(xy, support=support)
    _, l_ref = pp.l(xy, support=support)
    np.testing.assert_allclose(ours.k_m2, k_ref, rtol=1e-12)
    np.testing.assert_allclose(ours.l_m, l_ref, rtol=1e-12)


def test_translation_correction_equals_the_brute_force_reference() -> None:
    xy = _csr(60, seed=4)
    support = np.linspace(0, 240, 13)
    ours = ripley_xy(xy, distances=support, n_simulations=0)
    np.testing.assert_allclose(ours.k_m2, _brute_force_translation_k(xy, support), rtol=1e-9)


def test_corrected_l_of_random_points_follows_r_where_the_uncorrected_falls_short() -> None:
    xy = _csr(2000, seed=5)
    corrected = ripley_xy(xy, n_simulations=0)
    plain = ripley_xy(xy, n_simulations=0, edge_correction="none")
    far = corrected.distance_m > 100
    r = corrected.distance_m[far]
    assert np.abs(corrected.l_m[far] / r - 1).max() < 0.03
    assert (plain.l_m[far] / r).max() < 0.97  # edge effects bias it low


def test_clustered_points_leave_the_csr_envelope_and_random_ones_stay_in_it() -> None:
    clustered = ripley_xy(_clustered(seed=6), n_simulations=39, seed=1)
    short = (clustered.distance_m > 10) & (clustered.distance_m < 60)
    assert (clustered.l_m[short] > clustered.envelope_high_m[short]).all()
    random = ripley_xy(_csr(302, seed=7), n_simulations=39, seed=1)
    inside = (random.l_m >= random.envelope_low_m) & (random.l_m <= random.envelope_high_m)
    assert inside.mean() > 0.9
    again = ripley_xy(_csr(302, seed=7), n_simulations=39, seed=1)
    np.testing.assert_array_equal(again.envelope_high_m, random.envelope_high_m)


def test_lon_lat_points_are_measured_in_metres() -> None:
    rng = np.random.default_rng(8)
    lon, lat = 4.37 + rng.uniform(0, 0.02, 100), 52.0 + rng.uniform(0, 0.012, 100)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    result = ripley(points, n_simulations=0)
    metric = shapely.get_coordinates(points.to_crs(result.crs).values)
    expected = ripley_xy(metric, n_simulations=0)
    np.testing.assert_allclose(result.l_m, expected.l_m)
    assert 1.0 < result.area_km2 < 2.0  # about 1.37 km by 1.33 km
    data = result.to_dict()
    assert data["edge_correction"] == "translation" and len(data["functions"]) == 50
    assert data["warnings"] == []


def test_few_points_warn_and_degenerate_patterns_are_refused() -> None:
    few = ripley_xy(_csr(10, seed=9), n_simulations=9)
    assert "fewer than 20" in few.warnings[0]
    with pytest.raises(InputDataError, match="at least two points"):
        ripley_xy(np.array([[0.0, 0.0]]))
    with pytest.raises(InputDataError, match="one line"):
        ripley_xy(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]))
    with pytest.raises(ParameterError, match="shorter side"):
        ripley_xy(_csr(50, seed=1), distances=np.array([0.0, 5000.0]))
    with pytest.raises(ParameterError, match="edge correction"):
        ripley_xy(_csr(50, seed=1), edge_correction="border")  # type: ignore[arg-type]


def test_cli_ripley_of_a_file_as_json_and_as_a_table(tmp_path: Path) -> None:
    lonlat = 4.37 + _csr(60, seed=10, size=0.02)
    path = tmp_path / "points.csv"
    rows = [f"{lat + 47.63:.6f},{lon:.6f}" for lon, lat in lonlat]
    path.write_text("lat,lon\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["ripley", str(path), "--simulations", "19", "--distances", "11", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    points = read_points(path)
    expected = ripley(points, n_distances=11, n_simulations=19)
    assert [row["l_m"] for row in data["functions"]] == pytest.approx(list(expected.l_m))
    assert data["n_simulations"] == 19 and data["significance"] == pytest.approx(0.1)
    table = CliRunner().invoke(cli, ["ripley", str(path), "--simulations", "0"])
    assert table.exit_code == 0 and "60 points" in table.output


def test_cli_ripley_of_a_cluster_warns_on_few_sites_and_refuses_bad_input() -> None:
    result = CliRunner().invoke(cli, ["ripley", "--cluster", "delft", "--json"])
    assert result.exit_code == 0, result.output
    assert "fewer than 20" in result.stderr
    assert json.loads(result.stdout)["n_points"] >= 5
    for args, message in (
        (["ripley"], "give a point FILE or --cluster ID"),
        (["ripley", "--cluster", "atlantis"], "atlantis"),
        (["ripley", "--cluster", "delft", "--max-distance", "-5"], "--max-distance"),
    ):
        bad = CliRunner().invoke(cli, args)
        assert bad.exit_code != 0 and message in bad.stderr
        assert bad.exception is None or isinstance(bad.exception, SystemExit)
