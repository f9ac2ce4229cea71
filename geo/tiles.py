"""A point file as vector tiles: a Morton-ordered index built once, cached on disk, and the
content of any tile ``z/x/y`` read from it by binary search.

**Index.** Every point of the file (read by :mod:`geo.columns`, one pyproj transformer to
Web Mercator) is quantised to 32-bit world coordinates ``X = floor(u · 2^32)`` and
``Y = floor(v · 2^32)``, with ``u = (mx + H) / 2H`` and ``v = (H - my) / 2H`` in float64
(``H = 20037508.342789244`` m: the world is ``[0, 1)`` on each axis, ``v`` from the north;
points beyond it are clamped to its edge). The points are sorted by the Morton key of
``(X, Y)`` (bits interleaved, a ``uint64``). The index is one uncompressed Arrow IPC file
holding, in that order, the keys, ``X``, ``Y``, their running sums (for the centroids of
aggregated cells), each point's label (at most :data:`LABEL_CHARS` characters) and
category. It is written atomically in ``<cache>/points/`` under the SHA-256 of the file's
bytes (streamed, about 1.4 GB/s here: a start re-hashes a 1 GB file in under a second)
and read memory-mapped: a server's resident memory holds only the pages its tiles touch.

**Tiles.** A tile ``z/x/y`` is the range of keys whose top ``2z`` bits are the Morton
code of ``(x, y)``: two binary searches. A point belongs to the tile when
``x <= u · 2^z < x + 1`` and ``y <= v · 2^z < y + 1`` (half-open:
the west and north edges belong to the tile, the east and south edges to its
neighbours), so a point on a shared edge is in exactly one tile. A tile holding at most
:data:`POINT_LIMIT` points gives each point (``count`` 1, ``label``, ``category``); a
fuller one gives the non-empty cells of a :data:`CELLS` by :data:`CELLS` grid (each cell
is the tile ``CELL_BITS`` zooms down, again one key range), each at the centroid of its
points with their ``count``. Either way the counts sum to the points in the tile, exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo.atomic import atomic_path
from geo.errors import ParameterError
from geo.mvt import EXTENT, encode_points

__all__ = [
    "CELLS",
    "CELL_BITS",
    "HALF_WORLD_M",
    "LABEL_CHARS",
    "MAX_ZOOM",
    "POINT_LIMIT",
    "PointIndex",
    "TileContent",
    "build_index",
    "check_tile",
    "content_digest",
    "index_files",
    "index_points",
    "morton",
    "open_index",
    "quantise",
    "tile_content",
    "tile_mvt",
]

#: Half the width of the Web Mercator world, in metres (π · 6378137).
HALF_WORLD_M = 20037508.342789244
#: Latitudes beyond this are clamped to the world's edge (Web Mercator's limit).
_MAX_LAT = 85.0511287798066
#: Deepest zoom served: tile coordinates keep their full 4096 precision down to it.
MAX_ZOOM = 32 - 12
#: A tile with at most this many points gives each point; a fuller one, cells.
POINT_LIMIT = 5000
#: Cells per tile side are 2^CELL_BITS.
CELL_BITS = 6
CELLS = 1 << CELL_BITS
#: Characters of a label kept in the index.
LABEL_CHARS = 64
#: Column names taken as a point's label, then as its category (any case), first match wins.
LABEL_COLUMNS = ("name", "nom", "label", "title", "enseigne1Etablissement", "siret", "id")
CATEGORY_COLUMNS = ("category", "categorie", "activitePrincipaleEtablissement", "naf", "type")
#: The layer's name in every tile.
LAYER = "points"
#: Changes when the index format does: older files are rebuilt, not misread.
INDEX_VERSION = 1


@dataclass(frozen=True)
class PointIndex:
    """A point file's tile index, memory-mapped.

    Attributes
    ----------
    path
        The index file.
    digest
        SHA-256 of the point file's bytes: the index's key.
    count
        Points indexed.
    bounds
        West, south, east, north of the points, in degrees.
    label_column, category_column
        The columns the labels and categories come from (None: none).
    built
        True when this call built the index, False when it was read from the cache.
    seconds
        Time the build took (0 when read from the cache).
    """

    path: Path
    digest: str
    count: int
    bounds: tuple[float, float, float, float]
    label_column: str | None
    category_column: str | None
    built: bool
    seconds: float
    keys: np.ndarray
    x: np.ndarray
    y: np.ndarray
    sum_x: np.ndarray
    sum_y: np.ndarray
    labels: pa.Array
    categories: pa.Array

    def center(self) -> tuple[float, float, int]:
        """Longitude, latitude and a zoom showing the whole of :attr:`bounds`."""
        west, south, east, north = self.bounds
        width = max(east - west, north - south, 1e-9)
        zoom = int(min(MAX_ZOOM, max(0, math.floor(math.log2(360 / width)))))
        return (west + east) / 2, (south + north) / 2, zoom


@dataclass(frozen=True)
class TileContent:
    """The features of one tile: tile coordinates in [0, 4096), ``y`` down.

    ``cells`` is True when the features are aggregated cells (``labels`` and
    ``categories`` are then None); ``counts`` is each feature's number of points.
    """

    x: np.ndarray
    y: np.ndarray
    counts: np.ndarray
    cells: bool
    labels: list[str] | None = None
    categories: list[str] | None = None

    @property
    def total(self) -> int:
        """Points in the tile."""
        return int(self.counts.sum())


def content_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 4 MB blocks (hex)."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def quantise(mx: np.ndarray, my: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator metres -> 32-bit world coordinates ``(X, Y)``, ``Y`` from the north,
    clamped to the world (uint32): ``X = floor(u · 2^32)`` with ``u = (mx + H) / 2H``."""
    top = float(2**32 - 1)
    width = 2 * HALF_WORLD_M
    with np.errstate(invalid="ignore"):
        u = (np.asarray(mx, dtype=float) + HALF_WORLD_M) / width
        v = (HALF_WORLD_M - np.asarray(my, dtype=float)) / width
        qx = np.clip(np.floor(u * 2.0**32), 0, top)
        qy = np.clip(np.floor(v * 2.0**32), 0, top)
    return qx.astype(np.uint32), qy.astype(np.uint32)


