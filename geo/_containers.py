"""Checks of the containers GDAL reads (zipped shapefiles, GeoPackages), made by counting
what is decoded, never trusting what a header declares.

* A zip is extracted by :func:`extracted_shapefile`: its members are streamed to a
  temporary folder and their decoded bytes counted, stopping at the cap; GDAL then reads
  plain files (it never decompresses the zip itself, whose central directory may lie).
* A shapefile's ``.dbf`` is bounded by its header's records times record length, and its
  field count, before GDAL reads a record (:func:`check_dbf`).
* A GeoPackage is inspected with Python's :mod:`sqlite3` before GDAL opens it
  (:func:`check_geopackage`): its layers must be plain tables (a view or a generated
  column can compute any amount of data from a tiny file, e.g. ``zeroblob``), it may hold
  no virtual table but an R-tree index, and its rows are counted from the data. So the
  geometries GDAL decodes are bytes stored in the file: never more than the upload.
"""

from __future__ import annotations

import contextlib
import errno
import io
import re
import sqlite3
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from geo.errors import InputDataError, TooLargeError, listing, quote

__all__ = [
    "MAX_COLUMNS",
    "check_count",
    "check_dbf",
    "check_geopackage",
    "extracted_shapefile",
]

#: Most columns (attributes) a file may have.
MAX_COLUMNS = 10_000

_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_STREAM_BYTES = 1 << 20
_RTREE = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\s+.*?\bUSING\s+rtree\s*\(", re.I | re.S)


def check_count(count: int, *, name: str, max_points: int | None) -> None:
    """Refuse ``count`` features beyond ``max_points`` (None: no limit)."""
    if max_points is not None and count > max_points:
        msg = f"{name}: holds {count:,} features, more than the limit of {max_points:,} points"
        raise TooLargeError(msg)


def check_bytes(size: int, *, name: str, max_bytes: int | None) -> None:
    """Refuse ``size`` decoded bytes beyond ``max_bytes`` (None: no limit)."""
    if max_bytes is not None and size > max_bytes:
        msg = f"{name}: decodes to {size:,} bytes, more than the limit of {max_bytes:,}"
        raise TooLargeError(msg)


def check_columns(count: int, *, name: str) -> None:
    """Refuse a file of more than :data:`MAX_COLUMNS` columns."""
    if count > MAX_COLUMNS:
        msg = f"{name}: holds {count:,} columns, more than the limit of {MAX_COLUMNS:,} columns"
        raise TooLargeError(msg)


# --------------------------------------------------------------------------- zip


def _write(sink: BinaryIO, block: bytes, *, name: str) -> None:
    """Write an extracted block; a process whose file size is capped (``RLIMIT_FSIZE``, as
    in the upload cage) gets ``EFBIG``, a size limit like the decoded-byte one."""
    try:
        sink.write(block)
    except OSError as exc:
        if exc.errno != errno.EFBIG:
            raise
        msg = f"{name}: decodes to more than this reader may write to disk"
        raise TooLargeError(msg) from exc


@contextlib.contextmanager
def extracted_shapefile(data: bytes, *, name: str, max_bytes: int | None) -> Iterator[Path]:
    """The ``.shp`` of a zip holding one shapefile's parts and nothing else, extracted to a
    temporary folder (removed on exit) with its sidecar files.

    Raises
    ------
    InputDataError
        If the zip is unreadable, holds anything but one shapefile's parts, or its ``.shp``
        is not a shapefile.
    TooLargeError
        If its entries declare, or decode to, more than ``max_bytes``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, tempfile.TemporaryDirectory() as tmp:
            parts = _shapefile_parts(archive, name=name, max_bytes=max_bytes)
            folder = Path(tmp)
            decoded = 0
            for member in parts:
                target = folder / ("upload" + PurePosixPath(member.filename).suffix.lower())
                with archive.open(member) as source, target.open("wb") as sink:
                    while block := source.read(_STREAM_BYTES):
                        decoded += len(block)
                        if max_bytes is not None and decoded > max_bytes:
                            msg = (
                                f"{name}: decodes to more than {max_bytes:,} bytes (more than "
                                f"its entries declare), more than the limit of {max_bytes:,}"
                            )
                            raise TooLargeError(msg)
                        _write(sink, block, name=name)
            shp = folder / "upload.shp"
            with shp.open("rb") as handle:
                if handle.read(4) != _SHP_MAGIC:
                    member = next(m for m in parts if m.filename.lower().endswith(".shp"))
                    msg = f"{name}: {quote(member.filename)} is not a shapefile"
                    raise InputDataError(msg)
            yield shp
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError) as exc:
        msg = f"{name}: not a readable zip ({exc})"  # RuntimeError: encrypted
        raise InputDataError(msg) from exc


def _shapefile_parts(
    archive: zipfile.ZipFile, *, name: str, max_bytes: int | None
) -> list[zipfile.ZipInfo]:
    """The parts of the zip's one shapefile (same folder and name as its ``.shp``; one
    per extension), after checking it holds nothing else and what its entries declare."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    others = [
        m.filename
        for m in members
        if PurePosixPath(m.filename).suffix.lower() not in _SHAPEFILE_PARTS
    ]
    shps = [m for m in members if m.filename.lower().endswith(".shp")]
    if others or len(shps) != 1:
        msg = (
            f"{name}: a zip must hold exactly one shapefile (.shp, .shx, .dbf, .prj, "
            f".cpg) and nothing else; it holds {len(shps)} .shp"
            + (f" and {quote(others[0])}" if others else "")
        )
        raise InputDataError(msg)
    check_bytes(sum(m.file_size for m in members), name=name, max_bytes=max_bytes)
    stem = PurePosixPath(shps[0].filename.lower()).with_suffix("")
    parts: dict[str, zipfile.ZipInfo] = {}
    for member in members:
        path = PurePosixPath(member.filename.lower())
        if path.with_suffix("") == stem:
            parts.setdefault(path.suffix, member)
    return list(parts.values())


