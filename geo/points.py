"""Read an analyst's point data: CSV, GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet.

:func:`read_points` reads a file, :func:`read_points_bytes` the same formats from memory (for
an upload API) and :func:`points_from_frame` a pandas DataFrame with coordinate columns. All
three return a point :class:`~geopandas.GeoDataFrame` in the data's own CRS (EPSG:4326 for
latitude/longitude columns), indexed like the input rows, with every input column kept.

Rules
-----
* The format comes from the content, never the file name, and each format has one reader
  (:mod:`geo.formats`; CSV: :mod:`geo.csv_reader`): GDAL VRTs and other XML are refused, so a
  file cannot make the reader open another file or a URL. ``max_points`` and ``max_bytes``
  stop oversized input before or while it is decoded (:class:`~geo.errors.TooLargeError`).
* CSV coordinates come from latitude/longitude columns found by common names
  (:data:`LAT_NAMES`, :data:`LON_NAMES`, case-insensitive), or named with ``lat``/``lon``, or
  projected ``x``/``y`` columns with their ``crs``. Separators ``,``, ``;``, tab and ``|`` are
  detected from the header; decimal commas (``52,0123``) are read as decimal points.
* Non-point geometries are reduced to representative points, with a :class:`UserWarning`
  that says how many.
* Rows with missing, non-finite or out-of-range coordinates (latitude/longitude beyond
  ±90°/±180°; projected x/y far outside the area of use of their CRS) are refused
  with their count and first row numbers (data rows counted from 1, the CSV header not
  counted), unless ``drop_invalid=True``, which drops them with a warning. Latitudes and
  longitudes that look swapped are always refused, with that diagnosis.
* Every problem found is reported in one :class:`~geo.errors.InputDataError`.
* For untrusted files, ``attributes`` reads only the attribute columns needed (those named,
  and the label column of :data:`LABEL_NAMES`), ``max_chars`` cuts longer text values, and
  a file of more than :data:`MAX_COLUMNS` columns is refused. GDAL is locked down to the
  drivers uploads need before a file is opened; a process started to read uploads sets
  :func:`gdal_environment` before it imports GDAL (see :mod:`geo._gdal`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict, Unpack

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo._containers import MAX_COLUMNS
from geo._gdal import gdal_environment, restrict_drivers
from geo.csv_reader import read_csv_bytes
from geo.errors import InputDataError, ParameterError, listing, param, quote
from geo.formats import Kind, load, read_vector, sniff
from geo.projection import parse_crs

__all__ = [
    "ID_NAMES",
    "LAT_NAMES",
    "LON_NAMES",
    "MAX_COLUMNS",
    "ReadOptions",
    "gdal_environment",
    "id_column_of",
    "points_from_frame",
    "read_points",
    "read_points_bytes",
    "restrict_drivers",
    "valid_bounds",
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

_MAX_ROWS_LISTED = 5


class ReadOptions(TypedDict, total=False):
    """How to read a point file: the keyword options of :func:`read_points` and
    :func:`read_points_bytes`, each optional (documented in :func:`read_points`)."""

    lat: str | None
    lon: str | None
    x: str | None
    y: str | None
    crs: Any
    drop_invalid: bool
    layer: str | None
    max_points: int | None
    max_bytes: int | None
    attributes: Sequence[str] | None
    max_chars: int | None


def read_points(path: str | Path, **options: Unpack[ReadOptions]) -> gpd.GeoDataFrame:
    """Read a point file in any supported format and CRS.

    The format comes from the file's content (see :mod:`geo.formats`), never its name.

    Parameters
    ----------
    path
        A CSV (any name), GeoJSON, GeoPackage, shapefile (``.shp`` with its sidecar files,
        or zipped), FlatGeobuf or GeoParquet file.
    **options
        The keys of :class:`ReadOptions`, each optional:
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
    max_points
        Refuse a file of more rows or features than this, checked before or while it is
        read (None: no limit).
    max_bytes
        Refuse compressed content (zip, Parquet) that decodes to more bytes than this.
    attributes
        Read only these attribute columns, and the label column (:data:`LABEL_NAMES`),
        besides the coordinates or geometry (None: every column).
    max_chars
        Cut text values longer than this many characters (None: keep them whole).

    Returns
    -------
    geopandas.GeoDataFrame
        Points in the data's CRS, one row per kept input row, every input column kept.

    Raises
    ------
    InputDataError
        If the file cannot be read, is of no accepted format or its coordinates are invalid
        (all problems at once).
    TooLargeError
        If it is beyond ``max_points`` or ``max_bytes``.
    ParameterError
        If the column or CRS options contradict each other.
    """
    kind, source = load(Path(path))
    return _read(source, kind=kind, name=str(path), options=options)


def read_points_bytes(
    data: bytes, *, filename: str, **options: Unpack[ReadOptions]
) -> gpd.GeoDataFrame:
    """Read point data held in memory, e.g. an uploaded file.

    Accepts the formats and options of :func:`read_points` (a shapefile must be zipped);
    the format comes from the content, ``filename`` only names the data in messages.
    """
    kind = sniff(data, name=filename)
    if kind == "shp":
        msg = f"{filename}: upload a shapefile as a .zip holding its .shp, .shx, .dbf and .prj"
        raise InputDataError(msg)
    return _read(data, kind=kind, name=filename, options=options)


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
        (f"longitude column {quote(xcol)}", f"latitude column {quote(ycol)}")
        if point_crs.is_geographic
        else (f"x column {quote(xcol)}", f"y column {quote(ycol)}")
    )
    keep = _check_coordinates(
        xs, ys, crs=point_crs, drop_invalid=drop_invalid, source=source, labels=labels
    )
    geometry = gpd.points_from_xy(xs[keep], ys[keep])
    return gpd.GeoDataFrame(frame.loc[keep], geometry=geometry, crs=point_crs)


# --------------------------------------------------------------------------- internals


def _read(source: Path | bytes, *, kind: Kind, name: str, options: ReadOptions) -> gpd.GeoDataFrame:
    """Read ``source`` (bytes, or the path of a shapefile) with the one reader of ``kind``."""
    unknown = set(options) - set(ReadOptions.__annotations__)
    if unknown:
        msg = f"unknown read option(s): {', '.join(sorted(unknown))}"
        raise TypeError(msg)
    lat, lon = options.get("lat"), options.get("lon")
    x, y = options.get("x"), options.get("y")
    crs, drop_invalid = options.get("crs"), bool(options.get("drop_invalid", False))
    limits = {"max_points": options.get("max_points"), "max_bytes": options.get("max_bytes")}
    wanted, max_chars = options.get("attributes"), options.get("max_chars")
    if kind == "csv" and isinstance(source, bytes):
        frame = read_csv_bytes(
            source,
            name=name,
            max_rows=limits["max_points"],
            keep=None if wanted is None else _keeper(wanted, coordinates=options),
        )
        points = points_from_frame(
            frame, lat=lat, lon=lon, x=x, y=y, crs=crs, drop_invalid=drop_invalid, source=name
        )
        return _cut_text(points, max_chars)
    if any(v is not None for v in (lat, lon, x, y)):
        msg = (
            f"{param('lat')}/{param('lon')}/{param('x')}/{param('y')} apply to CSV files "
            "only; vector files carry their geometry"
        )
        raise ParameterError(msg)
    keep = None if wanted is None else _keeper(wanted, coordinates=None)
    gdf = read_vector(source, kind=kind, name=name, layer=options.get("layer"), keep=keep, **limits)
    points = _points_from_geodataframe(gdf, crs=crs, drop_invalid=drop_invalid, source=name)
    return _cut_text(points, max_chars)


def _keeper(
    wanted: Sequence[str], *, coordinates: ReadOptions | None
) -> Callable[[Sequence[str]], list[str]]:
    """The columns to read among a file's: those of ``wanted`` it has (a missing one is left
    to the check of whoever wanted it, which names its own parameter), the label column,
    and the coordinate columns of a CSV found from ``coordinates`` (its read options)."""

    def keep(names: Sequence[str]) -> list[str]:
        chosen = set(wanted) | {label_column_of(pd.DataFrame(columns=list(names)))}
        if coordinates is not None:
            chosen |= set(coordinate_columns(names, coordinates)[:2])
        return [n for n in names if n in chosen]

    return keep


def _cut_text(frame: gpd.GeoDataFrame, max_chars: int | None) -> gpd.GeoDataFrame:
    """``frame`` with each text value longer than ``max_chars`` cut to that length."""
    if max_chars is None:
        return frame
    for column in frame.columns:
        values = frame[column]
        if column == frame.geometry.name:
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):  # cut each category once
            frame[column] = values.map(lambda v: v[:max_chars] if isinstance(v, str) else v)
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            long = (values.str.len() > max_chars).to_numpy()
            if long.any():
                frame[column] = values.where(~long, values.str.slice(0, max_chars))
    return frame


def _points_from_geodataframe(
    gdf: gpd.GeoDataFrame, *, crs: Any, drop_invalid: bool, source: str
) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"{source}: no geometry column"
        raise InputDataError(msg)
    if gdf.crs is None:
        if crs is None:
            msg = f"{source}: the file declares no CRS; give one (e.g. {param('crs')} EPSG:4326)"
            raise InputDataError(msg)
        gdf = gdf.set_crs(parse_crs(crs))
    elif crs is not None and not pyproj.CRS(gdf.crs).equals(parse_crs(crs)):
        msg = (
            f"{source}: the file declares {gdf.crs.to_string()}, which differs from "
            f"{param('crs')} {crs}"
        )
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


def _find(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in columns}
    for candidate in names:
        if candidate in lowered:
            return lowered[candidate]
    return None


def coordinate_columns(
    names: Sequence[str], options: Mapping[str, Any]
) -> tuple[str, str, pyproj.CRS]:
    """The x (or longitude) and y (or latitude) columns among ``names`` and their CRS, found
    from the read options (``lat``/``lon``/``x``/``y``/``crs``) as :func:`read_points` finds
    them, for readers that see a file's header before its rows."""
    return _coordinate_columns(
        pd.DataFrame(columns=list(names)),
        lat=options.get("lat"),
        lon=options.get("lon"),
        x=options.get("x"),
        y=options.get("y"),
        crs=options.get("crs"),
    )


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
    listed = listing(columns)
    if (x is None) != (y is None):
        msg = f"give both {param('x')} and {param('y')}"
        raise ParameterError(msg)
    if (lat is None) != (lon is None):
        msg = f"give both {param('lat')} and {param('lon')}"
        raise ParameterError(msg)
    if x is not None and lat is not None:
        msg = f"give either {param('lat')}/{param('lon')} or {param('x')}/{param('y')}, not both"
        raise ParameterError(msg)
    if x is not None and y is not None:
        if crs is None:
            msg = f"{param('x')}/{param('y')} need {param('crs')} (the CRS of those coordinates)"
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
                f"columns {quote(found_x)}/{quote(found_y)} look like projected coordinates; "
                f"give their CRS with {param('crs')} (or name lat/lon columns with "
                f"{param('lat')}/{param('lon')})"
            )
            raise InputDataError(msg)
        else:
            msg = (
                f"no coordinate columns found; name them with {param('lat')}/{param('lon')} "
                f"(or {param('x')}/{param('y')} {param('crs')}). "
                f"Columns: {listed}"
            )
            raise InputDataError(msg)
    missing = [c for c in chosen if c not in frame.columns]
    if missing:
        msg = f"no column named {listing(missing)}; columns: {listed}"
        raise InputDataError(msg)
    if chosen[0] == chosen[1]:
        msg = f"the same column {quote(chosen[0])} was given for both coordinates"
        raise ParameterError(msg)
    if point_crs.is_geographic is False and lat is not None:
        msg = f"{param('lat')}/{param('lon')} need a geographic CRS, not {point_crs.to_string()}"
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


