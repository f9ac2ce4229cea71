"""Metric CRS choice and geodesic helpers."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest

from geo.errors import InputDataError, ParameterError
from geo.projection import (
    geodesic_distance_m,
    metric_crs,
    scale_error,
    site_points,
    to_metric,
    transform_xy,
)


def _delft() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([4.37347, 4.38508, 4.38666], [52.00218, 51.99281, 51.99316]),
        crs="EPSG:4326",
    )


def test_default_metric_crs_is_the_local_utm_zone() -> None:
    assert metric_crs(_delft()).to_epsg() == 32631
    assert to_metric(_delft()).crs.to_epsg() == 32631


#: Metropolitan France: Brest, Strasbourg, Dunkirk, Menton, Bonifacio, Biarritz (lon, lat).
FRANCE = [
    (-4.49, 48.39),
    (7.75, 48.58),
    (2.38, 51.03),
    (7.50, 43.77),
    (9.16, 41.39),
    (-1.56, 43.48),
]


def _france(crs: str) -> gpd.GeoDataFrame:
    lon, lat = zip(*FRANCE, strict=True)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(crs)


@pytest.mark.parametrize("crs", ["EPSG:2154", "EPSG:32631", "EPSG:32632"])
def test_scale_error_is_the_largest_scale_factor_proj_derives(crs: str) -> None:
    west, south, east, north = -4.5, 41.4, 9.2, 51.0  # France; GRS 80 and WGS 84 datums
    lon, lat = np.meshgrid(np.linspace(west, east, 5), np.linspace(south, north, 5))
    factors = pyproj.Proj(crs).get_factors(lon.ravel(), lat.ravel())  # analytic, by PROJ
    scales = np.concatenate([factors.meridional_scale, factors.parallel_scale])
    reference = float(np.abs(scales - 1).max())
    assert scale_error(crs, (west, south, east, north)) == pytest.approx(reference, abs=1e-7)


def test_web_mercator_stretches_by_one_over_the_cosine_of_latitude() -> None:
    error = scale_error("EPSG:3857", (2.0, 60.0, 3.0, 60.0))
    assert error == pytest.approx(1 / math.cos(math.radians(60.0)) - 1, rel=5e-3)


def test_data_in_their_own_national_grid_keep_it_where_it_stretches_less_than_utm() -> None:
    bounds = (-4.49, 41.39, 9.16, 51.03)
    assert scale_error("EPSG:2154", bounds) < scale_error("EPSG:32631", bounds)
    assert metric_crs(_france("EPSG:2154")).to_epsg() == 2154  # Lambert-93: 0.3 % at most
    assert metric_crs(_france("EPSG:3857")).to_epsg() == 32631  # Web Mercator: 50 % and more
    assert metric_crs(_france("EPSG:4326")).to_epsg() == 32631  # geographic: never
    assert metric_crs(_delft().to_crs("EPSG:28992")).to_epsg() == 28992  # RD New
    assert metric_crs(_delft().to_crs("EPSG:2154")).to_epsg() == 32631  # outside its area


def test_user_crs_must_be_projected_in_metres() -> None:
    assert metric_crs(_delft(), crs="EPSG:28992").to_epsg() == 28992
    with pytest.raises(ParameterError, match="not a projected CRS in metres"):
        metric_crs(_delft(), crs="EPSG:4326")
    with pytest.raises(ParameterError, match="not a projected CRS in metres"):
        metric_crs(_delft(), crs="EPSG:2263")  # US survey feet
    with pytest.raises(ParameterError, match="unknown CRS"):
        metric_crs(_delft(), crs="EPSG:999999")


def test_data_without_crs_is_refused() -> None:
    with pytest.raises(InputDataError, match="no CRS"):
        metric_crs(gpd.GeoDataFrame(geometry=gpd.points_from_xy([1], [2])))


def test_geodesic_distance_matches_pyproj_to_the_millimetre() -> None:
    rng = np.random.default_rng(3)
    lon1, lon2 = rng.uniform(-10, 20, (2, 200))
    lat1, lat2 = rng.uniform(35, 60, (2, 200))
    geod = pyproj.Geod(ellps="WGS84")
    expected = np.array(
        [geod.inv(a, b, c, d)[2] for a, b, c, d in zip(lon1, lat1, lon2, lat2, strict=True)]
    )
    np.testing.assert_allclose(geodesic_distance_m(lon1, lat1, lon2, lat2), expected, atol=1e-3)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert 111_000 < float(geodesic_distance_m(4.0, 52.0, 4.0, 53.0)) < 111_400


def test_footprints_count_by_their_metric_centroid() -> None:
    utm = to_metric(_delft())
    square = utm.geometry.iloc[0].buffer(100, cap_style="square")
    mixed = gpd.GeoDataFrame(geometry=[square, utm.geometry.iloc[1], None], crs=utm.crs)
    points = site_points(mixed)
    assert list(points.index) == [0, 1]
    assert points.iloc[0].distance(utm.geometry.iloc[0]) < 1e-6


@pytest.mark.parametrize(
    ("lons", "lats"),
    [
        ([179.99, -179.98, 179.97], [10.0, 10.01, 9.99]),  # across the antimeridian
        ([10.0, -170.0, 100.0], [89.95, 89.96, 89.97]),  # around the North Pole
        ([0.0, 120.0, -120.0], [-89.9, -89.92, -89.91]),  # around the South Pole
    ],
)
def test_metric_crs_keeps_distances_true_across_the_antimeridian_and_at_the_poles(
    lons: list[float], lats: list[float]
) -> None:
    points = gpd.GeoSeries(gpd.points_from_xy(lons, lats), crs=4326)
    crs = metric_crs(points)
    assert crs.is_projected
    metric = points.to_crs(crs)
    geod = pyproj.Geod(ellps="WGS84")
    for i, j in ((0, 1), (1, 2), (0, 2)):
        expected = geod.inv(lons[i], lats[i], lons[j], lats[j])[2]
        assert metric.iloc[i].distance(metric.iloc[j]) == pytest.approx(expected, rel=1e-3)


def test_metric_crs_is_the_zone_geopandas_estimates_on_band_edges_and_inside() -> None:
    rng = np.random.default_rng(7)
    centres = [(float(x), float(y)) for x, y in rng.uniform((-179, -79), (179, 83), (60, 2))]
    for edge in (-174.0, -6.0, 0.0, 6.0, 174.0):  # two zones touch on a band's edge ...
        centres += [(edge, 45.0), (np.nextafter(edge, -180), 45.0), (edge + 1e-9, -45.0)]
    centres += [(4.4, 0.0), (4.4, 1e-9), (4.4, -1e-9)]  # ... and on the equator
    for x, y in centres:
        pair = gpd.GeoSeries(gpd.points_from_xy([x - 0.01, x + 0.01], [y - 0.01, y + 0.01]))
        pair = pair.set_crs(4326)
        expected = pyproj.CRS.from_user_input(pair.estimate_utm_crs())
        assert metric_crs(pair).equals(expected), (x, y)


@pytest.mark.parametrize("inplace", [False, True])
def test_transform_cut_across_threads_gives_the_numbers_of_one_transform(
    inplace: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geo._threads
    import geo.projection

    monkeypatch.setattr(geo._threads, "THREADS", 3)
    monkeypatch.setattr(geo.projection, "_TRANSFORM_PART", 1_000)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(100_000, 1_200_000, 10_001), rng.uniform(6_100_000, 7_100_000, 10_001)
    lambert, lonlat = pyproj.CRS("EPSG:2154"), pyproj.CRS("EPSG:4326")
    lon, lat = pyproj.Transformer.from_crs(lambert, lonlat, always_xy=True).transform(x, y)
    ours = transform_xy(x, y, source=lambert, target=lonlat, inplace=inplace)
    np.testing.assert_array_equal(ours[0], lon)
    np.testing.assert_array_equal(ours[1], lat)
    assert (ours[0] is x) == inplace
