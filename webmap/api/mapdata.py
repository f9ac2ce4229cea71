"""What a cluster map needs: its measures, overlays and walking-network layers, from one
analysis (:func:`compute`). The server keeps the result in its cache
(:func:`webmap.web.mapdata.cluster_map_data`); ``clustermap map`` calls it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo.clusters import analyse_cluster
from geo.network import ClusterNetwork, NetworkLayers, has_network, street_lines
from geo.overlays import Overlays, cluster_overlays
from geo.registry import Registry


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
) -> ClusterMapData:
    """Compute a cluster's map data (no memo), for the sites of ``as_of`` (default: today):
    one :func:`geo.clusters.analyse_cluster` gives both the measures and the overlays, and
    the walking network is loaded once for its paths, isochrones and (``with_streets``, for
    a self-contained export; the server serves them apart) the streets of the offline basemap."""
    analysis = analyse_cluster(registry, cluster_id, as_of=as_of)
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
