"""A locator map for ``/compare``: every cluster over country outlines, as SVG.

The benchmark page is server-rendered and needs no JavaScript, so its map is too: the
Natural Earth outlines (:mod:`webmap.maps.outlines`) and one dot per cluster, in a Lambert
azimuthal equal-area projection centred on the clusters (areas and distances fair across
Europe), drawn with no tile and no request beyond the page itself, online or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from webmap.maps.outlines import countries

WIDTH_PX = 360
#: Space around the clusters, metres (at least; a fifth of their spread when larger).
MARGIN_M = 250_000.0
#: Outlines are first cut to this many degrees around the clusters, before projecting.
_CUT_DEG = 25.0


@dataclass(frozen=True)
class Locator:
    """The locator in SVG pixels (y down): its size, each country's path (``name``,
    ``d``), and each cluster (``id``, ``name``, ``x``, ``y``)."""

    width: int
    height: int
    countries: list[tuple[str, str]]
    clusters: list[tuple[str, str, float, float]]


def locator(points: gpd.GeoSeries, names: dict[str, str], *, width_px: int = WIDTH_PX) -> Locator:
    """The locator of ``points`` (one per cluster, indexed by cluster id, EPSG:4326).

    Parameters
    ----------
    points
        The clusters' positions (:meth:`geo.registry.Registry.cluster_locations`); at
        least one.
    names
        Each cluster's name, by id (the dots' titles).
    width_px
        The width of the drawing; its height follows the clusters' extent.
    """
    points = points.to_crs(4326)
    lon0, lat0 = float(points.x.mean()), float(points.y.mean())
    crs = f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +datum=WGS84 +units=m"
    projected = points.to_crs(crs)
    minx, miny, maxx, maxy = projected.total_bounds
    pad = max(MARGIN_M, 0.2 * max(maxx - minx, maxy - miny))
    extent = box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    scale = width_px / (extent.bounds[2] - extent.bounds[0])
    height_px = round((extent.bounds[3] - extent.bounds[1]) * scale)

    def to_px(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [(xy[:, 0] - extent.bounds[0]) * scale, (extent.bounds[3] - xy[:, 1]) * scale]
        )

    world = countries()
    lon_min, lat_min, lon_max, lat_max = points.total_bounds
    near = box(lon_min - _CUT_DEG, max(lat_min - _CUT_DEG, -89), lon_max + _CUT_DEG,
               min(lat_max + _CUT_DEG, 89))  # fmt: skip
    world = world.set_geometry(world.geometry.make_valid())  # 4 of 177 cross themselves
    shapes = world.clip(near).to_crs(crs).clip(extent)
    paths = []
    for name, geometry in zip(shapes["name"], shapes.geometry, strict=True):
        d = _path(geometry, to_px)
        if d:
            paths.append((str(name), d))
    dots = to_px(shapely.get_coordinates(projected.to_numpy()))
    clusters = [
        (str(cid), names.get(str(cid), str(cid)), round(float(x), 1), round(float(y), 1))
        for cid, (x, y) in zip(projected.index, dots, strict=True)
    ]
    return Locator(width=width_px, height=height_px, countries=paths, clusters=clusters)


def _polygons(geometry: shapely.Geometry) -> Iterator[shapely.Polygon]:
    """Every polygon in ``geometry``, however nested (lines and points left out)."""
    if isinstance(geometry, shapely.Polygon):
        yield geometry
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _polygons(part)


def _path(geometry: shapely.Geometry, to_px: Callable[[np.ndarray], np.ndarray]) -> str:
    """An SVG path of every polygon ring in ``geometry``."""
    parts = []
    for polygon in _polygons(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = to_px(shapely.get_coordinates(ring))
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)
