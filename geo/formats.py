"""Which reader may open a point file: chosen from its first bytes, never from its name.

An uploaded or named file is opened only through an allow-list: its signature picks one
format (:func:`sniff`, :func:`load`), and :func:`read_vector` gives each vector format to
exactly one reader: GDAL with the driver checked, pyarrow for GeoParquet, Python for
GeoJSON. GDAL runs with :data:`GDAL_CONFIG`, which shuts network virtual file systems. A
GDAL VRT (XML) is never opened, so a file cannot make the reader open a local file or a URL
it names. Limits on points and decoded bytes are checked from the data before they are
decoded into Python objects.

=========  ==============================================  ===========================
Format     Signature                                        Reader
=========  ==============================================  ===========================
gpkg       ``SQLite format 3`` with a GeoPackage app. id    GDAL ``GPKG``
zip        ``PK``: one zipped shapefile, nothing else       GDAL ``ESRI Shapefile``
shp        shapefile file code 9994 (a named file only)     GDAL ``ESRI Shapefile``
fgb        ``fgb\\x03``                                      GDAL ``FlatGeobuf``
parquet    ``PAR1``                                         pyarrow (GeoParquet)
json       text starting with ``{`` or ``[``               Python (:mod:`geo._geojson`)
csv        any other text (no NUL bytes, not XML)           :mod:`geo.csv_reader`
=========  ==============================================  ===========================

GDAL runs with an allow-list of drivers (:mod:`geo._gdal`); what it reads is checked
first by counting the data (:mod:`geo._containers`: a zip's decoded bytes, a ``.dbf``'s
records, a GeoPackage's plain tables and rows), and GeoParquet's decoded size is counted
from its data (a dictionary counted once per row that uses it). ``keep`` reads only the
columns a caller needs.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from geo._containers import (
    check_columns,
    check_count,
    check_dbf,
    check_geopackage,
    extracted_shapefile,
)
from geo._gdal import GDAL_CONFIG, restrict_drivers
from geo._geojson import MAX_JSON_DEPTH, json_depth, read_geojson
from geo.errors import InputDataError, TooLargeError, unreadable

__all__ = [
    "GDAL_CONFIG",
    "MAX_JSON_DEPTH",
    "Keep",
    "Kind",
    "gdal_source",
    "json_depth",
    "load",
    "read_vector",
    "sniff",
]

Kind = Literal["gpkg", "zip", "shp", "fgb", "parquet", "json", "csv"]

#: Which columns to read, given every column of a file (None: all of them).
Keep = Callable[[Sequence[str]], Sequence[str]] | None

_DRIVERS: dict[str, str] = {
    "gpkg": "GPKG",
    "zip": "ESRI Shapefile",
    "shp": "ESRI Shapefile",
    "fgb": "FlatGeobuf",
}
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
_ACCEPTED = "GeoPackage, zipped shapefile, FlatGeobuf, GeoParquet, GeoJSON or CSV"
_HEAD_BYTES = 65536


def load(path: Path, *, name: str | None = None) -> tuple[Kind, Path | bytes]:
    """The format of a named file and what to read: its bytes, or its path if a shapefile.

    ``name`` names the file in messages (default: its path).

    Raises
    ------
    InputDataError
        If there is no such file, or :func:`sniff` refuses it.
    """
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InputDataError(msg)
    with path.open("rb") as handle:
        kind = sniff(handle.read(_HEAD_BYTES), name=name or str(path))
    return kind, (path if kind == "shp" else path.read_bytes())


def sniff(data: bytes, *, name: str) -> Kind:
    """The format of content from its first 64 KiB.

    Raises
    ------
    InputDataError
        For XML (a GDAL VRT or any other), an SQLite database that is not a GeoPackage,
        and binary content of no accepted format.
    """
    head = data[:_HEAD_BYTES]
    if head.startswith(b"SQLite format 3\x00"):
        if head[68:72] not in _GPKG_IDS:
            msg = f"{name}: an SQLite database that is not a GeoPackage; use {_ACCEPTED}"
            raise InputDataError(msg)
        return "gpkg"
    signatures: tuple[tuple[bytes, Kind], ...] = (
        (b"PK\x03\x04", "zip"),
        (b"fgb\x03", "fgb"),
        (b"PAR1", "parquet"),
        (_SHP_MAGIC, "shp"),
    )
    for signature, kind in signatures:
        if head.startswith(signature):
            return kind
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") or b"<OGRVRTDataSource" in head:
        msg = f"{name}: XML content (such as a GDAL VRT) is not accepted; use {_ACCEPTED}"
        raise InputDataError(msg)
    if b"\x00" in head:
        msg = f"{name}: binary content of no accepted format; use {_ACCEPTED}"
        raise InputDataError(msg)
    return "json" if text.startswith((b"{", b"[")) else "csv"


def read_vector(
    source: Path | bytes,
    *,
    kind: Kind,
    name: str,
    layer: str | None = None,
    max_points: int | None = None,
    max_bytes: int | None = None,
    keep: Keep = None,
) -> Any:
    """A GeoDataFrame of a vector format's bytes (or a shapefile's path) by its one reader.

    ``keep`` picks the attribute columns to read from every column of the file (default:
    all of them).

    Raises
    ------
    InputDataError
        If the content is CSV, nests deeper than :data:`MAX_JSON_DEPTH` (GeoJSON) or cannot
        be read by the reader of ``kind``.
    TooLargeError
        Beyond ``max_points`` features, ``max_bytes`` decoded or
        :data:`~geo._containers.MAX_COLUMNS` columns.
    """
    limits = {"max_points": max_points, "max_bytes": max_bytes}
    if kind == "csv":
        msg = f"{name}: CSV text, not a vector format ({_ACCEPTED.removesuffix(' or CSV')})"
        raise InputDataError(msg)
    if kind == "json" and isinstance(source, bytes):
        gdf = read_geojson(source, name=name, max_points=max_points)
        names = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        return gdf if keep is None else gdf[[*keep(names), gdf.geometry.name]]
    if kind == "parquet" and isinstance(source, bytes):
        return _read_parquet(source, name=name, keep=keep, **limits)
    return _read_gdal(source, kind=kind, name=name, layer=layer, keep=keep, **limits)


@contextlib.contextmanager
def gdal_source(
    source: Path | bytes,
    *,
    kind: Kind,
    name: str,
    layer: str | None = None,
    max_points: int | None = None,
    max_bytes: int | None = None,
) -> Iterator[tuple[Path | bytes, dict[str, Any]]]:
    """What GDAL may open of a GeoPackage, zipped shapefile, shapefile or FlatGeobuf (its
    bytes, or a local path), and what ``pyogrio.read_info`` says of it, once every check
    holds: the data counted (:mod:`geo._containers`), GDAL locked down
    (:func:`geo._gdal.restrict_drivers`) and the driver that opened it the one of ``kind``.

    Raises
    ------
    InputDataError
        If a check fails or GDAL cannot open the content.
    TooLargeError
        Beyond ``max_points`` features, ``max_bytes`` decoded or
        :data:`~geo._containers.MAX_COLUMNS` columns.
    """
    import pyogrio

    if kind not in _DRIVERS:
        msg = f"{name}: {kind} content is not read by GDAL"
        raise InputDataError(msg)
    if isinstance(source, Path) and str(source).startswith("/vsi"):
        msg = f"{name}: GDAL virtual file systems are not read"
        raise InputDataError(msg)
    with contextlib.ExitStack() as stack:
        if kind == "zip" and isinstance(source, bytes):
            source = stack.enter_context(
                extracted_shapefile(source, name=name, max_bytes=max_bytes)
            )
        if kind in ("zip", "shp") and isinstance(source, Path):
            check_dbf(source, name=name, max_bytes=max_bytes, max_points=max_points)
        if kind == "gpkg":
            check_geopackage(source, name=name, layer=layer, max_points=max_points)
        restrict_drivers()
        try:
            with warnings.catch_warnings():
                # GDAL reads bytes under a name without extension, and says so for GeoPackages
                warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension")
                info = pyogrio.read_info(source, **({"layer": layer} if layer else {}))
        except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
            raise unreadable(exc, name=name) from exc
        if info["driver"] != _DRIVERS[kind]:
            msg = f"{name}: read as {info['driver']}, not as the expected {_DRIVERS[kind]}"
            raise InputDataError(msg)
        check_count(int(info["features"]), name=name, max_points=max_points)
        check_columns(len(info["fields"]), name=name)
        yield source, info


def _read_gdal(
    source: Path | bytes,
    *,
    kind: Kind,
    name: str,
    layer: str | None,
    max_points: int | None,
    max_bytes: int | None,
    keep: Keep,
) -> Any:
    """Read a GeoDataFrame with GDAL from :func:`gdal_source`."""
    import geopandas as gpd

    limits = {"max_points": max_points, "max_bytes": max_bytes}
    with gdal_source(source, kind=kind, name=name, layer=layer, **limits) as (opened, info):
        kwargs: dict[str, Any] = {"layer": layer} if layer is not None else {}
        if keep is not None:
            kwargs["columns"] = list(keep([str(f) for f in info["fields"]]))
        if max_points is not None:  # a header's count may be unknown (-1) or false
            kwargs["max_features"] = max_points + 1
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension")
                gdf = gpd.read_file(opened, engine="pyogrio", **kwargs)
        except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
            raise unreadable(exc, name=name) from exc
    if max_points is not None and len(gdf) > max_points:
        msg = f"{name}: holds more features than the limit of {max_points:,} points"
        raise TooLargeError(msg)
    return gdf


def _read_parquet(
    data: bytes, *, name: str, max_points: int | None, max_bytes: int | None, keep: Keep
) -> Any:
    """Read GeoParquet with pyarrow, after checking its row count, its column count and
    the size its columns to read decode to (counted from the data)."""
    import json

    import geopandas as gpd
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        check_count(parquet.metadata.num_rows, name=name, max_points=max_points)
        schema = parquet.schema_arrow
        check_columns(len(schema.names), name=name)
        columns = None
        if keep is not None and schema.metadata and b"geo" in schema.metadata:
            geometry = json.loads(schema.metadata[b"geo"])["primary_column"]
            columns = [geometry, *keep([n for n in schema.names if n != geometry])]
        if max_bytes is not None:
            _check_parquet_bytes(data, columns=columns, name=name, max_bytes=max_bytes)
        return gpd.read_parquet(io.BytesIO(data), columns=columns)
    except InputDataError:
        raise
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise unreadable(exc, name=name) from exc


#: Rows of GeoParquet whose decoded size is counted at a time.
_COUNT_ROWS = 65_536


def _check_parquet_bytes(
    data: bytes, *, columns: list[str] | None, name: str, max_bytes: int
) -> None:
    """Refuse GeoParquet whose columns decode to more than ``max_bytes``, counted from the
    data a batch at a time: text and binary columns are read dictionary-encoded, and each
    row counts the length of the value it uses (a header's ``total_byte_size`` counts a
    dictionary once, whatever the number of rows that repeat it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(io.BytesIO(data)).schema_arrow
    names = schema.names if columns is None else columns
    text = [
        n
        for n in names
        if pa.types.is_string(schema.field(n).type)
        or pa.types.is_large_string(schema.field(n).type)
        or pa.types.is_binary(schema.field(n).type)
        or pa.types.is_large_binary(schema.field(n).type)
    ]
    parquet = pq.ParquetFile(io.BytesIO(data), read_dictionary=text)
    decoded = 0
    for batch in parquet.iter_batches(batch_size=_COUNT_ROWS, columns=list(names)):
        decoded += sum(_decoded_bytes(column) for column in batch.columns)
        if decoded > max_bytes:
            msg = (
                f"{name}: decodes to {decoded:,} bytes or more, more than the limit of "
                f"{max_bytes:,}"
            )
            raise TooLargeError(msg)


def _decoded_bytes(column: Any) -> int:
    """Bytes of an Arrow array once decoded: a dictionary's values counted per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        return int(column.nbytes)
    lengths = np.asarray(pc.binary_length(column.dictionary).fill_null(0), dtype=np.int64)
    indices = np.asarray(column.indices.fill_null(0), dtype=np.int64)
    return int(lengths[indices].sum()) + 8 * len(column) if len(lengths) else 0
