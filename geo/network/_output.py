"""Attribution and GeoJSON output shared by every network result (all of it is OSM data)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from geo.jsonable import feature_collection

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
"""Credit required wherever OpenStreetMap data (every street network here) is drawn."""

OSM_LICENCE = "ODbL 1.0, https://www.openstreetmap.org/copyright"


def with_attribution(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Mark a GeoDataFrame built from OSM data with its attribution (in ``attrs``)."""
    frame.attrs["attribution"] = OSM_ATTRIBUTION
    frame.attrs["licence"] = OSM_LICENCE
    return frame


def to_geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection (EPSG:4326) with a top-level ``attribution``."""
    data = feature_collection(frame)
    data["attribution"] = OSM_ATTRIBUTION
    data["licence"] = OSM_LICENCE
    return data
