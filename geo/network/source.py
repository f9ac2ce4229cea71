"""Getting a street network: the local cache, the networks that ship with clustermap, a file
the user gives, or an OSMnx download.

:func:`get_network` tries them in that order of preference. Only :func:`fetch_network`
(and :func:`get_network` with ``download=True``) ever touches the internet, always with a
timeout; everything else works offline.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import shapely

from geo.atomic import atomic_path
from geo.errors import InputDataError, NetworkUnavailableError, ParameterError, Problems
from geo.network._cache import (
    bundled_graph_path,
    file_sha256,
    graph_path,
    meta_path,
    resolve_cache_dir,
    write_json,
)
from geo.projection import has_location, metric_crs

NETWORK_TYPES = ("walk", "bike", "drive", "drive_service", "all", "all_public")
"""OSMnx network types accepted by :func:`fetch_network`."""

XML_SUFFIXES = (".osm", ".xml", ".osm.xml", ".osm.bz2", ".xml.bz2")
GRAPHML_SUFFIXES = (".graphml",)

# OSM highway values nobody walks along (a subset of OSMnx's own "walk" filter), used to
# clean a user's OSM XML file, which graph_from_xml takes as it is.
_NOT_WALKABLE = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "cycleway",
        "motor",
        "motorway",
        "motorway_link",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "trunk",
        "trunk_link",
    }
)


@dataclass(frozen=True)
class NetworkInfo:
    """What the cache knows about one cluster's street network.

    Attributes
    ----------
    cluster
        Cluster id.
    path
        The cached GraphML file.
    source
        ``"download"`` or ``"file"`` (both kept in the user's cache), or ``"bundled"``
        (shipped with clustermap, read-only).
    origin
        The file imported, or the download request (network type, margin).
    network_type
        OSMnx network type (``"walk"`` by default).
    created
        When it was cached (ISO 8601, UTC).
    nodes, edges
        Graph size.
    bbox
        ``(west, south, east, north)`` in degrees.
    sha256
        Hash of the GraphML file; keys the engine cache.
    """

    cluster: str
    path: Path
    source: str
    origin: str
    network_type: str
    created: str
    nodes: int
    edges: int
    bbox: tuple[float, float, float, float]
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        data = asdict(self)
        data["path"] = str(self.path)
        data["bbox"] = list(self.bbox)
        return data


def _fetch_hint(cluster_id: str) -> str:
    return (
        f"no street network for cluster {cluster_id!r}: run "
        f"'clustermap network fetch {cluster_id}' (needs internet) or "
        f"'clustermap network import {cluster_id} FILE' (OSM XML or GraphML)"
    )


def network_path(
    cluster_id: str, *, cache_dir: str | os.PathLike[str] | None = None, bundled: bool = True
) -> Path | None:
    """Return the GraphML file of a cluster's network, or None (a cheap file check).

    The user's cache comes first; with ``bundled=True`` the networks that ship with
    clustermap are consulted next.
    """
    cached = graph_path(cluster_id, cache_dir=cache_dir)
    if cached.is_file():
        return cached
    shipped = bundled_graph_path(cluster_id)
    return shipped if bundled and shipped.is_file() else None


def has_network(
    cluster_id: str, *, cache_dir: str | os.PathLike[str] | None = None, bundled: bool = True
) -> bool:
    """Return whether ``cluster_id`` has a street network (see :func:`network_path`)."""
    return network_path(cluster_id, cache_dir=cache_dir, bundled=bundled) is not None


def network_info(
    cluster_id: str, *, cache_dir: str | os.PathLike[str] | None = None
) -> NetworkInfo:
    """Describe a cluster's network: the cached one, else the bundled one.

    Raises
    ------
    NetworkUnavailableError
        The cluster has no network.
    """
    path = network_path(cluster_id, cache_dir=cache_dir)
    if path is None:
        raise NetworkUnavailableError(_fetch_hint(cluster_id))
    meta = path.with_suffix(".json")
    if meta.is_file():
        data = json.loads(meta.read_text(encoding="utf-8"))
        # metadata written with the graph name its size and mtime; other ones (older
        # caches) are trusted as they are
        stamp = (data.pop("graph_size", None), data.pop("graph_mtime_ns", None))
        if stamp == (None, None) or stamp == _stamp(path):
            data["path"] = path
            data["bbox"] = tuple(data["bbox"])
            return NetworkInfo(**data)
    # a GraphML file dropped into the cache by hand, or replaced without its metadata (an
    # interrupted import): describe it from the graph itself
    return _describe(cluster_id, path, read_graph_file(path), source="file", origin=str(path))


def _stamp(path: Path) -> tuple[int, int]:
    """Size and modification time (ns) of a file: what its metadata must name."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _describe(
    cluster_id: str,
    path: Path,
    graph: nx.MultiDiGraph,
    *,
    source: str,
    origin: str,
    network_type: str = "unknown",
) -> NetworkInfo:
    xs = [float(x) for _, x in graph.nodes(data="x")]
    ys = [float(y) for _, y in graph.nodes(data="y")]
    bbox = (min(xs), min(ys), max(xs), max(ys)) if xs else (0.0, 0.0, 0.0, 0.0)
    return NetworkInfo(
        cluster=cluster_id,
        path=path,
        source=source,
        origin=origin,
        network_type=network_type,
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
        nodes=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        bbox=bbox,
        sha256=file_sha256(path),
    )