def _spread(v: np.ndarray) -> np.ndarray:
    """The bits of 32-bit integers moved to the even bits of 64-bit ones."""
    v = v.astype(np.uint64)
    for shift, mask in (
        (16, 0x0000FFFF0000FFFF),
        (8, 0x00FF00FF00FF00FF),
        (4, 0x0F0F0F0F0F0F0F0F),
        (2, 0x3333333333333333),
        (1, 0x5555555555555555),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def morton(qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
    """The Morton (Z-order) key of each ``(X, Y)``: X's bits at even positions (uint64)."""
    return _spread(np.asarray(qx)) | (_spread(np.asarray(qy)) << np.uint64(1))


def _tile_range(z: int, x: int, y: int) -> tuple[int, int]:
    """The keys ``[lo, hi)`` of tile ``z/x/y`` (Python integers, ``hi`` may be 2^64)."""
    prefix = int(morton(np.array([x], np.uint32), np.array([y], np.uint32))[0])
    width = 1 << (64 - 2 * z)
    return prefix * width, (prefix + 1) * width


def _lonlat(qx: float, qy: float) -> tuple[float, float]:
    """Degrees of a world coordinate (inverse Web Mercator)."""
    lon = qx / 2.0**32 * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * qy / 2.0**32))))
    return lon, lat


def index_points(
    mx: np.ndarray,
    my: np.ndarray,
    *,
    labels: Sequence[str] | pa.Array | None = None,
    categories: Sequence[str] | pa.Array | None = None,
) -> pa.Table:
    """The index table of points in Web Mercator metres (see the module rules).

    Parameters
    ----------
    mx, my
        Web Mercator (EPSG:3857) coordinates, metres.
    labels, categories
        Text per point (None: empty).
    """
    qx, qy = quantise(mx, my)
    keys = morton(qx, qy)
    order = np.argsort(keys, kind="stable")
    n = len(keys)
    keys, qx, qy = keys[order], qx[order], qy[order]
    text = {}
    for name, values in (("label", labels), ("category", categories)):
        if values is None:
            array = pa.array([""] * n, pa.large_string())
        else:
            array = values if isinstance(values, pa.Array) else pa.array(values, pa.large_string())
        array = array.cast(pa.large_string()).fill_null("")
        array = array.take(pa.array(order))
        if name == "label":
            array = pc.utf8_slice_codeunits(array, 0, LABEL_CHARS)
        else:
            array = array.dictionary_encode()
        text[name] = array
    return pa.table(
        {
            "key": keys,
            "x": qx,
            "y": qy,
            "sum_x": np.cumsum(qx, dtype=np.int64),
            "sum_y": np.cumsum(qy, dtype=np.int64),
            **text,
        }
    )


def _pick(columns: Sequence[str], wanted: Sequence[str]) -> str | None:
    by_lower = {c.lower(): c for c in columns}
    return next((by_lower[w.lower()] for w in wanted if w.lower() in by_lower), None)


