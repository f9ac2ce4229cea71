"""The Dask engine (geo.distributed) gives the in-process figures: a million points on a
2-worker process LocalCluster, compared with geo.analysis.analyse_points on the same points."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyproj
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster, get_client
from scipy.spatial import cKDTree

import geo.distributed
import geo.distributed.scheduler
from geo.analysis import PointAnalysis, analyse_points
from geo.density import clark_evans_xy, nearest_neighbour_distances_xy, sites_per_km2
from geo.distributed import (
    DaskAnalysis,
    ShuffledPoints,
    analyse_dask,
    analyse_shuffled,
    dask_client,
    nn_with_halo,
    read_dask,
    shuffle_points,
)
from geo.errors import EngineUnavailableError, InputDataError, ParameterError
from geo.hexbins import hexbin_counts
from geo.kde import kde_surface_xy
from geo.options import AnalysisOptions
from geo.projection import metric_crs, site_points, xy_arrays
from tests.equivalence import assert_same_measures
from webmap.commands.cli import cli

N = 1_000_000
OPTIONS = AnalysisOptions(cores=None, hex_res=9)
L93 = "EPSG:2154"


def sirene_like(n: int, seed: int) -> pd.DataFrame:
    """``n`` establishments in Lambert-93 (towns of every size plus scattered sites), to
    the decimetre as SIRENE gives them, with an ``id``."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([150_000, 6_100_000], [1_150_000, 7_050_000], size=(200, 2))
    weights = 1.0 / np.arange(1, 201)
    town = rng.choice(200, size=n, p=weights / weights.sum())
    spread = 200.0 + 6000.0 * np.sqrt(weights[town])
    xy = centres[town] + rng.normal(size=(n, 2)) * spread[:, None]
    rural = rng.random(n) < 0.1
    xy[rural] = rng.uniform([150_000, 6_100_000], [1_150_000, 7_050_000], (int(rural.sum()), 2))
    xy = np.round(xy, 1)
    return pd.DataFrame({"id": np.arange(n), "x": xy[:, 0], "y": xy[:, 1]})


