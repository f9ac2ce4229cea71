"""Distances between sites: geodesic matrix, k nearest neighbours, epicentre geometry.

Centre-to-centre distances, perimeters and areas are geodesic on the WGS 84 ellipsoid
(:data:`geo.projection.GEOD`); a footprint's centre is its centroid taken in the metric CRS.
Edge-to-edge distances between footprints, centroids and the minimum bounding circle are
computed in the metric CRS (UTM: scale error under 0.1 %).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError, cKDTree

from geo._errors import InputDataError, ParameterError, quote
from geo.projection import (
    GEOD,
    geodesic_distance_m,
    lonlat_arrays,
    metric_crs,
    site_points,
    xy_arrays,
)

__all__ = [
    "EpicentreGeometry",
    "MemberDistance",
    "distance_matrix",
    "epicentre_geometry",
    "nearest_neighbours",
]

#: Largest site count for a full distance matrix (n² distances).
MAX_MATRIX_SITES = 5000


def distance_matrix(
    gdf: gpd.GeoDataFrame, *, max_sites: int = MAX_MATRIX_SITES, crs: Any = None
) -> pd.DataFrame:
    """Geodesic distance in metres between every pair of sites.

    Returns a square DataFrame indexed (rows and columns) by the located sites' index labels.
    Sites without geometry are left out. Refuses more than ``max_sites`` sites (n² values).
    """
    points = site_points(gdf, crs=crs)
    n = len(points)
    if n > max_sites:
        msg = f"{n} sites make a {n}x{n} matrix; the limit is {max_sites} (use nearest neighbours)"
        raise ParameterError(msg)
    lon, lat = lonlat_arrays(points)
    matrix = geodesic_distance_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(matrix, 0.0)
    return pd.DataFrame(matrix, index=points.index, columns=points.index.copy())


def nearest_neighbours(gdf: gpd.GeoDataFrame, *, k: int = 1, crs: Any = None) -> pd.DataFrame:
    """The ``k`` nearest other sites of each site, with geodesic distances in metres.

    Candidates are found with a k-d tree in the metric CRS (``k + 3`` of them) and ranked by
    geodesic distance, so the result is the geodesic k nearest neighbours unless distances tie
    within the metric CRS's scale error.

    Returns
    -------
    pandas.DataFrame
        Aligned on ``gdf.index``; columns ``neighbour_1 ... neighbour_k`` (index labels) and
        ``distance_1_m ... distance_k_m``, nearest first; NaN for sites without geometry.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k must be a positive integer, not {quote(k)}"
        raise ParameterError(msg)
    metric = metric_crs(gdf, crs=crs)
    points = site_points(gdf, crs=metric)
    n = len(points)
    if n <= k:
        msg = f"{n} located sites have fewer than k={k} neighbours each"
        raise InputDataError(msg)
    xy = xy_arrays(points)
    lon, lat = lonlat_arrays(points)
    kq = min(n, k + 4)
    tree = cKDTree(xy, balanced_tree=False, compact_nodes=False)
    _, cand = tree.query(xy, k=kq, workers=-1)
    dist = geodesic_distance_m(lon[:, None], lat[:, None], lon[cand], lat[cand])
    dist[cand == np.arange(n)[:, None]] = np.inf
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    best = np.take_along_axis(cand, order, axis=1)
    best_dist = np.take_along_axis(dist, order, axis=1)
    labels = points.index.to_numpy()
    data: dict[str, Any] = {}
    for j in range(k):
        data[f"neighbour_{j + 1}"] = labels[best[:, j]]
    for j in range(k):
        data[f"distance_{j + 1}_m"] = best_dist[:, j]
    return pd.DataFrame(data, index=points.index).reindex(gdf.index)


@dataclass(frozen=True)
class MemberDistance:
    """Distance between two members of an epicentre.

    ``centre_m`` is geodesic between centres; ``edge_m`` is the shortest distance between the
    footprints (metric CRS), or ``None`` when both members are points.
    """

    a: str
    b: str
    centre_m: float
    edge_m: float | None


