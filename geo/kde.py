"""Kernel density surface on a regular metric grid, as GeoTIFF and as contour polygons.

The surface is in **sites per km²** and integrates to the number of points (sum of cells x cell
area = n). It is computed by linear binning of the points onto the grid nodes followed by an
FFT convolution with the discretised kernel, so its cost is that of a few ``np.bincount`` plus
one FFT, whatever the number of points.

Kernels and bandwidth
---------------------
* ``"gaussian"``: the bandwidth is the standard deviation (as in scikit-learn, scipy and
  KDEpy); the kernel is truncated at 4 bandwidths (it has fallen to 0.03 % of its peak).
* ``"quartic"`` (biweight, ``3/(πR²)·(1-r²/R²)²``) and ``"epanechnikov"``
  (``2/(πR²)·(1-r²/R²)``): the bandwidth is the support radius R (as in QGIS's Heatmap).
* Rules ``"scott"`` and ``"silverman"`` give a gaussian standard deviation
  ``s·n^(-1/6)`` (the 2-D normal-reference rule), with ``s = sqrt((sx² + sy²)/2)`` from the
  sample standard deviations (``"scott"``) or from the robust spreads
  ``min(std, IQR/1.349)`` (``"silverman"``). For the compact kernels the rule's s is turned
  into the support radius of the kernel with the same variance (``R = s·√8`` quartic,
  ``R = s·√6`` Epanechnikov).

The grid extends one support radius plus one cell beyond the points, so no mass is cut off;
the discretised kernel is normalised to sum to one, so the integral is exactly n.

Large inputs are binned a million points at a time into the one grid, so the work arrays
do not grow with n. The grid's extent and the bandwidth rule need every point first: a
caller that reads a file in chunks (:mod:`geo.column_analysis`) keeps the coordinates of
the first pass (the nearest-neighbour statistics need them anyway) and bins them in this
second pass.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo.errors import InputDataError, ParameterError, quote
from geo.options import KERNELS, BandwidthRule, Kernel
from geo.projection import metric_crs, site_points, xy_arrays

__all__ = [
    "KERNELS",
    "BandwidthRule",
    "GridSpec",
    "KDESurface",
    "Kernel",
    "bandwidth_from_sd",
    "bandwidth_m",
    "grid_spec",
    "kde_contours",
    "kde_surface",
    "kde_surface_xy",
    "linear_binning",
    "support_m",
    "surface_from_binned",
    "write_geotiff",
]


_GAUSSIAN_TRUNCATE = 4.0
_RADIUS_PER_SIGMA = {"quartic": math.sqrt(8.0), "epanechnikov": math.sqrt(6.0)}
#: Largest grid accepted (cells), about 1.2 GB of float64 work arrays.
MAX_CELLS = 40_000_000
#: Points binned at a time: the binning's work arrays (about 40 bytes a point) stay bounded.
_BIN_ROWS = 1 << 20


@dataclass(frozen=True)
class KDESurface:
    """A kernel density surface on a north-up grid.

    Attributes
    ----------
    density_per_km2
        ``(rows, cols)`` array of sites per km²; row 0 is the northern edge.
    west_m, north_m
        Coordinates of the grid's north-west corner in ``crs`` (metres).
    cell_m
        Cell size in metres.
    crs
        The metric CRS (``None`` for :func:`kde_surface_xy` on bare arrays).
    kernel, bandwidth_m, bandwidth_rule
        Kernel, its bandwidth in metres (standard deviation or support radius, see module
        doc) and how it was chosen (``"fixed"``, ``"scott"`` or ``"silverman"``).
    n_points
        Number of points.
    """

    density_per_km2: np.ndarray
    west_m: float
    north_m: float
    cell_m: float
    crs: pyproj.CRS | None
    kernel: str
    bandwidth_m: float
    bandwidth_rule: str
    n_points: int

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid."""
        rows, cols = self.density_per_km2.shape
        return int(rows), int(cols)

    @property
    def transform(self) -> Any:
        """The grid's affine transform (an :class:`affine.Affine`, as rasterio uses)."""
        from affine import Affine

        # built directly: rasterio's from_origin multiplies Affines with the deprecated `*`
        return Affine(self.cell_m, 0.0, self.west_m, 0.0, -self.cell_m, self.north_m)

    @property
    def x_centres(self) -> np.ndarray:
        """Easting of each column's cell centre (west to east)."""
        return self.west_m + self.cell_m * (np.arange(self.shape[1]) + 0.5)

    @property
    def y_centres(self) -> np.ndarray:
        """Northing of each row's cell centre (north to south, like the array)."""
        return self.north_m - self.cell_m * (np.arange(self.shape[0]) + 0.5)

    @property
    def cell_km2(self) -> float:
        """Area of one cell in km²."""
        return self.cell_m * self.cell_m / 1e6

    @property
    def integral(self) -> float:
        """Integral of the surface (number of sites; equals ``n_points`` up to rounding)."""
        return float(self.density_per_km2.sum() * self.cell_km2)

    @property
    def peak_per_km2(self) -> float:
        """Highest density in sites per km²."""
        return float(self.density_per_km2.max())

    @property
    def peak_xy(self) -> tuple[float, float]:
        """Metric coordinates of the centre of the densest cell."""
        row, col = np.unravel_index(int(np.argmax(self.density_per_km2)), self.shape)
        return float(self.x_centres[col]), float(self.y_centres[row])


