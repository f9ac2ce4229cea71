"""Geodesic distance matrix, k nearest neighbours and epicentre geometry."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo.errors import InputDataError, ParameterError
from geo.proximity import distance_matrix, epicentre_geometry, nearest_neighbours

GEOD = pyproj.Geod(ellps="WGS84")


def _random(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    gdf = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(4.3, 4.5, n), rng.uniform(51.95, 52.05, n)),
        crs="EPSG:4326",
    )
    gdf.index = [f"s{i}" for i in range(n)]
    return gdf


def _brute(gdf: gpd.GeoDataFrame) -> np.ndarray:
    lon, lat = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    n = len(gdf)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                out[i, j] = GEOD.inv(lon[i], lat[i], lon[j], lat[j])[2]
    return out


def test_distance_matrix_matches_pyproj_to_the_millimetre() -> None:
    gdf = _random(40)
    matrix = distance_matrix(gdf)
    assert list(matrix.index) == list(gdf.index) == list(matrix.columns)
    np.testing.assert_allclose(matrix.to_numpy(), _brute(gdf), atol=1e-3)
    with pytest.raises(ParameterError, match="limit"):
        distance_matrix(gdf, max_sites=10)


def test_k_nearest_neighbours_match_brute_force_geodesic() -> None:
    gdf = _random(150, seed=2)
    k = 3
    result = nearest_neighbours(gdf, k=k)
    brute = _brute(gdf)
    np.fill_diagonal(brute, np.inf)
    order = np.argsort(brute, axis=1)[:, :k]
    labels = np.array(gdf.index)
    for j in range(k):
        assert list(result[f"neighbour_{j + 1}"]) == list(labels[order[:, j]])
        np.testing.assert_allclose(
            result[f"distance_{j + 1}_m"],
            np.take_along_axis(brute, order[:, j : j + 1], 1)[:, 0],
            atol=1e-3,
        )
    assert list(result.index) == list(gdf.index)


def test_nearest_neighbours_with_coincident_points_and_missing_geometry() -> None:
    gdf = _random(5)
    gdf.loc["twin", "geometry"] = gdf.geometry.iloc[0]
    gdf.loc["lost", "geometry"] = None
    result = nearest_neighbours(gdf, k=1)
    assert result.loc["s0", "neighbour_1"] == "twin"
    assert result.loc["twin", "distance_1_m"] == 0.0
    assert math.isnan(result.loc["lost", "distance_1_m"])
    with pytest.raises(InputDataError, match="fewer than"):
        nearest_neighbours(gdf, k=6)


def _delft() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["campus", "technopolis", "yes", "lost"]},
        geometry=[
            shapely.Point(4.37347, 52.00218),
            shapely.Point(4.38508, 51.99281),
            shapely.Point(4.38666, 51.99316),
            None,
        ],
        index=["tu-delft-campus", "technopolis", "yes-delft", "lost"],
        crs="EPSG:4326",
    )


def test_triangle_sides_perimeter_and_area_are_geodesic() -> None:
    members = ["tu-delft-campus", "technopolis", "yes-delft"]
    geom = epicentre_geometry(_delft(), members)
    lon = [4.37347, 4.38508, 4.38666]
    lat = [52.00218, 51.99281, 51.99316]
    sides = {frozenset((d.a, d.b)): d.centre_m for d in geom.sides}
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        expected = GEOD.inv(lon[i], lat[i], lon[j], lat[j])[2]
        assert sides[frozenset((members[i], members[j]))] == pytest.approx(expected, abs=1e-3)
    area, perimeter = GEOD.polygon_area_perimeter(lon, lat)
    assert geom.perimeter_m == pytest.approx(perimeter, abs=1e-3)
    assert geom.area_km2 == pytest.approx(abs(area) / 1e6)
    assert geom.longest_side is not None
    assert geom.longest_side.centre_m == pytest.approx(max(sides.values()))
    assert geom.min_bounding_radius_m == pytest.approx(geom.longest_side.centre_m / 2, rel=0.01)
    assert geom.centroid_lon == pytest.approx(np.mean(lon), abs=1e-4)
    assert geom.centroid_lat == pytest.approx(np.mean(lat), abs=1e-4)


def test_missing_members_are_reported_and_two_located_give_one_side() -> None:
    geom = epicentre_geometry(_delft(), ["technopolis", "lost", "yes-delft", "unknown-id"])
    assert geom.missing == ["lost", "unknown-id"]
    assert geom.located == ["technopolis", "yes-delft"]
    assert len(geom.sides) == 1
    assert geom.area_km2 is None
    assert geom.perimeter_m is None
    alone = epicentre_geometry(_delft(), ["lost", "technopolis"])
    assert alone.longest_side is None
    assert alone.distances == []


def test_edge_to_edge_distance_between_footprints() -> None:
    sites = _delft().iloc[:3].to_crs(32631)
    sites.loc["technopolis", "geometry"] = sites.geometry["technopolis"].buffer(40)
    geom = epicentre_geometry(sites.to_crs(4326), ["technopolis", "yes-delft"])
    (pair,) = geom.distances
    assert pair.edge_m is not None
    assert pair.edge_m == pytest.approx(pair.centre_m - 40, abs=1.0)
    point_pair = epicentre_geometry(_delft(), ["technopolis", "yes-delft"]).distances[0]
    assert point_pair.edge_m is None


def _points(coords: dict[str, tuple[float, float] | None]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[None if c is None else shapely.Point(c) for c in coords.values()],
        index=list(coords),
        crs="EPSG:4326",
    )


def test_members_sharing_one_point_make_a_point_without_zero_distances() -> None:
    sites = _points({"cite": (4.38528, 45.45028), "mixeur": (4.38528, 45.45028)})
    geom = epicentre_geometry(sites, ["cite", "mixeur"])
    assert geom.shape == "point"
    assert geom.shared_points == [["cite", "mixeur"]]
    assert geom.distances == [] and geom.sides == [] and geom.longest_side is None
    assert geom.extent_m is None and geom.min_bounding_radius_m is None
    assert geom.area_km2 is None and geom.perimeter_m is None
    assert (geom.centroid_lon, geom.centroid_lat) == pytest.approx((4.38528, 45.45028))


def test_two_members_make_a_segment() -> None:
    sites = _points({"cite": (4.38528, 45.45028), "zenith": (4.39250, 45.45444)})
    geom = epicentre_geometry(sites, ["cite", "zenith"])
    expected = GEOD.inv(4.38528, 45.45028, 4.39250, 45.45444)[2]
    assert geom.shape == "segment"
    assert [(s.a, s.b) for s in geom.sides] == [("cite", "zenith")]
    assert geom.extent_m == pytest.approx(expected, abs=1e-3)
    assert geom.min_bounding_radius_m == pytest.approx(expected / 2, rel=0.01)
    assert geom.area_km2 is None and geom.perimeter_m is None
    mid_lon, mid_lat, _ = GEOD.fwd(4.38528, 45.45028, GEOD.inv(4.38528, 45.45028,
                                   4.39250, 45.45444)[0], expected / 2)  # fmt: skip
    assert (geom.centroid_lon, geom.centroid_lat) == pytest.approx((mid_lon, mid_lat), abs=1e-5)


def test_collinear_members_make_a_segment_between_the_ends() -> None:
    line = shapely.LineString([(4.36, 52.00), (4.40, 52.00)])
    ends_m = gpd.GeoSeries([line], crs=4326).to_crs(32631).iloc[0]
    inner = gpd.GeoSeries([ends_m.interpolate(0.3, normalized=True)], crs=32631).to_crs(4326)
    sites = _points({"west": (4.36, 52.00), "middle": (inner.x[0], inner.y[0]),
                     "east": (4.40, 52.00), "twin": (4.40, 52.00)})  # fmt: skip
    geom = epicentre_geometry(sites, ["west", "middle", "east", "twin"])
    assert geom.shape == "segment"
    assert [(s.a, s.b) for s in geom.sides] == [("west", "east")]
    assert len(geom.distances) == 3  # three distinct places; the twin shares "east"
    assert geom.shared_points == [["east", "twin"]]
    assert geom.extent_m == pytest.approx(GEOD.inv(4.36, 52.0, 4.40, 52.0)[2], abs=1e-3)
    assert geom.area_km2 is None and geom.perimeter_m is None
    assert all(d.centre_m > 0 for d in geom.distances)


def test_one_or_no_located_member() -> None:
    sites = _points({"cite": (4.93202, 45.71533), "office": None})
    one = epicentre_geometry(sites, ["cite", "office"])
    assert one.shape == "point" and one.located == ["cite"] and one.missing == ["office"]
    assert one.min_bounding_radius_m is None and one.extent_m is None
    assert (one.centroid_lon, one.centroid_lat) == pytest.approx((4.93202, 45.71533))
    none = epicentre_geometry(sites, ["office", "elsewhere"])
    assert none.shape == "none" and none.located == [] and none.centroid_lon is None
    assert none.to_dict()["distances"] == []


def test_a_member_inside_a_footprint_is_zero_edge_to_edge_and_inside() -> None:
    sites = _delft().iloc[:3]
    campus = shapely.box(4.366, 51.984, 4.392, 52.004)
    geom = epicentre_geometry(
        sites,
        ["tu-delft-campus", "technopolis", "yes-delft"],
        footprints=gpd.GeoSeries([campus], index=["tu-delft-campus"], crs=4326),
    )
    pairs = {frozenset((d.a, d.b)): d for d in geom.distances}
    inside = pairs[frozenset(("tu-delft-campus", "technopolis"))]
    assert inside.edge_m == 0.0 and inside.relation == "inside"
    assert inside.container == "tu-delft-campus"
    assert inside.centre_m == pytest.approx(
        GEOD.inv(4.37347, 52.00218, 4.38508, 51.99281)[2], abs=1e-3
    )
    points_only = pairs[frozenset(("technopolis", "yes-delft"))]
    assert points_only.edge_m is None and points_only.relation is None


def test_drawn_bounds_hold_the_uncertainty_rings_and_footprints(registry: Any) -> None:
    from geo.overlays import drawn_bounds

    cite = registry.located("rhone-alpes-eco-energies")
    minx, miny, maxx, maxy = drawn_bounds(cite)
    _, north, _ = GEOD.fwd(4.93202, 45.71533, 0, 500)
    _, south, _ = GEOD.fwd(4.93202, 45.71533, 180, 500)
    assert maxy == pytest.approx(north, abs=2e-5) and miny == pytest.approx(south, abs=2e-5)
    assert minx < 4.93202 < maxx
    delft = registry.located("delft")
    box = drawn_bounds(delft, footprints=registry.footprints.geometry)
    campus = registry.footprints.geometry["tu-delft-campus"].bounds
    assert box[0] <= campus[0] and box[1] <= campus[1]
    assert box[2] >= campus[2] and box[3] >= campus[3]
