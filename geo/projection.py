"""Metric CRS choice and geodesic helpers.

Every distance, area and density in clustermap is computed either in a local metric CRS
or along geodesics on the WGS 84 ellipsoid (:class:`pyproj.Geod`). The metric CRS is the
one the user names, else the data's own projected CRS in metres where it stretches
distances over the data no more than the local UTM zone would (France's Lambert-93 over
France, the Dutch RD New over the Netherlands: :func:`scale_error`), else that UTM zone
(:meth:`geopandas.GeoDataFrame.estimate_utm_crs`).
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from geo._geodesy import GEOD, geodesic_distance_m
from geo._threads import map_parts
from geo.errors import InputDataError, ParameterError, clip, param, quote

__all__ = [
    "GEOD",
    "checked_metric_crs",
    "geodesic_distance_m",
    "lonlat_arrays",
    "metric_crs",
    "metric_crs_of_extent",
    "scale_error",
    "site_points",
    "to_metric",
    "transform_xy",
    "xy_arrays",
]

#: The WGS 84 ellipsoid used for every geodesic distance.

_WGS84 = pyproj.CRS.from_epsg(4326)
#: Points per side of the grid across the data's bounds where :func:`scale_error` measures.
_SCALE_GRID = 5
#: The geodesic step :func:`scale_error` measures, in metres.
_SCALE_STEP_M = 10.0
#: Points a thread transforms at least (fewer: one thread).
_TRANSFORM_PART = 16_384
_local = threading.local()


def has_location(geoms: gpd.GeoSeries) -> pd.Series:
    """True where a geometry is present and not empty: the one rule of a "located" site.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> has_location(gpd.GeoSeries([Point(0, 0), None, Point()])).tolist()
    [True, False, False]
    """
    return ~(geoms.isna() | geoms.is_empty)


def parse_crs(crs: Any) -> pyproj.CRS:
    """A CRS from anything pyproj accepts ("EPSG:2154", 2154, WKT...); ParameterError if
    it names none."""
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        msg = f"unknown CRS {quote(crs)}: {clip(exc, limit=200)}"
        raise ParameterError(msg) from exc


def metric_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: Any = None) -> pyproj.CRS:
    """Choose the metric CRS in which distances and areas of ``gdf`` are computed.

    Parameters
    ----------
    gdf
        Features with a CRS.
    crs
        A projected CRS in metres named by the user (``"EPSG:28992"``, a :class:`pyproj.CRS`,
        an EPSG integer ...). By default :func:`metric_crs_of_extent`: the data's own CRS
        when it is projected in metres and stretches distances no more than the UTM zone
        of the data's centre (from :meth:`~geopandas.GeoDataFrame.estimate_utm_crs`), else
        that zone; near a pole (beyond UTM's 80° S to 84° N) or across the antimeridian, a
        Lambert azimuthal equal-area projection centred on the data.

    Returns
    -------
    pyproj.CRS
        A projected CRS whose axis unit is the metre.

    Raises
    ------
    ParameterError
        If ``crs`` is unknown, geographic or not in metres.
    InputDataError
        If ``gdf`` has no CRS or no non-empty geometry.
    """
    if crs is not None:
        return checked_metric_crs(crs)
    if gdf.crs is None:
        msg = f"the data have no CRS; give one (e.g. {param('crs')} EPSG:4326)"
        raise InputDataError(msg)
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    located = geoms[has_location(geoms)]
    if located.empty:
        msg = "no located geometry to choose a metric CRS from"
        raise InputDataError(msg)
    lonlat = located if located.crs.equals(_WGS84) else located.to_crs(_WGS84)
    west, south, east, north = lonlat.total_bounds
    return metric_crs_of_extent(
        (west, south, east, north), centre=_centre(lonlat), source=located.crs
    )


def checked_metric_crs(crs: Any) -> pyproj.CRS:
    """The CRS a user named for distances, if it is projected in metres.

    Raises
    ------
    ParameterError
        If ``crs`` is unknown, geographic or not in metres.
    """
    chosen = parse_crs(crs)
    if not _in_metres(chosen):
        units = ", ".join(sorted(_units(chosen))) or "none"
        msg = (
            f"CRS {chosen.to_string()} is not a projected CRS in metres "
            f"(axis units: {units}); name one such as a UTM zone"
        )
        raise ParameterError(msg)
    return chosen


def _units(crs: pyproj.CRS) -> set[str]:
    return {axis.unit_name for axis in crs.axis_info}


def _in_metres(crs: pyproj.CRS) -> bool:
    """Whether ``crs`` is projected, with axes in metres."""
    return crs.is_projected and _units(crs) <= {"metre", "meter"}


def metric_crs_of_extent(
    bounds: tuple[float, float, float, float],
    *,
    centre: tuple[float, float],
    source: Any = None,
) -> pyproj.CRS:
    """The metric CRS :func:`metric_crs` picks for points of these lon/lat ``bounds``
    (west, south, east, north) and ``centre`` (circular mean longitude, mean latitude),
    given in the CRS ``source``.

    ``source`` itself when it is projected in metres, its area of use holds the bounds, and
    its :func:`scale_error` over them is no larger than the UTM zone's: the data's own
    national grid measures them at least as truly, and they need no second projection.
    Otherwise the UTM zone :meth:`~geopandas.GeoSeries.estimate_utm_crs` gives (the zone
    whose area of use holds the centre of the bounds), whose database query (about 50 ms)
    is made once per zone: strictly inside a 6° band and off the equator, that is the
    band's zone; on a band's edge or the equator (two zones touch) the database is asked.

    Examples
    --------
    >>> france = (-5.1, 41.4, 9.5, 51.0)
    >>> metric_crs_of_extent(france, centre=(2.4, 46.6), source="EPSG:2154").to_epsg()
    2154
    >>> metric_crs_of_extent(france, centre=(2.4, 46.6), source="EPSG:3857").to_epsg()
    32631
    """
    local = _local_crs(bounds, centre=centre)
    own = None if source is None else pyproj.CRS(source)
    return own if own is not None and _own_crs_is_as_true(own, local, bounds) else local


def scale_error(crs: Any, bounds: tuple[float, float, float, float]) -> float:
    """How much the projected ``crs`` stretches or shrinks true distances over lon/lat
    ``bounds``: the largest relative error of a 10 m step along the WGS 84 geodesic, east
    and north, measured in ``crs``, from each point of a 5 x 5 grid across the bounds
    (its meridional and parallel scale factors ``k``, as ``|k - 1|``, datum shift
    included); ``inf`` where the projection is undefined.

    Examples
    --------
    >>> paris = (2.22, 48.81, 2.47, 48.91)
    >>> round(scale_error("EPSG:32631", paris), 5)  # UTM 31N, near its central meridian
    0.00038
    >>> round(scale_error("EPSG:3857", paris), 2)  # Web Mercator: 1 / cos(latitude)
    0.52
    """
    west, south, east, north = bounds
    lon, lat = np.meshgrid(
        np.linspace(west, east, _SCALE_GRID), np.linspace(south, north, _SCALE_GRID)
    )
    lon, lat = np.tile(lon.ravel(), 2), np.tile(lat.ravel(), 2)
    azimuth = np.repeat([90.0, 0.0], _SCALE_GRID * _SCALE_GRID)
    step = np.full(len(lon), _SCALE_STEP_M)
    lon1, lat1, _ = GEOD.fwd(lon, lat, azimuth, step)
    to_crs = _transformer(_WGS84, pyproj.CRS(crs))
    x0, y0 = to_crs.transform(lon, lat, errcheck=False)
    x1, y1 = to_crs.transform(lon1, lat1, errcheck=False)
    errors = np.abs(np.hypot(x1 - x0, y1 - y0) / _SCALE_STEP_M - 1)
    return float(errors.max()) if np.isfinite(errors).all() else math.inf


def _own_crs_is_as_true(
    source: pyproj.CRS, local: pyproj.CRS, bounds: tuple[float, float, float, float]
) -> bool:
    """Whether the data's CRS ``source`` is projected in metres, covers ``bounds`` and
    stretches distances there no more than ``local``."""
    if not _in_metres(source):
        return False
    if source.equals(local):
        return True
    area = source.area_of_use
    west, south, east, north = bounds
    if area is not None and not (
        area.west <= west and east <= area.east and area.south <= south and north <= area.north
    ):
        return False
    return scale_error(source, bounds) <= scale_error(local, bounds)


def _local_crs(
    bounds: tuple[float, float, float, float], *, centre: tuple[float, float]
) -> pyproj.CRS:
    """The UTM zone of the data's centre, or a Lambert azimuthal equal-area projection
    around a pole or across the antimeridian (:func:`metric_crs_of_extent`)."""
    west, south, east, north = bounds
    centre_lon, centre_lat = centre
    if east - west <= 180 and -80 <= centre_lat <= 84:
        x, y = (west + east) / 2, (south + north) / 2
        if -180 < x < 180 and -80 < y < 84 and y != 0 and (x + 180) % 6 != 0:
            return _utm_band(math.floor((x + 180) / 6), north=y > 0)
        (info, *_) = query_utm_crs_info(
            datum_name="WGS 84", area_of_interest=AreaOfInterest(x, y, x, y)
        )
        return pyproj.CRS.from_epsg(info.code)
    # Around a pole UTM is undefined, and across the antimeridian the bounds' centre is on
    # the wrong side of the Earth: an equal-area azimuthal projection centred on the data
    # keeps local distances and areas true there.
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={centre_lat:.6f} +lon_0={centre_lon:.6f} +datum=WGS84 +units=m"
    )


@functools.cache
def _utm_band(band: int, *, north: bool) -> pyproj.CRS:
    """The WGS 84 UTM zone of the 6° ``band`` (0 from 180° W), north or south of the
    equator: the database's answer for a point inside it."""
    lon, lat = band * 6 - 180 + 3.0, 42.0 if north else -40.0
    (info, *_) = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    return pyproj.CRS.from_epsg(info.code)


def _centre(lonlat: gpd.GeoSeries) -> tuple[float, float]:
    """Centre of lon/lat geometries: circular mean of longitudes (right across the
    antimeridian), mean of latitudes, both in degrees."""
    xy = shapely.get_coordinates(lonlat.values)
    lon = np.radians(xy[:, 0])
    centre_lon = float(np.degrees(np.arctan2(np.sin(lon).mean(), np.cos(lon).mean())))
    return centre_lon, float(xy[:, 1].mean())


def to_metric(gdf: gpd.GeoDataFrame, *, crs: Any = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` reprojected to :func:`metric_crs` (same index and columns)."""
    return gdf.to_crs(metric_crs(gdf, crs=crs))


def site_points(gdf: gpd.GeoDataFrame, *, crs: Any = None) -> gpd.GeoSeries:
    """One point per feature, in the metric CRS: points as they are, footprints by centroid.

    Rows without geometry are dropped; the result keeps the remaining index labels.
    The centroid of a polygon is taken in the metric CRS, where it is meaningful.
    """
    metric = metric_crs(gdf, crs=crs)
    geoms = gdf.geometry[has_location(gdf.geometry)].to_crs(metric)
    is_point = shapely.get_type_id(geoms.values) == 0
    if is_point.all():
        return geoms
    values = np.where(is_point, geoms.values, shapely.centroid(geoms.values))
    return gpd.GeoSeries(values, index=geoms.index, crs=metric)


def xy_arrays(points: gpd.GeoSeries) -> np.ndarray:
    """``(n, 2)`` float array of the coordinates of a point GeoSeries."""
    return shapely.get_coordinates(points.values)


def lonlat_arrays(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (degrees, WGS 84) of a point GeoSeries in any CRS."""
    if points.crs is None:
        msg = f"the data have no CRS; give one (e.g. {param('crs')} EPSG:4326)"
        raise InputDataError(msg)
    geographic = points if pyproj.CRS(points.crs).equals(_WGS84) else points.to_crs(_WGS84)
    coords = shapely.get_coordinates(geographic.values)
    return coords[:, 0], coords[:, 1]


def _transformer(source: pyproj.CRS, target: pyproj.CRS) -> pyproj.Transformer:
    """This thread's transformer from ``source`` to ``target`` (x/y order), made once: a
    :class:`pyproj.Transformer` is not to be shared between threads."""
    cache: dict[tuple[str, str], pyproj.Transformer] = _local.__dict__.setdefault("cache", {})
    key = (source.srs, target.srs)
    if key not in cache:
        cache[key] = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return cache[key]


def transform_xy(
    x: np.ndarray,
    y: np.ndarray,
    *,
    source: pyproj.CRS,
    target: pyproj.CRS,
    inplace: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``x``/``y`` (in ``source``, x/y order) transformed to ``target``: the same numbers
    as one ``Transformer.transform`` call, cut into contiguous parts transformed on every
    core (:mod:`geo._threads`). New float64 arrays, or with ``inplace`` ``x`` and ``y``
    themselves (contiguous float64 arrays) overwritten."""
    out_x = x if inplace else np.array(x, dtype=float)
    out_y = y if inplace else np.array(y, dtype=float)

    def run(part: slice) -> None:
        _transformer(source, target).transform(out_x[part], out_y[part], inplace=True)

    map_parts(run, len(out_x), min_part=_TRANSFORM_PART)
    return out_x, out_y
