"""Pair distances, detours, paths, accessibility and isochrones on the river town."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geo.errors import ParameterError
from geo.network import (
    OSM_ATTRIBUTION,
    StreetEngine,
    accessibility,
    build_engine,
    isochrones,
    network_paths,
    pair_distances,
    read_graph_file,
    to_geojson,
)
from tests.network_fixtures import (
    BLOCK_M,
    lonlat,
    node_id,
    river_sites,
    undirected_reference,
    write_river_town,
)


@pytest.fixture(scope="module")
def river(tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.MultiDiGraph, StreetEngine]:
    graph = read_graph_file(write_river_town(tmp_path_factory.mktemp("river")))
    return graph, build_engine(graph)


def _pair(table: object, a: str, b: str) -> dict[str, float]:
    assert hasattr(table, "to_dict")
    for row in table.to_dict("records"):
        if {row["from_site"], row["to_site"]} == {a, b}:
            return dict(row)
    raise KeyError((a, b))


def test_detour_index_shows_the_river(river: tuple[nx.MultiDiGraph, StreetEngine]) -> None:
    _, engine = river
    result = pair_distances(engine, river_sites())
    across = _pair(result.table, "west-corner", "east-corner")
    assert across["distance_m"] == pytest.approx(9 * BLOCK_M, rel=0.01)
    assert across["straight_m"] == pytest.approx(BLOCK_M, rel=0.01)
    assert across["detour_index"] == pytest.approx(9, rel=0.02)
    assert across["walk_minutes"] == pytest.approx(9 * BLOCK_M / 80, rel=0.01)
    same_bank = _pair(result.table, "west-corner", "west-inland")
    assert 1 < same_bank["detour_index"] < 1.5  # a grid detour, no river
    assert result.skipped == ["unknown"]
    assert len(result.table) == 10  # 5 located sites, unordered pairs


def test_pair_distances_match_networkx_between_snapped_nodes(
    river: tuple[nx.MultiDiGraph, StreetEngine],
) -> None:
    graph, engine = river
    reference = undirected_reference(graph)
    table = pair_distances(engine, river_sites()).table
    for row in table.itertuples():
        expected = nx.shortest_path_length(reference, row.from_node, row.to_node, weight="length")
        assert row.distance_m == pytest.approx(expected, rel=1e-9)
        door = row.distance_m + row.from_snap_m + row.to_snap_m
        assert row.door_to_door_m == pytest.approx(door)
        assert row.detour_index >= 1


def test_snap_distance_is_reported(river: tuple[nx.MultiDiGraph, StreetEngine]) -> None:
    _, engine = river
    row = _pair(pair_distances(engine, river_sites()).table, "near-node", "west-corner")
    snap = row["from_snap_m"] if row["from_site"] == "near-node" else row["to_snap_m"]
    assert snap == pytest.approx(10, rel=0.02)


def test_paths_follow_the_streets(river: tuple[nx.MultiDiGraph, StreetEngine]) -> None:
    _, engine = river
    paths = network_paths(engine, river_sites())
    assert paths.crs.equals(4326)
    assert {"from_site", "to_site", "distance_m", "walk_minutes", "detour_index"} <= set(
        paths.columns
    )
    assert paths.attrs["attribution"] == OSM_ATTRIBUTION
    metric = paths.to_crs(engine.crs)
    np.testing.assert_allclose(metric.length, paths["door_to_door_m"], rtol=0.01)
    across = paths[(paths.from_site == "west-corner") & (paths.to_site == "east-corner")]
    bridge = shapely.Point(lonlat(4, 2)).buffer(1e-5)
    assert across.geometry.iloc[0].intersects(bridge)


def test_accessibility_matches_brute_force(river: tuple[nx.MultiDiGraph, StreetEngine]) -> None:
    _graph, engine = river
    sites = river_sites()
    minutes = 6.0  # 480 m at 4.8 km/h
    result = accessibility(engine, sites, minutes=minutes)
    table = pair_distances(engine, sites).table
    for site, row in result.table.iterrows():
        expected = set()
        for pair in table.itertuples():
            if site in (pair.from_site, pair.to_site) and pair.door_to_door_m <= 480:
                expected.add(pair.to_site if pair.from_site == site else pair.from_site)
        assert set(row["reachable_sites"]) == expected
        assert row["reachable_count"] == len(expected)
    assert result.table.loc["west-corner", "reachable_sites"] == ["near-node", "west-inland"]
    assert "east-corner" not in result.table.loc["west-corner", "reachable_sites"]
    assert result.skipped == ["unknown"]
    with pytest.raises(ParameterError):
        accessibility(engine, sites, minutes=-1)


def test_isochrones_are_nested_and_stop_at_the_river(
    river: tuple[nx.MultiDiGraph, StreetEngine],
) -> None:
    graph, engine = river
    origin = lonlat(0, 2)
    iso = isochrones(engine, origin, minutes=[2, 4, 8], buffer_m=20)
    assert list(iso["minutes"]) == [2, 4, 8]
    assert iso.crs.equals(4326)
    metric = iso.to_crs(engine.crs).geometry
    for small, large in itertools.pairwise(metric):
        assert small.difference(large).area < 1e-3
        assert large.area > small.area
    np.testing.assert_allclose(metric.area / 1e6, iso["area_km2"], rtol=1e-6)
    # 8 min = 640 m: the bank's corner across the river (100 m away, 900 m by foot) is out
    east = gpd.GeoSeries(gpd.points_from_xy(*zip(lonlat(0, 3), strict=True)), crs=4326)
    assert not east.to_crs(engine.crs).iloc[0].within(metric.iloc[2])
    # every node networkx reaches within each time is inside, none beyond is
    reference = undirected_reference(graph)
    reach = nx.single_source_dijkstra_path_length(reference, node_id(0, 2), weight="length")
    xy = dict(zip(engine.node_ids, zip(engine.x, engine.y, strict=True), strict=True))
    for minutes, polygon in zip(iso["minutes"], metric, strict=True):
        budget = minutes * 80
        for node, dist in reach.items():
            point = shapely.Point(xy[node])
            if dist <= budget:
                assert polygon.covers(point)
            elif dist > budget + 2 * 20 + 1:
                assert not polygon.covers(point)


def test_partially_reachable_edges_are_cut(river: tuple[nx.MultiDiGraph, StreetEngine]) -> None:
    _, engine = river
    # 1.25 blocks from a node in the middle of a straight street: the polygon reaches
    # a quarter into the next block, not to the next node
    iso = isochrones(engine, lonlat(2, 0), minutes=[125 / 80], buffer_m=5, fill_holes_m2=0)
    polygon = iso.to_crs(engine.crs).geometry.iloc[0]
    start = np.array(engine.project(*lonlat(2, 0)))
    for row, col, inside in [(3, 0, True), (4, 0, False), (2, 1, True), (2, 2, False)]:
        assert polygon.covers(shapely.Point(engine.project(*lonlat(row, col)))) is inside
    quarter = start + 1.2 * (np.array(engine.project(*lonlat(3, 0))) - start)
    beyond = start + 1.35 * (np.array(engine.project(*lonlat(3, 0))) - start)
    assert polygon.covers(shapely.Point(quarter))
    assert not polygon.covers(shapely.Point(beyond))


def test_isochrone_geojson_credits_openstreetmap(
    river: tuple[nx.MultiDiGraph, StreetEngine],
) -> None:
    _, engine = river
    data = to_geojson(isochrones(engine, lonlat(1, 1), minutes=[5]))
    assert data["attribution"] == "© OpenStreetMap contributors"
    props = data["features"][0]["properties"]
    assert props["minutes"] == 5 and props["area_km2"] > 0


def test_isochrone_options_are_validated_together(
    river: tuple[nx.MultiDiGraph, StreetEngine],
) -> None:
    _, engine = river
    with pytest.raises(ParameterError) as err:
        isochrones(engine, lonlat(1, 1), minutes=[5, -1], buffer_m=0)
    assert "minutes must be finite and > 0" in str(err.value)
    assert "buffer must be > 0" in str(err.value)
