"""Named areas: an analyst's own street graph, registered once under a name.

``import_area(path, name=...)`` reads any street graph (an OSMnx/pyrosm GraphML, a GraphML
written by networkx with ``x``/``y`` node attributes, or OSM XML), checks it, and caches
it in the user's network cache::

    networks/areas/<name>.graphml     the graph, rewritten by OSMnx (integer node ids, crs)
    networks/areas/<name>.json        source file, its SHA-256, date, nodes, edges, extent

Both are written atomically, and the graph's engine (:func:`geo.network.load_engine`) is
built at import, so the first question asked of the area does not pay the conversion.
Names are slugs (:data:`AREA_NAME`); the command line refuses the id of a registry
cluster, so ``network info NAME`` is never ambiguous.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj

from geo.atomic import atomic_path
from geo.errors import InputDataError, ParameterError, Problems, UnknownIdError, quote
from geo.network._cache import file_sha256, networks_dir, write_json
from geo.network.engine import StreetEngine, load_engine
from geo.network.source import GRAPHML_SUFFIXES, file_suffix, read_graph_file

AREA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
"""An area name: 1 to 64 lowercase letters, digits and hyphens, not starting with a hyphen."""

CacheDir = str | os.PathLike[str] | None


@dataclass(frozen=True)
class AreaInfo:
    """A registered area's street graph.

    Attributes
    ----------
    name
        The area's name.
    path
        The cached GraphML file.
    source_file
        The file it was imported from (absolute path).
    source_sha256
        Hash of that file at import.
    imported
        When it was imported (ISO 8601, UTC).
    crs
        The graph's CRS (as given by the file, or by ``crs=``).
    nodes, edges
        Graph size (edges as stored: a two-way street is usually two edges).
    bbox
        ``(west, south, east, north)`` in degrees (EPSG:4326).
    """

    name: str
    path: Path
    source_file: str
    source_sha256: str
    imported: str
    crs: str
    nodes: int
    edges: int
    bbox: tuple[float, float, float, float]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        data = asdict(self)
        data["path"] = str(self.path)
        data["bbox"] = list(self.bbox)
        return data


def areas_dir(cache_dir: CacheDir = None) -> Path:
    """Return the folder holding registered areas (it may not exist yet)."""
    return networks_dir(cache_dir) / "areas"


def check_area_name(name: str) -> str:
    """Return ``name`` if it is a valid area name, else raise :class:`ParameterError`."""
    if not AREA_NAME.match(name):
        msg = (
            f"area name {quote(name)} is not valid: use 1 to 64 lowercase letters, digits "
            "and hyphens (e.g. 'delft-centre')"
        )
        raise ParameterError(msg)
    return name


def area_path(name: str, *, cache_dir: CacheDir = None) -> Path:
    """Return the cached GraphML file of an area (it may not exist)."""
    return areas_dir(cache_dir) / f"{check_area_name(name)}.graphml"


def has_area(name: str, *, cache_dir: CacheDir = None) -> bool:
    """Return whether an area of that name is registered (False for an invalid name)."""
    return bool(AREA_NAME.match(name)) and area_path(name, cache_dir=cache_dir).is_file()


def list_areas(*, cache_dir: CacheDir = None) -> list[AreaInfo]:
    """Return every registered area, by name."""
    folder = areas_dir(cache_dir)
    if not folder.is_dir():
        return []
    names = sorted(p.stem for p in folder.glob("*.graphml") if AREA_NAME.match(p.stem))
    return [area_info(name, cache_dir=cache_dir) for name in names]


def area_info(name: str, *, cache_dir: CacheDir = None) -> AreaInfo:
    """Describe a registered area.

    Raises
    ------
    UnknownIdError
        No area of that name is registered.
    """
    path = area_path(name, cache_dir=cache_dir)
    meta = path.with_suffix(".json")
    if not (path.is_file() and meta.is_file()):
        known = [p.stem for p in sorted(areas_dir(cache_dir).glob("*.json"))]
        raise UnknownIdError("area", name, known)
    data = json.loads(meta.read_text(encoding="utf-8"))
    data["path"] = path
    data["bbox"] = tuple(data["bbox"])
    return AreaInfo(**data)


def area_engine(name: str, *, cache_dir: CacheDir = None) -> StreetEngine:
    """Return the street engine of a registered area (converted once, then cached)."""
    info = area_info(name, cache_dir=cache_dir)
    return load_engine(info.path, cache_dir=cache_dir)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _normalised(graph: nx.Graph, *, crs: str | None, name: str) -> nx.MultiDiGraph:
    """Check a graph read by networkx and return it as OSMnx expects it (every problem at
    once): a MultiDiGraph with integer node ids, float ``x``/``y`` and a ``crs``."""
    problems = Problems()
    if graph.number_of_nodes() == 0:
        raise InputDataError(f"{name}: the graph has no nodes")
    if graph.number_of_edges() == 0:
        problems.add("the graph has no edges")
    xs = np.array([_number(d.get("x")) for _, d in graph.nodes(data=True)])
    ys = np.array([_number(d.get("y")) for _, d in graph.nodes(data=True)])
    bad = np.flatnonzero(~(np.isfinite(xs) & np.isfinite(ys)))
    if len(bad):
        ids = ", ".join(str(n) for n in np.asarray(list(graph.nodes), dtype=object)[bad[:5]])
        problems.add(f"{len(bad)} nodes have no numeric x/y attributes (e.g. {ids})")
    given = crs or graph.graph.get("crs")
    graph_crs = None
    if given is None:
        problems.add("the graph has no crs attribute: give its CRS (e.g. EPSG:4326)")
    else:
        try:
            graph_crs = pyproj.CRS.from_user_input(given)
        except pyproj.exceptions.CRSError:
            problems.add(f"the graph's CRS {quote(str(given))} is not a known CRS")
    in_range = (np.abs(xs) <= 180).all() and (np.abs(ys) <= 90).all()
    if graph_crs is not None and graph_crs.is_geographic and not len(bad) and not in_range:
        problems.add("node coordinates are beyond ±180/±90 while the CRS is lon/lat")
    if problems:
        raise InputDataError(f"{name}: " + "; ".join(problems.lines), problems.lines)
    assert graph_crs is not None
    out = nx.MultiDiGraph(graph) if not graph.is_multigraph() or not graph.is_directed() else graph
    nodes = list(out.nodes)
    try:
        as_int = [int(n) for n in nodes]
        relabel = len(set(as_int)) != len(nodes)
    except (TypeError, ValueError):
        relabel = True
    mapping = (
        {n: i for i, n in enumerate(nodes)} if relabel else dict(zip(nodes, as_int, strict=True))
    )
    if relabel:
        for n in nodes:
            out.nodes[n]["source_id"] = str(n)
    out = nx.relabel_nodes(out, mapping, copy=True)
    for n, x, y in zip(out.nodes, xs, ys, strict=True):
        out.nodes[n]["x"], out.nodes[n]["y"] = float(x), float(y)
    for key in ("node_default", "edge_default"):  # networkx's reader adds them
        out.graph.pop(key, None)
    out.graph["crs"] = graph_crs.to_string()
    return out


def read_area_graph(path: str | os.PathLike[str], *, crs: str | None = None) -> nx.MultiDiGraph:
    """Read and check a street graph file for :func:`import_area`.

    GraphML is read with networkx (so a graph not written by OSMnx works too: nodes need
    ``x``/``y``; the graph a ``crs`` attribute, or ``crs=``); OSM XML goes through
    :func:`geo.network.read_graph_file` (walkable ways only).

    Raises
    ------
    InputDataError
        The file is missing, not a graph, or has no nodes, no edges, no coordinates or no CRS.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputDataError(f"graph file {str(path)!r} does not exist")
    if file_suffix(path) not in GRAPHML_SUFFIXES:
        return read_graph_file(path)
    try:
        graph = nx.read_graphml(path)
    except Exception as exc:  # expat, networkx and value errors alike
        msg = f"{path.name}: not a GraphML graph ({str(exc).splitlines()[0][:200]})"
        raise InputDataError(msg) from exc
    return _normalised(graph, crs=crs, name=path.name)