def _read_mercator(
    path: Path, *, options: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, dict[str, Any], dict[str, str | None]]:
    """Web Mercator coordinates of every point of a file, its label and category text, and
    the columns they come from (``{"label": ..., "category": ...}``, None: none)."""
    import pyproj

    from geo.columns import NeedsFullReader, full_reader, open_columns

    try:
        names = open_columns(path, **options).columns
    except NeedsFullReader:
        names = full_reader(path, **options).columns
    picked = {
        "label": _pick(names, LABEL_COLUMNS),
        "category": _pick(names, CATEGORY_COLUMNS),
    }
    wanted = [c for c in picked.values() if c is not None]

    def read(reader: Any) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, list[Any]]]:
        to_mercator = pyproj.Transformer.from_crs(reader.crs, 3857, always_xy=True)
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        text: dict[str, list[Any]] = {c: [] for c in wanted}
        for chunk in reader.chunks():
            cx, cy = chunk.x, chunk.y
            if reader.crs.is_geographic:
                cy = np.clip(cy, -_MAX_LAT, _MAX_LAT)
            mx, my = to_mercator.transform(cx, cy)
            xs.append(np.asarray(mx))
            ys.append(np.asarray(my))
            for c in wanted:
                text[c].append(chunk.values[c].cast(pa.large_string()))
        return xs, ys, text

    try:
        xs, ys, text = read(open_columns(path, columns=wanted, **options))
    except NeedsFullReader:
        xs, ys, text = read(full_reader(path, columns=wanted, **options))
    values = {
        role: pa.chunked_array(text[c], pa.large_string()).combine_chunks()
        for role, c in picked.items()
        if c is not None
    }
    return np.concatenate(xs), np.concatenate(ys), values, picked