def file_suffix(path: Path) -> str:
    """The lower-case suffix that names the format of a street file, compound ones
    (``.osm.pbf``, ``.osm.bz2``) whole."""
    name = path.name.lower()
    for suffix in sorted((*XML_SUFFIXES, *GRAPHML_SUFFIXES, ".osm.pbf", ".pbf"), key=len)[::-1]:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


@contextmanager
def _osmnx_settings(**overrides: Any) -> Iterator[None]:
    """Set ``ox.settings`` attributes for the duration of a block."""
    saved = {name: getattr(ox.settings, name) for name in overrides}
    try:
        for name, value in overrides.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _keep_walkable(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Drop edges that are not streets or paths a pedestrian may use."""
    drop = []
    for u, v, k, data in graph.edges(keys=True, data=True):
        highway = data.get("highway")
        values = set(highway) if isinstance(highway, list) else {highway}
        if highway is None or values <= _NOT_WALKABLE or data.get("foot") == "no":
            drop.append((u, v, k))
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return graph


def read_graph_file(path: str | os.PathLike[str], *, network_type: str = "walk") -> nx.MultiDiGraph:
    """Read a street graph from OSM XML (``.osm``, ``.xml``, ``.osm.bz2``) or OSMnx GraphML.

    OSM XML goes through :func:`osmnx.graph_from_xml`; for ``network_type="walk"`` only ways a
    pedestrian may use are kept, and one-way streets are walkable both ways. ``.osm.pbf`` is
    not supported by OSMnx 2.x: convert it first (``osmium cat in.osm.pbf -o out.osm``).

    Raises
    ------
    InputDataError
        The file is missing, of an unknown kind, unreadable, or holds no street.
    """
    path = Path(path).expanduser()
    suffix = file_suffix(path)
    problem = None
    if not path.is_file():
        problem = f"graph file {str(path)!r} does not exist"
    elif suffix in (".osm.pbf", ".pbf"):
        problem = (
            f"{path.name}: OSMnx {version('osmnx')} cannot read .osm.pbf; convert it to OSM XML "
            "first, e.g. 'osmium cat in.osm.pbf -o out.osm'"
        )
    elif suffix not in (*XML_SUFFIXES, *GRAPHML_SUFFIXES):
        problem = f"{path.name}: unknown graph file type; expected .osm, .osm.bz2, .xml or .graphml"
    if problem:
        raise InputDataError(problem)
    try:
        if suffix in GRAPHML_SUFFIXES:
            graph = ox.load_graphml(path)
        else:
            tags = list(dict.fromkeys([*ox.settings.useful_tags_way, "foot"]))
            with _osmnx_settings(useful_tags_way=tags), warnings.catch_warnings():
                # OSMnx warns when re-reading an XML file it wrote itself; that is fine here
                warnings.filterwarnings("ignore", message="The XML file you are loading")
                graph = ox.graph_from_xml(
                    path, bidirectional=network_type == "walk", simplify=True, retain_all=False
                )
            if network_type == "walk":
                graph = _keep_walkable(graph)
                if graph.number_of_edges():
                    graph = ox.truncate.largest_component(graph)
    except Exception as exc:  # XML, GraphML and OSMnx errors come in many types
        msg = f"{path.name}: cannot read a street graph: {exc}"
        raise InputDataError(msg) from exc
    if graph.number_of_edges() == 0:
        msg = f"{path.name}: the file holds no street"
        raise InputDataError(msg)
    return graph


def _store(
    cluster_id: str,
    graph: nx.MultiDiGraph | None,
    *,
    cache_dir: str | os.PathLike[str] | None,
    source: str,
    origin: str,
    network_type: str,
    copy_from: Path | None = None,
) -> NetworkInfo:
    """Write a graph (or copy a GraphML file) into the cache, atomically, with its metadata.

    The graph is described while still under its temporary name, then moved into place;
    the metadata, written last, names the size and mtime of the graph it describes, so an
    import interrupted between the two leaves metadata that :func:`network_info` sees is
    stale (it then describes the graph itself), never a new graph with old metadata.
    """
    target = graph_path(cluster_id, cache_dir=cache_dir)
    with atomic_path(target) as tmp:
        if copy_from is not None:
            shutil.copyfile(copy_from, tmp)
        else:
            ox.save_graphml(graph, tmp)
        loaded = graph if graph is not None else read_graph_file(tmp)
        info = _describe(
            cluster_id, tmp, loaded, source=source, origin=origin, network_type=network_type
        )
    info = replace(info, path=target)
    meta = info.to_dict()
    del meta["path"]
    meta["graph_size"], meta["graph_mtime_ns"] = _stamp(target)
    write_json(meta_path(cluster_id, cache_dir=cache_dir), meta)
    return info


def import_network(
    cluster_id: str,
    file: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    network_type: str = "walk",
) -> NetworkInfo:
    """Read a user's graph file and cache it as the cluster's network (replacing any).

    Parameters
    ----------
    cluster_id
        Cluster the network belongs to.
    file
        OSM XML (``.osm``, ``.xml``, ``.osm.bz2``) or OSMnx GraphML.
    cache_dir
        Cache folder; see :func:`geo.network.resolve_cache_dir`.
    network_type
        Recorded in the metadata; ``"walk"`` also filters OSM XML to walkable ways.
    """
    path = Path(file).expanduser()
    graph = read_graph_file(path, network_type=network_type)
    is_graphml = file_suffix(path) in GRAPHML_SUFFIXES
    return _store(
        cluster_id,
        None if is_graphml else graph,
        cache_dir=cache_dir,
        source="file",
        origin=str(path.resolve()),
        network_type=network_type,
        copy_from=path if is_graphml else None,
    )


def download_area(sites: gpd.GeoSeries, *, margin_m: float) -> shapely.Polygon:
    """Return the area to download around sites: their convex hull grown by ``margin_m``.

    The buffer is computed in the sites' metric CRS; the result is in EPSG:4326.
    """
    points = sites[has_location(sites)]
    if points.empty:
        msg = "no located site to download a network around"
        raise ParameterError(msg)
    metric = points.to_crs(metric_crs(points))
    area = shapely.convex_hull(shapely.union_all(metric.to_numpy())).buffer(margin_m)
    return gpd.GeoSeries([area], crs=metric.crs).to_crs(4326).iloc[0]


def fetch_network(
    cluster_id: str,
    sites: gpd.GeoSeries,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    network_type: str = "walk",
    margin_m: float = 1000.0,
    timeout_s: float = 60.0,
) -> NetworkInfo:
    """Download a cluster's street network with OSMnx and cache it.

    Parameters
    ----------
    cluster_id
        Cluster the network belongs to.
    sites
        The cluster's site locations (EPSG:4326); missing geometries are ignored.
    cache_dir
        Cache folder; OSMnx's HTTP cache goes to its ``osmnx/`` subfolder.
    network_type
        {"walk", "bike", "drive", "drive_service", "all", "all_public"}
    margin_m
        Distance around the sites' convex hull to include, in metres.
    timeout_s
        HTTP timeout of each request, in seconds.

    Raises
    ------
    NetworkUnavailableError
        The download failed (no internet, server error, empty area); nothing is cached.
    """
    problems = Problems()
    if network_type not in NETWORK_TYPES:
        problems.add(f"network type {network_type!r} is not one of {', '.join(NETWORK_TYPES)}")
    if not margin_m >= 0:
        problems.add(f"margin must be >= 0 m, got {margin_m}")
    if not timeout_s > 0:
        problems.add(f"timeout must be > 0 s, got {timeout_s}")
    problems.raise_if_any(ParameterError)
    area = download_area(sites, margin_m=margin_m)
    http_cache = resolve_cache_dir(cache_dir) / "osmnx"
    try:
        # overpass_rate_limit=False: OSMnx would first poll the server's status and, when
        # that fails (offline, blocked), sleep 60 s before even trying; one fetch is one
        # request, so the slot check buys nothing and the user gets the error at once.
        with _osmnx_settings(
            requests_timeout=timeout_s,
            cache_folder=http_cache,
            use_cache=True,
            log_console=False,
            overpass_rate_limit=False,
        ):
            graph = ox.graph_from_polygon(area, network_type=network_type, retain_all=False)
    except Exception as exc:  # OSMnx raises requests, HTTP and its own errors alike
        msg = f"could not download a network for {cluster_id!r}: {exc}"
        raise NetworkUnavailableError(msg) from exc
    origin = f"OSMnx graph_from_polygon, network_type={network_type}, margin_m={margin_m:g}"
    return _store(
        cluster_id,
        graph,
        cache_dir=cache_dir,
        source="download",
        origin=origin,
        network_type=network_type,
    )


def get_network(
    cluster_id: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    file: str | os.PathLike[str] | None = None,
    sites: gpd.GeoSeries | None = None,
    download: bool = False,
    network_type: str = "walk",
    margin_m: float = 1000.0,
    timeout_s: float = 60.0,
) -> NetworkInfo:
    """Return a cluster's network: the cache, else ``file``, else a download.

    Parameters
    ----------
    cluster_id
        Cluster the network belongs to.
    cache_dir
        Cache folder; see :func:`geo.network.resolve_cache_dir`.
    file
        A graph file to import when nothing is cached.
    sites
        The cluster's site locations, needed to download.
    download
        Whether a download may be tried when nothing is cached and no file is given.
    network_type, margin_m, timeout_s
        Passed to :func:`fetch_network` / :func:`import_network`.

    Raises
    ------
    NetworkUnavailableError
        Nothing cached, no file, and no download allowed (or it failed); the message says
        how to fetch or import one.
    """
    if has_network(cluster_id, cache_dir=cache_dir):
        return network_info(cluster_id, cache_dir=cache_dir)
    if file is not None:
        return import_network(cluster_id, file, cache_dir=cache_dir, network_type=network_type)
    if download and sites is not None:
        return fetch_network(
            cluster_id,
            sites,
            cache_dir=cache_dir,
            network_type=network_type,
            margin_m=margin_m,
            timeout_s=timeout_s,
        )
    raise NetworkUnavailableError(_fetch_hint(cluster_id))
