"""Site density over a study area, nearest-neighbour distances and the Clark-Evans ratio.

All measures are computed in a metric CRS (:func:`geo.projection.metric_crs`): distances in
metres, areas in km², densities in sites per km².
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError, cKDTree
from scipy.special import ndtr
from shapely.geometry.base import BaseGeometry

from geo._sorting import take_rows
from geo._threads import parts, pool_map
from geo.errors import InputDataError, ParameterError, quote
from geo.projection import has_location, metric_crs, site_points, xy_arrays

__all__ = [
    "AreaClip",
    "AreaMethod",
    "ClarkEvans",
    "ClarkEvansStats",
    "Density",
    "StudyArea",
    "clark_evans",
    "clark_evans_stats",
    "clark_evans_xy",
    "hull_polygon",
    "inside_study_area",
    "nearest_neighbour_distances",
    "nearest_neighbour_distances_xy",
    "polygon_study_area",
    "sites_per_km2",
    "study_area",
    "study_area_xy",
]

AreaMethod = Literal["hull", "bbox", "buffer"]
#: A study area: a rule, or the user's polygons (a bare geometry is in the metric CRS).
Area: TypeAlias = AreaMethod | BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries

#: Standard error constant of the Clark-Evans test (Clark & Evans 1954).
_CE_SE = 0.26136


@dataclass(frozen=True)
class StudyArea:
    """The area over which a density is computed.

    Attributes
    ----------
    method
        ``"hull"``, ``"bbox"``, ``"buffer:<metres>"`` or ``"polygon"`` (user-given).
    geometry
        The area's polygon in ``crs``.
    crs
        The metric CRS.
    area_km2
        Its area in km².
    """

    method: str
    geometry: BaseGeometry
    crs: pyproj.CRS
    area_km2: float


@dataclass(frozen=True)
class Density:
    """Sites per km² over a study area."""

    n_points: int
    area_method: str
    area_km2: float
    sites_per_km2: float
    crs: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the fields."""
        return asdict(self)


@dataclass(frozen=True)
class AreaClip:
    """A polygon study area as drawn in its own CRS, to keep the points inside it.

    Points outside a user's polygon are left out of every measure (density, Clark-Evans,
    kernel density, hexagons, cores, location quotients): a point is inside when it lies in
    the polygon or on its boundary, tested in the polygon's own CRS (its edges are straight
    there), whatever CRS the points come in.
    """

    geometry: BaseGeometry
    crs: pyproj.CRS

    def contains_xy(self, x: np.ndarray, y: np.ndarray, *, crs: pyproj.CRS) -> np.ndarray:
        """Boolean mask of the points ``(x, y)`` (in ``crs``) inside the area."""
        if not self.crs.equals(crs):
            transformer = pyproj.Transformer.from_crs(crs, self.crs, always_xy=True)
            x, y = transformer.transform(x, y)
        return shapely.intersects_xy(self.geometry, np.asarray(x), np.asarray(y))

    @classmethod
    def of(
        cls, area: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries, *, crs: Any = None
    ) -> AreaClip:
        """The user's polygons: a GeoDataFrame/GeoSeries (with a CRS) dissolved into one
        polygon, or a bare shapely geometry in the metric ``crs``."""
        if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
            if area.crs is None:
                msg = "the study-area polygons have no CRS"
                raise InputDataError(msg)
            geometry, own = shapely.union_all(area.geometry.values), pyproj.CRS(area.crs)
        elif isinstance(area, BaseGeometry):
            if crs is None:
                msg = "a study-area geometry without a CRS needs the metric CRS it is drawn in"
                raise ParameterError(msg)
            geometry, own = area, pyproj.CRS(crs)
        else:
            msg = f"unsupported study area {quote(area)}"
            raise ParameterError(msg)
        if shapely.get_dimensions(geometry) != 2:
            msg = "the study area must be made of polygons"
            raise InputDataError(msg)
        shapely.prepare(geometry)
        return cls(geometry=geometry, crs=own)