def import_area(
    path: str | os.PathLike[str],
    *,
    name: str,
    crs: str | None = None,
    cache_dir: CacheDir = None,
) -> AreaInfo:
    """Register a street graph under ``name`` in the network cache (replacing any).

    Parameters
    ----------
    path
        GraphML (OSMnx, pyrosm or networkx with ``x``/``y`` node attributes) or OSM XML.
    name
        The area's name (:data:`AREA_NAME`).
    crs
        The graph's CRS when the file does not say it (GraphML only).
    cache_dir
        Cache folder; see :func:`geo.network.resolve_cache_dir`.

    Raises
    ------
    ParameterError
        The name is not valid.
    InputDataError
        The file is not a usable street graph (see :func:`read_area_graph`).
    """
    check_area_name(name)
    source = Path(path).expanduser()
    graph = read_area_graph(source, crs=crs)
    target = area_path(name, cache_dir=cache_dir)
    with atomic_path(target) as tmp:
        ox.save_graphml(graph, tmp)
        try:
            engine = load_engine(tmp, cache_dir=cache_dir)  # checks and caches the conversion
        except InputDataError as exc:
            raise InputDataError(f"{source.name}: {exc}") from exc
        except Exception as exc:  # an attribute OSMnx cannot parse back (e.g. bad geometry)
            msg = f"{source.name}: cannot use the graph: {str(exc).splitlines()[0][:200]}"
            raise InputDataError(msg) from exc
    info = AreaInfo(
        name=name,
        path=target,
        source_file=str(source.resolve()),
        source_sha256=file_sha256(source),
        imported=datetime.now(UTC).replace(microsecond=0).isoformat(),
        crs=str(graph.graph["crs"]),
        nodes=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        bbox=(
            float(engine.lon.min()),
            float(engine.lat.min()),
            float(engine.lon.max()),
            float(engine.lat.max()),
        ),
    )
    meta = info.to_dict()
    del meta["path"]
    write_json(target.with_suffix(".json"), meta)
    return info