#: Degrees (at least) by which a CRS's area of use is widened before checking points in it.
_AREA_MARGIN_DEG = 3.0


def valid_bounds(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """Bounds, in ``crs``, of its area of use widened by a margin (a quarter of its size,
    at least :data:`_AREA_MARGIN_DEG`); None when the CRS declares no area or the bounds are
    not finite."""
    area = crs.area_of_use
    if area is None:
        return None
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    pad_x = max(_AREA_MARGIN_DEG, (area.east - area.west) / 4)
    pad_y = max(_AREA_MARGIN_DEG, (area.north - area.south) / 4)
    boxes = (
        (
            max(-180.0, area.west - pad_x),
            max(-90.0, area.south - pad_y),
            min(180.0, area.east + pad_x),
            min(90.0, area.north + pad_y),
        ),
        (area.west, area.south, area.east, area.north),
    )
    for box in boxes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                bounds = to_crs.transform_bounds(*box, densify_pts=21)
            except pyproj.exceptions.ProjError:
                continue
        if all(np.isfinite(bounds)):
            return (bounds[0], bounds[1], bounds[2], bounds[3])
    return None


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
                f"{labels[0]} is within ±90°; swap the columns ({param('lat')}/{param('lon')})"
            )
        elif out_of_range.any():
            problems.append(
                f"{int(out_of_range.sum())} rows with coordinates out of range "
                f"(latitude beyond ±90° or longitude beyond ±180°; rows {_rows(out_of_range)})"
            )
    elif (bounds := valid_bounds(crs)) is not None:
        minx, miny, maxx, maxy = bounds
        with np.errstate(invalid="ignore"):
            out_of_range = ~nonfinite & ((xs < minx) | (xs > maxx) | (ys < miny) | (ys > maxy))
        if out_of_range.any():
            problems.append(
                f"{int(out_of_range.sum())} rows with coordinates far outside the area where "
                f"{crs.name} is used (x {minx:,.0f} to {maxx:,.0f}, y {miny:,.0f} to "
                f"{maxy:,.0f}; rows {_rows(out_of_range)}): check the CRS"
            )
    invalid = nonfinite | out_of_range
    if problems and (swapped or not drop_invalid):
        hint = "" if swapped else f"; use {param('drop_invalid')} to drop those rows"
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