def build_index(
    path: str | Path,
    *,
    cache_dir: str | Path,
    crs: str | None = None,
    read: Mapping[str, Any] | None = None,
) -> PointIndex:
    """The tile index of a point file: read from ``cache_dir`` when it holds one for these
    bytes, else built and written there atomically.

    Parameters
    ----------
    path
        A point file in any format :func:`geo.columns.open_columns` reads.
    cache_dir
        The cache folder (the index goes in its ``points/`` folder).
    crs
        The CRS of a file's coordinates when the file does not say (as ``--crs``).
    read
        Further options of :func:`geo.points.read_points` (coordinate columns,
        ``drop_invalid``, ``max_points``; a ``crs`` there wins over ``crs``).

    Raises
    ------
    InputDataError, ParameterError, TooLargeError
        As :func:`geo.points.read_points`, for a file that cannot be read.
    """
    path = Path(path)
    digest = content_digest(path)
    options = {k: v for k, v in {"crs": crs, **(read or {})}.items() if v is not None}
    spec = json.dumps(options, sort_keys=True, default=str)
    tagged = str(options["crs"]) if list(options) == ["crs"] else spec  # a CRS: as before
    tag = "" if not options else "-" + hashlib.sha256(tagged.encode()).hexdigest()[:12]
    target = Path(cache_dir) / "points" / f"{digest}{tag}-v{INDEX_VERSION}.arrow"
    if target.is_file():
        return _open(target, digest=digest, built=False, seconds=0.0)
    start = time.perf_counter()
    mx, my, values, columns = _read_mercator(path, options=options)
    table = index_points(mx, my, labels=values.get("label"), categories=values.get("category"))
    del mx, my, values
    qx, qy = table["x"].to_numpy(), table["y"].to_numpy()
    west, north = _lonlat(float(qx.min()), float(qy.min()))
    east, south = _lonlat(float(qx.max()) + 1, float(qy.max()) + 1)
    meta = {
        "source": path.name,
        "count": table.num_rows,
        "bounds": [west, south, east, north],
        "label_column": columns["label"],
        "category_column": columns["category"],
    }
    table = table.replace_schema_metadata({"clustermap": json.dumps(meta)})
    with (
        atomic_path(target) as tmp,
        pa.OSFile(str(tmp), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table, max_chunksize=max(1, table.num_rows))
    del table
    return _open(target, digest=digest, built=True, seconds=time.perf_counter() - start)


def index_files(
    sources: Mapping[str, Mapping[str, str | None]], *, cache_dir: str | Path
) -> dict[str, PointIndex]:
    """:func:`build_index` of each named file: ``{name: {"path": ..., "crs": ... or None}}``
    (the ``POINTS`` setting's form)."""
    return {
        name: build_index(str(source["path"]), crs=source.get("crs"), cache_dir=cache_dir)
        for name, source in sources.items()
    }


def open_index(path: str | Path) -> PointIndex:
    """An index file written by :func:`build_index`, memory-mapped (its digest is the
    first part of its name)."""
    target = Path(path)
    return _open(target, digest=target.name.split("-")[0], built=False, seconds=0.0)


def _open(target: Path, *, digest: str, built: bool, seconds: float) -> PointIndex:
    """The index file, memory-mapped (no copy of its columns)."""
    table = pa.ipc.open_file(pa.memory_map(str(target))).read_all()
    meta = json.loads(table.schema.metadata[b"clustermap"])

    def column(name: str) -> Any:
        col = table.column(name)
        return col.chunk(0) if col.num_chunks else pa.array([], col.type)

    return PointIndex(
        path=target,
        digest=digest,
        count=int(meta["count"]),
        bounds=tuple(meta["bounds"]),
        label_column=meta["label_column"],
        category_column=meta["category_column"],
        built=built,
        seconds=seconds,
        keys=column("key").to_numpy(),
        x=column("x").to_numpy(),
        y=column("y").to_numpy(),
        sum_x=column("sum_x").to_numpy(),
        sum_y=column("sum_y").to_numpy(),
        labels=column("label"),
        categories=column("category"),
    )


def check_tile(z: int, x: int, y: int) -> None:
    """Raise :class:`ParameterError` unless ``z/x/y`` is a tile: ``0 <= z <= MAX_ZOOM``,
    ``0 <= x, y < 2^z``."""
    if not 0 <= z <= MAX_ZOOM:
        raise ParameterError(f"z must be between 0 and {MAX_ZOOM}, not {z}")
    if not (0 <= x < 1 << z and 0 <= y < 1 << z):
        raise ParameterError(f"x and y must be between 0 and {(1 << z) - 1} at zoom {z}")


def _sums(cumulative: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sums of the values in ``[start, end)`` from their running sums."""
    before = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0)
    return cumulative[ends - 1] - before


def tile_content(
    index: PointIndex, z: int, x: int, y: int, *, point_limit: int = POINT_LIMIT
) -> TileContent:
    """The features of tile ``z/x/y`` (see the module rules).

    Raises
    ------
    ParameterError
        When ``z/x/y`` is not a tile (:func:`check_tile`).
    """
    check_tile(z, x, y)
    lo, hi = _tile_range(z, x, y)
    keys = index.keys
    start = int(np.searchsorted(keys, np.uint64(lo), side="left"))
    end = len(keys) if hi >= 1 << 64 else int(np.searchsorted(keys, np.uint64(hi), side="left"))
    shift = 32 - z  # world units per tile = 2^shift
    x0, y0 = x << shift, y << shift
    if end - start <= point_limit:
        qx = index.x[start:end].astype(np.int64) - x0
        qy = index.y[start:end].astype(np.int64) - y0
        return TileContent(
            x=qx >> (shift - 12),
            y=qy >> (shift - 12),
            counts=np.ones(end - start, dtype=np.int64),
            cells=False,
            labels=index.labels[start:end].to_pylist(),
            categories=index.categories[start:end].cast(pa.large_string()).to_pylist(),
        )
    step = 1 << (64 - 2 * (z + CELL_BITS))
    bounds = np.uint64(lo) + np.arange(CELLS * CELLS, dtype=np.uint64) * np.uint64(step)
    starts = np.searchsorted(keys[start:end], bounds, side="left") + start
    ends = np.append(starts[1:], end)
    counts = ends - starts
    full = counts > 0
    starts, ends, counts = starts[full], ends[full], counts[full]
    scale = EXTENT / float(1 << shift)
    cx = _sums(index.sum_x, starts, ends) / counts - x0
    cy = _sums(index.sum_y, starts, ends) / counts - y0
    return TileContent(
        x=np.clip(np.floor(cx * scale), 0, EXTENT - 1).astype(np.int64),
        y=np.clip(np.floor(cy * scale), 0, EXTENT - 1).astype(np.int64),
        counts=counts.astype(np.int64),
        cells=True,
    )


def tile_mvt(index: PointIndex, z: int, x: int, y: int) -> bytes:
    """Tile ``z/x/y`` as a Mapbox Vector Tile (not compressed; empty when no point).

    Its one layer, :data:`LAYER`, has ``count`` on every feature, and ``label`` and
    ``category`` on the individual points.
    """
    content = tile_content(index, z, x, y)
    properties: dict[str, Any] = {"count": content.counts.tolist()}
    if not content.cells:
        properties["label"] = content.labels
        properties["category"] = content.categories
    return encode_points(content.x, content.y, properties, layer=LAYER)
