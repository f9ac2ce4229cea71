"""Binned FFT kernel density against an exact kernel sum; GeoTIFF and contours."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from scipy.stats import gaussian_kde

from geo.errors import InputDataError, ParameterError
from geo.kde import bandwidth_m, kde_contours, kde_surface, kde_surface_xy, write_geotiff

ORIGIN = np.array([500_000.0, 5_760_000.0])


def _clustered(n: int = 600, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 4000, (4, 2))
    return centres[rng.integers(0, 4, n)] + rng.normal(0, 300, (n, 2)) + ORIGIN


def _exact(xy: np.ndarray, gx: np.ndarray, gy: np.ndarray, kernel: str, h: float) -> np.ndarray:
    """Sum of the kernel over every point at every grid node, in sites per km²."""
    out = np.zeros((len(gy), len(gx)))
    for x, y in xy:
        r2 = (gx[None, :] - x) ** 2 + (gy[:, None] - y) ** 2
        if kernel == "gaussian":
            out += np.exp(-0.5 * r2 / h**2) / (2 * math.pi * h**2)
        else:
            u = np.clip(1 - r2 / h**2, 0, None)
            out += (3 * u**2 if kernel == "quartic" else 2 * u) / (math.pi * h**2)
    return out * 1e6


@pytest.mark.parametrize(
    ("kernel", "h"), [("gaussian", 250.0), ("quartic", 700.0), ("epanechnikov", 700.0)]
)
def test_surface_matches_exact_kernel_sum_within_one_percent_of_peak(kernel: str, h: float) -> None:
    xy = _clustered()
    surface = kde_surface_xy(xy, bandwidth=h, kernel=kernel, cell_m=50.0)
    exact = _exact(xy, surface.x_centres, surface.y_centres, kernel, h)
    peak = exact.max()
    where = exact > 0.01 * peak
    assert np.abs(surface.density_per_km2 - exact)[where].max() <= 0.01 * peak
    assert surface.peak_per_km2 == pytest.approx(peak, rel=0.01)


@pytest.mark.parametrize("kernel", ["gaussian", "quartic", "epanechnikov"])
def test_surface_integrates_to_the_number_of_points(kernel: str) -> None:
    xy = _clustered(n=357, seed=4)
    surface = kde_surface_xy(xy, bandwidth=400.0, kernel=kernel, cell_m=60.0)
    assert surface.integral == pytest.approx(357, rel=0.01)
    exact = _exact(xy, surface.x_centres, surface.y_centres, kernel, 400.0)
    assert exact.sum() * surface.cell_km2 == pytest.approx(357, rel=0.01)  # grid holds the mass


def test_single_point_gaussian_peak_is_one_over_two_pi_sigma_squared() -> None:
    surface = kde_surface_xy(ORIGIN[None, :], bandwidth=100.0, kernel="gaussian", cell_m=5.0)
    assert surface.peak_per_km2 == pytest.approx(1e6 / (2 * math.pi * 100.0**2), rel=0.01)
    x, y = surface.peak_xy
    assert abs(x - ORIGIN[0]) <= 5.0
    assert abs(y - ORIGIN[1]) <= 5.0


def test_scott_rule_matches_scipy_on_isotropic_data() -> None:
    rng = np.random.default_rng(1)
    xy = rng.normal(0, 1000, (5000, 2))
    kde = gaussian_kde(xy.T)  # Scott's factor n**(-1/6) times the data covariance
    expected = math.sqrt(np.trace(kde.covariance) / 2)
    assert bandwidth_m(xy, rule="scott") == pytest.approx(expected, rel=1e-9)
    assert bandwidth_m(xy, rule="silverman") <= bandwidth_m(xy, rule="scott") * 1.0001
    assert bandwidth_m(xy, rule="scott", kernel="quartic") == pytest.approx(expected * math.sqrt(8))


def test_grid_defaults_to_512_cells_and_extends_beyond_the_points() -> None:
    xy = _clustered()
    surface = kde_surface_xy(xy, bandwidth=300.0)
    assert max(surface.shape) in (512, 513)
    west, north = surface.west_m, surface.north_m
    assert west < xy[:, 0].min() - 4 * 300
    assert north > xy[:, 1].max() + 4 * 300


def test_bad_options_are_refused() -> None:
    xy = _clustered()
    with pytest.raises(ParameterError, match="kernel"):
        kde_surface_xy(xy, kernel="box")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="bandwidth"):
        kde_surface_xy(xy, bandwidth=-5)
    with pytest.raises(ParameterError, match="too large"):
        kde_surface_xy(xy, bandwidth=100, cell_m=0.5)
    with pytest.warns(UserWarning, match="coarse"):
        kde_surface_xy(xy, bandwidth=50, cell_m=40)


def test_geotiff_holds_the_surface_in_its_crs(tmp_path: Path) -> None:
    xy = _clustered(200)
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    surface = kde_surface(gdf.to_crs(4326), bandwidth=300.0, cell_m=100.0)
    assert surface.crs.to_epsg() == 32631
    path = write_geotiff(surface, tmp_path / "kde.tif")
    with rasterio.open(path) as src:
        band = src.read(1)
        assert src.crs.to_epsg() == 32631
        assert src.transform.a == pytest.approx(100.0)
        assert src.tags()["units"] == "sites per km2"
        assert band.sum() * 0.01 == pytest.approx(200, rel=1e-4)
        row, col = src.index(*surface.peak_xy)
    assert band[row, col] == pytest.approx(surface.peak_per_km2, rel=1e-6)


def test_contours_are_nested_density_bands() -> None:
    xy = _clustered(400)
    surface = kde_surface_xy(xy, bandwidth=300.0, cell_m=50.0)
    bands = kde_contours(surface)
    assert list(bands.columns) == ["density_min_per_km2", "density_max_per_km2", "geometry"]
    assert (bands.geom_type == "MultiPolygon").all()
    assert bands.is_valid.all()
    assert bands["density_min_per_km2"].is_monotonic_increasing
    # the densest band contains the peak; band areas shrink as the density rises
    peak = gpd.points_from_xy([surface.peak_xy[0]], [surface.peak_xy[1]])[0]
    assert bands.geometry.iloc[-1].buffer(surface.cell_m).contains(peak)
    areas = bands.area.to_numpy()
    union_areas = [bands.geometry.iloc[i:].union_all().area for i in range(len(bands))]
    assert np.all(np.diff(union_areas) < 0)
    assert areas.sum() > 0


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_coinciding_points_far_from_the_origin_give_no_bandwidth(rule: str) -> None:
    # five copies of one UTM point: the raw standard deviation is 3e-11 m, not 0
    xy = np.tile([[833776.09237676, 221366.16603034]], (5, 1))
    assert np.std(xy, axis=0, ddof=1).max() > 0  # the rounding the rule must not trust
    with pytest.raises(InputDataError, match="zero bandwidth"):
        bandwidth_m(xy, rule=rule)
    spread = xy + np.array([[0, 0], [5, 0], [0, 5], [5, 5], [2, 2]])
    assert bandwidth_m(spread, rule=rule) > 1  # metres apart: a real bandwidth


def test_the_convolution_is_scipy_signal_fftconvolve_bit_for_bit() -> None:
    from scipy.signal import fftconvolve

    from geo.kde import _convolve_same, _kernel_weights

    rng = np.random.default_rng(8)
    for shape, bandwidth in (((97, 131), 40.0), ((512, 300), 7.0), ((8, 9), 30.0)):
        grid = rng.poisson(0.7, shape).astype(float)
        kernel = _kernel_weights("gaussian", bandwidth, 10.0)
        expected = fftconvolve(grid, kernel, mode="same")
        assert np.array_equal(_convolve_same(grid, kernel), expected)