#: Column names taken as a point's label (any case), first match wins.
LABEL_NAMES = ("name", "nom", "label", "title")


def label_column_of(gdf: pd.DataFrame) -> str | None:
    """The first column named like a label (:data:`LABEL_NAMES`, any case), or None."""
    by_lower: dict[str, str] = {}
    for column in gdf.columns:
        if isinstance(column, str):
            by_lower.setdefault(column.lower(), column)
    return next((by_lower[n] for n in LABEL_NAMES if n in by_lower), None)


#: Column names taken as a point's identifier (any case), first match wins: generic ids,
#: OpenStreetMap's, and the French business register's (SIRET, SIREN).
ID_NAMES = ("id", "identifier", "uid", "fid", "osm_id", "@id", "siret", "siren", "ref", "code")


def id_column_of(gdf: pd.DataFrame) -> str | None:
    """The column that identifies each point: the first named like an id (:data:`ID_NAMES`,
    any case), else the label column (:func:`label_column_of`), if its values are all
    present and distinct; None if no column qualifies (rows are then named by number).

    Examples
    --------
    >>> id_column_of(pd.DataFrame({"Name": ["a", "b"], "SIRET": [1, 2]}))
    'SIRET'
    >>> id_column_of(pd.DataFrame({"id": [1, 1], "name": ["a", "b"]}))
    'name'
    >>> id_column_of(pd.DataFrame({"kind": ["a", "b"]})) is None
    True
    """
    by_lower: dict[str, str] = {}
    for column in gdf.columns:
        if isinstance(column, str):
            by_lower.setdefault(column.lower(), column)
    named = [by_lower[n] for n in ID_NAMES if n in by_lower]
    label = label_column_of(gdf)
    for column in [*named, *([label] if label is not None else [])]:
        values = gdf[column]
        if values.notna().all() and values.is_unique:
            return column
    return None
