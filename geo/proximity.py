"""Distances between sites: geodesic matrix, k nearest neighbours, epicentre geometry.

Centre-to-centre distances, perimeters and areas are geodesic on the WGS 84 ellipsoid
(:data:`geo.projection.GEOD`); a footprint's centre is its centroid taken in the metric CRS.
Edge-to-edge distances between footprints, centroids and the minimum bounding circle are
computed in the metric CRS (UTM: scale error under 0.1 %).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geo.errors import InputDataError, ParameterError, quote
from geo.projection import (
    GEOD,
    geodesic_distance_m,
    has_location,
    lonlat_arrays,
    metric_crs,
    site_points,
    xy_arrays,
)

__all__ = [
    "NN_METHOD",
    "EpicentreGeometry",
    "EpicentreShape",
    "MemberDistance",
    "distance_matrix",
    "distinct_places",
    "epicentre_geometry",
    "nearest_neighbours",
]

#: How :func:`nearest_neighbours` measures its distances (the density measures measure
#: straight lines in their metric CRS, :func:`geo.analysis.nn_method`).
NN_METHOD = "geodesic (WGS 84)"

#: Largest site count for a full distance matrix (n² distances).
MAX_MATRIX_SITES = 5000
#: Places whose convex hull is thinner than this (metres) lie on a line: coordinates with
#: five decimals are good to about a metre.
ON_A_LINE_M = 1.0


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
        Aligned on ``gdf.index``; columns ``neighbour_1 ... neighbour_k`` (index labels, of
        the index's type: integer labels stay integers, as nullable ``Int64`` when a site
        has no geometry) and ``distance_1_m ... distance_k_m``, nearest first; missing for
        sites without geometry.
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
    table = pd.DataFrame(data, index=points.index).reindex(gdf.index)
    if len(points) < len(gdf) and pd.api.types.is_integer_dtype(labels.dtype):
        for j in range(k):  # reindexing made the missing rows NaN, and the labels floats
            table[f"neighbour_{j + 1}"] = table[f"neighbour_{j + 1}"].astype("Int64")
    return table


#: What an epicentre's located members draw: nothing (listed only), one point, a
#: segment (two distinct places, or more on a line) or a polygon (their convex hull).
EpicentreShape = Literal["none", "point", "segment", "polygon"]


def distinct_places(xy: np.ndarray) -> tuple[list[int], list[list[int]]]:
    """Group metric coordinates that share one point (to the millimetre) into places.

    Returns the index of each place's first point, in input order, and each place's
    indices (a site that reuses another's point is the same place, not a neighbour 0 m
    away).
    """
    _, first, inverse = np.unique(np.round(xy, 3), axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    places = sorted(int(i) for i in first)
    return places, [[j for j in range(len(xy)) if inverse[j] == inverse[i]] for i in places]


@dataclass(frozen=True)
class MemberDistance:
    """Distance between two members of an epicentre, by two methods.

    ``centre_m`` is geodesic between the members' points (centre to centre). ``edge_m`` is
    the shortest distance between their footprints in the metric CRS (edge to edge), or
    ``None`` when neither has a footprint. ``relation`` says how the footprints lie:
    ``"inside"`` (one lies within the other's footprint: ``edge_m`` is 0 and ``container``
    names the member whose footprint holds the other), ``"overlapping"``, ``"apart"``, or
    ``None`` without footprints.
    """

    a: str
    b: str
    centre_m: float
    edge_m: float | None = None
    relation: str | None = None
    container: str | None = None


@dataclass(frozen=True)
class EpicentreGeometry:
    """Geometry of an epicentre's located members.

    Members that share one point count as one place (``shared_points`` lists them), so
    ``distances`` holds one pair per two distinct places and never a zero between a place
    and itself. ``shape`` is what the distinct places draw: ``"none"`` (no located member:
    the epicentre is listed, not drawn), ``"point"``, ``"segment"`` or ``"polygon"``.
    Measures that the shape does not define are ``None``, never 0: ``sides``,
    ``longest_side``, ``extent_m`` (the largest centre-to-centre distance) and
    ``min_bounding_radius_m`` need a segment or a polygon; ``perimeter_m`` and ``area_km2``
    (geodesic) need a polygon. ``sides`` are the convex hull's edges (for a segment, the
    pair of its two ends; places within ON_A_LINE_M of a line are on it); the centroid is
    the hull's (a segment's midpoint, the point).
    """

    members: list[str]
    located: list[str]
    missing: list[str]
    shape: EpicentreShape = "none"
    shared_points: list[list[str]] = field(default_factory=list)
    distances: list[MemberDistance] = field(default_factory=list)
    sides: list[MemberDistance] = field(default_factory=list)
    longest_side: MemberDistance | None = None
    extent_m: float | None = None
    perimeter_m: float | None = None
    area_km2: float | None = None
    centroid_lon: float | None = None
    centroid_lat: float | None = None
    min_bounding_radius_m: float | None = None
    #: What the map, the figures and OGC draw (EPSG:4326): the point, the segment between
    #: the two ends, or the convex hull of the distinct places; None with no located member.
    outline: BaseGeometry | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (nested distances as dicts; the outline is left out)."""
        data = asdict(self)
        del data["outline"]
        return data


