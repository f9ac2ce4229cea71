"""The street segments of a cluster's network, for a figure's ``streets`` layer.

They come from the network :mod:`geo.network` already loads for walking layers (the user's
cache, else the network bundled with clustermap, e.g. Delft's); nothing is downloaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import pyproj

from geo.network import OSM_ATTRIBUTION, cluster_engine, has_network, network_info

__all__ = ["Streets", "cluster_streets"]


@dataclass(frozen=True)
class Streets:
    """Street segments in a metric CRS and where they come from (``source``, a sentence
    naming the network and its date; always OpenStreetMap data)."""

    lines: gpd.GeoSeries
    source: str
    attribution: str = OSM_ATTRIBUTION


def cluster_streets(
    cluster_id: str, *, crs: pyproj.CRS, cache_dir: str | os.PathLike[str] | None = None
) -> Streets | None:
    """The cluster's streets in ``crs``, or ``None`` when it has no network."""
    if not has_network(cluster_id, cache_dir=cache_dir):
        return None
    info = network_info(cluster_id, cache_dir=cache_dir)
    engine = cluster_engine(cluster_id, cache_dir=cache_dir)
    lines = gpd.GeoSeries(engine.edge_geometry, crs=engine.crs).to_crs(crs)
    kind = {"bundled": "bundled with clustermap", "download": "downloaded", "file": "imported"}
    source = (
        f"Streets: OSMnx {info.network_type} network {kind.get(info.source, info.source)}, "
        f"{info.created[:10]}"
    )
    return Streets(lines=lines, source=source)
