"""Dense cores: DBSCAN or HDBSCAN clusters of sites, each as a polygon with its density.

Clustering runs on metric coordinates. DBSCAN is :func:`geo.dbscan.dbscan_grid`, a grid
algorithm with scikit-learn's cores and noise in memory proportional to the number of
points, so it runs on a register of ten million rows; HDBSCAN is scikit-learn's, on at
most :data:`MAX_HDBSCAN_POINTS` points. Cores are numbered by size, the largest first
(core 0). A core's polygon is the convex hull of its members; when that hull is not a
polygon (fewer than three members, or all on a line) it is buffered by half of ``eps_m``
(DBSCAN) or by half the core's largest nearest-neighbour distance, at least 1 m
(HDBSCAN), so every core has an area.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._sorting import stable_order
from geo.dbscan import dbscan_grid
from geo.density import nearest_neighbour_distances_xy
from geo.errors import ParameterError, quote
from geo.options import CoreMethod
from geo.projection import metric_crs, site_points, xy_arrays

__all__ = [
    "MAX_HDBSCAN_POINTS",
    "CoreMethod",
    "DenseCores",
    "auto_min_samples",
    "dense_cores",
    "dense_cores_xy",
]


@dataclass(frozen=True)
class DenseCores:
    """Result of :func:`dense_cores`.

    Attributes
    ----------
    labels
        Core id of each site (``-1`` for noise, ``<NA>`` for sites without geometry), a
        nullable-integer Series named ``core`` aligned on the input index.
    cores
        One row per core (index ``core``, 0 the largest), sorted by ``n_sites`` from the
        largest: ``n_sites``, ``area_km2``, ``sites_per_km2`` and the polygon ``geometry``
        in the metric CRS.
    n_noise
        Number of sites in no core.
    method
        ``"dbscan"`` or ``"hdbscan"``.
    parameters
        The clustering parameters (``eps_m``, ``min_samples``, ``min_cluster_size``).
    """

    labels: pd.Series
    cores: gpd.GeoDataFrame
    n_noise: int
    method: str
    parameters: dict[str, Any]


def _positive(name: str, value: float, *, integer: bool = False) -> None:
    bad = not math.isfinite(value) or value <= 0 or (integer and int(value) != value)
    if bad:
        kind = "a positive integer" if integer else "a positive number"
        msg = f"{name} must be {kind}, not {value}"
        raise ParameterError(msg)


#: Most points HDBSCAN is run on: scikit-learn's HDBSCAN holds every point's
#: ``min_samples`` nearest neighbours and a spanning tree of all points, and its time grows
#: faster than the number of points; DBSCAN (:func:`geo.dbscan.dbscan_grid`) has no bound.
MAX_HDBSCAN_POINTS = 200_000


def auto_min_samples(sites_per_km2: float, *, eps_m: float) -> int:
    """The ``min_samples`` of ``"auto"``: twice the mean density over a disc of ``eps_m``,
    rounded up, and at least 3 (3 where the density is undefined).

    Examples
    --------
    >>> auto_min_samples(226.5, eps_m=200)  # 2 x 226.5 x pi x 0.2 ** 2 = 56.9
    57
    >>> auto_min_samples(6.0, eps_m=200), auto_min_samples(float("nan"), eps_m=200)
    (3, 3)
    """
    expected = 2 * sites_per_km2 * math.pi * (eps_m / 1000) ** 2
    if not math.isfinite(expected):
        return 3
    return max(3, math.ceil(expected))


def dense_cores(
    gdf: gpd.GeoDataFrame,
    *,
    method: CoreMethod = "dbscan",
    eps_m: float,
    min_samples: int,
    min_cluster_size: int = 5,
    crs: Any = None,
) -> DenseCores:
    """Find dense cores of sites.

    Parameters
    ----------
    gdf
        Sites in any CRS (footprints count by their centroid).
    method
        {``"dbscan"``, ``"hdbscan"``}.
    eps_m
        DBSCAN neighbourhood radius in metres (its default:
        :class:`geo.options.AnalysisOptions`).
    min_samples
        Neighbours (the point itself included) that make a core point (its default:
        :class:`geo.options.AnalysisOptions`).
    min_cluster_size
        HDBSCAN's smallest cluster.
    crs
        Metric CRS (default :func:`geo.projection.metric_crs`).
    """
    metric = metric_crs(gdf, crs=crs)
    points = site_points(gdf, crs=metric)
    found = dense_cores_xy(
        xy_arrays(points),
        method=method,
        eps_m=eps_m,
        min_samples=min_samples,
        min_cluster_size=min_cluster_size,
        crs=metric,
        index=points.index,
    )
    labels = found.labels.reindex(gdf.index)
    return dataclasses.replace(found, labels=labels)


def dense_cores_xy(
    xy: np.ndarray,
    *,
    method: CoreMethod = "dbscan",
    eps_m: float,
    min_samples: int,
    min_cluster_size: int = 5,
    crs: Any,
    index: pd.Index | None = None,
) -> DenseCores:
    """Dense cores of points given as metric coordinates (see :func:`dense_cores`).

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in the metric CRS ``crs``.
    index
        The points' index (default ``0 .. n-1``), for :attr:`DenseCores.labels`.

    Raises
    ------
    ParameterError
        A parameter out of range, an unknown method, or HDBSCAN on more than
        :data:`MAX_HDBSCAN_POINTS` points.
    """
    _positive("min_samples", min_samples, integer=True)
    outline = None
    if method == "dbscan":
        _positive("eps_m", eps_m)
        params: dict[str, Any] = {"eps_m": float(eps_m), "min_samples": int(min_samples)}
        found = dbscan_grid(xy, eps=float(eps_m), min_samples=int(min_samples))
        labels, outline = found.labels, found.outline
    elif method == "hdbscan":
        _positive("min_cluster_size", min_cluster_size, integer=True)
        params = {"min_cluster_size": int(min_cluster_size), "min_samples": int(min_samples)}
        labels = _hdbscan(xy, min_cluster_size=min_cluster_size, min_samples=min_samples)
    else:
        msg = f"unknown core method {quote(method)}; use dbscan or hdbscan"
        raise ParameterError(msg)
    geoms, sizes = _hulls(xy, labels, outline, method=method, eps_m=eps_m)
    table = pd.DataFrame(
        {"n_sites": sizes, "area_km2": shapely.area(geoms) / 1e6},
        index=pd.RangeIndex(len(sizes), name="core"),
    )
    table["sites_per_km2"] = table["n_sites"] / table["area_km2"]
    cores = gpd.GeoDataFrame(table, geometry=geoms, crs=crs)
    label_series = pd.Series(
        labels, index=index if index is not None else None, name="core", dtype="Int64"
    )
    return DenseCores(
        labels=label_series,
        cores=cores,
        n_noise=int((labels == -1).sum()),
        method=method,
        parameters=params,
    )


def _hdbscan(xy: np.ndarray, *, min_cluster_size: int, min_samples: int) -> np.ndarray:
    """HDBSCAN labels renumbered by cluster size, largest first (-1: noise)."""
    if len(xy) > MAX_HDBSCAN_POINTS:
        msg = (
            f"hdbscan cores hold all {len(xy):,} points in memory, at most "
            f"{MAX_HDBSCAN_POINTS:,}: use dbscan cores"
        )
        raise ParameterError(msg)
    if len(xy) < 2:
        return np.full(len(xy), -1)
    from sklearn.cluster import HDBSCAN

    labels = HDBSCAN(
        min_cluster_size=max(2, int(min_cluster_size)), min_samples=int(min_samples), copy=True
    ).fit_predict(xy)
    member = labels >= 0
    sizes = np.bincount(labels[member])
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    return np.where(member, rank[np.maximum(labels, 0)], -1)


def _hulls(
    xy: np.ndarray,
    labels: np.ndarray,
    outline: np.ndarray | None,
    *,
    method: str,
    eps_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each core's polygon (the convex hull of its members, or of the members that may be
    hull vertices, ``outline``; buffered when not a polygon) and its number of sites."""
    member = labels >= 0
    sizes = np.bincount(labels[member])
    if not len(sizes):
        return np.empty(0, dtype=object), sizes
    keep = np.flatnonzero(member if outline is None else outline)
    keep = keep[stable_order(labels[keep])]
    # one line string per core through its kept points (a lone point twice): GEOS builds
    # its coordinates at once, where a multipoint makes a geometry of each point first
    twice = np.where(np.bincount(labels[keep], minlength=len(sizes))[labels[keep]] == 1, 2, 1)
    keep = np.repeat(keep, twice)
    lines = shapely.linestrings(xy[keep], indices=labels[keep])
    del keep
    hulls = np.asarray(shapely.convex_hull(lines))
    flat = np.flatnonzero(shapely.get_dimensions(hulls) < 2)
    if method == "dbscan":
        hulls[flat] = shapely.buffer(hulls[flat], eps_m / 2, quad_segs=16)
        return hulls, sizes
    for core in flat:
        members = xy[labels == core]
        radius = max(1.0, float(np.nanmax(nearest_neighbour_distances_xy(members))) / 2)
        hulls[core] = hulls[core].buffer(radius, quad_segs=16)
    return hulls, sizes