#: Below this spread (metres) points count as coinciding: no rule of thumb gives a bandwidth.
_MIN_SPREAD_M = 1e-3


def _robust_sd(values: np.ndarray) -> float:
    sd = float(np.std(values, ddof=1))
    q75, q25 = np.percentile(values, [75, 25])
    iqr = float(q75 - q25) / 1.349
    return min(sd, iqr) if iqr > 0 else sd


def bandwidth_m(
    xy: np.ndarray, *, rule: BandwidthRule = "scott", kernel: Kernel = "gaussian"
) -> float:
    """Bandwidth in metres from a rule of thumb (see the module doc for the definitions)."""
    xy = np.asarray(xy, dtype=float)
    n = len(xy)
    if rule not in ("scott", "silverman"):
        msg = f"unknown bandwidth rule {quote(rule)}; use scott, silverman or a number of metres"
        raise ParameterError(msg)
    if n < 2:
        msg = f"the {rule} rule needs at least two points; give a bandwidth in metres"
        raise InputDataError(msg)
    # centred on one point, coinciding points give an exact zero spread: on raw projected
    # coordinates (hundreds of km) the mean's rounding alone leaves about 1e-11 m
    xy = xy - xy[0]
    if rule == "scott":
        sx, sy = np.std(xy, axis=0, ddof=1)
    else:
        sx, sy = _robust_sd(xy[:, 0]), _robust_sd(xy[:, 1])
    return bandwidth_from_sd(float(sx), float(sy), n, rule=rule, kernel=kernel)


def bandwidth_from_sd(
    sx: float, sy: float, n: int, *, rule: BandwidthRule = "scott", kernel: Kernel = "gaussian"
) -> float:
    """Bandwidth in metres of ``n`` points whose spreads (standard deviations, or the robust
    spreads of ``"silverman"``) along x and y are ``sx`` and ``sy`` metres."""
    sigma = math.sqrt((sx * sx + sy * sy) / 2.0) * n ** (-1.0 / 6.0)
    if not sigma >= _MIN_SPREAD_M:
        msg = (
            f"the {rule} rule gives a zero bandwidth (the points are within "
            f"{_MIN_SPREAD_M * 1000:g} mm of each other); give one in metres"
        )
        raise InputDataError(msg)
    return sigma * _RADIUS_PER_SIGMA.get(kernel, 1.0)


def support_m(kernel: Kernel, bandwidth_m: float) -> float:
    """How far the kernel reaches, in metres: 4 bandwidths (gaussian) or the bandwidth."""
    return bandwidth_m * _GAUSSIAN_TRUNCATE if kernel == "gaussian" else bandwidth_m


def _kernel_weights(kernel: str, bandwidth: float, cell: float) -> np.ndarray:
    """The kernel sampled at grid offsets and normalised to sum to one."""
    support = bandwidth * _GAUSSIAN_TRUNCATE if kernel == "gaussian" else bandwidth
    m = max(1, math.ceil(support / cell))
    offsets = cell * np.arange(-m, m + 1, dtype=float)
    r2 = offsets[:, None] ** 2 + offsets[None, :] ** 2
    if kernel == "gaussian":
        k = np.exp(-0.5 * r2 / (bandwidth * bandwidth))
        k[r2 > support * support] = 0.0
    else:
        u = np.clip(1.0 - r2 / (bandwidth * bandwidth), 0.0, None)
        k = u * u if kernel == "quartic" else u
    total = k.sum()
    if not total > 0:  # pragma: no cover - m >= 1 keeps the centre weight positive
        msg = "the kernel is empty on this grid; use a smaller cell"
        raise ParameterError(msg)
    return k / total