@dataclass(frozen=True)
class ClarkEvans:
    """Clark-Evans nearest-neighbour statistics.

    ``expected_mean_nn_distance_m`` is ``0.5 / sqrt(n / A)`` and the standard error
    ``0.26136 / sqrt(n**2 / A)`` (A the study area in m²); ``clark_evans_r`` < 1 means
    clustered, > 1 dispersed; ``clark_evans_p`` is two-sided.
    """

    n_points: int
    area_method: str
    area_km2: float
    mean_nn_distance_m: float
    expected_mean_nn_distance_m: float
    clark_evans_r: float
    clark_evans_z: float
    clark_evans_p: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the fields."""
        return asdict(self)


@dataclass(frozen=True)
class ClarkEvansStats:
    """The Clark-Evans statistics of a point set (NaN where undefined): the mean and the
    expected (random) nearest-neighbour distance in metres, the ratio ``r`` of the two, its
    z-score and two-sided p-value."""

    mean_nn_distance_m: float
    expected_mean_nn_distance_m: float
    r: float
    z: float
    p: float


#: Points a thread of :func:`hull_polygon` takes at least.
_HULL_PART = 1_000_000


def hull_polygon(xy: np.ndarray) -> BaseGeometry:
    """The convex hull of metric points ``xy`` (n x 2): a polygon, or a line or point when
    they are collinear or fewer than three.

    Large inputs are cut into parts whose hulls are found on every core
    (:mod:`geo._threads`; Qhull releases the GIL): the hull of all points is the hull of
    the parts' hull vertices."""
    if len(xy) < 3:
        return shapely.MultiPoint(xy).convex_hull
    cut = parts(len(xy), min_part=_HULL_PART)
    candidates = (
        xy if len(cut) == 1 else np.concatenate(pool_map(lambda p: _hull_vertices(xy[p]), cut))
    )
    try:
        hull = ConvexHull(candidates)
    except QhullError:  # collinear or coincident points
        return shapely.MultiPoint(candidates).convex_hull
    return shapely.Polygon(candidates[hull.vertices])


def _hull_vertices(xy: np.ndarray) -> np.ndarray:
    """The vertices of the convex hull of ``xy``, or all of ``xy`` when Qhull finds no
    polygon (collinear or coincident points)."""
    try:
        return xy[ConvexHull(xy).vertices]
    except QhullError:
        return xy


def study_area(
    gdf: gpd.GeoDataFrame,
    *,
    area: AreaMethod | BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries = "hull",
    buffer_m: float | None = None,
    crs: Any = None,
) -> StudyArea:
    """The study area of a point set, in the metric CRS.

    Parameters
    ----------
    gdf
        Points (polygon footprints count by their centroid).
    area
        {``"hull"``, ``"bbox"``, ``"buffer"``} or the user's polygons: ``"hull"`` is the convex
        hull of the points, ``"bbox"`` their bounding box, ``"buffer"`` the hull buffered by
        ``buffer_m`` metres; a GeoDataFrame/GeoSeries (with a CRS) is dissolved into one
        polygon; a bare shapely geometry is taken to be in the metric CRS.
    buffer_m
        Buffer distance in metres, for ``area="buffer"`` only.
    crs
        Metric CRS to use (default: :func:`geo.projection.metric_crs`).
    """
    metric = metric_crs(gdf, crs=crs)
    if isinstance(area, str):
        if area not in ("hull", "bbox", "buffer"):
            msg = f"unknown study area {quote(area)}; use hull, bbox, buffer or a polygon"
            raise ParameterError(msg)
        if (area == "buffer") != (buffer_m is not None):
            msg = "buffer_m is required with area='buffer' and only then"
            raise ParameterError(msg)
        rule: AreaMethod = "bbox" if area == "bbox" else "buffer" if area == "buffer" else "hull"
        xy = xy_arrays(site_points(gdf, crs=metric))
        return study_area_xy(xy, area=rule, buffer_m=buffer_m, crs=metric)
    return polygon_study_area(area, crs=metric)


