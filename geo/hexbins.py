"""Hexagonal bins (Uber H3): site counts and sites per km² per cell.

Cell areas are H3's exact geodesic areas (``h3.cell_area(..., unit="km^2")``); cell polygons
are returned in EPSG:4326 for maps. Cells crossing the antimeridian are not split.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo._errors import ParameterError, quote
from geo.projection import lonlat_arrays, site_points

__all__ = ["hex_cells", "hexbin_counts", "hexbin_table"]


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

    Footprints count by their centroid (taken in the metric CRS ``crs``, default UTM); sites
    without geometry get ``None``.
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
        Metric CRS for footprint centroids (default UTM).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``h3_cell``, sorted by decreasing ``count``; columns ``count``,
        ``area_km2``, ``sites_per_km2`` and the hexagon ``geometry`` in EPSG:4326.
    """
    cells = hex_cells(gdf, resolution=resolution, crs=crs).dropna()
    return hexbin_table(cells.value_counts(sort=False))


def hexbin_table(counts: pd.Series) -> gpd.GeoDataFrame:
    """The table of :func:`hexbin_counts` from site counts indexed by H3 cell (counts of
    parts of the data summed, for data counted in chunks or partitions)."""
    ids = [str(c) for c in counts.index]
    areas = np.array([h3.cell_area(c, unit="km^2") for c in ids], dtype=float)
    polygons = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ids]
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