def kde_surface_xy(
    xy: np.ndarray,
    *,
    bandwidth: float | BandwidthRule = "scott",
    kernel: Kernel = "gaussian",
    cell_m: float | None = None,
    grid_size: int = 512,
    crs: pyproj.CRS | None = None,
) -> KDESurface:
    """Kernel density of metric coordinates (see :func:`kde_surface`).

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in metres.
    bandwidth
        Metres, or a rule {``"scott"``, ``"silverman"``}.
    kernel
        {``"gaussian"``, ``"quartic"``, ``"epanechnikov"``}.
    cell_m
        Cell size in metres; by default the longest side of the grid has ``grid_size`` cells.
    grid_size
        Cells along the longest side when ``cell_m`` is not given.
    crs
        The CRS of ``xy``, recorded on the result.
    """
    if kernel not in KERNELS:
        msg = f"unknown kernel {quote(kernel)}; use one of {', '.join(KERNELS)}"
        raise ParameterError(msg)
    xy = np.asarray(xy, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) == 0:
        msg = "kernel density needs at least one point"
        raise InputDataError(msg)
    rule: str
    if isinstance(bandwidth, str):
        rule = bandwidth
        h = bandwidth_m(xy, rule=bandwidth, kernel=kernel)
    else:
        rule = "fixed"
        h = float(bandwidth)
        if not math.isfinite(h) or h <= 0:
            msg = f"bandwidth must be a positive number of metres, not {bandwidth}"
            raise ParameterError(msg)
    support = support_m(kernel, h)
    xs = np.ascontiguousarray(xy[:, 0])
    ys = np.ascontiguousarray(xy[:, 1])
    grid = grid_spec(
        (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())),
        support_m=support,
        cell_m=cell_m,
        grid_size=grid_size,
    )
    binned = linear_binning(xs, ys, grid)
    return surface_from_binned(
        binned, grid, kernel=kernel, bandwidth_m=h, bandwidth_rule=rule, n_points=len(xy), crs=crs
    )


@dataclass(frozen=True)
class GridSpec:
    """The nodes of a density grid: ``shape`` = ``(rows, cols)`` nodes ``cell`` metres apart
    from the south-west node ``(x0, y0)``; row 0 is the southern row."""

    x0: float
    y0: float
    cell: float
    shape: tuple[int, int]


def _cells(span: float) -> int:
    """The whole cells covering ``span`` cells' worth of extent, a rounding error above a
    whole number not counted as one more: engines whose bandwidths differ in the last bits
    (a sum of partitions, a sum of chunks) get the same grid."""
    return math.ceil(span - 1e-9 * max(1.0, span))


def grid_spec(
    bounds: tuple[float, float, float, float],
    *,
    support_m: float,
    cell_m: float | None = None,
    grid_size: int = 512,
) -> GridSpec:
    """The grid of a density surface over points of ``bounds`` (minx, miny, maxx, maxy),
    for a kernel reaching ``support_m`` metres (see :func:`kde_surface_xy`).

    It depends on the points only through their bounds, so data binned in parts (chunks of a
    file, partitions on a cluster) share it once the global bounds are known.
    """
    lo = np.array(bounds[:2], dtype=float)
    hi = np.array(bounds[2:], dtype=float)
    extent = float(np.max(hi - lo))
    if cell_m is None:
        if grid_size < 8:
            msg = f"grid_size must be at least 8, not {grid_size}"
            raise ParameterError(msg)
        cell = (extent + 2.0 * support_m) / (grid_size - 3)
    else:
        cell = float(cell_m)
        if not math.isfinite(cell) or cell <= 0:
            msg = f"cell size must be a positive number of metres, not {cell_m}"
            raise ParameterError(msg)
    pad = support_m + cell
    x0, y0 = lo[0] - pad, lo[1] - pad
    ncols = _cells((hi[0] + pad - x0) / cell) + 1
    nrows = _cells((hi[1] + pad - y0) / cell) + 1
    if ncols * nrows > MAX_CELLS:
        msg = (
            f"a {nrows}x{ncols} grid is too large (over {MAX_CELLS:,} cells); "
            "use a larger cell size"
        )
        raise ParameterError(msg)
    return GridSpec(x0=float(x0), y0=float(y0), cell=cell, shape=(nrows, ncols))