@dataclass(frozen=True)
class EpicentreGeometry:
    """Geometry of an epicentre's located members.

    ``sides`` are the edges of the convex hull of the member centres (the single pair for two
    members; empty when fewer than two are located or all are on a line); ``perimeter_m`` and
    ``area_km2`` are geodesic and need three members not on a line (else ``None``).
    """

    members: list[str]
    located: list[str]
    missing: list[str]
    distances: list[MemberDistance] = field(default_factory=list)
    sides: list[MemberDistance] = field(default_factory=list)
    longest_side: MemberDistance | None = None
    perimeter_m: float | None = None
    area_km2: float | None = None
    centroid_lon: float | None = None
    centroid_lat: float | None = None
    min_bounding_radius_m: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (nested distances as dicts)."""
        return asdict(self)


def epicentre_geometry(
    sites: gpd.GeoDataFrame, members: list[str], *, crs: Any = None
) -> EpicentreGeometry:
    """Distances, perimeter, area, centroid and bounding circle of an epicentre.

    Parameters
    ----------
    sites
        Sites indexed by id (``geometry`` None for unknown locations), in any CRS.
    members
        Ids of the epicentre's members. Members not in ``sites`` or without geometry are
        reported in ``missing``; the geometry is computed on the located ones.
    crs
        Metric CRS (default UTM).
    """
    members = [str(m) for m in members]
    has_geom = ~(sites.geometry.isna() | sites.geometry.is_empty)
    located = [m for m in members if m in sites.index and bool(has_geom.loc[m])]
    missing = [m for m in members if m not in located]
    if len(located) < 1:
        return EpicentreGeometry(members=members, located=located, missing=missing)
    subset = sites.loc[located]
    metric = metric_crs(subset, crs=crs)
    shapes = subset.geometry.to_crs(metric)
    centres = site_points(subset, crs=metric)
    xy = xy_arrays(centres)
    lon, lat = lonlat_arrays(centres)
    is_point = shapely.get_type_id(shapes.values) == 0

    def pair(i: int, j: int) -> MemberDistance:
        centre = float(geodesic_distance_m(lon[i], lat[i], lon[j], lat[j]))
        edge = None
        if not (is_point[i] and is_point[j]):
            edge = float(shapely.distance(shapes.values[i], shapes.values[j]))
        return MemberDistance(located[i], located[j], centre, edge)

    n = len(located)
    distances = [pair(i, j) for i in range(n) for j in range(i + 1, n)]
    sides: list[MemberDistance] = []
    perimeter = area = None
    hull_xy = xy
    if n == 2:
        sides = list(distances)
    elif n >= 3:
        try:
            vertices = ConvexHull(xy).vertices.tolist()
        except QhullError:
            vertices = []
        if vertices:
            sides = [
                pair(*sorted((a, b)))
                for a, b in zip(vertices, [*vertices[1:], vertices[0]], strict=True)
            ]
            signed_area, perimeter = GEOD.polygon_area_perimeter(lon[vertices], lat[vertices])
            area = abs(float(signed_area)) / 1e6
            perimeter = float(perimeter)
            hull_xy = xy[vertices]
    centroid = shapely.Polygon(hull_xy).centroid if area else shapely.Point(xy.mean(axis=0))
    c_lon, c_lat = pyproj.Transformer.from_crs(metric, 4326, always_xy=True).transform(
        centroid.x, centroid.y
    )
    radius = float(shapely.minimum_bounding_radius(shapely.multipoints(xy))) if n >= 2 else None
    longest = max(sides or distances, key=lambda d: d.centre_m) if n >= 2 else None
    return EpicentreGeometry(
        members=members,
        located=located,
        missing=missing,
        distances=distances,
        sides=sides,
        longest_side=longest,
        perimeter_m=perimeter,
        area_km2=area,
        centroid_lon=float(c_lon) if math.isfinite(c_lon) else None,
        centroid_lat=float(c_lat) if math.isfinite(c_lat) else None,
        min_bounding_radius_m=radius,
    )