def polygon_study_area(
    area: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries, *, crs: pyproj.CRS
) -> StudyArea:
    """A user's polygons as a study area in the metric ``crs``: a GeoDataFrame/GeoSeries
    (with a CRS) dissolved into one polygon, or a bare shapely geometry taken to be in
    ``crs``."""
    clip = AreaClip.of(area, crs=crs)
    geometry = clip.geometry
    if not clip.crs.equals(crs):
        geometry = gpd.GeoSeries([geometry], crs=clip.crs).to_crs(crs).iloc[0]
    return StudyArea(method="polygon", geometry=geometry, crs=crs, area_km2=geometry.area / 1e6)


def inside_study_area(
    gdf: gpd.GeoDataFrame, area: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries, *, crs: Any = None
) -> tuple[gpd.GeoDataFrame, pyproj.CRS]:
    """The located rows of ``gdf`` inside a polygon study area (:class:`AreaClip`), and the
    metric CRS to measure them in: ``crs`` if given, else the one :func:`metric_crs`
    picks for the points inside (for a bare geometry, in the metric CRS, that of all
    the points)."""
    everywhere = metric_crs(gdf, crs=crs)
    clip = AreaClip.of(area, crs=everywhere)
    located = gdf[has_location(gdf.geometry)]
    xy = xy_arrays(site_points(located, crs=everywhere))  # one point a located row, in order
    kept = located[clip.contains_xy(xy[:, 0], xy[:, 1], crs=everywhere)]
    referenced = isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries)
    metric = metric_crs(kept, crs=crs) if referenced and len(kept) else everywhere
    return kept, metric


def _measured(
    gdf: gpd.GeoDataFrame, *, area: Area, buffer_m: float | None, crs: Any
) -> tuple[np.ndarray, StudyArea]:
    """The metric coordinates measured over a study area (with a polygon, only the points
    inside it), and the area."""
    if isinstance(area, str):
        region = study_area(gdf, area=area, buffer_m=buffer_m, crs=crs)
        return xy_arrays(site_points(gdf, crs=region.crs)), region
    kept, metric = inside_study_area(gdf, area, crs=crs)
    region = polygon_study_area(area, crs=metric)
    xy = xy_arrays(site_points(kept, crs=metric)) if len(kept) else np.empty((0, 2))
    return xy, region


def study_area_xy(
    xy: np.ndarray, *, area: AreaMethod, buffer_m: float | None, crs: pyproj.CRS
) -> StudyArea:
    """The hull, bounding box or buffered hull of metric coordinates ``xy`` (``(n, 2)``,
    in ``crs``), as :func:`study_area` makes it."""
    if area == "bbox":
        geometry: BaseGeometry = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
        method = "bbox"
    else:
        geometry = hull_polygon(xy)
        method = "hull"
    if area == "buffer":
        if buffer_m is None or not math.isfinite(buffer_m) or buffer_m <= 0:
            msg = f"buffer must be a positive number of metres, not {buffer_m}"
            raise ParameterError(msg)
        geometry = geometry.buffer(buffer_m, quad_segs=32)
        method = f"buffer:{buffer_m:g}"
    return StudyArea(method=method, geometry=geometry, crs=crs, area_km2=geometry.area / 1e6)


