"""Named areas: importing an analyst's own street graph, and the walking measures on their
points, checked against networkx shortest paths on the same graph and brute-force snaps."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import pytest
import shapely

from geo.errors import InputDataError, ParameterError, UnknownIdError
from geo.network.analyst import (
    destination_access,
    point_distances,
    point_ids,
    point_isochrones,
)
from geo.network.areas import area_engine, area_info, import_area, list_areas
from tests.area_fixtures import LAT0, LON0, SIZE, grid_graph, grid_node, write_grid

UTM = pyproj.Transformer.from_crs(4326, 32631, always_xy=True)  # Delft's UTM zone


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache holding the grid as the area 'grid'."""
    folder = tmp_path / "cache"
    import_area(write_grid(tmp_path), name="grid", cache_dir=folder)
    return folder


def _points(n: int, seed: int, *, ids: list[object] | None = None) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.uniform(-0.0003, 0.0076, n)
    lat = LAT0 + rng.uniform(-0.0003, 0.0047, n)
    return gpd.GeoDataFrame(
        {"id": ids if ids is not None else list(range(10, 10 + n))},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def _reference_snap(points: gpd.GeoDataFrame) -> tuple[list[int], np.ndarray]:
    """Nearest node of each point by brute force in UTM, and the distance (m)."""
    graph = grid_graph()
    nodes = list(graph.nodes)
    nx_, ny_ = UTM.transform(
        [graph.nodes[n]["x"] for n in nodes], [graph.nodes[n]["y"] for n in nodes]
    )
    px, py = UTM.transform(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    d = np.hypot(np.subtract.outer(px, nx_), np.subtract.outer(py, ny_))
    return [nodes[k] for k in d.argmin(axis=1)], d.min(axis=1)


def _nx_lengths() -> dict[int, dict[int, float]]:
    return dict(nx.all_pairs_dijkstra_path_length(grid_graph().to_undirected(), weight="length"))


def test_import_describes_the_graph_and_caches_its_engine(cache: Path) -> None:
    info = area_info("grid", cache_dir=cache)
    graph = grid_graph()
    assert (info.nodes, info.edges) == (graph.number_of_nodes(), graph.number_of_edges())
    xs = [x for _, x in graph.nodes(data="x")]
    ys = [y for _, y in graph.nodes(data="y")]
    assert info.bbox == pytest.approx((min(xs), min(ys), max(xs), max(ys)))
    assert info.source_file.endswith("grid.graphml")
    assert [a.name for a in list_areas(cache_dir=cache)] == ["grid"]
    assert len(list((cache / "networks").glob("engine-*.npz"))) == 1
    assert not [p for p in cache.rglob(".*") if p.is_file()]  # no temporary file left


def test_pair_distances_equal_networkx_plus_the_snap_legs(cache: Path) -> None:
    engine = area_engine("grid", cache_dir=cache)
    points = _points(12, seed=1)
    table = point_distances(engine, points)
    nodes, snap = _reference_snap(points)
    lengths = _nx_lengths()
    assert len(table) == 12 * 11 // 2
    position = {pid: k for k, pid in enumerate(points["id"])}
    for row in table.itertuples():
        i, j = position[row.from_id], position[row.to_id]
        network = lengths[nodes[i]][nodes[j]]
        assert row.network_m == pytest.approx(network, abs=1e-6)
        assert row.distance_m == pytest.approx(network + snap[i] + snap[j], abs=1e-6)
        assert row.from_snap_m == pytest.approx(snap[i], abs=1e-6)
        assert row.walk_minutes == pytest.approx(row.distance_m / 80.0)
        assert row.detour_index == pytest.approx(row.distance_m / row.straight_m)
    assert all(isinstance(v, int) for v in table["from_id"])


def test_nearest_k_are_the_k_smallest_door_to_door_distances(cache: Path) -> None:
    engine = area_engine("grid", cache_dir=cache)
    points = _points(9, seed=2, ids=[f"s{k}" for k in range(9)])
    table = point_distances(engine, points, nearest=3)
    nodes, snap = _reference_snap(points)
    lengths = _nx_lengths()
    for i, origin in enumerate(points["id"]):
        door = {
            points["id"][j]: lengths[nodes[i]][nodes[j]] + snap[i] + snap[j]
            for j in range(9)
            if j != i
        }
        expected = sorted(door.values())[:3]
        got = table[table["from_id"] == origin]
        assert got["distance_m"].tolist() == pytest.approx(expected, abs=1e-6)
        assert all(
            door[t] == pytest.approx(d)
            for t, d in zip(got["to_id"], got["distance_m"], strict=True)
        )


def test_isochrones_hold_the_nodes_networkx_reaches_and_not_the_far_ones(cache: Path) -> None:
    engine = area_engine("grid", cache_dir=cache)
    points = _points(3, seed=3)
    frame = point_isochrones(engine, points, minutes=[2, 4])
    nodes, _ = _reference_snap(points)
    graph = grid_graph().to_undirected()
    located = {n: shapely.Point(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in graph.nodes}
    assert len(frame) == 6
    for row in frame.itertuples():
        source = nodes[points["id"].tolist().index(row.origin_id)]
        dist = nx.single_source_dijkstra_path_length(graph, source, weight="length")
        budget = row.minutes * 80.0
        polygon = row.geometry.buffer(1e-7)
        for node, d in dist.items():
            if d <= budget:
                assert polygon.contains(located[node])
            elif d > budget + 30:  # the buffer is 25 m
                assert not row.geometry.contains(located[node])


def test_union_isochrones_reach_what_any_origin_reaches(cache: Path) -> None:
    engine = area_engine("grid", cache_dir=cache)
    points = _points(4, seed=4)
    frame = point_isochrones(engine, points, minutes=[3], union=True)
    nodes, _ = _reference_snap(points)
    graph = grid_graph().to_undirected()
    dist = nx.multi_source_dijkstra_path_length(graph, set(nodes), weight="length")
    polygon = frame.geometry.iloc[0]
    assert len(frame) == 1 and "origin_id" not in frame.columns
    for node, d in dist.items():
        point = shapely.Point(graph.nodes[node]["x"], graph.nodes[node]["y"])
        if d <= 240:
            assert polygon.buffer(1e-7).contains(point)
        elif d > 270:
            assert not polygon.contains(point)


def test_accessibility_is_the_brute_force_minimum_over_destinations(cache: Path) -> None:
    engine = area_engine("grid", cache_dir=cache)
    origins = _points(15, seed=5)
    dests = _points(6, seed=6, ids=[f"d{k}" for k in range(6)])
    table = destination_access(engine, origins, dests, minutes=[3, 6])
    o_nodes, o_snap = _reference_snap(origins)
    d_nodes, d_snap = _reference_snap(dests)
    lengths = _nx_lengths()
    for i, row in enumerate(table.itertuples()):
        door = np.array([lengths[o_nodes[i]][d_nodes[j]] + o_snap[i] + d_snap[j] for j in range(6)])
        assert row.id == origins["id"][i]
        assert row.distance_m == pytest.approx(door.min(), abs=1e-6)
        assert row.nearest_id == dests["id"][int(door.argmin())]
        assert row.snap_m == pytest.approx(o_snap[i], abs=1e-6)
        assert row.within_3_min == int((door <= 240).sum())
        assert row.within_6_min == int((door <= 480).sum())


def test_a_graph_without_lengths_and_with_string_ids_imports(tmp_path: Path) -> None:
    plain = nx.Graph(crs="EPSG:4326")
    for node, data in grid_graph().nodes(data=True):
        plain.add_node(f"n{node}", x=data["x"], y=data["y"])
    for u, v in grid_graph().to_undirected().edges():
        plain.add_edge(f"n{u}", f"n{v}")
    path = tmp_path / "plain.graphml"
    nx.write_graphml(plain, path)
    import_area(path, name="plain", cache_dir=tmp_path)
    engine = area_engine("plain", cache_dir=tmp_path)
    points = _points(5, seed=7)
    reference = point_distances(area_engine("grid", cache_dir=_grid_cache(tmp_path)), points)
    got = point_distances(engine, points)
    # lengths come from the geometry in UTM (on the ellipsoid) instead of OSMnx's great
    # circle on a sphere, which is 0.3 % short east-west at 52 N
    np.testing.assert_allclose(got["distance_m"], reference["distance_m"], rtol=4e-3)
    assert not np.allclose(got["distance_m"], reference["distance_m"], rtol=1e-5)


def _grid_cache(tmp_path: Path) -> Path:
    folder = tmp_path / "grid-cache"
    import_area(write_grid(tmp_path), name="grid", cache_dir=folder)
    return folder


def test_a_projected_graph_gives_the_same_distances(tmp_path: Path) -> None:
    path = tmp_path / "utm.graphml"
    ox.save_graphml(ox.project_graph(grid_graph(), to_crs="EPSG:32631"), path)
    info = import_area(path, name="utm", cache_dir=tmp_path)
    grid = area_info("grid", cache_dir=_grid_cache(tmp_path))
    assert info.bbox == pytest.approx(grid.bbox, abs=1e-7)
    points = _points(5, seed=8)
    reference = point_distances(area_engine("grid", cache_dir=tmp_path / "grid-cache"), points)
    got = point_distances(area_engine("utm", cache_dir=tmp_path), points)
    np.testing.assert_allclose(got["distance_m"], reference["distance_m"], rtol=1e-6)


def _graphml(tmp_path: Path, graph: nx.Graph, name: str = "g.graphml") -> Path:
    path = tmp_path / name
    nx.write_graphml(graph, path)
    return path


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: nx.MultiDiGraph(crs="EPSG:4326"), "has no nodes"),
        (lambda: _one_node(crs="EPSG:4326"), "has no edges"),
        (lambda: _two_nodes(crs=None), "no crs attribute"),
        (lambda: _two_nodes(crs="EPSG:999999"), "is not a known CRS"),
        (lambda: _two_nodes(crs="EPSG:4326", x="far"), "no numeric x/y"),
        (lambda: _two_nodes(crs="EPSG:4326", x=400.0), "beyond ±180/±90"),
    ],
)
def test_unusable_graphs_are_refused_in_one_line(tmp_path: Path, build, message: str) -> None:  # type: ignore[no-untyped-def]
    graph = build()
    with pytest.raises(InputDataError, match=message) as caught:
        import_area(_graphml(tmp_path, graph), name="bad", cache_dir=tmp_path)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "networks" / "areas" / "bad.graphml").exists()


