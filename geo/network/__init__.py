"""Walking-network proximity with OSMnx: networks, a fast sparse engine, measures.

- :mod:`geo.network.source` gets a network: the cache, a user's file, or a download.
- :mod:`geo.network.engine` converts it once into CSR arrays and runs scipy Dijkstra.
- :mod:`geo.network.walking_measures` pair distances, detour indices, paths, accessibility.
- :mod:`geo.network.isochrone` nested isochrone polygons from any point.
- :mod:`geo.network.cluster_networks` the same for a registry cluster's epicentres (map layers).
- :mod:`geo.network.streets` a network's streets as light line work (the offline basemap).
- :mod:`geo.network.areas` named areas: an analyst's own street graph, imported once.
- :mod:`geo.network.analyst` isochrones, distances and nearest destinations of their points.

Every result drawn from these networks is OpenStreetMap data: credit
:data:`OSM_ATTRIBUTION` ("© OpenStreetMap contributors").
"""

from geo.network._output import OSM_ATTRIBUTION, to_geojson
from geo.network.analyst import destination_access, point_distances, point_isochrones
from geo.network.areas import AreaInfo, area_engine, area_info, import_area, list_areas
from geo.network.cluster_networks import (
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
from geo.network.walking_measures import (
    PAIR_COLUMNS,
    Accessibility,
    PairDistances,
    accessibility,
    network_paths,
    pair_distances,
)
from geo.paths import ENV_CACHE_DIR, resolve_cache_dir

__all__ = [
    "DEFAULT_MINUTES",
    "DEFAULT_SPEED_KMH",
    "ENV_CACHE_DIR",
    "OSM_ATTRIBUTION",
    "PAIR_COLUMNS",
    "Accessibility",
    "AreaInfo",
    "ClusterNetwork",
    "NetworkInfo",
    "NetworkLayers",
    "PairDistances",
    "Snap",
    "StreetEngine",
    "accessibility",
    "area_engine",
    "area_info",
    "build_engine",
    "centroid_lonlat",
    "cluster_engine",
    "destination_access",
    "epicentre_members",
    "fetch_cluster_network",
    "fetch_network",
    "get_network",
    "has_network",
    "import_area",
    "import_network",
    "isochrones",
    "list_areas",
    "load_engine",
    "metres_per_minute",
    "network_info",
    "network_path",
    "network_paths",
    "pair_distances",
    "point_distances",
    "point_isochrones",
    "reachable_within",
    "read_graph_file",
    "resolve_cache_dir",
    "street_lines",
    "to_geojson",
]
