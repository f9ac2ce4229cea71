"""Read a point file as coordinate arrays, one chunk of rows at a time, with no geometry
object per point.

:func:`open_columns` gives a :class:`ColumnReader` whose :meth:`~ColumnReader.chunks` yield
the x/y (or lon/lat) of each row as float64 arrays in the file's CRS, with the text of the
columns asked for (``--where``/``--by``) as Arrow arrays.

* **CSV** is parsed by ``pyarrow.csv`` 4 MB of text at a time (one block ahead of the
  caller, in a second thread), its separator taken
  from the header as :mod:`geo.csv_reader` does and its coordinate columns found by
  :func:`geo.points.coordinate_columns`, so the same names, options and messages apply.
* **GeoParquet** is read by row batches (``pyarrow.parquet.ParquetFile.iter_batches``); the
  WKB points of its geometry column are decoded as one buffer when they are plain 2-D
  points, by shapely otherwise.
* **GeoPackage, shapefiles and FlatGeobuf** are read by pyogrio's Arrow stream
  (``pyogrio.raw.open_arrow``), after the checks :func:`geo.formats.gdal_source` makes
  (the data counted, GDAL locked down, the driver GDAL picks, the feature count).
  GeoJSON is parsed by Python, whole (:func:`full_reader`).
* Any file the fast path does not read exactly as :func:`geo.points.read_points` would
  (text that is not UTF-8, a ragged row, a decimal comma, a coordinate that is not a
  number, non-point geometries, a file with no CRS, a layer named) is read whole by
  :func:`geo.points.read_points`, which keeps its messages (:func:`full_reader`). A
  reader signals this by raising :class:`NeedsFullReader`, possibly after some chunks: the
  caller starts again from :func:`full_reader`.

Coordinates are checked chunk by chunk with the rules of :mod:`geo.points` (non-finite,
beyond ±90°/±180°, far outside the CRS's area of use). With ``drop_invalid`` the fast path
drops such rows and warns once at the end, as the full reader does; without it, the first
invalid row hands the file to the full reader, which refuses it naming every problem.
``max_points`` is checked as rows arrive (CSV) or from the file's header, then as rows
arrive (the other formats).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Unpack

import numpy as np
import pyarrow as pa
import pyproj

from geo.errors import InputDataError, TooLargeError
from geo.points import ReadOptions, read_points

__all__ = [
    "CHUNK_ROWS",
    "Chunk",
    "ColumnReader",
    "NeedsFullReader",
    "frame_reader",
    "full_reader",
    "open_columns",
]

#: Rows per chunk of the GeoParquet and GDAL readers.
CHUNK_ROWS = 1 << 20
#: Bytes of CSV text parsed at a time.
_BLOCK_BYTES = 4 << 20
_HEAD_BYTES = 65536


class NeedsFullReader(Exception):  # noqa: N818 - a signal between readers, not an error
    """The fast reader cannot read this file exactly as :func:`geo.points.read_points`
    would; read it with :func:`full_reader` instead."""


@dataclass
class Chunk:
    """Rows of a point file: coordinates in the file's CRS and the text columns asked for."""

    x: np.ndarray
    y: np.ndarray
    values: dict[str, pa.Array]
    bytes_read: int


@dataclass
class _Invalid:
    """Rows dropped so far (``drop_invalid``), and what the lat/lon swap test needs."""

    rows: int = 0
    first: list[int] = field(default_factory=list)
    count: int = 0
    finite: int = 0
    bad_lat: int = 0
    bad_lon: int = 0
    x_beyond_90: bool = False


