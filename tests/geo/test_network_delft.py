"""Integration on the real OSMnx graph of Delft (© OpenStreetMap contributors).

The graph holds drivable streets only, so walking times are approximate; what is checked
is that the fast engine agrees with networkx on the same graph.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from geo.network import (
    OSM_ATTRIBUTION,
    ClusterNetwork,
    StreetEngine,
    cluster_engine,
    has_network,
    isochrones,
    read_graph_file,
)
from tests.network_fixtures import DELFT_GRAPHML, undirected_reference
from webmap.commands.cli import cli

YES_DELFT = (4.38666, 51.99316)
TRIANGLE = {"tu-delft-campus", "technopolis", "yes-delft"}


@pytest.fixture(scope="module")
def delft_cache(delft_network_cache: Path) -> Path:
    return delft_network_cache


@pytest.fixture(scope="module")
def delft_graph() -> nx.MultiDiGraph:
    return read_graph_file(DELFT_GRAPHML)


@pytest.fixture(scope="module")
def delft_engine(delft_cache: Path) -> StreetEngine:
    return cluster_engine("delft", cache_dir=delft_cache)


def test_has_network_after_import(delft_cache: Path, tmp_path: Path) -> None:
    assert has_network("delft", cache_dir=delft_cache, bundled=False)
    assert not has_network("delft", cache_dir=tmp_path, bundled=False)
    assert has_network("delft", cache_dir=tmp_path)  # the bundled graph
    assert not has_network("genopole", cache_dir=tmp_path)


def test_triangle_distances_agree_with_networkx_within_1_percent(
    delft_cache: Path, delft_graph: nx.MultiDiGraph
) -> None:
    result = CliRunner().invoke(
        cli, ["network-distances", "delft", "--json", "--cache-dir", str(delft_cache)]
    )
    assert result.exit_code == 0, result.stderr
    pairs = json.loads(result.stdout)["pairs"]
    assert {p["from_site"] for p in pairs} | {p["to_site"] for p in pairs} == TRIANGLE
    walk = undirected_reference(delft_graph)
    for pair in pairs:
        a, b = pair["from_node"], pair["to_node"]
        undirected = nx.shortest_path_length(walk, a, b, weight="length")
        assert pair["distance_m"] == pytest.approx(undirected, rel=0.01)
        # one-way streets barely matter here: networkx on the directed graph agrees too
        directed = nx.shortest_path_length(delft_graph, a, b, weight="length")
        assert pair["distance_m"] == pytest.approx(directed, rel=0.01)
        # the sites sit a few hundred metres apart, a few hundred to 2,000 m by street
        assert 100 < pair["straight_m"] < 1500
        assert pair["straight_m"] < pair["door_to_door_m"] < 2500
        assert pair["detour_index"] > 1


@pytest.mark.parametrize("minutes", [5, 10, 15])
def test_isochrones_from_yes_delft_cover_what_networkx_reaches(
    delft_engine: StreetEngine, delft_graph: nx.MultiDiGraph, minutes: int
) -> None:
    iso = isochrones(delft_engine, YES_DELFT, minutes=[5, 10, 15])
    polygon = iso.set_index("minutes").geometry.loc[minutes]
    walk = undirected_reference(delft_graph)
    origin = int(iso["origin_node"].iloc[0])
    distance = nx.single_source_dijkstra_path_length(walk, origin, weight="length")
    budget = minutes * 80.0  # 4.8 km/h
    nodes = list(distance)
    points = gpd.GeoSeries(
        gpd.points_from_xy(
            [delft_graph.nodes[n]["x"] for n in nodes], [delft_graph.nodes[n]["y"] for n in nodes]
        ),
        crs=4326,
    )
    inside = points.covered_by(polygon).to_numpy()
    dist = np.array([distance[n] for n in nodes])
    assert inside[dist <= budget].all()
    far = dist > 1.5 * budget
    assert far.sum() > 100
    assert inside[far].mean() <= 0.02


def test_isochrones_are_nested_with_areas(delft_engine: StreetEngine) -> None:
    iso = isochrones(delft_engine, YES_DELFT)
    assert list(iso["minutes"]) == [5, 10, 15]
    assert iso["area_km2"].is_monotonic_increasing
    metric = iso.to_crs(delft_engine.crs).geometry
    assert metric.iloc[0].difference(metric.iloc[1]).area < 1
    assert metric.iloc[1].difference(metric.iloc[2]).area < 1
    # 15 minutes on foot is at most a 1.2 km radius disc
    assert iso["area_km2"].iloc[2] < np.pi * 1.2**2


def test_map_layers_for_the_triangle(delft_cache: Path) -> None:
    paths = ClusterNetwork("delft", cache_dir=delft_cache).paths()
    assert paths.crs.equals(4326)
    assert len(paths) == 3
    assert set(paths["from_site"]) | set(paths["to_site"]) == TRIANGLE
    assert (paths.geometry.geom_type == "LineString").all()
    assert (paths["walk_minutes"] > 0).all()
    assert paths.attrs["attribution"] == OSM_ATTRIBUTION
    iso = ClusterNetwork("delft", cache_dir=delft_cache).isochrones()
    assert iso.crs.equals(4326)
    assert list(iso["minutes"]) == [5, 10, 15]
    assert set(iso["epicentre"]) == {"delft-triangle"}
    assert (iso["area_km2"] > 0).all()
    assert iso.attrs["attribution"] == OSM_ATTRIBUTION


def test_walking_layers_keep_to_the_sites_of_as_of(registry_copy: Path) -> None:
    """A member that did not exist yet has no path and does not move the isochrones' origin:
    YES!Delft set to open in 2020, the triangle of 2016 is the campus-Technopolis segment."""
    import json

    from geo.network import ClusterNetwork
    from geo.registry import load_registry

    path = registry_copy / "sites.geojson"
    sites = json.loads(path.read_text(encoding="utf-8"))
    for feature in sites["features"]:
        if feature["properties"]["id"] == "yes-delft":
            feature["properties"]["valid_from"] = "2020"
    path.write_text(json.dumps(sites), encoding="utf-8")
    registry = load_registry(registry_copy)
    now = ClusterNetwork("delft", registry=registry)
    then = ClusterNetwork("delft", registry=registry, as_of="2016")
    assert len(now.paths()) == 3  # the three sides of the triangle
    pairs = then.paths()[["from_site", "to_site"]].to_numpy().tolist()
    assert [sorted(p) for p in pairs] == [["technopolis", "tu-delft-campus"]]
    origin_now = now.isochrones(minutes=[5])[["origin_lon", "origin_lat"]].iloc[0]
    origin_then = then.isochrones(minutes=[5])[["origin_lon", "origin_lat"]].iloc[0]
    assert not np.allclose(origin_now.to_numpy(), origin_then.to_numpy())