def surface_from_binned(
    binned: np.ndarray,
    grid: GridSpec,
    *,
    kernel: Kernel,
    bandwidth_m: float,
    bandwidth_rule: str,
    n_points: int,
    crs: pyproj.CRS | None = None,
) -> KDESurface:
    """The density surface from linearly binned points (:func:`linear_binning`, or its sum
    over parts of the data): one FFT convolution with the discretised kernel."""
    h, cell = bandwidth_m, grid.cell
    if h < 2.0 * cell:
        warnings.warn(
            f"the bandwidth ({h:.0f} m) is under two cells ({cell:.0f} m each); "
            "the surface is coarse: use a smaller cell",
            UserWarning,
            stacklevel=3,
        )
    smooth = _convolve_same(binned, _kernel_weights(kernel, h, cell))
    np.clip(smooth, 0.0, None, out=smooth)
    smooth *= 1e6 / (cell * cell)
    return KDESurface(
        density_per_km2=np.ascontiguousarray(smooth[::-1]),
        west_m=float(grid.x0 - cell / 2),
        north_m=float(grid.y0 + (grid.shape[0] - 0.5) * cell),
        cell_m=cell,
        crs=crs,
        kernel=kernel,
        bandwidth_m=h,
        bandwidth_rule=bandwidth_rule,
        n_points=n_points,
    )


def linear_binning(xs: np.ndarray, ys: np.ndarray, grid: GridSpec) -> np.ndarray:
    """Points shared between the nodes of ``grid`` (see :func:`_linear_binning`), binned
    :data:`_BIN_ROWS` at a time so the work arrays stay bounded, whatever n. The result is
    additive: binning parts of the data and summing gives the whole's."""
    binned = np.zeros(grid.shape)
    for start in range(0, len(xs), _BIN_ROWS):
        part = slice(start, start + _BIN_ROWS)
        binned += _linear_binning(
            xs[part], ys[part], x0=grid.x0, y0=grid.y0, cell=grid.cell, shape=grid.shape
        )
    return binned


