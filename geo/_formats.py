"""Which reader may open a point file: chosen from its first bytes, never from its name.

An uploaded or named file is opened only through an allow-list: its signature picks one
format (:func:`sniff`, :func:`load`), and :func:`read_vector` gives each vector format to
exactly one reader: GDAL with the driver checked, or pyarrow for GeoParquet. GDAL runs with
:data:`GDAL_CONFIG`, which shuts network virtual file systems. A GDAL VRT (XML) is never
opened, so a file cannot make the reader open a local file or a URL it names. Limits on
points and decoded bytes are checked from headers before the data are decoded.

=========  ==============================================  ===========================
Format     Signature                                        Reader
=========  ==============================================  ===========================
gpkg       ``SQLite format 3`` with a GeoPackage app. id    GDAL ``GPKG``
zip        ``PK``: one zipped shapefile, nothing else       GDAL ``ESRI Shapefile``
shp        shapefile file code 9994 (a named file only)     GDAL ``ESRI Shapefile``
fgb        ``fgb\\x03``                                      GDAL ``FlatGeobuf``
parquet    ``PAR1``                                         pyarrow (GeoParquet)
json       text starting with ``{`` or ``[``               GDAL ``GeoJSON``
csv        any other text (no NUL bytes, not XML)           :mod:`geo._csv`
=========  ==============================================  ===========================
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np

from geo._errors import InputDataError, TooLargeError, quote

__all__ = [
    "GDAL_ALLOWED_DRIVERS",
    "GDAL_CONFIG",
    "MAX_JSON_DEPTH",
    "Kind",
    "gdal_allowlist_env",
    "json_depth",
    "load",
    "read_vector",
    "sniff",
]

Kind = Literal["gpkg", "zip", "shp", "fgb", "parquet", "json", "csv"]

#: GDAL settings for every read: no network virtual file system answers, no directory
#: listing, no SQLite access to other files.
GDAL_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".clustermap-no-network",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "CPL_AWS_AUTODETECT_EC2": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "TRUE",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
}

#: The only GDAL drivers a process that opens uploads may use (CSV is read by our own code;
#: GeoParquet by pyarrow).
GDAL_ALLOWED_DRIVERS = ("GeoJSON", "GPKG", "ESRI Shapefile", "FlatGeobuf", "Parquet")

#: Every other vector driver of GDAL 3.12's build in the pyogrio wheel (a name the build
#: lacks would only print a warning).
_GDAL_OTHER_DRIVERS = (
    "ADBC", "AIVector", "AVCBin", "AVCE00", "AmigoCloud", "CSV", "CSW", "Carto", "DGN",
    "DXF", "EDIGEO", "EEDA", "ESRIJSON", "Elasticsearch", "GDALG", "GML", "GPSBabel", "GPX",
    "GTFS", "GeoJSONSeq", "GeoRSS", "HTTP", "Idrisi", "JML", "JSONFG", "KML", "LIBKML",
    "LVBAG", "MBTiles", "MEM", "MVT", "MapInfo File", "MapML", "MiraMonVector", "NGW",
    "OAPIF", "ODS", "OGCAPI", "OGR_GMT", "OGR_PDS", "OGR_VRT", "OSM", "OpenFileGDB", "PCIDSK",
    "PDF", "PDS4", "PGDUMP", "PLSCENES", "PMTiles", "S57", "SQLite", "SXF", "Selafin",
    "TopoJSON", "VDV", "VFK", "VICAR", "WAsP", "WFS", "XLSX",
)  # fmt: skip


def gdal_allowlist_env() -> dict[str, str]:
    """Environment variables that leave GDAL only :data:`GDAL_ALLOWED_DRIVERS`.

    GDAL reads them when it registers its drivers, so they must be in ``os.environ``
    before ``pyogrio`` is first imported in the process (the upload cage sets them first).
    Network virtual file systems are shut as in :data:`GDAL_CONFIG`.
    """
    skip = ",".join(_GDAL_OTHER_DRIVERS)
    return {**GDAL_CONFIG, "GDAL_SKIP": skip, "GDAL_HTTP_PROXY": "127.0.0.1:9"}


_DRIVERS: dict[str, str] = {
    "gpkg": "GPKG",
    "zip": "ESRI Shapefile",
    "shp": "ESRI Shapefile",
    "fgb": "FlatGeobuf",
    "json": "GeoJSON",
}
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
_ACCEPTED = "GeoPackage, zipped shapefile, FlatGeobuf, GeoParquet, GeoJSON or CSV"
_HEAD_BYTES = 65536

#: GeoJSON nested deeper than this (arrays and objects) is refused before it is parsed.
MAX_JSON_DEPTH = 64


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


def _check_count(count: int, *, name: str, max_points: int | None) -> None:
    """Refuse ``count`` features beyond ``max_points`` (None: no limit)."""
    if max_points is not None and count > max_points:
        msg = f"{name}: holds {count:,} features, more than the limit of {max_points:,} points"
        raise TooLargeError(msg)


def _check_bytes(size: int, *, name: str, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        msg = f"{name}: decodes to {size:,} bytes, more than the limit of {max_bytes:,}"
        raise TooLargeError(msg)


def _check_zip(data: bytes, *, name: str, max_bytes: int | None) -> None:
    """A zip must hold one shapefile's parts and nothing else (no VRT, no other format)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
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
            _check_bytes(sum(m.file_size for m in members), name=name, max_bytes=max_bytes)
            with archive.open(shps[0]) as shp:
                if shp.read(4) != _SHP_MAGIC:
                    msg = f"{name}: {quote(shps[0].filename)} is not a shapefile"
                    raise InputDataError(msg)
    except zipfile.BadZipFile as exc:
        msg = f"{name}: not a readable zip ({exc})"
        raise InputDataError(msg) from exc


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in JSON text, found without parsing it."""
    bare = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    opens = (bare == ord("[")) | (bare == ord("{"))
    closes = (bare == ord("]")) | (bare == ord("}"))
    steps = opens.astype(np.int8) - closes.astype(np.int8)
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


def _check_geojson(raw: bytes, *, name: str) -> None:
    """A GeoJSON file must parse as JSON, nest at most :data:`MAX_JSON_DEPTH` deep and be a
    FeatureCollection or Feature: say where it is not (GDAL's own message names an internal
    in-memory path, not the user's file)."""
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        msg = f"{name}: JSON nested {depth:,} levels deep, more than the limit of {MAX_JSON_DEPTH}"
        raise InputDataError(msg)
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        msg = f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise InputDataError(msg) from exc
    except json.JSONDecodeError as exc:
        msg = f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        raise InputDataError(msg) from exc
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if kind not in ("FeatureCollection", "Feature"):
        msg = f"{name}: expected a GeoJSON FeatureCollection or Feature, got {quote(kind)}"
        raise InputDataError(msg)


def read_vector(
    source: Path | bytes,
    *,
    kind: Kind,
    name: str,
    layer: str | None = None,
    max_points: int | None = None,
    max_bytes: int | None = None,
) -> Any:
    """A GeoDataFrame of a vector format's bytes (or a shapefile's path) by its one reader.

    Raises
    ------
    InputDataError
        If the content is CSV, nests deeper than :data:`MAX_JSON_DEPTH` (GeoJSON) or cannot
        be read by the reader of ``kind``.
    TooLargeError
        Beyond ``max_points`` features or ``max_bytes`` decoded.
    """
    limits = {"max_points": max_points, "max_bytes": max_bytes}
    if isinstance(source, Path):
        return _read_gdal(source, kind=kind, name=name, layer=layer, **limits)
    if kind == "csv":
        msg = f"{name}: CSV text, not a vector format ({_ACCEPTED.removesuffix(' or CSV')})"
        raise InputDataError(msg)
    if kind == "parquet":
        return _read_parquet(source, name=name, **limits)
    if kind == "json":
        _check_geojson(source, name=name)
    return _read_gdal(source, kind=kind, name=name, layer=layer, **limits)


def _read_gdal(
    source: Any,
    *,
    kind: Kind,
    name: str,
    layer: str | None,
    max_points: int | None,
    max_bytes: int | None,
) -> Any:
    """Read a GeoDataFrame with GDAL, only if GDAL opens ``source`` with the driver of ``kind``.

    ``source`` holds the bytes, or is the path of a shapefile (``kind="shp"``).
    """
    import geopandas as gpd
    import pyogrio

    if kind == "zip":
        _check_zip(source, name=name, max_bytes=max_bytes)
    pyogrio.set_gdal_config_options(GDAL_CONFIG)
    kwargs: dict[str, Any] = {"layer": layer} if layer is not None else {}
    try:
        with warnings.catch_warnings():
            # GDAL reads bytes under a name without extension, and says so for GeoPackages
            warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension")
            info = pyogrio.read_info(source, **kwargs)
            if info["driver"] != _DRIVERS[kind]:
                msg = f"{name}: read as {info['driver']}, not as the expected {_DRIVERS[kind]}"
                raise InputDataError(msg)
            _check_count(int(info["features"]), name=name, max_points=max_points)
            if max_points is not None:  # a header's count may be unknown (-1) or false
                kwargs["max_features"] = max_points + 1
            gdf = gpd.read_file(source, engine="pyogrio", **kwargs)
    except InputDataError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        msg = f"{name}: cannot read: {quote(exc, limit=200)}"
        raise InputDataError(msg) from exc
    if max_points is not None and len(gdf) > max_points:
        msg = f"{name}: holds more features than the limit of {max_points:,} points"
        raise TooLargeError(msg)
    return gdf


def _read_parquet(data: bytes, *, name: str, max_points: int | None, max_bytes: int | None) -> Any:
    """Read GeoParquet with pyarrow, after checking its row count and decoded size."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
        _check_count(meta.num_rows, name=name, max_points=max_points)
        decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        _check_bytes(decoded, name=name, max_bytes=max_bytes)
        return gpd.read_parquet(io.BytesIO(data))
    except InputDataError:
        raise
    except Exception as exc:  # pyarrow raises several types for corrupt files
        msg = f"{name}: cannot read: {quote(exc, limit=200)}"
        raise InputDataError(msg) from exc
