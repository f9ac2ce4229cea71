"""Read GeoJSON with Python alone: GDAL never sees a GeoJSON upload.

GDAL's JSON parser (json-c) and Python's can read one text as two documents: json-c cuts a
key at an escaped NUL (``"type\\u0000"`` is ``type`` to it) and keeps the last of repeated
keys, so a file can be a FeatureCollection to a Python check and a GDALG pipeline to GDAL.
Here the one parse is Python's, and a key holding NUL or given twice in one object is
refused anyway (:func:`loads`).

Geometries are built by shapely: points from their coordinates in one call, other types
from their GeoJSON objects. Properties become columns: numbers and booleans as pandas
infers them, any other value as text (objects and arrays as their JSON text), as GDAL
reads them. The CRS is EPSG:4326 (RFC 7946), or the one an old-style ``crs`` member names.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from geo._containers import check_columns
from geo.errors import InputDataError, TooLargeError, quote

__all__ = ["MAX_JSON_DEPTH", "json_depth", "loads", "read_geojson"]

#: GeoJSON nested deeper than this (arrays and objects) is refused before it is parsed.
MAX_JSON_DEPTH = 64


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in JSON text, found without parsing it."""
    import re

    bare = np.frombuffer(re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', raw, flags=re.DOTALL), np.uint8)
    opens = (bare == ord("[")) | (bare == ord("{"))
    closes = (bare == ord("]")) | (bare == ord("}"))
    steps = opens.astype(np.int8) - closes.astype(np.int8)
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if a key holds NUL or is given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if "\x00" in key:
            msg = f"a JSON key holds a NUL character ({quote(key)})"
            raise InputDataError(msg)
        if key in out:
            msg = f"the JSON key {quote(key)} is given twice in one object"
            raise InputDataError(msg)
        out[key] = value
    return out


def loads(raw: bytes, *, name: str) -> Any:
    """Parse JSON text nested at most :data:`MAX_JSON_DEPTH` deep, whose objects repeat no
    key and whose keys hold no NUL.

    Raises
    ------
    InputDataError
        Naming ``name`` and where the text is not such JSON.
    """
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        msg = f"{name}: JSON nested {depth:,} levels deep, more than the limit of {MAX_JSON_DEPTH}"
        raise InputDataError(msg)
    try:
        return json.loads(raw, object_pairs_hook=_object)
    except UnicodeDecodeError as exc:
        msg = f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise InputDataError(msg) from exc
    except json.JSONDecodeError as exc:
        msg = f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        raise InputDataError(msg) from exc
    except InputDataError as exc:
        msg = f"{name}: {exc.message}"
        raise InputDataError(msg) from None


def features_of(raw: bytes, *, name: str) -> tuple[list[Any], Any]:
    """The features of a GeoJSON FeatureCollection or Feature, and its ``crs`` member."""
    data = loads(raw, name=name)
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if kind not in ("FeatureCollection", "Feature"):
        msg = f"{name}: expected a GeoJSON FeatureCollection or Feature, got {quote(kind)}"
        raise InputDataError(msg)
    features = data.get("features") if kind == "FeatureCollection" else [data]
    if not isinstance(features, list):
        msg = f"{name}: the FeatureCollection's 'features' is not an array"
        raise InputDataError(msg)
    return features, data.get("crs")


def read_geojson(raw: bytes, *, name: str, max_points: int | None = None) -> Any:
    """A GeoDataFrame of GeoJSON text (see the module doc).

    Raises
    ------
    InputDataError
        If the text is not such GeoJSON (see :func:`loads`), or a feature or geometry is
        malformed (its index named).
    TooLargeError
        Beyond ``max_points`` features.
    """
    import geopandas as gpd

    features, crs = features_of(raw, name=name)
    if max_points is not None and len(features) > max_points:
        msg = (
            f"{name}: holds {len(features):,} features, more than the limit of "
            f"{max_points:,} points"
        )
        raise TooLargeError(msg)
    geometries = _geometries(features, name=name)
    properties = [_properties(f, index=i, name=name) for i, f in enumerate(features)]
    frame = _columns(properties, name=name)
    return gpd.GeoDataFrame(frame, geometry=geometries, crs=_crs(crs, name=name))


def _properties(feature: Any, *, index: int, name: str) -> dict[str, Any]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        msg = f"{name}: feature {index} is not a GeoJSON Feature"
        raise InputDataError(msg)
    properties = feature.get("properties")
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        msg = f"{name}: feature {index} has 'properties' that are not an object"
        raise InputDataError(msg)
    return properties


def _geometries(features: list[Any], *, name: str) -> np.ndarray:
    """Every feature's geometry (None where it has none): points in one shapely call."""
    import shapely
    import shapely.geometry

    out = np.full(len(features), None, dtype=object)
    point_at: list[int] = []
    xy: list[tuple[float, float]] = []
    for i, feature in enumerate(features):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if geometry is None:
            continue
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            geometry.get("type") == "Point"
            and isinstance(coords, list)
            and len(coords) in (2, 3)
            and all(type(c) in (int, float) for c in coords)
        ):
            point_at.append(i)
            xy.append((coords[0], coords[1]))
            continue
        try:
            out[i] = shapely.geometry.shape(geometry)
        except Exception as exc:  # shapely raises several types for malformed geometries
            msg = f"{name}: feature {i} has an invalid geometry: {quote(exc)}"
            raise InputDataError(msg) from exc
    if xy:
        out[np.asarray(point_at)] = shapely.points(np.asarray(xy, dtype=float))
    return out


def _columns(properties: list[dict[str, Any]], *, name: str) -> pd.DataFrame:
    """Properties as columns: numbers and booleans inferred, anything else as text."""
    names = list(dict.fromkeys(key for row in properties for key in row))
    check_columns(len(names), name=name)
    columns: dict[str, Any] = {}
    for column in names:
        values = [row.get(column) for row in properties]
        if all(v is None or type(v) in (int, float, bool) for v in values):
            columns[column] = pd.Series(values, dtype=None if any(values) else object)
        else:
            columns[column] = pd.Series([_text(v) for v in values], dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(properties)))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _crs(member: Any, *, name: str) -> Any:
    """EPSG:4326, or the CRS an old-style ``{"type": "name", ...}`` member names."""
    import pyproj

    if member is None:
        return pyproj.CRS.from_epsg(4326)
    try:
        crs = pyproj.CRS.from_user_input(str(member["properties"]["name"]))
    except (TypeError, KeyError, pyproj.exceptions.CRSError) as exc:
        msg = f"{name}: the 'crs' member names no CRS pyproj knows: {quote(exc)}"
        raise InputDataError(msg) from exc
    return pyproj.CRS.from_epsg(4326) if crs.equals(pyproj.CRS("OGC:CRS84")) else crs
