"""The fast engine: an OSMnx graph as a compressed sparse graph, searched with scipy.

:func:`build_engine` converts a graph once (node coordinates projected to the local UTM
zone, edge lengths in metres, edge geometries kept for isochrones); :func:`load_engine`
caches that conversion as ``engine-<hash>.npz`` next to the cached GraphML, keyed by the
graph file's hash, so it is paid once per graph. Shortest paths run on the CSR matrix with
:func:`scipy.sparse.csgraph.dijkstra`; sites snap to nodes with a KD-tree.

Walking ignores one-way restrictions, so engines are undirected by default: each edge can
be walked both ways, at the length of the shortest parallel edge.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo._resources import bundled_dir
from geo.atomic import atomic_write
from geo.errors import InputDataError, ParameterError
from geo.network._cache import file_sha256, networks_dir
from geo.network.source import read_graph_file
from geo.projection import metric_crs

DEFAULT_SPEED_KMH = 4.8
"""Default walking speed, km/h."""

_ENGINE_FORMAT = 1
_MIN_LENGTH_M = 1e-6  # scipy needs positive weights; zero-length edges become this

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def metres_per_minute(speed_kmh: float) -> float:
    """Return the distance walked in one minute at ``speed_kmh``, in metres."""
    if not speed_kmh > 0:
        msg = f"walking speed must be > 0 km/h, got {speed_kmh}"
        raise ParameterError(msg)
    return speed_kmh * 1000.0 / 60.0


@dataclass(frozen=True)
class Snap:
    """Points snapped to their nearest graph nodes.

    Attributes
    ----------
    node
        Node index in the engine (``engine.node_ids[node]`` is the OSM id).
    node_id
        OSM node id.
    distance_m
        Straight-line distance from each point to its node, in metres.
    """

    node: IntArray
    node_id: IntArray
    distance_m: FloatArray


@dataclass(frozen=True, eq=False)
class StreetEngine:
    """A street graph ready for fast shortest paths.

    Attributes
    ----------
    node_ids
        OSM id of each node; a node's index is its position here.
    lon, lat
        Node coordinates, EPSG:4326.
    x, y
        Node coordinates in ``crs`` (metres).
    crs
        The metric CRS (the graph's UTM zone), as WKT.
    graph
        ``(n, n)`` CSR matrix of edge lengths in metres (the shortest parallel edge).
    csr_edge
        For each stored CSR entry, the index of the edge it comes from.
    edge_u, edge_v
        Node indices of each edge (one row per distinct street segment).
    edge_length_m
        Length of each edge, in metres (OSMnx's ``length``).
    edge_geometry
        Each edge as a LineString in ``crs``, from ``u`` to ``v``.
    directed
        Whether one-way streets are honoured (``False`` for walking).
    key
        Hash of the graph file the engine was built from (empty if built in memory).
    """

    node_ids: IntArray
    lon: FloatArray
    lat: FloatArray
    x: FloatArray
    y: FloatArray
    crs: str
    graph: csr_matrix
    csr_edge: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length_m: FloatArray
    edge_geometry: npt.NDArray[np.object_]
    directed: bool = False
    key: str = ""
    _tree: cKDTree = field(init=False, repr=False)
    _to_metric: pyproj.Transformer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tree", cKDTree(np.column_stack([self.x, self.y])))
        transformer = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        object.__setattr__(self, "_to_metric", transformer)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of distinct edges."""
        return len(self.edge_u)

    def project(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project lon/lat (EPSG:4326) to the engine's metric CRS."""
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def snap(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Snap:
        """Snap lon/lat points to their nearest nodes (KD-tree on projected coordinates)."""
        x, y = self.project(np.atleast_1d(lon), np.atleast_1d(lat))
        distance, node = self._tree.query(np.column_stack([x, y]))
        node = np.asarray(node, dtype=np.int64)
        return Snap(node=node, node_id=self.node_ids[node], distance_m=np.asarray(distance, float))

    def snap_xy(self, x: npt.ArrayLike, y: npt.ArrayLike) -> Snap:
        """Snap points already in the engine's metric CRS."""
        distance, node = self._tree.query(np.column_stack([np.ravel(x), np.ravel(y)]))
        node = np.asarray(node, dtype=np.int64)
        return Snap(node=node, node_id=self.node_ids[node], distance_m=np.asarray(distance, float))

    def distances_m(
        self, sources: npt.ArrayLike, *, limit_m: float = np.inf, batch: int = 64
    ) -> FloatArray:
        """Network distances from ``sources`` (node indices) to every node, in metres.

        Parameters
        ----------
        sources
            Node indices, shape ``(k,)``.
        limit_m
            Stop searching beyond this distance; farther nodes get ``inf``.
        batch
            Sources searched per scipy call (bounds the temporary memory).

        Returns
        -------
        ndarray
            Shape ``(k, n_nodes)``; ``inf`` where unreachable within ``limit_m``.
        """
        sources = np.atleast_1d(np.asarray(sources, dtype=np.int64))
        out = np.empty((len(sources), self.n_nodes))
        for start in range(0, len(sources), batch):
            chunk = sources[start : start + batch]
            out[start : start + len(chunk)] = dijkstra(
                self.graph, directed=True, indices=chunk, limit=limit_m
            )
        return out

    def shortest_path(self, source: int, target: int) -> tuple[float, list[int]]:
        """Return the network distance (m) and node indices of the path from source to target.

        The distance is ``inf`` and the path empty when target cannot be reached.
        """
        dist, pred = dijkstra(
            self.graph, directed=True, indices=int(source), return_predecessors=True
        )
        if not np.isfinite(dist[target]):
            return float("inf"), []
        path = [int(target)]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        return float(dist[target]), path[::-1]

    def path_geometry(self, path: list[int]) -> shapely.LineString:
        """Return a node path as one LineString in the metric CRS, along the edges' shapes."""
        if len(path) < 2:
            point = (self.x[path[0]], self.y[path[0]]) if path else (0.0, 0.0)
            return shapely.LineString([point, point])
        coords: list[Any] = []
        indptr, indices = self.graph.indptr, self.graph.indices
        for a, b in itertools.pairwise(path):
            row = slice(indptr[a], indptr[a + 1])
            edge = int(self.csr_edge[row][indices[row] == b][0])
            part = shapely.get_coordinates(self.edge_geometry[edge])
            if self.edge_u[edge] != a:
                part = part[::-1]
            coords.extend(part if not coords else part[1:])
        return shapely.LineString(coords)


def _node_arrays(graph: nx.MultiDiGraph) -> tuple[IntArray, FloatArray, FloatArray, str]:
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    xs = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float, len(node_ids))
    ys = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float, len(node_ids))
    crs = pyproj.CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
    if crs.is_geographic:
        lon, lat = xs, ys
    else:
        back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        lon, lat = (np.asarray(a, float) for a in back.transform(xs, ys))
    nodes = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    return node_ids, lon, lat, metric_crs(nodes).to_wkt()


def build_engine(graph: nx.MultiDiGraph, *, directed: bool = False, key: str = "") -> StreetEngine:
    """Convert an OSMnx graph into a :class:`StreetEngine`.

    Parameters
    ----------
    graph
        OSMnx MultiDiGraph, unprojected or projected (its ``crs`` graph attribute says which);
        edge ``length`` in metres (recomputed from geometry where missing).
    directed
        Honour edge direction (one-way streets). ``False`` for walking.
    key
        Identifies the source file (used by :func:`load_engine`).
    """
    if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
        msg = "the street graph has no nodes or no edges"
        raise InputDataError(msg)
    node_ids, lon, lat, crs = _node_arrays(graph)
    to_metric = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = (np.asarray(a, float) for a in to_metric.transform(lon, lat))
    index = {int(n): i for i, n in enumerate(node_ids)}
    geo_crs = pyproj.CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
    from_graph_crs = pyproj.Transformer.from_crs(geo_crs, crs, always_xy=True)

    us, vs, lengths, geoms, seen = [], [], [], [], set()
    for u, v, data in graph.edges(data=True):
        a, b = index[int(u)], index[int(v)]
        geom = data.get("geometry")
        length = data.get("length")
        # a walk graph stores each street twice (u->v and v->u): keep one when undirected
        signature = (min(a, b), max(a, b), round(float(length), 2) if length else None)
        if not directed and signature in seen:
            continue
        seen.add(signature)
        us.append(a)
        vs.append(b)
        lengths.append(np.nan if length is None else float(length))
        geoms.append(geom)
    edge_u = np.asarray(us, dtype=np.int64)
    edge_v = np.asarray(vs, dtype=np.int64)
    has_geom = np.array([g is not None for g in geoms])
    geometry = np.empty(len(geoms), dtype=object)
    if has_geom.any():
        shaped = np.array([g for g in geoms if g is not None], dtype=object)
        geometry[has_geom] = shapely.transform(
            shaped, lambda c: np.column_stack(from_graph_crs.transform(c[:, 0], c[:, 1]))
        )
    straight = ~has_geom
    geometry[straight] = shapely.linestrings(
        np.stack(
            [
                np.column_stack([x[edge_u[straight]], y[edge_u[straight]]]),
                np.column_stack([x[edge_v[straight]], y[edge_v[straight]]]),
            ],
            axis=1,
        )
    )
    edge_length = np.asarray(lengths, float)
    missing = ~np.isfinite(edge_length)
    edge_length[missing] = shapely.length(geometry[missing])
    matrix, csr_edge = _csr(len(node_ids), edge_u, edge_v, edge_length, directed=directed)
    return StreetEngine(
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        crs=crs,
        graph=matrix,
        csr_edge=csr_edge,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_length_m=edge_length,
        edge_geometry=geometry,
        directed=directed,
        key=key,
    )


def _csr(
    n: int, edge_u: IntArray, edge_v: IntArray, edge_length: FloatArray, *, directed: bool
) -> tuple[csr_matrix, IntArray]:
    """The CSR matrix of ``n`` nodes (shortest parallel edge per node pair, no self-loops)
    and the edge index of each of its entries."""
    edge_index = np.arange(len(edge_u), dtype=np.int64)
    rows, cols, weights, ids = edge_u, edge_v, edge_length, edge_index
    if not directed:
        rows = np.concatenate([edge_u, edge_v])
        cols = np.concatenate([edge_v, edge_u])
        weights = np.concatenate([edge_length, edge_length])
        ids = np.concatenate([edge_index, edge_index])
    keep = rows != cols
    rows, cols, weights, ids = rows[keep], cols[keep], weights[keep], ids[keep]
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights, ids = rows[order], cols[order], weights[order], ids[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, weights, ids = rows[first], cols[first], weights[first], ids[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    matrix = csr_matrix(
        (np.maximum(weights, _MIN_LENGTH_M), cols.astype(np.int32), indptr.astype(np.int32)),
        shape=(n, n),
    )
    return matrix, ids


def bundled_engines_dir() -> Path:
    """Engines that ship with clustermap (``data/networks/engines/``), named as in the cache:
    the engine of a bundled graph, so that a fresh install's first page does not convert it
    (``scripts/bundle_engines.py`` writes them; a test checks each against its graph)."""
    return bundled_dir("networks") / "engines"


def engine_cache_path(
    graph_file: Path, *, cache_dir: str | os.PathLike[str] | None = None, directed: bool = False
) -> Path:
    """Return where the engine of ``graph_file`` is cached (keyed by the file's hash)."""
    digest = file_sha256(graph_file)[:20]
    kind = "directed" if directed else "undirected"
    return networks_dir(cache_dir) / f"engine-{digest}-{kind}-v{_ENGINE_FORMAT}.npz"


def save_engine(engine: StreetEngine, path: Path) -> None:
    """Save an engine's arrays as ``.npz`` (atomically)."""
    _, coords, (offsets,) = shapely.to_ragged_array(engine.edge_geometry)
    arrays: dict[str, Any] = {
        "format": np.array(_ENGINE_FORMAT),
        "node_ids": engine.node_ids,
        "lon": engine.lon,
        "lat": engine.lat,
        "x": engine.x,
        "y": engine.y,
        "crs": np.array(engine.crs),
        "indptr": engine.graph.indptr,
        "indices": engine.graph.indices,
        "data": engine.graph.data,
        "csr_edge": engine.csr_edge,
        "edge_u": engine.edge_u,
        "edge_v": engine.edge_v,
        "edge_length_m": engine.edge_length_m,
        "geom_coords": coords,
        "geom_offsets": offsets,
        "directed": np.array(engine.directed),
        "key": np.array(engine.key),
    }
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def read_engine(path: Path) -> StreetEngine:
    """Read an engine saved by :func:`save_engine`."""
    with np.load(path, allow_pickle=False) as npz:
        a = {name: npz[name] for name in npz.files}
    if int(a["format"]) != _ENGINE_FORMAT:
        msg = f"{path.name}: engine cache format {int(a['format'])}, expected {_ENGINE_FORMAT}"
        raise InputDataError(msg)
    n = len(a["node_ids"])
    geometry = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, a["geom_coords"], (a["geom_offsets"],)
    )
    return StreetEngine(
        node_ids=a["node_ids"],
        lon=a["lon"],
        lat=a["lat"],
        x=a["x"],
        y=a["y"],
        crs=str(a["crs"]),
        graph=csr_matrix((a["data"], a["indices"], a["indptr"]), shape=(n, n)),
        csr_edge=a["csr_edge"],
        edge_u=a["edge_u"],
        edge_v=a["edge_v"],
        edge_length_m=a["edge_length_m"],
        edge_geometry=geometry,
        directed=bool(a["directed"]),
        key=str(a["key"]),
    )


def load_engine(
    graph_file: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    directed: bool = False,
    network_type: str = "walk",
) -> StreetEngine:
    """Return the engine of a graph file, converting it only the first time.

    Parameters
    ----------
    graph_file
        GraphML or OSM XML file (see :func:`geo.network.read_graph_file`).
    cache_dir
        Cache folder holding ``networks/engine-<hash>.npz``.
    directed
        Honour one-way streets.
    network_type
        Passed to :func:`geo.network.read_graph_file` for OSM XML.
    """
    path = Path(graph_file).expanduser()
    if not path.is_file():
        msg = f"graph file {str(path)!r} does not exist"
        raise InputDataError(msg)
    cached = engine_cache_path(path, cache_dir=cache_dir, directed=directed)
    if cached.is_file():
        try:
            return read_engine(cached)
        except (OSError, ValueError, KeyError, InputDataError):
            cached.unlink(missing_ok=True)  # stale or damaged: rebuild below
    shipped = bundled_engines_dir() / cached.name  # the same graph's engine, if it ships
    if shipped.is_file():
        return read_engine(shipped)
    engine = build_engine(
        read_graph_file(path, network_type=network_type),
        directed=directed,
        key=cached.stem,
    )
    # a read-only or full cache folder only costs the conversion next time
    with contextlib.suppress(OSError):
        save_engine(engine, cached)
    return engine
