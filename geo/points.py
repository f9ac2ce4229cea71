"""Read an analyst's point data: CSV, GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet.

:func:`read_points` reads a file, :func:`read_points_bytes` the same formats from memory (for
an upload API) and :func:`points_from_frame` a pandas DataFrame with coordinate columns. All
three return a point :class:`~geopandas.GeoDataFrame` in the data's own CRS (EPSG:4326 for
latitude/longitude columns), indexed like the input rows, with every input column kept.

Rules
-----
* CSV coordinates come from latitude/longitude columns found by common names
  (:data:`LAT_NAMES`, :data:`LON_NAMES`, case-insensitive), or named with ``lat``/``lon``, or
  projected ``x``/``y`` columns with their ``crs``. Separators ``,``, ``;``, tab and ``|`` are
  detected from the header; decimal commas (``52,0123``) are read as decimal points.
* Non-point geometries are reduced to representative points, with a :class:`UserWarning`
  that says how many.
* Rows with missing, non-finite or (for geographic data) out-of-range coordinates are refused
  with their count and first row numbers (data rows counted from 1, the CSV header not
  counted), unless ``drop_invalid=True``, which drops them with a warning. Latitudes and
  longitudes that look swapped are always refused, with that diagnosis.
* Every problem found is reported in one :class:`~geo._errors.InputDataError`.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo._errors import InputDataError, ParameterError
from geo.projection import parse_crs

__all__ = [
    "CSV_SUFFIXES",
    "LAT_NAMES",
    "LON_NAMES",
    "VECTOR_SUFFIXES",
    "points_from_frame",
    "read_points",
    "read_points_bytes",
]

#: Column names recognised as latitude / longitude (compared case-insensitively).
LAT_NAMES = ("lat", "latitude", "lat_wgs84", "latitude_wgs84", "y_lat", "lat_deg", "latitud")
LON_NAMES = (
    "lon",
    "lng",
    "long",
    "longitude",
    "lon_wgs84",
    "longitude_wgs84",
    "x_lon",
    "lon_deg",
    "longitud",
)
_X_NAMES = ("x", "easting", "coord_x", "x_coord")
_Y_NAMES = ("y", "northing", "coord_y", "y_coord")

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", *_PARQUET_SUFFIXES)

_MAX_ROWS_LISTED = 5


def read_points(
    path: str | Path,
    *,
    lat: str | None = None,
    lon: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    drop_invalid: bool = False,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a point file in any supported format and CRS.

    Parameters
    ----------
    path
        A ``.csv``/``.tsv``/``.txt``, ``.geojson``/``.json``, ``.gpkg``, ``.shp`` (or a
        zipped shapefile), ``.fgb`` or ``.parquet`` file.
    lat, lon
        Names of the latitude / longitude columns of a CSV (default: detected by name).
    x, y
        Names of projected coordinate columns of a CSV; ``crs`` is then required.
    crs
        CRS of ``x``/``y`` columns, of ``lat``/``lon`` columns (default EPSG:4326), or of a
        vector file that declares none.
    drop_invalid
        Drop rows with missing, non-finite or out-of-range coordinates (with a warning)
        instead of refusing the file.
    layer
        Layer of a multi-layer file (GeoPackage); default the first.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in the data's CRS, one row per kept input row, every input column kept.

    Raises
    ------
    InputDataError
        If the file cannot be read or its coordinates are invalid (all problems at once).
    ParameterError
        If the column or CRS options contradict each other.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InputDataError(msg)
    options = {"lat": lat, "lon": lon, "x": x, "y": y, "crs": crs, "drop_invalid": drop_invalid}
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return points_from_frame(_read_csv(path, name=str(path)), source=str(path), **options)
    return _read_vector(path, name=str(path), suffix=suffix, layer=layer, **options)


def read_points_bytes(
    data: bytes,
    *,
    filename: str,
    lat: str | None = None,
    lon: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    drop_invalid: bool = False,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read point data held in memory, e.g. an uploaded file; the format comes from ``filename``.

    Accepts the formats and options of :func:`read_points` (a shapefile must be zipped).
    """
    suffix = Path(filename).suffix.lower()
    options = {"lat": lat, "lon": lon, "x": x, "y": y, "crs": crs, "drop_invalid": drop_invalid}
    if suffix in CSV_SUFFIXES:
        return points_from_frame(_read_csv(data, name=filename), source=filename, **options)
    if suffix == ".shp":
        msg = f"{filename}: upload a shapefile as a .zip holding its .shp, .shx, .dbf and .prj"
        raise InputDataError(msg)
    return _read_vector(data, name=filename, suffix=suffix, layer=layer, **options)