@dataclass
class ColumnReader:
    """A point file opened for reading in chunks.

    Attributes
    ----------
    name
        The file's name in messages.
    crs
        The CRS of the coordinates the chunks hold.
    columns
        Every column of the file (for messages about unknown columns).
    total_bytes
        The file's size, for progress.
    """

    name: str
    crs: pyproj.CRS
    columns: list[str]
    total_bytes: int
    _batches: Callable[[], Iterator[Chunk]]
    drop_invalid: bool = False
    _bounds: tuple[float, float, float, float] | None = None
    _invalid: _Invalid = field(default_factory=_Invalid)

    def chunks(self) -> Iterator[Chunk]:
        """Every row with valid coordinates, in file order (see the module rules)."""
        from geo.points import valid_bounds

        self._bounds = None if self.crs.is_geographic else valid_bounds(self.crs)
        for chunk in self._batches():
            keep = self._check(chunk.x, chunk.y)
            if keep is not None:
                chunk = Chunk(
                    x=chunk.x[keep],
                    y=chunk.y[keep],
                    values={k: v.filter(pa.array(keep)) for k, v in chunk.values.items()},
                    bytes_read=chunk.bytes_read,
                )
            yield chunk
        self._finish()

    def _check(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray | None:
        """The rows to keep, None for all; NeedsFullReader when the file must be refused."""
        state = self._invalid
        finite = np.isfinite(xs) & np.isfinite(ys)
        with np.errstate(invalid="ignore"):
            if self.crs.is_geographic:
                bad_lat = finite & (np.abs(ys) > 90)
                bad_lon = finite & (np.abs(xs) > 180)
                state.bad_lat += int(bad_lat.sum())
                state.bad_lon += int(bad_lon.sum())
                state.x_beyond_90 |= bool(np.any(np.abs(xs[finite]) > 90))
                invalid = ~finite | bad_lat | bad_lon
            elif self._bounds is not None:
                minx, miny, maxx, maxy = self._bounds
                invalid = ~finite | (xs < minx) | (xs > maxx) | (ys < miny) | (ys > maxy)
            else:
                invalid = ~finite
        state.finite += int(finite.sum())
        offset = state.rows
        state.rows += len(xs)
        if not invalid.any():
            return None
        if not self.drop_invalid:
            raise NeedsFullReader
        bad = np.flatnonzero(invalid)
        state.count += len(bad)
        state.first += [offset + int(i) + 1 for i in bad[: 5 - len(state.first)]]
        return ~invalid

    def _finish(self) -> None:
        """Warn about dropped rows as :mod:`geo.points` does; hand a file with no valid row
        or with swapped lat/lon to the full reader, whose message says so."""
        state = self._invalid
        if state.rows == 0 or state.count == state.rows:
            raise NeedsFullReader
        swapped = state.bad_lat * 2 > state.finite and not state.bad_lon and not state.x_beyond_90
        if self.crs.is_geographic and state.finite and swapped:
            raise NeedsFullReader
        if state.count:
            more = ", ..." if state.count > len(state.first) else ""
            rows = ", ".join(str(r) for r in state.first) + more
            warnings.warn(
                f"{self.name}: dropped {state.count} of {state.rows} rows with invalid "
                f"coordinates (rows {rows})",
                UserWarning,
                stacklevel=2,
            )


def open_columns(
    path: str | Path, *, columns: Sequence[str] = (), **options: Unpack[ReadOptions]
) -> ColumnReader:
    """Open a point file for reading in chunks (see the module rules).

    Parameters
    ----------
    path
        A point file in any format :func:`geo.points.read_points` reads.
    columns
        Further columns to read as text with each chunk.
    **options
        The options of :func:`geo.points.read_points`.

    Raises
    ------
    NeedsFullReader
        When the fast path cannot read the file (read it with :func:`full_reader`); also
        raised while iterating.
    InputDataError, ParameterError, TooLargeError
        As :func:`geo.points.read_points`.
    """
    from geo.formats import sniff

    path = Path(path)
    if not path.is_file():
        raise NeedsFullReader
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    kind = sniff(head, name=str(path))
    if any(options.get(k) is not None for k in ("layer", "max_bytes", "max_chars")):
        raise NeedsFullReader
    if kind == "csv":
        return _csv_reader(path, head, columns=columns, options=options)
    if kind == "parquet":
        return _parquet_reader(path, columns=columns, options=options)
    return _gdal_reader(path, columns=columns, options=options)


def full_reader(
    path: str | Path, *, columns: Sequence[str] = (), **options: Unpack[ReadOptions]
) -> ColumnReader:
    """Read a point file whole with :func:`geo.points.read_points` (every format, every
    message), served as one chunk."""
    return frame_reader(
        read_points(path, **options),
        name=str(path),
        columns=columns,
        size=Path(path).stat().st_size,
    )


def frame_reader(
    gdf: Any, *, name: str, columns: Sequence[str] = (), size: int = 0
) -> ColumnReader:
    """Points already read (a point GeoDataFrame of :mod:`geo.points`, with a CRS) served as
    one chunk, the columns asked for as text."""
    import shapely

    values = gdf.geometry.values
    x, y = np.asarray(shapely.get_x(values)), np.asarray(shapely.get_y(values))
    names = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    wanted = {c: pa.array(gdf[c].astype("string"), from_pandas=True) for c in columns if c in names}

    def batches() -> Iterator[Chunk]:
        yield Chunk(x=x, y=y, values=wanted, bytes_read=size)

    return ColumnReader(
        name=name, crs=pyproj.CRS(gdf.crs), columns=names, total_bytes=size, _batches=batches
    )


# --------------------------------------------------------------------------- CSV


def _header(path: Path, head: bytes) -> tuple[list[str], str]:
    """The column names and separator of a UTF-8 CSV, as :mod:`geo.csv_reader` reads them."""
    from geo.csv_reader import detect_separator, header_names

    line = head.split(b"\n", 1)[0] if b"\n" in head else None
    if line is None:  # a header longer than the head: read the first line
        with path.open("rb") as handle:
            line = handle.readline()
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise NeedsFullReader from None
    if not text.strip():
        raise NeedsFullReader
    sep = detect_separator(text)
    names = header_names(text, sep=sep, name=str(path))
    if len(set(names)) != len(names):  # pandas renames duplicates: leave them to it
        raise NeedsFullReader
    return names, sep


def _csv_reader(
    path: Path, head: bytes, *, columns: Sequence[str], options: ReadOptions
) -> ColumnReader:
    import pyarrow.csv as pacsv

    from geo.points import coordinate_columns

    names, sep = _header(path, head)
    xcol, ycol, crs = coordinate_columns(names, options)
    wanted = [c for c in dict.fromkeys(columns) if c in names and c not in (xcol, ycol)]
    types = {xcol: pa.float64(), ycol: pa.float64(), **dict.fromkeys(wanted, pa.string())}
    max_points = options.get("max_points")
    name = str(path)
    convert = pacsv.ConvertOptions(
        include_columns=[xcol, ycol, *wanted], column_types=types, strings_can_be_null=False
    )

    def batches() -> Iterator[Chunk]:
        rows = 0
        try:
            for table, done in _csv_blocks(path, names=names, sep=sep, convert=convert):
                rows += table.num_rows
                if max_points is not None and rows > max_points:
                    msg = f"{name}: holds more rows than the limit of {max_points:,} points"
                    raise TooLargeError(msg)
                yield Chunk(
                    x=_floats(table.column(xcol)),
                    y=_floats(table.column(ycol)),
                    values={c: table.column(c).combine_chunks() for c in wanted},
                    bytes_read=done,
                )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            raise NeedsFullReader from None

    return ColumnReader(
        name=name,
        crs=crs,
        columns=names,
        total_bytes=path.stat().st_size,
        _batches=batches,
        drop_invalid=bool(options.get("drop_invalid", False)),
    )


def _csv_blocks(
    path: Path, *, names: list[str], sep: str, convert: Any
) -> Iterator[tuple[pa.Table, int]]:
    """The rows of a CSV, parsed :data:`_BLOCK_BYTES` of text at a time (cut after a line
    end), with the bytes read so far. Each block is parsed on one thread, one block ahead
    of the caller, in a second thread: the parsing runs while the caller works on the
    block before. (Arrow's own streaming reader reads some thirty blocks ahead, on threads
    whose heaps keep freed memory.)"""
    import pyarrow.csv as pacsv

    parse = pacsv.ParseOptions(delimiter=sep)

    def parsed(block: bytes, skip: int) -> pa.Table:
        return pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip, use_threads=False),
            parse_options=parse,
            convert_options=convert,
        )

    with path.open("rb") as handle, ThreadPoolExecutor(1, "csv-ahead") as ahead:
        pending: tuple[Future[pa.Table], int] | None = None
        for block, skip, done in _text_blocks(handle):
            future = ahead.submit(parsed, block, skip)
            if pending is not None:
                yield pending[0].result(), pending[1]
            pending = (future, done)
        if pending is not None:
            yield pending[0].result(), pending[1]


