"""Measure bundles: the registry's clusters and any point set."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest

from geo.measures import CLUSTER_SCHEMA, POINT_SCHEMA, cluster_measures, point_measures
from geo.registry import Registry

GEOD = pyproj.Geod(ellps="WGS84")
POINT_KEYS = {
    "schema",
    "n_points",
    "crs",
    "area_method",
    "area_km2",
    "n_points_in_area",
    "sites_per_km2",
    "mean_nn_distance_m",
    "expected_mean_nn_distance_m",
    "clark_evans_r",
    "clark_evans_z",
    "clark_evans_p",
    "kde",
    "hexbins",
    "cores",
    "warnings",
}


def test_delft_triangle_sides_are_not_all_a_few_hundred_metres(registry: Registry) -> None:
    result = cluster_measures(registry, "delft")
    (triangle,) = [e for e in result["epicentres"] if e["id"] == "delft-triangle"]
    sides = {frozenset((s["a"], s["b"])): s["centre_m"] for s in triangle["sides"]}
    expected = {
        ("tu-delft-campus", "technopolis"): GEOD.inv(4.37347, 52.00218, 4.38508, 51.99281)[2],
        ("tu-delft-campus", "yes-delft"): GEOD.inv(4.37347, 52.00218, 4.38666, 51.99316)[2],
        ("technopolis", "yes-delft"): GEOD.inv(4.38508, 51.99281, 4.38666, 51.99316)[2],
    }
    for pair, metres in expected.items():
        assert sides[frozenset(pair)] == pytest.approx(metres, abs=1e-3)
    claim = triangle["claim"]
    assert claim["text"] == "quelques centaines de mètres"
    assert claim["n_sides"] == 3
    assert claim["sides_in_range"] == 1  # only Technopolis - YES!Delft (~115 m)
    assert claim["holds"] is False
    assert triangle["longest_side"]["centre_m"] > 1300


def test_cluster_measures_skip_and_report_unlocated_sites(registry: Registry) -> None:
    result = cluster_measures(registry, "delft")
    sites = registry.sites_of("delft")
    unlocated = sorted(sites.index[sites.geometry.isna()])
    assert result["schema"] == CLUSTER_SCHEMA
    assert sorted(result["unlocated_sites"]) == unlocated
    assert result["n_sites_located"] == len(sites) - len(unlocated)
    assert result["density"]["n_points"] == result["n_sites_located"]
    assert {s["id"] for s in result["sites"]}.isdisjoint(unlocated)
    json.dumps(result, allow_nan=False)


def test_every_registry_cluster_measures_without_error(registry: Registry) -> None:
    for cluster_id in registry.clusters.index:
        result = cluster_measures(registry, cluster_id, hex_resolution=None, cores=None)
        json.dumps(result, allow_nan=False)
        assert result["cluster"]["id"] == cluster_id


def test_point_measures_keys_and_values_agree_with_the_parts() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 3000, (300, 2)) + np.array([500_000, 5_760_000])
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    m = point_measures(gdf.to_crs(4326), hex_resolution=8, cores="dbscan", eps_m=200)
    assert set(m) == POINT_KEYS
    assert m["schema"] == POINT_SCHEMA
    assert m["crs"] == "EPSG:32631"
    assert m["sites_per_km2"] == pytest.approx(300 / m["area_km2"])
    assert m["kde"]["integral_sites"] == pytest.approx(300, rel=1e-6)
    assert m["hexbins"]["resolution"] == 8
    assert m["cores"]["method"] == "dbscan"
    assert 0.8 < m["clark_evans_r"] < 1.2  # uniform random points
    json.dumps(m, allow_nan=False)


def test_point_measures_on_one_point_give_nulls_and_warnings() -> None:
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.38], [52.0]), crs="EPSG:4326")
    m = point_measures(gdf)
    assert m["n_points"] == 1
    assert m["sites_per_km2"] is None
    assert m["clark_evans_r"] is None
    assert m["kde"] is None
    assert any("two points" in w for w in m["warnings"])