def points_from_frame(
    frame: pd.DataFrame,
    *,
    lat: str | None = None,
    lon: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: Any = None,
    drop_invalid: bool = False,
    source: str = "data",
) -> gpd.GeoDataFrame:
    """Build points from coordinate columns of a DataFrame (see the module rules).

    ``source`` names the data in messages (a file name).
    """
    xcol, ycol, point_crs = _coordinate_columns(frame, lat=lat, lon=lon, x=x, y=y, crs=crs)
    xs = _numeric(frame[xcol])
    ys = _numeric(frame[ycol])
    labels = (
        (f"longitude column {xcol!r}", f"latitude column {ycol!r}")
        if point_crs.is_geographic
        else (f"x column {xcol!r}", f"y column {ycol!r}")
    )
    keep = _check_coordinates(
        xs, ys, crs=point_crs, drop_invalid=drop_invalid, source=source, labels=labels
    )
    geometry = gpd.points_from_xy(xs[keep], ys[keep])
    return gpd.GeoDataFrame(frame.loc[keep], geometry=geometry, crs=point_crs)


# --------------------------------------------------------------------------- internals


def _read_csv(source: Path | bytes, *, name: str) -> pd.DataFrame:
    """Read a CSV with a detected separator and encoding; coordinates are parsed later."""
    if isinstance(source, bytes):
        head = source[:65536]
    else:
        with source.open("rb") as handle:
            head = handle.read(65536)
    encoding = "utf-8-sig"
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut at 64 KiB
            encoding = "cp1252"
        text = head.decode(encoding, errors="replace")
    header = text.splitlines()[0] if text.strip() else ""
    if not header:
        msg = f"{name}: the file is empty"
        raise InputDataError(msg)
    counts = {sep: header.count(sep) for sep in (";", "\t", "|", ",")}
    sep = max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","
    handle_or_path: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        return pd.read_csv(handle_or_path, sep=sep, encoding=encoding, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        msg = f"{name}: cannot read as CSV (separator {sep!r}): {exc}"
        raise InputDataError(msg) from exc


def _read_vector(
    source: Path | bytes,
    *,
    name: str,
    suffix: str,
    layer: str | None,
    lat: str | None,
    lon: str | None,
    x: str | None,
    y: str | None,
    crs: Any,
    drop_invalid: bool,
) -> gpd.GeoDataFrame:
    if any(v is not None for v in (lat, lon, x, y)):
        msg = "--lat/--lon/--x/--y apply to CSV files only; vector files carry their geometry"
        raise ParameterError(msg)
    if suffix not in VECTOR_SUFFIXES:
        msg = (
            f"{name}: unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(CSV_SUFFIXES + VECTOR_SUFFIXES)}"
        )
        raise InputDataError(msg)
    if suffix in (".geojson", ".json"):
        _check_json(source, name=name)
    data: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        if suffix in _PARQUET_SUFFIXES:
            gdf = gpd.read_parquet(data)
        else:
            kwargs = {"layer": layer} if layer is not None else {}
            gdf = gpd.read_file(data, engine="pyogrio", **kwargs)
    except ImportError as exc:
        msg = f"{name}: reading GeoParquet needs the 'pyarrow' package ({exc})"
        raise InputDataError(msg) from exc
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        msg = f"{name}: cannot read: {exc}"
        raise InputDataError(msg) from exc
    return _points_from_geodataframe(gdf, crs=crs, drop_invalid=drop_invalid, source=name)


def _points_from_geodataframe(
    gdf: gpd.GeoDataFrame, *, crs: Any, drop_invalid: bool, source: str
) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"{source}: no geometry column"
        raise InputDataError(msg)
    if gdf.crs is None:
        if crs is None:
            msg = f"{source}: the file declares no CRS; give one (e.g. --crs EPSG:4326)"
            raise InputDataError(msg)
        gdf = gdf.set_crs(parse_crs(crs))
    elif crs is not None and not pyproj.CRS(gdf.crs).equals(parse_crs(crs)):
        msg = f"{source}: the file declares {gdf.crs.to_string()}, which differs from --crs {crs}"
        raise ParameterError(msg)
    values = gdf.geometry.values
    types = shapely.get_type_id(values)
    located = (types >= 0) & ~shapely.is_empty(values)
    non_point = located & (types != 0)
    if non_point.any():
        kinds = pd.Series(shapely.get_type_id(values[non_point])).map(_TYPE_NAMES).value_counts()
        detail = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        warnings.warn(
            f"{source}: {int(non_point.sum())} non-point geometries ({detail}) "
            "reduced to representative points",
            UserWarning,
            stacklevel=3,
        )
        values = np.where(non_point, shapely.point_on_surface(values), values)
    xs = np.where(located, shapely.get_x(np.where(located, values, None)), np.nan)
    ys = np.where(located, shapely.get_y(np.where(located, values, None)), np.nan)
    point_crs = pyproj.CRS(gdf.crs)
    labels = ("longitude", "latitude") if point_crs.is_geographic else ("x", "y")
    keep = _check_coordinates(
        np.asarray(xs, dtype=float),
        np.asarray(ys, dtype=float),
        crs=point_crs,
        drop_invalid=drop_invalid,
        source=source,
        labels=labels,
    )
    out = gdf.loc[keep].copy()
    out[out.geometry.name] = gpd.GeoSeries(values[keep], index=out.index, crs=gdf.crs)
    return out


_TYPE_NAMES = {
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _check_json(source: Path | bytes, *, name: str) -> None:
    """A GeoJSON file must parse as JSON: say where it does not (GDAL's own message names
    an internal in-memory path, not the user's file)."""
    raw = source if isinstance(source, bytes) else source.read_bytes()
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
        msg = f"{name}: expected a GeoJSON FeatureCollection or Feature, got {kind!r}"
        raise InputDataError(msg)


def _find(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in columns}
    for candidate in names:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _coordinate_columns(
    frame: pd.DataFrame,
    *,
    lat: str | None,
    lon: str | None,
    x: str | None,
    y: str | None,
    crs: Any,
) -> tuple[str, str, pyproj.CRS]:
    """Return (x-or-lon column, y-or-lat column, CRS of those columns)."""
    columns = [str(c) for c in frame.columns]
    listed = ", ".join(columns) or "(none)"
    if (x is None) != (y is None):
        msg = "give both --x and --y"
        raise ParameterError(msg)
    if (lat is None) != (lon is None):
        msg = "give both --lat and --lon"
        raise ParameterError(msg)
    if x is not None and lat is not None:
        msg = "give either --lat/--lon or --x/--y, not both"
        raise ParameterError(msg)
    if x is not None and y is not None:
        if crs is None:
            msg = "--x/--y need --crs (the CRS of those coordinates)"
            raise ParameterError(msg)
        chosen = (x, y)
        point_crs = parse_crs(crs)
    elif lat is not None and lon is not None:
        chosen = (lon, lat)
        point_crs = parse_crs(crs) if crs is not None else pyproj.CRS.from_epsg(4326)
    else:
        found_lat, found_lon = _find(columns, LAT_NAMES), _find(columns, LON_NAMES)
        found_x, found_y = _find(columns, _X_NAMES), _find(columns, _Y_NAMES)
        if found_lat and found_lon:
            chosen = (found_lon, found_lat)
            point_crs = parse_crs(crs) if crs is not None else pyproj.CRS.from_epsg(4326)
        elif found_x and found_y and crs is not None:
            chosen = (found_x, found_y)
            point_crs = parse_crs(crs)
        elif found_x and found_y:
            msg = (
                f"columns {found_x!r}/{found_y!r} look like projected coordinates; "
                "give their CRS with --crs (or name lat/lon columns with --lat/--lon)"
            )
            raise InputDataError(msg)
        else:
            msg = (
                "no coordinate columns found; name them with --lat/--lon (or --x/--y --crs). "
                f"Columns: {listed}"
            )
            raise InputDataError(msg)
    missing = [c for c in chosen if c not in frame.columns]
    if missing:
        msg = f"no column named {', '.join(map(repr, missing))}; columns: {listed}"
        raise InputDataError(msg)
    if chosen[0] == chosen[1]:
        msg = f"the same column {chosen[0]!r} was given for both coordinates"
        raise ParameterError(msg)
    if point_crs.is_geographic is False and lat is not None:
        msg = f"--lat/--lon need a geographic CRS, not {point_crs.to_string()}"
        raise ParameterError(msg)
    return chosen[0], chosen[1], point_crs


def _numeric(column: pd.Series) -> np.ndarray:
    """Coordinates as floats; decimal commas accepted, unparsable values become NaN."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    text = column.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)[:_MAX_ROWS_LISTED] + 1
    more = ", ..." if int(mask.sum()) > _MAX_ROWS_LISTED else ""
    return ", ".join(str(r) for r in rows) + more


def _check_coordinates(
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    crs: pyproj.CRS,
    drop_invalid: bool,
    source: str,
    labels: tuple[str, str],
) -> np.ndarray:
    """Return the boolean mask of rows to keep, or raise with every problem found."""
    problems: list[str] = []
    nonfinite = ~(np.isfinite(xs) & np.isfinite(ys))
    if nonfinite.any():
        problems.append(
            f"{int(nonfinite.sum())} rows with missing or non-finite coordinates "
            f"(rows {_rows(nonfinite)})"
        )
    out_of_range = np.zeros(len(xs), dtype=bool)
    swapped = False
    if crs.is_geographic:
        finite = ~nonfinite
        with np.errstate(invalid="ignore"):
            bad_lat = finite & (np.abs(ys) > 90)
            bad_lon = finite & (np.abs(xs) > 180)
        out_of_range = bad_lat | bad_lon
        n_finite = int(finite.sum())
        if (
            n_finite
            and bad_lat.sum() * 2 > n_finite
            and not bad_lon.any()
            and np.all(np.abs(xs[finite]) <= 90)
        ):
            swapped = True
            problems.append(
                f"latitude and longitude look swapped: {int(bad_lat.sum())} of {n_finite} "
                f"values of the {labels[1]} are beyond ±90° while every value of the "
                f"{labels[0]} is within ±90°; swap the columns (--lat/--lon)"
            )
        elif out_of_range.any():
            problems.append(
                f"{int(out_of_range.sum())} rows with coordinates out of range "
                f"(latitude beyond ±90° or longitude beyond ±180°; rows {_rows(out_of_range)})"
            )
    invalid = nonfinite | out_of_range
    if problems and (swapped or not drop_invalid):
        hint = "" if swapped else "; use --drop-invalid to drop those rows"
        msg = f"{source}: " + "; ".join(problems) + hint
        raise InputDataError(msg)
    if invalid.all():
        msg = f"{source}: no row with valid coordinates"
        raise InputDataError(msg)
    if invalid.any():
        warnings.warn(
            f"{source}: dropped {int(invalid.sum())} of {len(xs)} rows with invalid coordinates "
            f"(rows {_rows(invalid)})",
            UserWarning,
            stacklevel=4,
        )
    return ~invalid