def _relation(a: Any, b: Any) -> tuple[str, str | None]:
    """How two member shapes lie: ("inside", index of the container) or another word."""
    if shapely.covers(b, a) and shapely.get_type_id(b) != 0:
        return "inside", "b"
    if shapely.covers(a, b) and shapely.get_type_id(a) != 0:
        return "inside", "a"
    return ("overlapping" if shapely.intersects(a, b) else "apart"), None


def epicentre_geometry(
    sites: gpd.GeoDataFrame,
    members: list[str],
    *,
    footprints: gpd.GeoSeries | None = None,
    crs: Any = None,
) -> EpicentreGeometry:
    """Distances, extent, perimeter, area, centroid and bounding circle of an epicentre.

    Never raises for few, coincident or aligned members: it returns what they define (see
    :class:`EpicentreGeometry`).

    Parameters
    ----------
    sites
        Sites indexed by id (``geometry`` None for unknown locations), in any CRS.
    members
        Ids of the epicentre's members. Members not in ``sites`` or without geometry are
        reported in ``missing``; the geometry is computed on the located ones.
    footprints
        Footprint polygons of some sites, indexed by site id, in any CRS; a member's
        footprint gives its edge-to-edge distances (its point stays its centre).
    crs
        Metric CRS (default :func:`geo.projection.metric_crs`).
    """
    members = [str(m) for m in members]
    has_geom = has_location(sites.geometry)
    located = [m for m in members if m in sites.index and bool(has_geom.loc[m])]
    missing = [m for m in members if m not in located]
    if not located:
        return EpicentreGeometry(members=members, located=located, missing=missing)
    subset = sites.loc[located]
    metric = metric_crs(subset, crs=crs)
    shapes = subset.geometry.to_crs(metric)
    has_footprint = ~shapely.is_empty(shapes.values) & (shapely.get_type_id(shapes.values) != 0)
    if footprints is not None:
        own = footprints[footprints.index.isin(located)].to_crs(metric)
        for site_id, footprint in own.items():
            shapes.loc[site_id] = footprint
            has_footprint[located.index(str(site_id))] = True
    centres = site_points(subset, crs=metric)
    xy = xy_arrays(centres)
    lon, lat = lonlat_arrays(centres)

    def pair(i: int, j: int) -> MemberDistance:
        centre = float(geodesic_distance_m(lon[i], lat[i], lon[j], lat[j]))
        if not (has_footprint[i] or has_footprint[j]):
            return MemberDistance(located[i], located[j], centre)
        a, b = shapes.values[i], shapes.values[j]
        relation, holder = _relation(a, b)
        container = {"a": located[i], "b": located[j]}.get(holder or "")
        edge = 0.0 if relation != "apart" else float(shapely.distance(a, b))
        return MemberDistance(located[i], located[j], centre, edge, relation, container)

    places, groups = distinct_places(xy)
    shared = [[located[j] for j in group] for group in groups]
    distances = [pair(i, j) for k, i in enumerate(places) for j in places[k + 1 :]]
    hull: BaseGeometry = shapely.MultiPoint(xy[places]).convex_hull
    index = {tuple(xy[i]): i for i in places}
    vertices = [index[tuple(c)] for c in shapely.get_coordinates(hull)]
    if hull.geom_type == "Polygon" and 2 * hull.area / hull.length < ON_A_LINE_M:
        gaps = np.linalg.norm(xy[places][:, None] - xy[places][None, :], axis=-1)
        ends = np.unravel_index(np.argmax(gaps), gaps.shape)
        hull = shapely.LineString(xy[[places[ends[0]], places[ends[1]]]])
        vertices = [places[ends[0]], places[ends[1]]]
    to_lonlat = pyproj.Transformer.from_crs(metric, 4326, always_xy=True)
    c_lon, c_lat = to_lonlat.transform(hull.centroid.x, hull.centroid.y)
    point = EpicentreGeometry(
        members=members,
        located=located,
        missing=missing,
        shape="point",
        shared_points=[group for group in shared if len(group) > 1],
        distances=distances,
        centroid_lon=float(c_lon),
        centroid_lat=float(c_lat),
        outline=shapely.Point(c_lon, c_lat),
    )
    if len(places) == 1:
        return point
    if hull.geom_type == "LineString":
        sides = [pair(*sorted(vertices[:2]))]
        perimeter = area = None
        shape: EpicentreShape = "segment"
    else:
        ring = vertices[:-1]
        sides = [pair(*sorted((a, b))) for a, b in zip(ring, [*ring[1:], ring[0]], strict=True)]
        signed_area, geodesic_perimeter = GEOD.polygon_area_perimeter(lon[ring], lat[ring])
        perimeter, area = float(geodesic_perimeter), abs(float(signed_area)) / 1e6
        shape = "polygon"
    radius = shapely.minimum_bounding_radius(shapely.multipoints(xy[places]))
    return replace(
        point,
        shape=shape,
        sides=sides,
        longest_side=max(sides, key=lambda d: d.centre_m),
        extent_m=max(d.centre_m for d in distances),
        perimeter_m=perimeter,
        area_km2=area,
        min_bounding_radius_m=float(radius),
        outline=shapely.transform(hull, lambda c: np.column_stack(to_lonlat.transform(*c.T))),
    )
