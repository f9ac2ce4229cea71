"""Hexagonal bins (Uber H3): site counts and sites per km² per cell.

Cell areas are H3's exact geodesic areas (``h3.cell_area(..., unit="km^2")``); cell polygons
are returned in EPSG:4326 for maps. Cells crossing the antimeridian are not split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo.errors import ParameterError, quote
from geo.projection import lonlat_arrays, site_points

__all__ = [
    "cell_areas_km2",
    "cell_ids",
    "cell_polygons",
    "hex_cells",
    "hexbin_counts",
    "max_sites_per_km2",
]


def _check_resolution(resolution: int) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer):
        msg = f"H3 resolution must be an integer from 0 to 15, not {quote(resolution)}"
        raise ParameterError(msg)
    if not 0 <= int(resolution) <= 15:
        msg = f"H3 resolution must be from 0 to 15, not {resolution}"
        raise ParameterError(msg)
    return int(resolution)


def hex_cells(gdf: gpd.GeoDataFrame, *, resolution: int, crs: Any = None) -> pd.Series:
    """The H3 cell (hex string) of each site, as a Series named ``h3_cell`` on ``gdf.index``.

    Footprints count by their centroid (taken in the metric CRS ``crs``, default
    :func:`geo.projection.metric_crs`); sites without geometry get ``None``.
    """
    res = _check_resolution(resolution)
    points = site_points(gdf, crs=crs)
    lon, lat = lonlat_arrays(points)
    cells = [h3.latlng_to_cell(a, b, res) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    return pd.Series(cells, index=points.index, name="h3_cell", dtype=object).reindex(gdf.index)


def hexbin_counts(gdf: gpd.GeoDataFrame, *, resolution: int, crs: Any = None) -> gpd.GeoDataFrame:
    """Count sites per H3 cell.

    Parameters
    ----------
    gdf
        Sites in any CRS.
    resolution
        H3 resolution, 0 (continent) to 15 (about 1 m²); 9 is about 0.1 km².
    crs
        Metric CRS for footprint centroids (default :func:`geo.projection.metric_crs`).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``h3_cell``, sorted by decreasing ``count``; columns ``count``,
        ``area_km2``, ``sites_per_km2`` and the hexagon ``geometry`` in EPSG:4326.
    """
    cells = hex_cells(gdf, resolution=resolution, crs=crs).dropna()
    counts = cells.value_counts(sort=False)
    ids = [str(c) for c in counts.index]
    areas = np.array([h3.cell_area(c, unit="km^2") for c in ids], dtype=float)
    polygons = cell_polygons(ids)
    out = gpd.GeoDataFrame(
        {
            "count": counts.to_numpy(dtype=np.int64),
            "area_km2": areas,
            "sites_per_km2": counts.to_numpy(dtype=float) / areas,
        },
        index=pd.Index(ids, name="h3_cell", dtype=object),
        geometry=polygons,
        crs="EPSG:4326",
    )
    return out.sort_values(["count"], ascending=False, kind="stable")


def cell_polygons(ids: Sequence[str]) -> list[shapely.Polygon]:
    """The hexagon (or pentagon) of each H3 cell, given as hex strings, in lon/lat."""
    return [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ids]


def cell_ids(cells: np.ndarray) -> list[str]:
    """The hex strings of H3 cells given as unsigned 64-bit indexes."""
    return [h3.int_to_str(int(c)) for c in cells]


def cell_areas_km2(cells: np.ndarray) -> np.ndarray:
    """H3's exact geodesic area in km² of each cell, given as unsigned 64-bit indexes."""
    from h3.api import numpy_int

    return np.fromiter(
        (numpy_int.cell_area(int(c), unit="km^2") for c in cells), dtype=float, count=len(cells)
    )


def _smallest_area_bound_km2(resolution: int) -> float:
    """A lower bound of the area of every H3 cell of ``resolution``: half the smallest
    pentagon's. Pentagons are the smallest cells of each resolution and no hexagon is
    more than about 2.4 times a pentagon (tests check every cell of resolutions 1 to 3)."""
    return 0.5 * min(h3.cell_area(c, unit="km^2") for c in h3.get_pentagons(resolution))


def max_sites_per_km2(cells: np.ndarray, counts: np.ndarray) -> float:
    """The highest count per km² among H3 cells (of one resolution), computing the areas
    of the fewest cells: in decreasing count, until no further cell can beat the best
    density found, given :func:`_smallest_area_bound_km2`. Exact; NaN with no cell."""
    if len(cells) == 0:
        return float("nan")
    order = np.argsort(-np.asarray(counts), kind="stable")
    bound = _smallest_area_bound_km2(h3.get_resolution(h3.int_to_str(int(cells[0]))))
    best = 0.0
    for start in range(0, len(order), 4096):
        batch = order[start : start + 4096]
        if counts[batch[0]] / bound <= best:
            break
        best = max(best, float(np.max(counts[batch] / cell_areas_km2(cells[batch]))))
    return best
