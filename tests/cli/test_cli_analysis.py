"""The measures, density and proximity commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from click.testing import CliRunner

from webmap.commands.cli import cli
from webmap.commands.text_format import Progress

GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture
def points_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(200)],
            "lat": rng.normal(52.0, 0.01, 200),
            "lon": rng.normal(4.38, 0.015, 200),
        }
    )
    path = tmp_path / "points.csv"
    frame.to_csv(path, index=False)
    return path


def test_measures_delft_json(registry_copy: Path) -> None:
    result = CliRunner().invoke(cli, ["measures", "delft", "--json", "--data", str(registry_copy)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cluster"]["id"] == "delft"
    triangle = data["epicentres"][0]
    assert triangle["claim"]["as_of"] == "2016-10"
    assert set(triangle["claim"]["methods"]) == {"centre_to_centre", "edge_to_edge"}
    assert not any(check["holds"] for check in triangle["claim"]["methods"].values())
    assert len(triangle["sides"]) == 3
    assert set(triangle["distance_methods"]) == {"centre_m", "edge_m"}


def test_measures_table_and_unknown_cluster() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["measures", "delft"])
    assert result.exit_code == 0
    assert "Clark-Evans R" in result.stdout
    assert "checked on the sites as of 2016-10" in result.stdout
    assert "centre to centre: does not hold" in result.stdout
    assert "edge to edge: does not hold" in result.stdout
    missing = runner.invoke(cli, ["measures", "atlantis"])
    assert missing.exit_code == 2
    assert "unknown cluster id" in missing.stderr


def test_density_json_and_outputs(points_csv: Path, tmp_path: Path) -> None:
    tif, contours, hexes = tmp_path / "k.tif", tmp_path / "c.geojson", tmp_path / "h.geojson"
    args = [
        "density",
        str(points_csv),
        "--json",
        "--bandwidth",
        "300",
        "--cell",
        "50",
        "--kernel",
        "quartic",
        "--hex-res",
        "8",
        "--area",
        "buffer:100",
        "--kde-out",
        str(tif),
        "--out",
        str(contours),
        "--hex-out",
        str(hexes),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "n_points",
        "area_km2",
        "area_method",
        "sites_per_km2",
        "mean_nn_distance_m",
        "clark_evans_r",
        "clark_evans_z",
        "clark_evans_p",
        "crs",
    ):
        assert key in data
    assert data["n_points"] == 200
    assert data["area_method"] == "buffer:100"
    assert data["kde"]["kernel"] == "quartic"
    assert data["kde"]["bandwidth_m"] == 300
    with rasterio.open(tif) as src:
        assert src.read(1).sum() * 0.05**2 == pytest.approx(200, rel=1e-4)
    bands = json.loads(contours.read_text())
    assert bands["features"][0]["properties"]["density_min_per_km2"] > 0
    cells = json.loads(hexes.read_text())
    assert sum(f["properties"]["count"] for f in cells["features"]) == 200


def test_density_table_and_user_errors(points_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["density", str(points_csv)])
    assert table.exit_code == 0
    assert "sites/km²" in table.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon\n52,4\n,4\n")
    refused = runner.invoke(cli, ["density", str(bad)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error:")
    assert "--drop-invalid" in refused.stderr
    for option in (["--area", "circle"], ["--bandwidth", "wide"]):
        wrong = runner.invoke(cli, ["density", str(points_csv), *option])
        assert wrong.exit_code == 1
        assert "error:" in wrong.stderr


def test_density_quiet_when_piped_and_warnings_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("lat,lon\n52.0,4.38\n52.01,4.39\n52.0,4.40\n,4.4\n")
    result = CliRunner().invoke(cli, ["density", str(path), "--json", "--drop-invalid"])
    assert result.exit_code == 0
    assert "dropped 1 of 4 rows" in result.stderr
    assert "[#" not in result.stderr and "[-" not in result.stderr  # no progress bar
    assert json.loads(result.stdout)["n_points"] == 3


def test_proximity_csv_and_json(points_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "nn.csv"
    result = CliRunner().invoke(
        cli, ["proximity", str(points_csv), "--k", "2", "--json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["k"] == 2
    assert len(data["neighbours"]) == 200
    table = pd.read_csv(out)
    frame = pd.read_csv(points_csv).set_index("id")  # the file's id column names the points
    first = table.iloc[0]
    a, b = frame.loc[first["id"]], frame.loc[first["neighbour_1"]]
    expected = GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2]
    assert first["distance_1_m"] == pytest.approx(expected, abs=1e-3)
    assert (table["distance_2_m"] >= table["distance_1_m"]).all()


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_bar_only_on_a_terminal_and_only_for_long_runs() -> None:
    for tty, delay, shown in [(True, 0.0, True), (False, 0.0, False), (True, 60.0, False)]:
        stream = _Stream(tty)
        progress = Progress(["a", "b"], stream=stream, delay=delay)
        progress("a")
        progress("b")
        progress.finish()
        assert ("[" in stream.getvalue()) is shown


def test_measures_saint_etienne_json_has_a_real_manufacture() -> None:
    result = CliRunner().invoke(cli, ["measures", "saint-etienne", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (manufacture,) = data["epicentres"]
    assert manufacture["shape"] == "polygon" and manufacture["extent_m"] > 700
    assert manufacture["min_bounding_radius_m"] > 0 and manufacture["area_km2"] > 0
    assert all(d["centre_m"] > 0 for d in manufacture["distances"])
    assert all(s["nn_distance_m"] > 0 for s in data["sites"])
