"""Sites per km², study areas, nearest-neighbour distances and Clark-Evans."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pointpats import PointPattern
from scipy import stats
from scipy.spatial import cKDTree, distance_matrix

from geo.density import (
    clark_evans,
    hull_polygon,
    nearest_neighbour_distances,
    nearest_neighbour_distances_xy,
    sites_per_km2,
    study_area,
)
from geo.errors import ParameterError

UTM = "EPSG:32631"
# pointpats builds libpysal shapes, which announce their own deprecation
PYSAL_SHAPES = pytest.mark.filterwarnings(
    "ignore:Objects based on the `Geometry` class:FutureWarning"
)


def _points(xy: np.ndarray, crs: str = UTM) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def _random(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 5000, (n, 2)) + np.array([500_000, 5_760_000])


def test_unit_square_km_with_four_corners_has_four_sites_per_km2() -> None:
    gdf = _points(
        np.array([[0, 0], [1000, 0], [0, 1000], [1000, 1000]]) + np.array([500_000, 5_760_000])
    )
    result = sites_per_km2(gdf)
    assert result.area_method == "hull"
    assert result.area_km2 == pytest.approx(1.0)
    assert result.sites_per_km2 == pytest.approx(4.0)
    assert result.crs == UTM


@PYSAL_SHAPES
def test_hull_area_matches_pointpats() -> None:
    xy = _random()
    pp = PointPattern(xy)
    assert study_area(_points(xy), crs=UTM).area_km2 * 1e6 == pytest.approx(pp.hull_area)


def test_bbox_and_buffer_areas() -> None:
    xy = _random()
    gdf = _points(xy)
    span = xy.max(axis=0) - xy.min(axis=0)
    assert study_area(gdf, area="bbox").area_km2 == pytest.approx(span[0] * span[1] / 1e6)
    hull = shapely.MultiPoint(xy).convex_hull
    buffered = study_area(gdf, area="buffer", buffer_m=200)
    assert buffered.method == "buffer:200"
    # Steiner formula: area + perimeter*r + pi*r^2 (within the polygonal approximation)
    expected = hull.area + hull.length * 200 + math.pi * 200**2
    assert buffered.area_km2 * 1e6 == pytest.approx(expected, rel=1e-3)
    with pytest.raises(ParameterError, match="buffer_m"):
        study_area(gdf, area="buffer")
    with pytest.raises(ParameterError, match="unknown study area"):
        study_area(gdf, area="circle")  # type: ignore[arg-type]


def test_user_polygon_counts_only_the_points_inside() -> None:
    xy = _random()
    gdf = _points(xy)
    square = shapely.box(500_000, 5_760_000, 502_000, 5_762_000)
    polygon = gpd.GeoSeries([square], crs=UTM).to_crs(4326)
    result = sites_per_km2(gdf, area=polygon)
    inside = int(((xy[:, 0] <= 502_000) & (xy[:, 1] <= 5_762_000)).sum())
    assert result.area_method == "polygon"
    assert result.n_points == inside
    assert result.area_km2 == pytest.approx(4.0, rel=1e-3)
    assert result.sites_per_km2 == pytest.approx(inside / result.area_km2)


def test_nearest_neighbour_distances_match_brute_force_and_keep_the_index() -> None:
    xy = _random(300, seed=5)
    gdf = _points(xy)
    gdf.index = [f"s{i}" for i in range(len(gdf))]
    result = nearest_neighbour_distances(gdf)
    full = distance_matrix(xy, xy)
    np.fill_diagonal(full, np.inf)
    assert list(result.index) == list(gdf.index)
    assert result.name == "nn_distance_m"
    np.testing.assert_allclose(result.to_numpy(), full.min(axis=1), rtol=1e-12)


@PYSAL_SHAPES
def test_clark_evans_matches_pointpats_and_the_formula() -> None:
    xy = _random(500, seed=7)
    pp = PointPattern(xy)
    result = clark_evans(_points(xy))
    n, area = len(xy), pp.hull_area
    assert result.mean_nn_distance_m == pytest.approx(pp.mean_nnd)
    expected = 0.5 / math.sqrt(n / area)
    se = 0.26136 / math.sqrt(n * n / area)
    z = (pp.mean_nnd - expected) / se
    assert result.expected_mean_nn_distance_m == pytest.approx(expected)
    assert result.clark_evans_r == pytest.approx(pp.mean_nnd / expected)
    assert result.clark_evans_z == pytest.approx(z)
    assert result.clark_evans_p == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_clustered_points_have_r_below_one_and_a_regular_grid_above() -> None:
    rng = np.random.default_rng(2)
    clustered = rng.normal(0, 50, (300, 2)) + rng.uniform(0, 5000, (6, 2)).repeat(50, axis=0)
    grid = np.stack(np.meshgrid(np.arange(20), np.arange(20)), -1).reshape(-1, 2) * 100.0
    low = clark_evans(_points(clustered + np.array([500_000, 5_760_000])))
    high = clark_evans(_points(grid + np.array([500_000, 5_760_000])))
    assert low.clark_evans_r < 0.5
    assert low.clark_evans_p < 1e-6
    assert high.clark_evans_r > 1.5


def test_degenerate_inputs_give_nan_not_errors() -> None:
    two = _points(np.array([[500_000.0, 5_760_000.0], [500_100.0, 5_760_000.0]]))
    result = clark_evans(two)
    assert result.mean_nn_distance_m == pytest.approx(100.0)
    assert math.isnan(result.clark_evans_r)
    assert math.isnan(sites_per_km2(two).sites_per_km2)


def test_lonlat_input_is_projected_before_measuring() -> None:
    xy = _random(200, seed=9)
    metric = _points(xy)
    geographic = metric.to_crs(4326)
    a = clark_evans(metric)
    b = clark_evans(geographic, crs=UTM)
    assert b.mean_nn_distance_m == pytest.approx(a.mean_nn_distance_m, rel=1e-9)


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_nearest_neighbours_in_strips_are_those_of_one_tree_over_all_points(
    threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut into x strips, one k-d tree each: the same distances as scipy's one tree, with
    duplicates, ties on the strip edges and a strip's lone far point."""
    import geo._threads
    import geo.density

    monkeypatch.setattr(geo._threads, "THREADS", threads)
    monkeypatch.setattr(geo.density, "_NN_STRIP", 40)
    rng = np.random.default_rng(threads)
    xy = rng.normal(0, 1_000, (600, 2))
    xy[:150] = np.round(xy[:150] / 100) * 100  # duplicates and equal x on strip edges
    xy[150:300, 0] = np.round(xy[150:300, 0] / 500) * 500
    xy[-1] = [50_000.0, 0.0]  # its nearest point is in another strip, far away
    ours = nearest_neighbour_distances_xy(xy)
    reference = cKDTree(xy).query(xy, k=2)[0][:, 1]
    np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("shape", ["scatter", "line"])
def test_a_hull_found_in_parts_on_every_core_is_the_hull_of_all_points(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geo._threads
    import geo.density

    monkeypatch.setattr(geo.density, "_HULL_PART", 1_000)
    monkeypatch.setattr(geo._threads, "THREADS", 4)  # four parts, whatever the machine
    rng = np.random.default_rng(7)
    t = rng.random(10_000)
    xy = (
        rng.normal(size=(10_000, 2)) * [300.0, 100.0]
        if shape == "scatter"
        else np.column_stack([t * 1_000.0, t * 500.0 + 20.0])  # collinear: a line
    )
    hull = hull_polygon(xy)
    reference = shapely.MultiPoint(xy).convex_hull  # GEOS, on all points at once
    assert hull.geom_type == reference.geom_type
    assert hull.equals(reference)
