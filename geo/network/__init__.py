"""Walking-network proximity with OSMnx: networks, a fast sparse engine, measures.

- :mod:`geo.network.source` gets a network: the cache, a user's file, or a download.
- :mod:`geo.network.engine` converts it once into CSR arrays and runs scipy Dijkstra.
- :mod:`geo.network.measures` pair distances, detour indices, paths, accessibility.
- :mod:`geo.network.isochrone` nested isochrone polygons from any point.
- :mod:`geo.network.clusters` the same for a registry cluster's epicentres (map layers).
- :mod:`geo.network.streets` a network's streets as light line work (the offline basemap).

Every result drawn from these networks is OpenStreetMap data: credit
:data:`OSM_ATTRIBUTION` ("© OpenStreetMap contributors").
"""

from geo._paths import ENV_CACHE_DIR, resolve_cache_dir
from geo.network._output import OSM_ATTRIBUTION, to_geojson
from geo.network.clusters import (
    ClusterNetwork,
    NetworkLayers,
    centroid_lonlat,
    cluster_engine,
    epicentre_members,
    fetch_cluster_network,
)
from geo.network.engine import (
    DEFAULT_SPEED_KMH,
    Snap,
    StreetEngine,
    build_engine,
    load_engine,
    metres_per_minute,
)
from geo.network.isochrone import DEFAULT_MINUTES, isochrones, reachable_within
from geo.network.measures import (
    PAIR_COLUMNS,
    Accessibility,
    PairDistances,
    accessibility,
    network_paths,
    pair_distances,
)
from geo.network.source import (
    NetworkInfo,
    fetch_network,
    get_network,
    has_network,
    import_network,
    network_info,
    network_path,
    read_graph_file,
)
from geo.network.streets import street_lines

__all__ = [
    "DEFAULT_MINUTES",
    "DEFAULT_SPEED_KMH",
    "ENV_CACHE_DIR",
    "OSM_ATTRIBUTION",
    "PAIR_COLUMNS",
    "Accessibility",
    "ClusterNetwork",
    "NetworkInfo",
    "NetworkLayers",
    "PairDistances",
    "Snap",
    "StreetEngine",
    "accessibility",
    "build_engine",
    "centroid_lonlat",
    "cluster_engine",
    "epicentre_members",
    "fetch_cluster_network",
    "fetch_network",
    "get_network",
    "has_network",
    "import_network",
    "isochrones",
    "load_engine",
    "metres_per_minute",
    "network_info",
    "network_path",
    "network_paths",
    "pair_distances",
    "reachable_within",
    "read_graph_file",
    "resolve_cache_dir",
    "street_lines",
    "to_geojson",
]