def _one_node(*, crs: str | None) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(**({"crs": crs} if crs else {}))
    graph.add_node(1, x=4.35, y=52.0)
    return graph


def _two_nodes(*, crs: str | None, x: object = 4.351) -> nx.MultiDiGraph:
    graph = _one_node(crs=crs)
    graph.add_node(2, x=x, y=52.0)
    graph.add_edge(1, 2, length=70.0)
    return graph


def test_a_crs_given_at_import_completes_a_graph_without_one(tmp_path: Path) -> None:
    info = import_area(
        _graphml(tmp_path, _two_nodes(crs=None)), name="two", crs="EPSG:4326", cache_dir=tmp_path
    )
    assert (info.nodes, info.crs) == (2, "EPSG:4326")


def test_files_that_are_not_graphs_and_bad_names_are_refused(tmp_path: Path, cache: Path) -> None:
    bad = tmp_path / "bad.graphml"
    bad.write_text("this is not xml", encoding="utf-8")
    before = (cache / "networks" / "areas" / "grid.graphml").read_bytes()
    with pytest.raises(InputDataError, match="not a GraphML graph"):
        import_area(bad, name="grid", cache_dir=cache)
    with pytest.raises(InputDataError, match="does not exist"):
        import_area(tmp_path / "missing.graphml", name="grid", cache_dir=cache)
    for name in ("Grid", "a_b", "", "-x", "x" * 65, "../x"):
        with pytest.raises(ParameterError, match="not valid"):
            import_area(write_grid(tmp_path), name=name, cache_dir=cache)
    # a failed import leaves the registered area as it was
    assert (cache / "networks" / "areas" / "grid.graphml").read_bytes() == before
    with pytest.raises(UnknownIdError, match="grid"):
        area_info("other", cache_dir=cache)