def sites_per_km2(
    gdf: gpd.GeoDataFrame,
    *,
    area: Area = "hull",
    buffer_m: float | None = None,
    crs: Any = None,
) -> Density:
    """Number of sites per km² of a study area (see :func:`study_area`).

    With a user polygon only the points inside it (or on its boundary) are counted
    (:class:`AreaClip`), and ``n_points`` says how many. ``sites_per_km2`` is NaN when the
    area is zero (fewer than three points, or all on a line, with the hull or bbox).

    Examples
    --------
    >>> import geopandas as gpd
    >>> xs, ys = [500_000, 501_000, 500_000, 501_000], [5_760_000] * 2 + [5_761_000] * 2
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs="EPSG:32631")
    >>> sites_per_km2(pts, area="bbox").sites_per_km2
    4.0
    """
    xy, region = _measured(gdf, area=area, buffer_m=buffer_m, crs=crs)
    n = len(xy)
    density = n / region.area_km2 if region.area_km2 > 0 else math.nan
    return Density(
        n_points=n,
        area_method=region.method,
        area_km2=region.area_km2,
        sites_per_km2=density,
        crs=region.crs.to_string(),
    )


def nearest_neighbour_distances_xy(xy: np.ndarray) -> np.ndarray:
    """Distance from each point to its nearest other point (same units as ``xy``).

    Exact, by k-d trees, one per strip of the points cut at quantiles of x, built and
    queried on every core (:mod:`geo._threads`; one strip for fewer than
    :data:`_NN_STRIP` points a core). A point whose nearest neighbour in its strip is
    further than the strip's edge is searched again in the other strips' trees, within
    that distance: the result is the nearest point of all, each distance computed as one
    tree over all points computes it. Each tree is queried in its own (spatially sorted)
    order with a distance bound: points next to each other in that order are close, so
    the 90th percentile of their spacing bounds most nearest-neighbour distances and
    prunes most of the search; the few points with no neighbour within the bound are
    searched again without it. NaN for a single point.
    """
    xy = np.ascontiguousarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    if n < 2:
        return np.full(n, np.nan)
    strips = _strips(xy, parts(n, min_part=_NN_STRIP))
    workers = -1 if len(strips) == 1 else 1
    found = pool_map(lambda strip: _strip_nearest(strip, workers=workers), strips)
    out = np.empty(n)
    for strip, (tree, dist) in zip(strips, found, strict=True):
        if len(strips) > 1:
            _across_strips(strip, tree, dist, [t for t, _ in found if t is not tree])
        out[strip.index] = dist
    return out


#: Points a strip of :func:`nearest_neighbour_distances_xy` holds at least.
_NN_STRIP = 250_000


@dataclass
class _Strip:
    """Points of one strip: their rows in the input, coordinates, and the x bounds of the
    strip (every point of another strip lies on the far side of ``low`` or ``high``)."""

    index: np.ndarray
    xy: np.ndarray
    low: float
    high: float


def _strips(xy: np.ndarray, cut: list[slice]) -> list[_Strip]:
    """The points cut into strips of the sizes of ``cut`` at quantiles of x."""
    if len(cut) == 1:
        return [_Strip(np.arange(len(xy)), xy, -math.inf, math.inf)]
    order = np.argpartition(xy[:, 0], [part.start for part in cut[1:]])
    edges = [float(xy[order[part.start], 0]) for part in cut[1:]]
    lows, highs = [-math.inf, *edges], [*edges, math.inf]
    return [
        _Strip(index, take_rows(xy, index), low, high)
        for index, low, high in zip((order[part] for part in cut), lows, highs, strict=True)
    ]


def _strip_nearest(strip: _Strip, *, workers: int) -> tuple[cKDTree, np.ndarray]:
    """A strip's k-d tree and the distance of each of its points (in strip order) to its
    nearest other point of the strip."""
    tree = cKDTree(strip.xy, balanced_tree=False, compact_nodes=False)
    order = tree.indices
    data = take_rows(strip.xy, order)
    step = data[1:] - data[:-1]
    gaps = np.hypot(step[:, 0], step[:, 1])
    del step
    bound = float(np.quantile(gaps, 0.9)) * (1.0 + 1e-9) if len(gaps) >= 10 else np.inf
    if not bound > 0:
        bound = np.inf
    del gaps
    dist = tree.query(data, k=[2], workers=workers, distance_upper_bound=bound)[0][:, 0]
    missed = ~np.isfinite(dist)
    if missed.any():
        dist[missed] = tree.query(data[missed], k=[2], workers=workers)[0][:, 0]
    out = np.empty(len(dist))
    out[order] = dist
    return tree, out


