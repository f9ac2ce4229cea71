"""What a cluster map needs, computed once per (registry version, cluster, network).

Overlays (density, hexagons, cores, links, epicentres) and walking-network layers take
from a tenth of a second to about a second to compute; they only change with the registry
or the cached network, so they are kept in the app's cache (:mod:`webmap.caching`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
from flask import current_app, request

from geo.measures import analyse_cluster
from geo.network import ClusterNetwork, has_network, network_path
from geo.overlays import Overlays, cluster_overlays
from geo.registry import Registry
from webmap.caching import get_cache
from webmap.maps import NetworkLayers
from webmap.state import get_registry
from webmap.workpool import heavy


@dataclass(frozen=True)
class ClusterMapData:
    """Measures, overlays, the distinct located places in the metric CRS (``None``: none
    located; for the Ripley plot) and (when the cluster has a cached network) network
    layers."""

    measures: dict[str, Any]
    overlays: Overlays
    network: NetworkLayers | None
    places: gpd.GeoSeries | None = None


def network_signature(cluster_id: str, cache_dir: str | None) -> tuple[str, int, int] | None:
    """Path, modification time (ns) and size of the cluster's graph, or None without a
    network: a graph replaced under a running server changes it."""
    path = network_path(cluster_id, cache_dir=cache_dir)
    if path is None:
        return None
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


def request_network_signature() -> Hashable:
    """For page caches: the network signature of the request's ``cluster_id`` (None for
    an id the registry does not hold, which the view answers with 404)."""
    cluster_id = str((request.view_args or {}).get("cluster_id"))
    if cluster_id not in get_registry().clusters.index:
        return None
    return network_signature(cluster_id, current_app.config.get("NETWORK_CACHE_DIR"))


def compute(
    registry: Registry, cluster_id: str, *, cache_dir: str | None, as_of: str | None = None
) -> ClusterMapData:
    """Compute a cluster's map data (no memo), for the sites of ``as_of`` (default: all):
    one :func:`geo.measures.analyse_cluster` gives both the measures and the overlays, and
    the walking network is loaded once for its paths and isochrones."""
    analysis = analyse_cluster(registry, cluster_id, as_of=as_of)
    network = None
    if has_network(cluster_id, cache_dir=cache_dir):
        walk = ClusterNetwork(cluster_id, registry=registry, cache_dir=cache_dir)
        network = NetworkLayers(isochrones=walk.isochrones(), paths=walk.paths())
    return ClusterMapData(
        measures=analysis.to_dict(),
        overlays=cluster_overlays(analysis),
        network=network,
        places=None if analysis.points is None else analysis.points.points,
    )


def cluster_map_data(
    registry: Registry, cluster_id: str, *, as_of: str | None = None
) -> ClusterMapData:
    """The current app's map data of a cluster (its sites as of ``as_of``, default all),
    from the app's cache when it can (else computed in the app's work pool)."""
    cache_dir = current_app.config.get("NETWORK_CACHE_DIR")
    key = (
        "mapdata",
        registry.version,
        cluster_id,
        as_of,
        cache_dir,
        network_signature(cluster_id, cache_dir),
    )
    return get_cache().get_or_compute(
        key,
        lambda: compute(registry, cluster_id, cache_dir=cache_dir, as_of=as_of),
        run=heavy,
    )
