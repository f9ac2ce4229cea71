"""Where street networks live on disk, and how files get there safely.

Layout of the cache folder (``--cache-dir``, else ``$CLUSTERMAP_CACHE_DIR``, else
``~/.cache/clustermap``)::

    networks/<cluster>.graphml        the OSMnx graph of a cluster (unprojected, EPSG:4326)
    networks/<cluster>.json           where it came from: source, date, size, bbox
    networks/engine-<hash>.npz        the graph as CSR arrays, keyed by the graph file's hash
    osmnx/                            OSMnx's own HTTP cache (downloads only)

Graphs that ship with clustermap (``data/networks/<cluster>.graphml`` with its ``.json``,
see :func:`geo._resources.bundled_dir`) are consulted after the cache and never written:
their engines are cached in the folder above like any other.

Every file is written to a temporary file in the same folder and moved into place with
:func:`os.replace`, so a failed download or an interrupted write never leaves a
half-written file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from geo._resources import bundled_dir
from geo.atomic import write_text
from geo.errors import ParameterError
from geo.paths import resolve_cache_dir

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def networks_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder holding cached networks (it may not exist yet)."""
    return resolve_cache_dir(cache_dir) / "networks"


def _checked_id(cluster_id: str) -> str:
    if not _SAFE_ID.match(cluster_id) or ".." in cluster_id:
        msg = f"cluster id {cluster_id!r} cannot name a cache file (letters, digits, - _ . only)"
        raise ParameterError(msg)
    return cluster_id


def graph_path(cluster_id: str, *, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of a cluster's cached GraphML file."""
    return networks_dir(cache_dir) / f"{_checked_id(cluster_id)}.graphml"


def meta_path(cluster_id: str, *, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of the JSON file describing a cluster's cached network."""
    return networks_dir(cache_dir) / f"{_checked_id(cluster_id)}.json"


def bundled_graph_path(cluster_id: str) -> Path:
    """Return where a bundled (read-only) GraphML file of a cluster would be."""
    return bundled_dir("networks") / f"{_checked_id(cluster_id)}.graphml"


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(target: Path, data: dict[str, Any]) -> None:
    """Write a JSON document atomically."""
    write_text(target, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