def _convolve_same(grid: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``scipy.signal.fftconvolve(grid, kernel, mode="same")`` by the same operations
    (``scipy.fft`` at fast lengths, the centre of the full result), without importing
    ``scipy.signal``, which loads ``scipy.stats`` (about 35 MB)."""
    from scipy import fft

    full = [a + b - 1 for a, b in zip(grid.shape, kernel.shape, strict=True)]
    shape = [fft.next_fast_len(n, True) for n in full]
    out = fft.irfftn(fft.rfftn(grid, shape) * fft.rfftn(kernel, shape), shape)
    top, left = ((f - g) // 2 for f, g in zip(full, grid.shape, strict=True))
    return out[top : top + grid.shape[0], left : left + grid.shape[1]].copy()


def _linear_binning(
    xs: np.ndarray, ys: np.ndarray, *, x0: float, y0: float, cell: float, shape: tuple[int, int]
) -> np.ndarray:
    """Share each point between its four surrounding grid nodes (bilinear weights).

    Row 0 is the southern row here. Four ``bincount`` on one index array: counts and the sums
    of ``wx``, ``wy`` and ``wx*wy`` per lower-left node give the four corner weights.
    """
    nrows, ncols = shape
    inv = 1.0 / cell
    fx = np.subtract(xs, x0)
    fx *= inv
    fy = np.subtract(ys, y0)
    fy *= inv
    ix = fx.astype(np.intp)
    iy = fy.astype(np.intp)
    fx -= ix
    fy -= iy
    idx = iy * ncols
    idx += ix
    size = nrows * ncols
    s0 = np.bincount(idx, minlength=size).astype(float)
    sx = np.bincount(idx, fx, minlength=size)
    sy = np.bincount(idx, fy, minlength=size)
    fx *= fy
    sxy = np.bincount(idx, fx, minlength=size)
    grid = (s0 - sx - sy + sxy).reshape(shape)
    grid[:, 1:] += (sx - sxy).reshape(shape)[:, :-1]
    grid[1:, :] += (sy - sxy).reshape(shape)[:-1, :]
    grid[1:, 1:] += sxy.reshape(shape)[:-1, :-1]
    return grid


def kde_surface(
    gdf: gpd.GeoDataFrame,
    *,
    bandwidth: float | BandwidthRule = "scott",
    kernel: Kernel = "gaussian",
    cell_m: float | None = None,
    grid_size: int = 512,
    crs: Any = None,
) -> KDESurface:
    """Kernel density surface of a point set, in sites per km², on a metric grid.

    Parameters
    ----------
    gdf
        Points (footprints count by their centroid).
    bandwidth
        Metres (standard deviation for the gaussian kernel, support radius for the others),
        or a rule {``"scott"``, ``"silverman"``}.
    kernel
        {``"gaussian"``, ``"quartic"``, ``"epanechnikov"``}.
    cell_m
        Cell size in metres (default: 512 cells on the longest side).
    grid_size
        Cells along the longest side when ``cell_m`` is not given.
    crs
        Metric CRS (default: :func:`geo.projection.metric_crs`).

    Returns
    -------
    KDESurface
        ``density_per_km2`` sums, times ``cell_km2``, to the number of points.
    """
    metric = metric_crs(gdf, crs=crs)
    xy = xy_arrays(site_points(gdf, crs=metric))
    return kde_surface_xy(
        xy, bandwidth=bandwidth, kernel=kernel, cell_m=cell_m, grid_size=grid_size, crs=metric
    )


def write_geotiff(surface: KDESurface, path: str | Path) -> Path:
    """Write the surface as a single-band float32 GeoTIFF (deflate) in its metric CRS.

    The band holds sites per km²; tags record the unit, kernel and bandwidth.
    """
    import rasterio

    path = Path(path)
    rows, cols = surface.shape
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": cols,
        "count": 1,
        "dtype": "float32",
        "crs": surface.crs.to_wkt() if surface.crs is not None else None,
        "transform": surface.transform,
        "compress": "deflate",
        "tiled": rows >= 256 and cols >= 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(surface.density_per_km2.astype(np.float32), 1)
        dst.update_tags(
            units="sites per km2",
            kernel=surface.kernel,
            bandwidth_m=f"{surface.bandwidth_m:.3f}",
            bandwidth_rule=surface.bandwidth_rule,
            n_points=str(surface.n_points),
        )
        dst.set_band_description(1, "kernel density, sites per km2")
    return path


def default_levels(surface: KDESurface) -> list[float]:
    """Contour levels at 5, 10, 25, 50 and 75 % of the peak density."""
    peak = surface.peak_per_km2
    return [peak * f for f in (0.05, 0.1, 0.25, 0.5, 0.75)]


def kde_contours(surface: KDESurface, *, levels: list[float] | None = None) -> gpd.GeoDataFrame:
    """Filled contour bands of the surface as polygons, for maps.

    Parameters
    ----------
    surface
        A :class:`KDESurface`.
    levels
        Increasing densities (sites per km²) where bands start; default
        :func:`default_levels`. The last band runs up to the peak.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per non-empty band, columns ``density_min_per_km2``, ``density_max_per_km2``
        and a (Multi)Polygon ``geometry`` in the surface's CRS.
    """
    import contourpy

    levels = default_levels(surface) if levels is None else sorted(float(v) for v in levels)
    peak = surface.peak_per_km2
    bounds = [v for v in levels if v < peak]
    records: list[tuple[float, float]] = []
    geoms: list[Any] = []
    if bounds and peak > 0:
        z = surface.density_per_km2[::-1]
        gen = contourpy.contour_generator(
            surface.x_centres,
            surface.y_centres[::-1],
            z,
            fill_type=contourpy.FillType.OuterOffset,
        )
        uppers = [*bounds[1:], peak * (1 + 1e-9)]
        for lower, upper in zip(bounds, uppers, strict=True):
            filled = gen.filled(lower, upper)
            points = cast(list[np.ndarray], filled[0])
            offsets = cast(list[np.ndarray], filled[1])
            polygons = []
            for pts, offs in zip(points, offsets, strict=True):
                rings = [pts[a:b] for a, b in itertools.pairwise(offs)]
                rings = [r for r in rings if len(r) >= 4]
                if rings:
                    polygons.append(shapely.Polygon(rings[0], rings[1:]))
            if polygons:
                geoms.append(shapely.make_valid(shapely.multipolygons(polygons)))
                records.append((lower, min(upper, peak)))
    return gpd.GeoDataFrame(
        {
            "density_min_per_km2": [r[0] for r in records],
            "density_max_per_km2": [r[1] for r in records],
        },
        geometry=geoms,
        crs=surface.crs,
    )
