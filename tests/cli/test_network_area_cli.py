"""`clustermap network import GRAPH --name AREA`, then isochrones and network-distances on
the analyst's own points, end to end and offline; bad inputs fail in one line."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.area_fixtures import grid_graph, grid_lonlat, grid_node, write_grid
from webmap.commands.cli import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def area(tmp_path: Path) -> tuple[Path, Path]:
    """A cache with the grid imported as 'my-town', and a CSV of three points on nodes."""
    cache = tmp_path / "cache"
    code, out, err = _run(
        "network",
        "import",
        str(write_grid(tmp_path)),
        "--name",
        "my-town",
        "--cache-dir",
        str(cache),
    )
    assert code == 0, err
    assert "area:         my-town" in out and "nodes:        36" in out
    rows = ["code;name;lat;lon"]
    for code_, (row, col) in zip((101, 102, 103), ((0, 0), (2, 2), (2, 3)), strict=True):
        lon, lat = grid_lonlat(row, col)
        rows.append(f"{code_};p{row}{col};{lat};{lon}")
    points = tmp_path / "points.csv"
    points.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return cache, points


def test_info_and_list_show_the_area(area: tuple[Path, Path], tmp_path: Path) -> None:
    cache, _ = area
    code, out, _ = _run("network", "info", "my-town", "--json", "--cache-dir", str(cache))
    info = json.loads(out)
    assert code == 0 and info["kind"] == "area"
    assert (info["nodes"], info["edges"]) == (36, grid_graph().number_of_edges())
    assert info["source_file"] == str((tmp_path / "grid.graphml").resolve())
    code, out, _ = _run("network", "list", "--cache-dir", str(cache))
    assert code == 0 and out.startswith("my-town") and "36 nodes" in out


def test_distances_between_points_are_networkx_shortest_paths(area: tuple[Path, Path]) -> None:
    cache, points = area
    args = ["network-distances", "--network", "my-town", "--points", str(points)]
    code, out, err = _run(*args, "--id", "code", "--json", "--cache-dir", str(cache))
    assert code == 0, err
    pairs = {(p["from_id"], p["to_id"]): p for p in json.loads(out)["pairs"]}
    graph = grid_graph().to_undirected()
    nodes = {101: grid_node(0, 0), 102: grid_node(2, 2), 103: grid_node(2, 3)}
    assert set(pairs) == {(101, 102), (101, 103), (102, 103)}
    for (a, b), pair in pairs.items():
        expected = nx.dijkstra_path_length(graph, nodes[a], nodes[b], weight="length")
        assert pair["distance_m"] == pytest.approx(expected, abs=0.01)  # points sit on nodes
        assert pair["from_snap_m"] < 0.01
    # the missing block: 100 m apart, 300 m on foot
    assert pairs[(102, 103)]["detour_index"] == pytest.approx(3.0, rel=0.01)
    code, out, _ = _run(*args, "--nearest", "1", "--cache-dir", str(cache))
    assert code == 0 and "p22" in out.split("\n")[1]  # the name column is the default id


def test_accessibility_and_csv_output(area: tuple[Path, Path], tmp_path: Path) -> None:
    cache, points = area
    lon, lat = grid_lonlat(5, 5)
    dest = tmp_path / "dest.geojson"
    feature = {
        "type": "Feature",
        "properties": {"id": "far"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }
    dest.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    out_csv = tmp_path / "access.csv"
    code, _, err = _run(
        "network-distances",
        "--network",
        "my-town",
        "--points",
        str(points),
        "--to",
        str(dest),
        "--minutes",
        "5,10",
        "--id",
        "code",
        "-o",
        str(out_csv),
        "--cache-dir",
        str(cache),
    )
    assert code == 0, err
    table = pd.read_csv(out_csv)
    graph = grid_graph().to_undirected()
    expected = nx.dijkstra_path_length(graph, grid_node(0, 0), grid_node(5, 5), weight="length")
    first = table.set_index("id").loc[101]
    assert first["nearest_id"] == "far"
    assert first["distance_m"] == pytest.approx(expected, abs=0.01)
    assert first["within_10_min"] == int(expected <= 800) and first["within_5_min"] == 0


def test_isochrones_from_a_point_file(area: tuple[Path, Path], tmp_path: Path) -> None:
    cache, points = area
    out = tmp_path / "iso.geojson"
    code, _, err = _run(
        "isochrones",
        "--network",
        "my-town",
        "--points",
        str(points),
        "--minutes",
        "2,4",
        "-o",
        str(out),
        "--cache-dir",
        str(cache),
    )
    assert code == 0, err
    assert "6 isochrones of 3 origins" in err
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert sorted({f["properties"]["origin_id"] for f in features}) == ["p00", "p22", "p23"]
    code, text, _ = _run(
        "isochrones",
        "--network",
        "my-town",
        "--points",
        str(points),
        "--union",
        "--minutes",
        "3",
        "--cache-dir",
        str(cache),
    )
    assert code == 0 and len(json.loads(text)["features"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["network", "import", "GRAPH", "--name", "delft"], "is a registry cluster id"),
        (["network", "import", "GRAPH", "--name", "My Town"], "is not valid"),
        (["network", "import", "missing.graphml", "--name", "x"], "does not exist"),
        (["network", "import", "GRAPH"], "give CLUSTER FILE, or FILE --name AREA"),
        (["network", "info", "nowhere"], "no street network"),
        (["isochrones", "--network", "nowhere", "--lat", "52", "--lon", "4.35"], "unknown area"),
        (["isochrones", "--network", "my-town"], "needs --lat and --lon, or --points"),
        (["network-distances", "--network", "my-town"], "give --network AREA and --points FILE"),
        (
            ["network-distances", "--network", "my-town", "--points", "POINTS", "--id", "nope"],
            "'nope' is not in the file",
        ),
    ],
)
def test_bad_inputs_fail_in_one_line(
    area: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    cache, points = area
    args = [
        str(tmp_path / "grid.graphml") if a == "GRAPH" else str(points) if a == "POINTS" else a
        for a in args
    ]
    code, _, err = _run(*args, "--cache-dir", str(cache))
    assert code != 0
    assert message in err and err.startswith("error: ") and err.count("\n") == 1


def test_a_non_graph_file_is_refused(area: tuple[Path, Path], tmp_path: Path) -> None:
    cache, _ = area
    bad = tmp_path / "bad.graphml"
    bad.write_bytes(b"\x00\x01 not xml")
    code, _, err = _run("network", "import", str(bad), "--name", "bad", "--cache-dir", str(cache))
    assert code == 1 and "not a GraphML graph" in err and err.count("\n") == 1
