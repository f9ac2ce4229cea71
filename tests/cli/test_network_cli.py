"""The network commands, offline: import, info, isochrones, network-distances, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.network_fixtures import DELFT_GRAPHML, lonlat, write_river_town
from webmap.commands.cli import cli


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_commands_without_a_network_fail_in_one_line(tmp_path: Path) -> None:
    for args in (
        ["network-distances", "descartes"],
        ["network", "info", "descartes"],
        ["isochrones", "descartes"],
    ):
        code, _, err = _run(*args, "--cache-dir", str(tmp_path))
        assert code == 1
        assert err.startswith("error: no street network for cluster 'descartes'")
        assert err.count("\n") == 1
        assert "clustermap network fetch descartes" in err


def test_delft_works_out_of_the_box_from_the_bundled_network(tmp_path: Path) -> None:
    empty_cache = tmp_path / "cache"
    code, out, err = _run("network", "info", "delft", "--cache-dir", str(empty_cache))
    assert code == 0, err
    assert "from:         bundled with clustermap (read-only)" in out
    assert "nodes:        2,156" in out
    code, out, err = _run("isochrones", "delft", "--minutes", "5", "--cache-dir", str(empty_cache))
    assert code == 0, err
    assert {f["properties"]["epicentre"] for f in json.loads(out)["features"]} == {"delft-triangle"}
    # the engine that ships with the graph was read: nothing converted, nothing written
    assert not list(empty_cache.rglob("engine-*.npz"))
    # an import goes to the cache and wins over the bundled graph
    osm = write_river_town(tmp_path)
    assert _run("network", "import", "delft", str(osm), "--cache-dir", str(empty_cache))[0] == 0
    code, out, _ = _run("network", "info", "delft", "--cache-dir", str(empty_cache))
    assert "from:         cache" in out and "nodes:        26" in out


def test_bundled_network_description_matches_its_graph() -> None:
    from geo.network._cache import bundled_graph_path, file_sha256
    from geo.network.source import read_graph_file

    path = bundled_graph_path("delft")
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    graph = read_graph_file(path)
    assert meta["source"] == "bundled"
    assert meta["sha256"] == file_sha256(path)
    assert (meta["nodes"], meta["edges"]) == (graph.number_of_nodes(), graph.number_of_edges())
    assert (path.parent / "NOTICE").read_text(encoding="utf-8").count("OpenStreetMap") >= 1


def test_cache_dir_from_environment(tmp_path: Path) -> None:
    osm = write_river_town(tmp_path)
    code, out, err = _run(
        "network", "import", "delft", str(osm), env={"CLUSTERMAP_CACHE_DIR": str(tmp_path / "c")}
    )
    assert code == 0, err
    assert "nodes:        26" in out
    assert (tmp_path / "c" / "networks" / "delft.graphml").is_file()
    code, out, _ = _run("network", "info", "delft", "--json", "--cache-dir", str(tmp_path / "c"))
    info = json.loads(out)
    assert (info["nodes"], info["source"]) == (26, "file")
    assert info["attribution"] == "© OpenStreetMap contributors"


def test_unknown_cluster_exits_2(tmp_path: Path) -> None:
    code, _, err = _run(
        "network",
        "import",
        "atlantis",
        str(write_river_town(tmp_path)),
        "--cache-dir",
        str(tmp_path),
    )
    assert code == 2
    assert "unknown cluster id 'atlantis'" in err


def test_bad_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "town.osm.pbf"
    bad.write_bytes(b"\x00")
    code, _, err = _run("network", "import", "delft", str(bad), "--cache-dir", str(tmp_path))
    assert code == 1
    assert "osmium" in err


def test_isochrones_from_lonlat_on_a_graph_file(tmp_path: Path) -> None:
    osm = write_river_town(tmp_path)
    lon, lat = lonlat(0, 2)
    out = tmp_path / "iso.geojson"
    code, _, err = _run(
        "isochrones", "--lat", str(lat), "--lon", str(lon), "--graph", str(osm),
        "--minutes", "2,4", "--out", str(out), "--cache-dir", str(tmp_path / "c"),
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["attribution"] == "© OpenStreetMap contributors"
    assert [f["properties"]["minutes"] for f in data["features"]] == [2, 4]
    assert "wrote 2 isochrones" in err


def test_isochrone_option_problems_are_reported_together(tmp_path: Path) -> None:
    code, _, err = _run("isochrones", "--lat", "95", "--graph", "x.osm")
    assert code == 1
    assert "give --lat and --lon together" in err
    assert "--lat must be within [-90, 90]" in err
    code, _, err = _run("isochrones", "delft", "--minutes", "5,x", "--cache-dir", str(tmp_path))
    assert code == 1
    assert "--minutes" in err


@pytest.fixture(scope="module")
def delft_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    code, _, err = _run("network", "import", "delft", str(DELFT_GRAPHML), "--cache-dir", str(cache))
    assert code == 0, err
    return cache


def test_network_distances_table_and_json(delft_cache: Path) -> None:
    code, out, err = _run("network-distances", "delft", "--cache-dir", str(delft_cache))
    assert code == 0, err
    assert "delft-triangle" in out and "OpenStreetMap" in out
    code, out, _ = _run("network-distances", "delft", "--json", "--cache-dir", str(delft_cache))
    data = json.loads(out)
    pairs = {frozenset((p["from_site"], p["to_site"])) for p in data["pairs"]}
    assert pairs == {
        frozenset(("tu-delft-campus", "technopolis")),
        frozenset(("tu-delft-campus", "yes-delft")),
        frozenset(("technopolis", "yes-delft")),
    }
    assert data["attribution"] == "© OpenStreetMap contributors"


def test_isochrones_of_a_site_and_of_all_epicentres(delft_cache: Path) -> None:
    code, out, err = _run(
        "isochrones", "delft", "--site", "yes-delft", "--cache-dir", str(delft_cache)
    )
    assert code == 0, err
    features = json.loads(out)["features"]
    assert [f["properties"]["minutes"] for f in features] == [5, 10, 15]
    assert {f["properties"]["site"] for f in features} == {"yes-delft"}
    code, out, _ = _run("isochrones", "delft", "--cache-dir", str(delft_cache))
    features = json.loads(out)["features"]
    assert {f["properties"]["epicentre"] for f in features} == {"delft-triangle"}
    code, _, err = _run("isochrones", "delft", "--site", "nope", "--cache-dir", str(delft_cache))
    assert code == 2 and "unknown site id 'nope'" in err