def _across_strips(strip: _Strip, tree: cKDTree, dist: np.ndarray, others: list[cKDTree]) -> None:
    """Lower ``dist`` (in place) to the nearest point of the ``others`` strips' trees where
    one may be nearer: where the distance to the strip's edge, less its rounding, does
    not exceed the distance found."""
    x = strip.xy[:, 0]
    edge = np.minimum(x - strip.low, strip.high - x) * (1 - 1e-9)
    near = np.flatnonzero(~(dist < edge))
    for other in others:
        if not len(near):
            return
        bound = dist[near] * (1 + 1e-9)
        found = other.query(
            strip.xy[near], k=1, distance_upper_bound=float(bound.max()), workers=-1
        )[0]
        dist[near] = np.minimum(dist[near], found)


def nearest_neighbour_distances(gdf: gpd.GeoDataFrame, *, crs: Any = None) -> pd.Series:
    """Distance in metres from each site to its nearest other site.

    Returns a Series named ``nn_distance_m`` aligned on ``gdf.index`` (NaN for sites without
    geometry). Distances are Euclidean in the metric CRS.
    """
    points = site_points(gdf, crs=crs)
    dist = nearest_neighbour_distances_xy(xy_arrays(points))
    return pd.Series(dist, index=points.index, name="nn_distance_m").reindex(gdf.index)


def clark_evans_xy(xy: np.ndarray, area_m2: float) -> ClarkEvansStats:
    """Clark-Evans statistics of metric coordinates over ``area_m2`` (NaN where undefined)."""
    n = len(xy)
    mean_nn = float(np.mean(nearest_neighbour_distances_xy(xy))) if n >= 2 else math.nan
    return clark_evans_stats(mean_nn, n, area_m2)


def clark_evans_stats(mean_nn_m: float, n: int, area_m2: float) -> ClarkEvansStats:
    """Clark-Evans statistics of ``n`` points over ``area_m2`` whose mean nearest-neighbour
    distance is ``mean_nn_m`` (found elsewhere, e.g. partition by partition on a cluster);
    NaN where undefined."""
    mean_nn = mean_nn_m
    if n < 2 or not area_m2 > 0:
        return ClarkEvansStats(mean_nn, math.nan, math.nan, math.nan, math.nan)
    expected = 0.5 / math.sqrt(n / area_m2)
    se = _CE_SE / math.sqrt(n * n / area_m2)
    z = (mean_nn - expected) / se
    p = float(2.0 * ndtr(-abs(z)))  # the normal tail as scipy.stats.norm.sf computes it
    return ClarkEvansStats(mean_nn, expected, mean_nn / expected, z, p)


def clark_evans(
    gdf: gpd.GeoDataFrame,
    *,
    area: Area = "hull",
    buffer_m: float | None = None,
    crs: Any = None,
) -> ClarkEvans:
    """Mean nearest-neighbour distance and the Clark-Evans ratio R with its z-score and p-value.

    The study area A is chosen as in :func:`study_area` (default the convex hull, as in
    PySAL ``pointpats``). With a user polygon only the points inside it are measured
    (:class:`AreaClip`), their nearest neighbours searched among themselves; no edge
    correction is applied.
    """
    xy, region = _measured(gdf, area=area, buffer_m=buffer_m, crs=crs)
    stats = clark_evans_xy(xy, region.area_km2 * 1e6)
    return ClarkEvans(
        n_points=len(xy),
        area_method=region.method,
        area_km2=region.area_km2,
        mean_nn_distance_m=stats.mean_nn_distance_m,
        expected_mean_nn_distance_m=stats.expected_mean_nn_distance_m,
        clark_evans_r=stats.r,
        clark_evans_z=stats.z,
        clark_evans_p=stats.p,
    )
