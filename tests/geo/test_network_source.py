"""Getting a network: cache, user's file, download (simulated), and offline failures."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pytest

from geo.errors import InputDataError, NetworkUnavailableError, ParameterError
from geo.network import (
    get_network,
    has_network,
    import_network,
    network_info,
    read_graph_file,
    resolve_cache_dir,
)
from geo.network._cache import graph_path
from geo.network.source import fetch_network
from tests.network_fixtures import node_id, river_sites, write_river_town


@pytest.fixture
def river_osm(tmp_path: Path) -> Path:
    return write_river_town(tmp_path)


def test_osm_xml_keeps_only_walkable_streets(river_osm: Path) -> None:
    graph = read_graph_file(river_osm)
    highways = {data.get("highway") for _, _, data in graph.edges(data=True)}
    assert highways == {"residential", "footway"}
    # the motorway and foot=no bridges are gone, the building is no street
    assert not graph.has_edge(node_id(0, 2), node_id(0, 3))
    assert not graph.has_edge(node_id(2, 2), node_id(2, 3))
    assert 9001 not in graph
    assert graph.has_edge(node_id(4, 2), node_id(4, 3))
    assert graph.has_edge(node_id(4, 3), node_id(4, 2))  # walkable both ways
    assert nx.is_weakly_connected(graph)


def test_cache_dir_comes_from_argument_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERMAP_CACHE_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir() == tmp_path / "env"
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("CLUSTERMAP_CACHE_DIR")
    assert resolve_cache_dir() == Path("~/.cache/clustermap").expanduser()


def test_import_caches_graphml_and_metadata(river_osm: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert not has_network("river", cache_dir=cache)
    info = import_network("river", river_osm, cache_dir=cache)
    assert has_network("river", cache_dir=cache)
    assert info.path == cache / "networks" / "river.graphml"
    assert (info.source, info.network_type) == ("file", "walk")
    assert info.nodes == 26
    west, south, east, north = info.bbox
    assert west < 4.3701 and east > 4.3772 and south < 51.9901 and north > 51.9935
    meta = json.loads((cache / "networks" / "river.json").read_text(encoding="utf-8"))
    assert meta["sha256"] == info.sha256
    assert network_info("river", cache_dir=cache) == info
    # the cached GraphML reads back as the same graph
    again = ox.load_graphml(info.path)
    assert (again.number_of_nodes(), again.number_of_edges()) == (info.nodes, info.edges)
    assert not list((cache / "networks").glob("*.part"))


def test_graphml_import_is_a_byte_copy(river_osm: Path, tmp_path: Path) -> None:
    first = import_network("a", river_osm, cache_dir=tmp_path)
    second = import_network("b", first.path, cache_dir=tmp_path)
    assert second.path.read_bytes() == first.path.read_bytes()


def test_missing_network_says_how_to_fetch_or_import(tmp_path: Path) -> None:
    with pytest.raises(NetworkUnavailableError, match="network fetch genopole") as err:
        get_network("genopole", cache_dir=tmp_path)
    assert "network import genopole FILE" in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(NetworkUnavailableError):
        network_info("genopole", cache_dir=tmp_path)


def test_get_network_prefers_cache_then_file(river_osm: Path, tmp_path: Path) -> None:
    imported = get_network("river", cache_dir=tmp_path, file=river_osm)
    assert imported.source == "file"
    # with a cached network, another file is not read (even a broken one)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node", encoding="utf-8")
    assert get_network("river", cache_dir=tmp_path, file=broken) == imported


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("town.osm.pbf", b"\x00\x01", "cannot read .osm.pbf"),
        ("town.shp", b"", "unknown graph file type"),
        ("town.osm", b"<osm><node id='1'", "cannot read a street graph"),
        ("town.graphml", b"not xml at all", "cannot read a street graph"),
        ("empty.osm", b"<osm version='0.6'></osm>", "cannot read a street graph"),
    ],
)
def test_bad_files_fail_cleanly_and_cache_nothing(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=message):
        import_network("town", path, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "networks" / "town.graphml").exists()


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="does not exist"):
        read_graph_file(tmp_path / "nowhere.osm")


def _fail_download(*args: object, **kwargs: object) -> nx.MultiDiGraph:
    raise ConnectionError("no route to host")


def test_failed_download_leaves_no_cache_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ox, "graph_from_polygon", _fail_download)
    with pytest.raises(NetworkUnavailableError, match="no route to host"):
        get_network("river", cache_dir=tmp_path, sites=river_sites().geometry, download=True)
    assert not has_network("river", cache_dir=tmp_path)
    networks = tmp_path / "networks"
    assert not networks.exists() or not list(networks.iterdir())


def test_interrupted_write_keeps_the_previous_cache(
    river_osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = import_network("river", river_osm, cache_dir=tmp_path).path.read_bytes()
    graph = read_graph_file(river_osm)
    monkeypatch.setattr(ox, "graph_from_polygon", lambda *a, **k: graph)

    def half_written(graph: nx.MultiDiGraph, filepath: Path, **kwargs: object) -> None:
        Path(filepath).write_text("<graphml>trunc", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(ox, "save_graphml", half_written)
    with pytest.raises(OSError, match="disk full"):
        fetch_network("river", river_sites().geometry, cache_dir=tmp_path)
    assert graph_path("river", cache_dir=tmp_path).read_bytes() == before
    assert not list((tmp_path / "networks").glob("*.part"))


def test_download_uses_timeout_and_area_around_sites(
    river_osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = read_graph_file(river_osm)
    seen: dict[str, object] = {}

    def fake(polygon: object, *, network_type: str, retain_all: bool) -> nx.MultiDiGraph:
        seen.update(
            polygon=polygon,
            network_type=network_type,
            timeout=ox.settings.requests_timeout,
            rate_limit=ox.settings.overpass_rate_limit,
        )
        return graph

    monkeypatch.setattr(ox, "graph_from_polygon", fake)
    timeout_before = ox.settings.requests_timeout
    info = fetch_network(
        "river", river_sites().geometry, cache_dir=tmp_path, margin_m=200, timeout_s=7
    )
    assert (info.source, info.network_type) == ("download", "walk")
    assert seen["timeout"] == 7
    # no status poll first: offline, OSMnx would sleep 60 s before failing
    assert seen["rate_limit"] is False
    assert ox.settings.requests_timeout == timeout_before  # restored
    area = gpd.GeoSeries([seen["polygon"]], crs=4326)
    metric = area.to_crs(area.estimate_utm_crs())
    sites = river_sites().dropna().to_crs(metric.crs)
    assert sites.within(metric.iloc[0]).all()
    assert metric.iloc[0].exterior.distance(sites.union_all()) == pytest.approx(200, rel=0.02)


def test_download_options_are_validated_together(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as err:
        fetch_network(
            "river", river_sites().geometry, cache_dir=tmp_path, network_type="boat", margin_m=-1
        )
    assert "network type 'boat'" in str(err.value)
    assert "margin must be >= 0" in str(err.value)


def test_cluster_ids_cannot_escape_the_cache(tmp_path: Path) -> None:
    with pytest.raises(ParameterError):
        has_network("../etc", cache_dir=tmp_path)


def test_a_graph_replaced_without_its_metadata_is_described_afresh(
    river_osm: Path, tmp_path: Path
) -> None:
    first = import_network("river", river_osm, cache_dir=tmp_path)
    assert network_info("river", cache_dir=tmp_path) == first
    # an import interrupted after the graph moved into place, before its metadata did
    smaller = read_graph_file(river_osm)
    smaller.remove_nodes_from(list(smaller.nodes)[:5])
    ox.save_graphml(smaller, graph_path("river", cache_dir=tmp_path))
    info = network_info("river", cache_dir=tmp_path)
    assert info.nodes == smaller.number_of_nodes() != first.nodes
    assert info.sha256 != first.sha256
    # a complete import writes metadata naming the graph it describes
    again = import_network("river", river_osm, cache_dir=tmp_path)
    meta = json.loads((tmp_path / "networks" / "river.json").read_text(encoding="utf-8"))
    stat = again.path.stat()
    assert (meta["graph_size"], meta["graph_mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)
    assert network_info("river", cache_dir=tmp_path) == again