def test_ids_come_from_the_id_column_as_in_the_file() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "ID": [7.0, 9.0], "code": ["x", "y"]})
    assert point_ids(frame) == [7, 9]
    assert point_ids(frame, column="code") == ["x", "y"]
    assert point_ids(pd.DataFrame({"name": ["a", "b"]})) == ["a", "b"]
    assert point_ids(pd.DataFrame({"v": [1, 2, 3]})) == [1, 2, 3]
    with pytest.raises(InputDataError, match="repeats ids: 1"):
        point_ids(pd.DataFrame({"id": [1, 1, 2]}), column="id")
    with pytest.raises(InputDataError, match="empty values"):
        point_ids(pd.DataFrame({"id": [1.0, np.nan]}), column="id")
    # a detected column that cannot name every point gives way to the next, then row numbers
    assert point_ids(pd.DataFrame({"id": [1, 1], "name": ["a", "b"]})) == ["a", "b"]
    assert point_ids(pd.DataFrame({"name": ["shop", "shop"]})) == [1, 2]
    with pytest.raises(ParameterError, match="'nope' is not in the file"):
        point_ids(frame, column="nope")


def test_grid_fixture_has_the_expected_shape() -> None:
    graph = grid_graph()
    assert graph.number_of_nodes() == SIZE * SIZE
    assert not graph.has_edge(grid_node(2, 2), grid_node(2, 3))


def test_unreachable_points_have_no_distance_and_no_nearest_destination(tmp_path: Path) -> None:
    graph = grid_graph()
    graph.add_node(1, x=LON0 + 0.02, y=LAT0)  # an island 1.4 km east
    graph.add_node(2, x=LON0 + 0.0215, y=LAT0)
    graph.add_edge(1, 2, length=102.8)
    path = tmp_path / "island.graphml"
    ox.save_graphml(graph, path)
    import_area(path, name="island", cache_dir=tmp_path)
    engine = area_engine("island", cache_dir=tmp_path)
    points = gpd.GeoDataFrame(
        {"id": ["grid", "island"]},
        geometry=gpd.points_from_xy([LON0, LON0 + 0.0201], [LAT0, LAT0]),
        crs=4326,
    )
    (pair,) = point_distances(engine, points).itertuples()
    assert np.isinf(pair.distance_m) and np.isinf(pair.walk_minutes)
    table = destination_access(engine, points.iloc[:1], points.iloc[1:], minutes=[60])
    assert table["nearest_id"].iloc[0] is None and np.isinf(table["distance_m"].iloc[0])
    assert table["within_60_min"].iloc[0] == 0