# --------------------------------------------------------------------------- dbf


def check_dbf(shp: Path, *, name: str, max_bytes: int | None, max_points: int | None) -> None:
    """Bound the ``.dbf`` beside ``shp`` by its header before GDAL reads it: records
    times record length within ``max_bytes``, records within ``max_points``, fields within
    :data:`MAX_COLUMNS`."""
    dbf = shp.with_suffix(".dbf")
    if not dbf.is_file():
        return
    with dbf.open("rb") as handle:
        head = handle.read(12)
    if len(head) < 12:
        msg = f"{name}: its .dbf is too short to be a dBASE table"
        raise InputDataError(msg)
    records, header, width = struct.unpack("<IHH", head[4:12])
    check_columns(max(0, (header - 33) // 32), name=name)
    check_count(records, name=name, max_points=max_points)
    if max_bytes is not None and records * width > max_bytes:
        msg = (
            f"{name}: its .dbf declares {records:,} records of {width:,} bytes, more than "
            f"the limit of {max_bytes:,} bytes"
        )
        raise TooLargeError(msg)


# --------------------------------------------------------------------------- GeoPackage


def check_geopackage(
    source: bytes | Path, *, name: str, layer: str | None, max_points: int | None
) -> None:
    """Refuse a GeoPackage whose layers are not plain tables (see the module doc), or whose
    layer (``layer``, or every layer) holds more than ``max_points`` rows.

    Raises
    ------
    InputDataError
        For a view, a virtual table or a generated column, or an unreadable database.
    TooLargeError
        Beyond ``max_points`` rows.
    """
    try:
        with contextlib.closing(_connect(source)) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            schema = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
            virtual = [
                str(table)
                for kind, table, sql in schema
                if kind == "table"
                and re.match(r"\s*CREATE\s+VIRTUAL\b", str(sql or ""), re.I)
                and not _RTREE.match(str(sql))
            ]
            if virtual:
                msg = (
                    f"{name}: holds the virtual table {listing(virtual)}; a GeoPackage may "
                    "hold plain tables only (and R-tree indexes)"
                )
                raise InputDataError(msg)
            kinds = {str(table).lower(): str(kind) for kind, table, _sql in schema}
            layers = [str(row[0]) for row in db.execute("SELECT table_name FROM gpkg_contents")]
            for table in [layer] if layer is not None and layer in layers else layers:
                kind = kinds.get(table.lower())
                _check_table(db, table, kind=kind, name=name, max_points=max_points)
    except sqlite3.Error as exc:
        msg = f"{name}: not a readable GeoPackage ({quote(exc)})"
        raise InputDataError(msg) from exc


def _connect(source: bytes | Path) -> sqlite3.Connection:
    """A read-only look at the database: its bytes in memory, or its file immutable."""
    if isinstance(source, Path):
        return sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    db = sqlite3.connect(":memory:")
    db.deserialize(source)
    return db


def _check_table(
    db: sqlite3.Connection, table: str, *, kind: str | None, name: str, max_points: int | None
) -> None:
    if kind != "table":
        what = "a view" if kind == "view" else "no table"
        msg = f"{name}: the layer {quote(table)} is {what}; a GeoPackage's layers must be tables"
        raise InputDataError(msg)
    quoted = '"' + table.replace('"', '""') + '"'
    columns = db.execute(f"PRAGMA table_xinfo({quoted})").fetchall()
    check_columns(len(columns), name=name)
    generated = [str(c[1]) for c in columns if c[6] in (2, 3)]
    if generated:
        msg = (
            f"{name}: the layer {quote(table)} has the generated column {listing(generated)}; "
            "a GeoPackage's columns must hold stored values"
        )
        raise InputDataError(msg)
    if max_points is not None:
        (count,) = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()
        check_count(int(count), name=name, max_points=max_points)
