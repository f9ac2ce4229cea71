"""What a cluster map needs: its measures, overlays and walking-network layers, from one
analysis (:func:`compute`). The server keeps the result in its cache
(:func:`webmap.web.mapdata_cache.cluster_map_data`); ``clustermap map`` calls it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo.network import ClusterNetwork, NetworkLayers, has_network, street_lines
from geo.overlays import Overlays, cluster_overlays
from geo.registry import Registry
from webmap.api.cluster_analysis import cluster_analysis
from webmap.api.memo import LruCache


@dataclass(frozen=True)
class ClusterMapData:
    """Measures, overlays, the distinct located places in the metric CRS (``None``: none
    located; for the Ripley plot) and (when the cluster has a cached network) network
    layers."""

    measures: dict[str, Any]
    overlays: Overlays
    network: NetworkLayers | None
    places: gpd.GeoSeries | None = None


def compute(
    registry: Registry,
    cluster_id: str,
    *,
    cache_dir: str | None,
    as_of: str | None = None,
    with_streets: bool = False,
    cache: LruCache | None = None,
) -> ClusterMapData:
    """Compute a cluster's map data (no memo of its own), for the sites of ``as_of``
    (default: today): one analysis (:func:`webmap.api.cluster_analysis.cluster_analysis`,
    kept in ``cache`` when given, for the cluster's other views) gives both the measures and
    the overlays, and the walking network is loaded once for its paths, isochrones and
    (``with_streets``, for a self-contained export; the server serves them apart) the streets
    of the offline basemap."""
    analysis = cluster_analysis(registry, cluster_id, as_of=as_of, cache=cache)
    network = None
    if has_network(cluster_id, cache_dir=cache_dir):
        walk = ClusterNetwork(cluster_id, registry=registry, cache_dir=cache_dir, as_of=as_of)
        network = NetworkLayers(
            isochrones=walk.isochrones(),
            paths=walk.paths(),
            streets=street_lines(walk.engine) if with_streets else None,
        )
    return ClusterMapData(
        measures=analysis.to_dict(),
        overlays=cluster_overlays(analysis),
        network=network,
        places=None if analysis.points is None else analysis.points.points,
    )
