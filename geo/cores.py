"""Dense cores: DBSCAN or HDBSCAN clusters of sites, each as a polygon with its density.

Clustering runs on metric coordinates (scikit-learn's ``DBSCAN`` and ``HDBSCAN``). A core's
polygon is the convex hull of its members; when that hull is not a polygon (fewer than three
members, or all on a line) it is buffered by half of ``eps_m`` (DBSCAN) or by half the core's
largest nearest-neighbour distance, at least 1 m (HDBSCAN), so every core has an area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ParameterError, quote
from geo.density import nearest_neighbour_distances_xy
from geo.options import CoreMethod
from geo.projection import metric_crs, site_points, xy_arrays

__all__ = ["CoreMethod", "DenseCores", "dense_cores"]


@dataclass(frozen=True)
class DenseCores:
    """Result of :func:`dense_cores`.

    Attributes
    ----------
    labels
        Core id of each site (``-1`` for noise, ``<NA>`` for sites without geometry), a
        nullable-integer Series named ``core`` aligned on the input index.
    cores
        One row per core (index ``core``): ``n_sites``, ``area_km2``, ``sites_per_km2`` and
        the polygon ``geometry`` in the metric CRS.
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
        Metric CRS (default UTM).
    """
    _positive("min_samples", min_samples, integer=True)
    metric = metric_crs(gdf, crs=crs)
    points = site_points(gdf, crs=metric)
    xy = xy_arrays(points)
    if method == "dbscan":
        from sklearn.cluster import DBSCAN

        _positive("eps_m", eps_m)
        params: dict[str, Any] = {"eps_m": float(eps_m), "min_samples": int(min_samples)}
        labels = DBSCAN(eps=eps_m, min_samples=int(min_samples), n_jobs=-1).fit_predict(xy)
    elif method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        _positive("min_cluster_size", min_cluster_size, integer=True)
        params = {"min_cluster_size": int(min_cluster_size), "min_samples": int(min_samples)}
        if len(xy) < 2:
            labels = np.full(len(xy), -1)
        else:
            labels = HDBSCAN(
                min_cluster_size=max(2, int(min_cluster_size)),
                min_samples=int(min_samples),
                copy=True,
            ).fit_predict(xy)
    else:
        msg = f"unknown core method {quote(method)}; use dbscan or hdbscan"
        raise ParameterError(msg)
    rows = []
    geoms = []
    for core in sorted(set(labels.tolist()) - {-1}):
        members = xy[labels == core]
        hull = shapely.convex_hull(shapely.multipoints(members))
        if shapely.get_dimensions(hull) < 2:
            if method == "dbscan":
                radius = eps_m / 2
            else:
                radius = max(1.0, float(np.nanmax(nearest_neighbour_distances_xy(members))) / 2)
            hull = hull.buffer(radius, quad_segs=16)
        area_km2 = hull.area / 1e6
        rows.append({"core": int(core), "n_sites": len(members), "area_km2": area_km2})
        geoms.append(hull)
    table = pd.DataFrame(rows, columns=["core", "n_sites", "area_km2"])
    table["sites_per_km2"] = table["n_sites"] / table["area_km2"]
    cores = gpd.GeoDataFrame(table.set_index("core"), geometry=geoms, crs=metric)
    label_series = pd.Series(labels, index=points.index, name="core", dtype="Int64")
    return DenseCores(
        labels=label_series.reindex(gdf.index),
        cores=cores,
        n_noise=int((labels == -1).sum()),
        method=method,
        parameters=params,
    )
