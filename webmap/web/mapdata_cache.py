"""What a cluster map needs, computed once per (registry version, cluster, date, network).

Overlays (density, hexagons, cores, links, epicentres) and walking-network layers take
from a tenth of a second to about a second to compute; they only change with the registry
or the cached network, so they are kept in the app's cache (:mod:`webmap.web.caching`).
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import current_app, request

from geo.network import network_path
from geo.registry import Registry
from webmap.api.mapdata_api import ClusterMapData, compute
from webmap.api.memo import day_key
from webmap.web.caching import get_cache
from webmap.web.state import get_registry
from webmap.web.workpool import heavy


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


def cluster_map_data(
    registry: Registry, cluster_id: str, *, as_of: str | None = None
) -> ClusterMapData:
    """The current app's map data of a cluster (its sites as of ``as_of``, default today),
    from the app's cache when it can (else computed in the app's work pool)."""
    cache_dir = current_app.config.get("NETWORK_CACHE_DIR")
    key = (
        "mapdata",
        registry.version,
        cluster_id,
        as_of,
        day_key(as_of),  # "today" changes with the date
        cache_dir,
        network_signature(cluster_id, cache_dir),
    )
    cache = get_cache()
    return cache.get_or_compute(
        key,
        lambda: compute(registry, cluster_id, cache_dir=cache_dir, as_of=as_of, cache=cache),
        run=heavy,
    )