def _text_blocks(handle: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """``(text, header rows to skip, bytes read so far)`` of each block of a CSV: about
    :data:`_BLOCK_BYTES`, cut after a line end."""
    skip, carry = 1, b""  # the first block starts with the header line
    while True:
        data = handle.read(_BLOCK_BYTES)
        if data:
            block = carry + data
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # no line end yet: read on
                carry = block
                continue
            block, carry = block[:cut], block[cut:]
        else:
            block, carry = carry, b""
        if block.strip():
            yield block, skip, handle.tell() - len(carry)
            skip = 0
        if not data:
            return


def _floats(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A float64 column as numpy, nulls as NaN."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)


# --------------------------------------------------------------------------- GeoParquet


def _parquet_reader(path: Path, *, columns: Sequence[str], options: ReadOptions) -> ColumnReader:
    import pyarrow.parquet as pq

    from geo._containers import check_count
    from geo.projection import parse_crs

    if any(options.get(k) is not None for k in ("lat", "lon", "x", "y")):
        raise NeedsFullReader  # the full reader says these apply to CSV only
    try:
        meta = pq.ParquetFile(path)
        geo = json.loads(meta.schema_arrow.metadata[b"geo"])
        geometry = geo["primary_column"]
        column = geo["columns"][geometry]
    except Exception:  # no GeoParquet metadata, or not readable: the full reader says which
        raise NeedsFullReader from None
    if str(column.get("encoding", "")).upper() != "WKB":
        raise NeedsFullReader
    declared = column.get("crs", "OGC:CRS84")
    user = options.get("crs")
    if declared is None and user is None:
        raise NeedsFullReader  # the full reader asks for --crs
    crs = parse_crs(user) if declared is None else pyproj.CRS.from_user_input(declared)
    if declared is not None and user is not None and not crs.equals(parse_crs(user)):
        raise NeedsFullReader
    check_count(meta.metadata.num_rows, name=str(path), max_points=options.get("max_points"))
    names = [n for n in meta.schema_arrow.names if n != geometry]
    wanted = [c for c in dict.fromkeys(columns) if c in names]
    size = path.stat().st_size
    total = max(1, meta.metadata.num_rows)

    def batches() -> Iterator[Chunk]:
        done = 0
        for batch in meta.iter_batches(batch_size=CHUNK_ROWS, columns=[geometry, *wanted]):
            x, y = _wkb_xy(batch.column(geometry))
            done += batch.num_rows
            yield Chunk(
                x=x,
                y=y,
                values={c: batch.column(c) for c in wanted},
                bytes_read=size * done // total,
            )

    return ColumnReader(
        name=str(path),
        crs=crs,
        columns=names,
        total_bytes=size,
        _batches=batches,
        drop_invalid=bool(options.get("drop_invalid", False)),
    )


# --------------------------------------------------------------------------- GDAL formats


def _gdal_reader(path: Path, *, columns: Sequence[str], options: ReadOptions) -> ColumnReader:
    """GeoPackage, shapefiles and FlatGeobuf through pyogrio's Arrow stream, from
    :func:`geo.formats.gdal_source` (its checks made, GDAL locked down); GeoJSON is
    read by Python, whole (:func:`full_reader`)."""
    from pyogrio.raw import open_arrow

    from geo.formats import gdal_source, load
    from geo.projection import parse_crs

    if any(options.get(k) is not None for k in ("lat", "lon", "x", "y")):
        raise NeedsFullReader  # the full reader says these apply to CSV only
    name = str(path)
    kind, data = load(path)
    if kind == "json":
        raise NeedsFullReader
    max_points = options.get("max_points")
    try:  # a zip is extracted again to be read: this one is removed at once
        with gdal_source(data, kind=kind, name=name, max_points=max_points) as (_, info):
            pass
    except TooLargeError:
        raise
    except InputDataError:  # unreadable, or refused: the full reader words it
        raise NeedsFullReader from None
    if info["geometry_type"] not in ("Point", "Unknown"):
        raise NeedsFullReader  # non-point geometries: read_points says so
    declared, user = info["crs"], options.get("crs")
    if declared is None and user is None:
        raise NeedsFullReader  # the full reader asks for --crs
    crs = parse_crs(user) if declared is None else pyproj.CRS.from_user_input(declared)
    if declared is not None and user is not None and not crs.equals(parse_crs(user)):
        raise NeedsFullReader
    names = [str(n) for n in info["fields"]]
    wanted = [c for c in dict.fromkeys(columns) if c in names]
    size = path.stat().st_size
    limit = None if max_points is None else max_points + 1  # a header's count may be false

    def batches() -> Iterator[Chunk]:
        rows = 0
        opened = gdal_source(data, kind=kind, name=name, max_points=max_points)
        with opened as (source, _), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension")
            stream = open_arrow(
                source, columns=wanted, max_features=limit, batch_size=CHUNK_ROWS,
                use_pyarrow=True,
            )  # fmt: skip
            with stream as (meta, reader):
                geometry = meta["geometry_name"] or "wkb_geometry"
                total = max(1, int(info["features"]))
                for batch in reader:
                    rows += batch.num_rows
                    if max_points is not None and rows > max_points:
                        msg = f"{name}: holds more features than the limit of {max_points:,} points"
                        raise TooLargeError(msg)
                    x, y = _wkb_xy(batch.column(geometry))
                    yield Chunk(
                        x=x,
                        y=y,
                        values={c: batch.column(c) for c in wanted},
                        bytes_read=min(size, size * rows // total),
                    )

    return ColumnReader(
        name=name,
        crs=crs,
        columns=names,
        total_bytes=size,
        _batches=batches,
        drop_invalid=bool(options.get("drop_invalid", False)),
    )


_WKB_POINT = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _wkb_xy(wkb: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """x and y of WKB points: read as one buffer when every value is a little-endian 2-D
    point (21 bytes), by shapely otherwise; NeedsFullReader for other geometries."""
    import shapely

    if wkb.null_count == 0 and pa.types.is_binary(wkb.type):
        offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int32)[
            wkb.offset : wkb.offset + len(wkb) + 1
        ]
        if len(offsets) and np.all(np.diff(offsets) == 21):
            data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
            points = data.view(_WKB_POINT)
            if np.all(points["order"] == 1) and np.all(points["kind"] == 1):
                return points["x"].astype(float), points["y"].astype(float)
    geoms = shapely.from_wkb(np.asarray(wkb.to_numpy(zero_copy_only=False), dtype=object))
    if not np.all(shapely.get_type_id(geoms) == 0):
        raise NeedsFullReader  # missing or non-point geometries: the full reader reports them
    return shapely.get_x(geoms), shapely.get_y(geoms)
