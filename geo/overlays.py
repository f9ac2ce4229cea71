"""Map-ready geometry of the measures: everything a map draws, in EPSG:4326.

Every layer is read from one analysis (:class:`geo.analysis.PointAnalysis`,
:class:`geo.clusters.ClusterAnalysis`): this module computes no measure again, it only
turns their results into GeoDataFrames (lon/lat) that a map layer draws as they are: density
bands, hexagons, dense cores, nearest-neighbour links, and each epicentre's polygon,
sides (with their lengths) and minimum bounding circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis import PointAnalysis
from geo.clusters import ClusterAnalysis
from geo.kde import kde_contours
from geo.projection import metric_crs, site_points, xy_arrays

WGS84 = "EPSG:4326"


@dataclass
class Overlays:
    """Layers of one point set (a registry cluster's located sites or an analyst's file).

    Every frame is in EPSG:4326; a layer that cannot be computed (too few points) is an
    empty frame, never missing. ``caveats`` gives, per measure (``kde``, ``cores``), why it
    means little on so few points (:data:`geo.clusters.MIN_POINTS`).
    """

    density_bands: gpd.GeoDataFrame
    hexbins: gpd.GeoDataFrame
    cores: gpd.GeoDataFrame
    nn_links: gpd.GeoDataFrame
    epicentres: gpd.GeoDataFrame = field(
        default_factory=lambda: _empty(["epicentre", "name", "shape"])
    )
    epicentre_sides: gpd.GeoDataFrame = field(
        default_factory=lambda: _empty(["epicentre", "a", "b", "length_m"])
    )
    epicentre_circles: gpd.GeoDataFrame = field(
        default_factory=lambda: _empty(["epicentre", "radius_m"])
    )
    hex_resolution: int | None = None
    caveats: dict[str, str] = field(default_factory=dict)


def _empty(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WGS84)


def point_overlays(analysis: PointAnalysis | None) -> Overlays:
    """Density bands, hexagons, dense cores and nearest-neighbour links of an analysis
    (empty layers for ``None``: no located point)."""
    bands = _empty(["density_min_per_km2", "density_max_per_km2"])
    hexbins = _empty(["h3_cell", "count", "sites_per_km2"])
    cores = _empty(["core", "n_sites", "area_km2", "sites_per_km2"])
    if analysis is None:
        return Overlays(density_bands=bands, hexbins=hexbins, cores=cores, nn_links=_nn_links(None))
    if analysis.surface is not None:
        bands = kde_contours(analysis.surface).to_crs(WGS84)
    if analysis.hexbins is not None:
        hexbins = analysis.hexbins.to_crs(WGS84)
    if analysis.cores is not None and len(analysis.cores.cores):
        cores = analysis.cores.cores.reset_index().to_crs(WGS84)
    return Overlays(
        density_bands=bands,
        hexbins=hexbins,
        cores=cores,
        nn_links=_nn_links(analysis),
        hex_resolution=analysis.options.hex_res,
        caveats=dict(analysis.caveats),
    )


def _nn_links(analysis: PointAnalysis | None) -> gpd.GeoDataFrame:
    """One line from each point to its nearest neighbour (pairs drawn once)."""
    if analysis is None or analysis.neighbours is None:
        return _empty(["from_id", "to_id", "distance_m"])
    centres = analysis.points.to_crs(WGS84)
    rows, lines, seen = [], [], set()
    for site, row in analysis.neighbours.iterrows():
        other = row["neighbour_1"]
        key = frozenset((site, other))
        if key in seen or pd.isna(other):
            continue
        seen.add(key)
        a, b = centres.loc[site], centres.loc[other]
        lines.append(shapely.LineString([(a.x, a.y), (b.x, b.y)]))
        rows.append({"from_id": str(site), "to_id": str(other), "distance_m": row["distance_1_m"]})
    return gpd.GeoDataFrame(rows, geometry=lines, crs=WGS84)


def cluster_overlays(analysis: ClusterAnalysis) -> Overlays:
    """Every overlay of an analysed registry cluster, epicentres included.

    Density, hexagons, cores and links are those of the cluster's distinct places (sites
    sharing a point are one place, as in its measures).
    """
    overlays = point_overlays(analysis.points)
    _add_epicentres(overlays, analysis)
    return overlays


def _add_epicentres(overlays: Overlays, analysis: ClusterAnalysis) -> None:
    """Each drawable epicentre as what its distinct places make: a point, a segment or a
    polygon (``shape``), with its sides and, for a segment or a polygon, its minimum
    bounding circle. An epicentre without a located member is not drawn."""
    shapes, sides, circles = [], [], []
    for epi in analysis.epicentres:
        geometry = epi.geometry
        if geometry.shape == "none" or analysis.crs is None:
            continue
        metric = analysis.crs
        centres_m = site_points(analysis.sites.loc[geometry.located], crs=metric)
        centres = centres_m.to_crs(WGS84)
        xy = shapely.multipoints(xy_arrays(centres_m))
        shapes.append(
            {
                "epicentre": epi.id,
                "name": epi.name,
                "shape": geometry.shape,
                "perimeter_m": geometry.perimeter_m,
                "area_km2": geometry.area_km2,
                "geometry": geometry.outline,
            }
        )
        for side in geometry.sides:
            a, b = centres.loc[side.a], centres.loc[side.b]
            sides.append(
                {
                    "epicentre": epi.id,
                    "a": side.a,
                    "b": side.b,
                    "length_m": side.centre_m,
                    "edge_m": side.edge_m,
                    "geometry": shapely.LineString([(a.x, a.y), (b.x, b.y)]),
                }
            )
        if geometry.min_bounding_radius_m is not None:
            circle = gpd.GeoSeries([shapely.minimum_bounding_circle(xy)], crs=metric)
            circles.append(
                {
                    "epicentre": epi.id,
                    "radius_m": geometry.min_bounding_radius_m,
                    "geometry": circle.to_crs(WGS84).iloc[0],
                }
            )
    if shapes:
        overlays.epicentres = gpd.GeoDataFrame(shapes, crs=WGS84)
    if sides:
        overlays.epicentre_sides = gpd.GeoDataFrame(sides, crs=WGS84)
    if circles:
        overlays.epicentre_circles = gpd.GeoDataFrame(circles, crs=WGS84)


def drawn_bounds(
    sites: gpd.GeoDataFrame, *, footprints: gpd.GeoSeries | None = None
) -> tuple[float, float, float, float]:
    """Lon/lat bounds (minx, miny, maxx, maxy) of what a map draws for located ``sites``:
    their points, the circles of their ``uncertainty_m`` (in the metric CRS) and the
    footprints of ``footprints`` (indexed by site id) that belong to them."""
    metric = metric_crs(sites)
    points = sites.geometry.to_crs(metric)
    radius = np.zeros(len(sites))
    if "uncertainty_m" in sites.columns:
        radius = pd.to_numeric(sites["uncertainty_m"], errors="coerce").fillna(0.0).to_numpy()
    shapes = np.where(radius > 0, shapely.buffer(points.values, radius), points.values)
    drawn = gpd.GeoSeries(shapes, crs=metric).to_crs(WGS84)
    if footprints is not None:
        own = footprints[footprints.index.isin(sites.index)].to_crs(WGS84)
        drawn = pd.concat([drawn, own])
    minx, miny, maxx, maxy = drawn.total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def class_breaks(values: Any, *, n_classes: int = 5) -> list[float]:
    """Upper bounds of up to ``n_classes`` quantile classes of ``values`` (ascending, unique).

    The last bound is the maximum, so every value falls in a class; inner bounds are
    rounded to three significant digits, and fewer classes are returned when the values
    have fewer distinct levels. Empty input gives ``[]``.
    """
    series = pd.Series(values, dtype=float).dropna()
    if series.empty:
        return []
    quantiles = series.quantile([(i + 1) / n_classes for i in range(n_classes - 1)])
    # three significant digits, so that bounds a float rounding apart merge
    inner = {float(f"{q:.3g}") for q in quantiles if q < series.max()}
    return sorted(inner | {float(series.max())})
