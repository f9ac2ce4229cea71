"""The sparse engine against networkx on the same graph, snapping, and its cache."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from geo.errors import ParameterError
from geo.network import build_engine, load_engine, metres_per_minute, read_graph_file
from geo.network import engine as engine_module
from geo.network.engine import engine_cache_path, read_engine
from tests.network_fixtures import (
    BLOCK_M,
    lonlat,
    node_id,
    undirected_reference,
    write_river_town,
)


@pytest.fixture
def river_osm(tmp_path: Path) -> Path:
    return write_river_town(tmp_path)


@pytest.fixture
def river_graph(river_osm: Path) -> nx.MultiDiGraph:
    return read_graph_file(river_osm)


def test_all_pair_distances_match_networkx(river_graph: nx.MultiDiGraph) -> None:
    engine = build_engine(river_graph)
    reference = dict(
        nx.all_pairs_dijkstra_path_length(undirected_reference(river_graph), weight="length")
    )
    ours = engine.distances_m(np.arange(engine.n_nodes))
    expected = np.array(
        [[reference[int(a)][int(b)] for b in engine.node_ids] for a in engine.node_ids]
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-9)


def test_river_forces_a_detour_over_the_footbridge(river_graph: nx.MultiDiGraph) -> None:
    engine = build_engine(river_graph)
    a = int(np.flatnonzero(engine.node_ids == node_id(0, 2))[0])
    b = int(np.flatnonzero(engine.node_ids == node_id(0, 3))[0])
    distance, path = engine.shortest_path(a, b)
    assert distance == pytest.approx(9 * BLOCK_M, rel=0.01)  # up 4, across 1, down 4
    assert node_id(4, 2) in engine.node_ids[path]
    assert node_id(4, 3) in engine.node_ids[path]
    line = engine.path_geometry(path)
    assert line.length == pytest.approx(distance, rel=0.01)


def test_directed_engine_honours_one_way_streets(river_graph: nx.MultiDiGraph) -> None:
    graph = river_graph.copy()
    a, b = node_id(4, 2), node_id(4, 3)
    graph.remove_edge(b, a)  # the footbridge becomes one-way, west to east
    directed = build_engine(graph, directed=True)
    i = int(np.flatnonzero(directed.node_ids == a)[0])
    j = int(np.flatnonzero(directed.node_ids == b)[0])
    assert directed.distances_m([i])[0, j] == pytest.approx(BLOCK_M, rel=0.01)
    assert np.isinf(directed.distances_m([j])[0, i])
    expected = nx.shortest_path_length(graph, a, b, weight="length")
    assert directed.distances_m([i])[0, j] == pytest.approx(expected)
    # walking (the default) ignores the one-way restriction
    assert build_engine(graph).distances_m([j])[0, i] == pytest.approx(BLOCK_M, rel=0.01)


def test_snap_reports_node_and_distance(river_graph: nx.MultiDiGraph) -> None:
    engine = build_engine(river_graph)
    lon, lat = lonlat(2, 1)
    snap = engine.snap([lon, lon], [lat, lat + 20 / 111_200])
    assert list(snap.node_id) == [node_id(2, 1), node_id(2, 1)]
    assert snap.distance_m[0] == pytest.approx(0, abs=0.01)
    assert snap.distance_m[1] == pytest.approx(20, rel=0.01)


def test_distance_limit_cuts_search(river_graph: nx.MultiDiGraph) -> None:
    engine = build_engine(river_graph)
    full = engine.distances_m([0])[0]
    limited = engine.distances_m([0], limit_m=250)[0]
    np.testing.assert_array_equal(limited[full <= 250], full[full <= 250])
    assert np.isinf(limited[full > 250]).all()


def test_engine_is_converted_once_and_cached(
    river_osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_engine(river_osm, cache_dir=tmp_path)
    cached = engine_cache_path(river_osm, cache_dir=tmp_path)
    assert cached.is_file()

    def no_conversion(*args: object, **kwargs: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(engine_module, "build_engine", no_conversion)
    second = load_engine(river_osm, cache_dir=tmp_path)
    np.testing.assert_array_equal(second.node_ids, first.node_ids)
    np.testing.assert_array_equal(second.graph.toarray(), first.graph.toarray())
    assert all(g.equals(h) for g, h in zip(second.edge_geometry, first.edge_geometry, strict=True))
    assert second.crs == first.crs


def test_damaged_engine_cache_is_rebuilt(river_osm: Path, tmp_path: Path) -> None:
    engine = load_engine(river_osm, cache_dir=tmp_path)
    cached = engine_cache_path(river_osm, cache_dir=tmp_path)
    cached.write_bytes(b"garbage")
    again = load_engine(river_osm, cache_dir=tmp_path)
    assert again.n_edges == engine.n_edges
    assert read_engine(cached).n_nodes == engine.n_nodes


def test_walking_speed_must_be_positive() -> None:
    assert metres_per_minute(4.8) == pytest.approx(80.0)
    with pytest.raises(ParameterError):
        metres_per_minute(0)


def test_each_bundled_engine_is_its_graph_converted(tmp_path: Path) -> None:
    """data/networks/engines/ holds, for each bundled graph, the engine a conversion gives
    (named by the graph's hash, so it cannot stand for another graph)."""
    from geo.network.engine import bundled_engines_dir, engine_cache_path, read_engine

    graphs = sorted(bundled_engines_dir().parent.glob("*.graphml"))
    shipped = sorted(p.name for p in bundled_engines_dir().glob("*.npz"))
    assert graphs and shipped == sorted(engine_cache_path(g).name for g in graphs)
    for graph in graphs:
        name = engine_cache_path(graph).name
        fresh = build_engine(read_graph_file(graph), key=Path(name).stem)
        engine = read_engine(bundled_engines_dir() / name)
        assert np.array_equal(engine.node_ids, fresh.node_ids)
        assert np.array_equal(engine.graph.indptr, fresh.graph.indptr)
        assert np.array_equal(engine.graph.indices, fresh.graph.indices)
        assert np.allclose(engine.graph.data, fresh.graph.data, rtol=0, atol=1e-9)
        assert np.allclose(engine.edge_length_m, fresh.edge_length_m, rtol=0, atol=1e-9)


def test_a_fresh_cache_reads_the_bundled_engine_without_converting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.network import engine as engines

    graph = sorted(engines.bundled_engines_dir().parent.glob("*.graphml"))[0]

    def no_conversion(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bundled engine should have been read")

    monkeypatch.setattr(engines, "build_engine", no_conversion)
    engine = engines.load_engine(graph, cache_dir=tmp_path)
    assert engine.key == engines.engine_cache_path(graph, cache_dir=tmp_path).stem
    assert not list(tmp_path.rglob("*.npz"))  # read where it ships, not copied
