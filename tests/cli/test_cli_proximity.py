"""``clustermap proximity`` names points by the file's own ids, kept as integers, and says
how its distances are measured."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from click.testing import CliRunner

from webmap.commands.cli import cli

GEOD = pyproj.Geod(ellps="WGS84")


def _frame(n: int = 60, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "name": [f"shop {i}" for i in range(n)],
            "lat": rng.normal(48.85, 0.01, n),
            "lon": rng.normal(2.35, 0.015, n),
        }
    )


def _brute_force_nearest(frame: pd.DataFrame) -> list[int]:
    """Row of each point's geodesic nearest neighbour, from every pair (pyproj)."""
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    n = len(frame)
    far = GEOD.inv(np.repeat(lon, n), np.repeat(lat, n), np.tile(lon, n), np.tile(lat, n))[2]
    matrix = far.reshape(n, n)
    np.fill_diagonal(matrix, np.inf)
    return [int(j) for j in matrix.argmin(axis=1)]


def _run(path: Path, *extra: str) -> dict:
    result = CliRunner().invoke(cli, ["proximity", str(path), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_neighbour_ids_are_the_files_integer_ids_not_floats(tmp_path: Path) -> None:
    frame = _frame()
    frame.insert(0, "id", np.arange(600, 600 + len(frame)))
    path = tmp_path / "shops.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "nn.csv"
    data = _run(path, "--out", str(out))
    assert data["id_column"] == "id"
    nearest = _brute_force_nearest(frame)
    for row, item in enumerate(data["neighbours"]):
        assert item["id"] == 600 + row and isinstance(item["id"], int)
        neighbour = item["neighbours"][0]["id"]
        assert isinstance(neighbour, int) and not isinstance(neighbour, bool)
        assert neighbour == 600 + nearest[row]
    written = out.read_text().splitlines()
    assert written[0].startswith("id,")
    assert all("." not in line.split(",")[1] for line in written[1:])  # 616, never 616.0


def test_a_siret_column_names_the_points_in_full(tmp_path: Path) -> None:
    frame = _frame()
    frame.insert(0, "siret", 35600000000048 + np.arange(len(frame)) * 1000)
    path = tmp_path / "sirene.csv"
    frame.to_csv(path, index=False)
    data = _run(path)
    assert data["id_column"] == "siret"
    nearest = _brute_force_nearest(frame)
    first = data["neighbours"][0]
    assert first["id"] == 35600000000048
    assert first["neighbours"][0]["id"] == int(frame["siret"][nearest[0]])


def test_without_an_id_column_a_unique_name_column_names_the_points(tmp_path: Path) -> None:
    frame = _frame()
    path = tmp_path / "named.csv"
    frame.to_csv(path, index=False)
    data = _run(path)
    assert data["id_column"] == "name"
    nearest = _brute_force_nearest(frame)
    assert [item["neighbours"][0]["id"] for item in data["neighbours"]] == [
        f"shop {j}" for j in nearest
    ]


def test_an_id_column_named_with_id_must_exist_and_be_unique(tmp_path: Path) -> None:
    frame = _frame()
    frame["kind"] = "shop"
    path = tmp_path / "kinds.csv"
    frame.to_csv(path, index=False)
    runner = CliRunner()
    missing = runner.invoke(cli, ["proximity", str(path), "--id", "code"])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: --id: no column 'code'")
    repeated = runner.invoke(cli, ["proximity", str(path), "--id", "kind"])
    assert repeated.exit_code == 1
    assert "missing or repeated values" in repeated.stderr
    assert _run(path, "--id", "name")["id_column"] == "name"


def test_proximity_and_density_each_name_their_nearest_neighbour_method(tmp_path: Path) -> None:
    frame = _frame()
    path = tmp_path / "shops.csv"
    frame.to_csv(path, index=False)
    proximity = _run(path)
    assert proximity["nn_method"] == "geodesic (WGS 84)"
    density = CliRunner().invoke(cli, ["density", str(path), "--json"])
    measures = json.loads(density.stdout)
    assert measures["nn_method"] == f"euclidean in {measures['crs']}" == "euclidean in EPSG:32631"
    # the two means differ by the projection's scale error, and each says which it is
    assert measures["mean_nn_distance_m"] == pytest.approx(
        proximity["mean_nn_distance_m"], rel=2e-3
    )
    table = CliRunner().invoke(cli, ["density", str(path)]).stdout
    assert "Mean nearest-neighbour distance (euclidean in EPSG:32631)" in table
    text = CliRunner().invoke(cli, ["proximity", str(path)]).stdout
    assert "geodesic (WGS 84)" in text