def as_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=L93)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """One 2-worker cluster of processes for the module (started once: about 2 s)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """A million points, and the same points as a GeoParquet folder of four files."""
    frame = sirene_like(N, seed=1)
    folder = tmp_path_factory.mktemp("register") / "parquet"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(N), 4)):
        as_points(frame.iloc[rows]).to_parquet(folder / f"part-{i}.parquet")
    return frame, folder


@pytest.fixture(scope="module")
def reference(million: tuple[pd.DataFrame, Path]) -> tuple[PointAnalysis, np.ndarray]:
    """The in-process analysis and the metric x/y of the points, in ``id`` order: the steps
    of :func:`geo.analysis.analyse_points` but the geodesic neighbour table, which the
    engines do not share (and which takes longer than the rest together)."""
    frame, _ = million
    gdf = as_points(frame)
    metric = metric_crs(gdf)
    points = site_points(gdf, crs=metric)
    xy = xy_arrays(points)
    density = sites_per_km2(gdf, crs=metric)
    analysis = PointAnalysis(
        options=OPTIONS,
        crs=metric,
        points=points,
        density=density,
        clark_evans=clark_evans_xy(xy, density.area_km2 * 1e6),
        surface=kde_surface_xy(xy, crs=metric),
        hexbins=hexbin_counts(gdf, resolution=9, crs=metric),
    )
    return analysis, xy


@pytest.fixture(scope="module")
def on_cluster(
    client: Client, million: tuple[pd.DataFrame, Path]
) -> tuple[ShuffledPoints, DaskAnalysis, pd.DataFrame]:
    """The folder shuffled on the cluster (ids kept), its analysis and per-point distances."""
    _, folder = million
    points = shuffle_points(read_dask(folder), keep=("id",), hex_res=OPTIONS.hex_res)
    analysis = analyse_shuffled(points, OPTIONS)
    distances = points.nn_distances().sort_values("id")
    return points, analysis, distances


def test_grid_and_h3_counts_equal_the_in_process_ones(
    on_cluster: tuple[ShuffledPoints, DaskAnalysis, pd.DataFrame],
    reference: tuple[PointAnalysis, np.ndarray],
) -> None:
    points, analysis, _ = on_cluster
    ref, xy = reference
    assert len(points.parts) >= 4 and analysis.n_points == N
    assert analysis.crs.equals(ref.crs)
    # H3: every cell's count, exactly
    assert analysis.hexbins is not None and ref.hexbins is not None
    got = analysis.hexbins["count"]
    got.index = pd.Index([h3.int_to_str(int(c)) for c in got.index], name="h3_cell", dtype=object)
    pd.testing.assert_series_equal(got.sort_index(), ref.hexbins["count"].sort_index())
    # the density grid: the same nodes, and the same points per cell as a histogram
    surface, expected = analysis.surface, ref.surface
    assert surface is not None and expected is not None
    assert surface.shape == expected.shape
    assert surface.cell_m == pytest.approx(expected.cell_m, rel=1e-12)
    rows, cols = surface.shape
    x0 = surface.west_m + surface.cell_m / 2
    y0 = surface.north_m - (rows - 0.5) * surface.cell_m
    edges_x = x0 + surface.cell_m * np.arange(cols + 1)
    edges_y = y0 + surface.cell_m * np.arange(rows + 1)
    histogram, _, _ = np.histogram2d(xy[:, 1], xy[:, 0], bins=[edges_y, edges_x])
    assert analysis.grid_counts is not None
    np.testing.assert_array_equal(analysis.grid_counts, histogram.astype(np.int64))
    # the surface: binned weights summed in another order, so equal to rounding
    peak = expected.density_per_km2.max()
    assert np.abs(surface.density_per_km2 - expected.density_per_km2).max() <= 1e-12 * peak


def test_nearest_neighbour_distances_equal_per_point(
    on_cluster: tuple[ShuffledPoints, DaskAnalysis, pd.DataFrame],
    reference: tuple[PointAnalysis, np.ndarray],
) -> None:
    points, _, distances = on_cluster
    _, xy = reference
    np.testing.assert_array_equal(distances["id"].to_numpy(), np.arange(N))
    expected = nearest_neighbour_distances_xy(xy)
    np.testing.assert_array_equal(distances["nn_distance_m"].to_numpy(), expected)
    # the halo mattered: within its own partition alone, many a point has a farther neighbour
    local = np.concatenate(
        [nearest_neighbour_distances_xy(p[["x", "y"]].to_numpy()) for p in _partitions(points)]
    )
    assert (local > np.concatenate(_by_partition(points, distances))).sum() > 100


def _partitions(points: ShuffledPoints) -> list[pd.DataFrame]:
    return [future.result() for future in points.partitions]


def _by_partition(points: ShuffledPoints, distances: pd.DataFrame) -> list[np.ndarray]:
    by_id = distances.set_index("id")["nn_distance_m"]
    return [by_id.loc[p["id"].to_numpy()].to_numpy() for p in _partitions(points)]


def test_density_and_clark_evans_equal_the_in_process_ones(
    on_cluster: tuple[ShuffledPoints, DaskAnalysis, pd.DataFrame],
    reference: tuple[PointAnalysis, np.ndarray],
) -> None:
    _, analysis, _ = on_cluster
    got, want = analysis.to_dict(), reference[0].to_dict()
    compared = assert_same_measures(got, want)  # every registered measure's keys
    assert {"area_km2", "clark_evans_z", "kde", "hexbins"} <= set(compared)
    assert got["warnings"] == want["warnings"] == []


def test_a_glob_of_csv_files_gives_the_in_process_figures(client: Client, tmp_path: Path) -> None:
    frame = sirene_like(60_000, seed=2)
    frame.loc[[5, 17], "x"] = np.nan  # establishments without coordinates, as in SIRENE
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        # the last file with decimal commas, as French exports write them
        decimal = "," if i == 2 else "."
        frame.iloc[rows].to_csv(tmp_path / f"etab-{i}.csv", sep=";", index=False, decimal=decimal)
    options = AnalysisOptions(cores=None, area="bbox", hex_res=8)
    gdf = read_dask(tmp_path / "etab-*.csv", read={"x": "x", "y": "y", "crs": L93})
    got = geo.distributed.analyse_frame(gdf, options).to_dict()
    want = analyse_points(as_points(frame.dropna()), options).to_dict()
    assert got["warnings"] == ["2 rows without a location left out"]
    assert got["n_points"] == want["n_points"] == 59_998
    assert got["hexbins"] == want["hexbins"] and got["area_km2"] == want["area_km2"]
    assert_same_measures(got, want)


def _brute_force_nn(xy: np.ndarray) -> np.ndarray:
    return cKDTree(xy).query(xy, k=2)[0][:, 1]


def _summarised(parts: list[np.ndarray]) -> ShuffledPoints:
    """Points partitioned by hand (no shuffle), one partition per array, persisted."""
    frames = [pd.DataFrame({"x": p[:, 0], "y": p[:, 1], "part": i}) for i, p in enumerate(parts)]
    futures = get_client().scatter(frames)
    return ShuffledPoints.from_futures(futures, pyproj.CRS(32631))


def test_halo_finds_every_nearest_neighbour_in_another_partition(client: Client) -> None:
    # two interleaved combs: each point's own partition is 10 m apart, the other comb 5.8 m;
    # a point just beyond a grid's bounding box; a lone far point (a partition of one)
    comb_a = np.column_stack(
        [np.r_[np.zeros(100), np.full(100, 6.0)], np.tile(10.0 * np.arange(100), 2)]
    )
    comb_b = np.column_stack([np.full(100, 3.0), 10.0 * np.arange(100) + 5.0])
    grid = np.stack(np.meshgrid(np.arange(0, 1001, 100.0), np.arange(0, 1001, 100.0)), -1)
    grid = grid.reshape(-1, 2) + np.array([5000.0, 0.0])
    beyond = np.array([[6050.0, 500.0], [6060.0, 520.0]])
    lone = np.array([[20_000.0, 0.0]])
    parts = [comb_a, comb_b, grid, beyond, lone]
    points = _summarised(parts)
    assert [p.n for p in points.parts] == [len(p) for p in parts]
    got = points.nn_distances()
    everything = np.concatenate(parts)
    order = np.lexsort((got["y"], got["x"]))
    expected_order = np.lexsort((everything[:, 1], everything[:, 0]))
    np.testing.assert_array_equal(
        got["nn_distance_m"].to_numpy()[order], _brute_force_nn(everything)[expected_order]
    )
    # the cases the halo is for
    assert got.loc[got["part"] == 0, "nn_distance_m"].max() == pytest.approx(np.hypot(3, 5))
    assert got.loc[got["part"] == 4, "nn_distance_m"].iloc[0] == pytest.approx(
        np.hypot(20_000 - 6060, 520)
    )


def test_halo_on_randomly_overlapping_partitions_matches_brute_force(client: Client) -> None:
    rng = np.random.default_rng(7)
    xy = np.round(rng.normal(scale=[300.0, 100.0], size=(3000, 2)), 1)
    labels = rng.integers(0, 6, len(xy))
    parts = [xy[labels == k] for k in range(6)]
    got = _summarised(parts).nn_distances()
    everything = np.concatenate(parts)
    np.testing.assert_array_equal(got["nn_distance_m"].to_numpy(), _brute_force_nn(everything))


def test_nn_with_halo_needs_no_halo_for_an_isolated_partition() -> None:
    xy = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    np.testing.assert_array_equal(nn_with_halo(xy, []), [5.0, 5.0, np.hypot(7, 4)])


def test_cli_engine_dask_prints_the_in_process_figures(tmp_path: Path) -> None:
    frame = sirene_like(20_000, seed=3)
    whole = tmp_path / "all.csv"
    frame.to_csv(whole, sep=";", index=False)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 2)):
        frame.iloc[rows].to_csv(tmp_path / f"part-{i}.csv", sep=";", index=False)
    common = ["--x", "x", "--y", "y", "--crs", L93, "--cores", "none"]
    runner = CliRunner()
    inprocess = runner.invoke(cli, ["density", str(whole), *common])
    on_dask = runner.invoke(
        cli,
        ["density", str(tmp_path / "part-*.csv"), *common, "--engine", "dask", "--workers", "2"],
    )
    assert inprocess.exit_code == 0, inprocess.output
    assert on_dask.exit_code == 0, on_dask.output
    assert "Clark-Evans R" in on_dask.stdout
    assert on_dask.stdout == inprocess.stdout


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_scheduler_is_a_quick_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sirene_like(100, seed=4).to_csv(tmp_path / "a.csv", sep=";", index=False)
    monkeypatch.setattr(geo.distributed.scheduler, "CONNECT_TIMEOUT_S", 2.0)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    args = ["density", str(tmp_path / "a.csv"), "--x", "x", "--y", "y", "--crs", L93]
    result = CliRunner().invoke(cli, [*args, "--engine", "dask", "--scheduler", address])
    assert time.monotonic() - start < 15
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach the Dask scheduler '{address}'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_input_errors_are_named() -> None:
    with pytest.raises(InputDataError, match="no file matches"):
        read_dask("/nonexistent/folder/*.csv")
    result = CliRunner().invoke(
        cli, ["density", "/nonexistent/*.csv", "--engine", "dask", "--workers", "1"]
    )
    assert result.exit_code == 1 and result.stderr.startswith("error: no file matches")
    result = CliRunner().invoke(cli, ["density", "/nonexistent.csv", "--workers", "2"])
    assert "--scheduler and --workers go with --engine dask" in result.stderr
    with (
        pytest.raises(ParameterError, match="not both"),
        dask_client(scheduler="tcp://127.0.0.1:1", workers=2),
    ):
        pass


def test_silverman_bandwidth_is_refused(client: Client, tmp_path: Path) -> None:
    sirene_like(500, seed=5).to_csv(tmp_path / "a.csv", sep=";", index=False)
    gdf = read_dask(tmp_path / "a.csv", read={"x": "x", "y": "y", "crs": L93})
    with pytest.raises(ParameterError, match="silverman bandwidth needs exact quartiles"):
        geo.distributed.analyse_frame(gdf, AnalysisOptions(cores=None, bandwidth="silverman"))


def test_a_missing_dask_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)
    with pytest.raises(EngineUnavailableError, match=r"clustermap\[dask\]"):
        analyse_dask("/nonexistent/*.csv")


def test_dense_cores_are_refused_by_the_dask_engine_before_any_work(tmp_path: Path) -> None:
    """Exact DBSCAN across partitions is not done: options asking for cores are refused
    (before the shuffle), ``--cores`` with ``--engine dask`` exits with one line, and the
    default cores are left out with a warning."""
    with pytest.raises(ParameterError, match="the dask engine computes no dense cores"):
        geo.distributed.analyse_frame(None, AnalysisOptions(cores="dbscan"))
    path = tmp_path / "points.csv"
    sirene_like(2_000, seed=5).to_csv(path, sep=";", index=False)
    common = ["density", str(path), "--x", "x", "--y", "y", "--crs", L93, "--engine", "dask"]
    runner = CliRunner()
    refused = runner.invoke(cli, [*common, "--cores", "dbscan"])
    assert refused.exit_code != 0
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "dense cores" in lines[0] and "Traceback" not in refused.output
    default = runner.invoke(cli, [*common, "--workers", "1"])
    assert default.exit_code == 0, default.output
    assert "dense cores are left out by the dask engine" in default.stderr
