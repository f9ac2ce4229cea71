"""Attribution and GeoJSON output shared by every network result (all of it is OSM data)."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd

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
    data: dict[str, Any] = json.loads(frame.to_crs(4326).to_json(drop_id=True))
    data["attribution"] = OSM_ATTRIBUTION
    data["licence"] = OSM_LICENCE
    return data
