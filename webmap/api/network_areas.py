"""API functions for named areas (an analyst's own street graph): isochrones, walking
distances and accessibility from points sent in the request.

``/api/network/<area>/isochrones``, ``/distances`` and ``/accessibility`` take their
points either as ``lat``/``lon`` lists (``GET``, at most :data:`MAX_LISTED_POINTS`) or as a
CSV or GeoJSON body (``POST``: a raw body, or a multipart form with a ``points`` file and,
for accessibility, a ``to`` file), read by the CLI's loader
(:func:`geo.points.read_points_bytes`) with the upload limits and at most
:data:`MAX_POINTS` points. Areas are registered with ``clustermap network import GRAPH
--name AREA``; they are never created through the API.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.errors import ParameterError, TooLargeError
from webmap.api.measures_api import MINUTES_PARAM
from webmap.api.params import Param, parse_params
from webmap.api.response import GEOJSON, JSON, ApiResponse, answers_errors

MAX_POINTS = 2_000
"""Most origins (and destinations) in one request."""
MAX_ISOCHRONE_ORIGINS = 100
"""Most origins of per-origin isochrones (``union=true`` takes :data:`MAX_POINTS`)."""
MAX_PAIRS_POINTS = 200
"""Most points for every pair (``nearest`` takes :data:`MAX_POINTS`)."""
MAX_LISTED_POINTS = 50
"""Most points given as ``lat``/``lon`` (or ``to_lat``/``to_lon``) lists."""


def _coordinates(prefix: str, what: str) -> tuple[Param, Param]:
    return (
        Param(
            f"{prefix}lat",
            "numbers",
            f"Latitudes of {what}, comma-separated (EPSG:4326), instead of a body.",
            minimum=-90,
            maximum=90,
            max_items=MAX_LISTED_POINTS,
        ),
        Param(
            f"{prefix}lon",
            "numbers",
            f"Longitudes of {what}, comma-separated, as many as the latitudes.",
            minimum=-180,
            maximum=180,
            max_items=MAX_LISTED_POINTS,
        ),
    )


_COMMON = (
    *_coordinates("", "the points"),
    Param(
        "id",
        "string",
        "Id column of the points' file (default: a column named id, site_id, fid or name, "
        "else the row number from 1).",
    ),
    Param(
        "format",
        "string",
        "Declares a body sent without a CSV or GeoJSON Content-Type or file name.",
        choices=("csv", "geojson"),
    ),
    Param("speed_kmh", "number", "Walking speed, km/h.", default=4.8, minimum=1.0, maximum=30.0),
)
ISOCHRONE_PARAMS = (
    *_COMMON,
    MINUTES_PARAM,
    Param(
        "union",
        "boolean",
        "One polygon per time, the area within it of any point (else one set per point, "
        f"at most {MAX_ISOCHRONE_ORIGINS} points).",
        default=False,
    ),
)
DISTANCE_PARAMS = (
    *_COMMON,
    Param(
        "nearest",
        "integer",
        "Each point's K nearest others on foot (else every pair, at most "
        f"{MAX_PAIRS_POINTS} points).",
        minimum=1,
        maximum=20,
    ),
)
ACCESSIBILITY_PARAMS = (
    *_COMMON,
    MINUTES_PARAM,
    *_coordinates("to_", "the destinations"),
    Param("to_id", "string", "Id column of the destinations' file (default as `id`)."),
)


@dataclass(frozen=True)
class Body:
    """Points sent in a request body: the bytes, the file name if any, the media type."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Limits:
    """Where areas live and how much a request may send."""

    cache_dir: str | os.PathLike[str] | None = None
    max_points: int = MAX_POINTS
    max_bytes: int | None = None


def _body_name(fmt: str | None, body: Body) -> str:
    if fmt is not None:
        return f"points.{fmt}"
    if body.filename:
        return PurePath(body.filename).name[:100]
    kind = (body.content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "text/plain", "application/csv"):
        return "points.csv"
    if kind in ("application/geo+json", "application/json"):
        return "points.geojson"
    msg = (
        "say what the body is: Content-Type text/csv or application/geo+json, a multipart "
        "file with a .csv or .geojson name, or ?format=csv|geojson"
    )
    raise ParameterError(msg)


def _points(
    opts: Mapping[str, Any], body: Body | None, *, prefix: str, part: str, limits: Limits
) -> gpd.GeoDataFrame:
    """The points of a request: ``<prefix>lat``/``<prefix>lon`` lists, or a body."""
    from geo.formats import sniff
    from geo.points import read_points_bytes
    from webmap.api.uploads_api import MAX_TEXT_CHARS

    lat, lon = opts[f"{prefix}lat"], opts[f"{prefix}lon"]
    has_body = body is not None and bool(body.data.strip())
    if lat is not None or lon is not None:
        if lat is None or lon is None or len(lat) != len(lon):
            msg = f"give {prefix}lat and {prefix}lon together, as many of each"
            raise ParameterError(msg)
        if has_body:
            msg = f"send the {part} as {prefix}lat/{prefix}lon or in the body, not both"
            raise ParameterError(msg)
        return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    if body is None or not has_body:
        msg = f"send the {part} as {prefix}lat/{prefix}lon lists or as a CSV or GeoJSON body"
        raise ParameterError(msg)
    name = _body_name(opts["format"], body)
    # read in the server's process, not in the upload cage: only the formats Python parses
    # itself (no GDAL, no container to decompress), with the upload's text limit
    if sniff(body.data, name=name) not in ("csv", "json"):
        msg = f"send the {part} as CSV or GeoJSON (other formats: POST /api/analyze)"
        raise ParameterError(msg)
    points = read_points_bytes(
        body.data,
        filename=name,
        max_points=limits.max_points,
        max_bytes=limits.max_bytes,
        max_chars=MAX_TEXT_CHARS,
    )
    if len(points) > limits.max_points:
        msg = f"at most {limits.max_points} {part} per request, got {len(points)}"
        raise TooLargeError(msg)
    return points


@functools.lru_cache(maxsize=4)
def _engine_of(path: str, stamp: tuple[int, int], cache_dir: str | None) -> Any:
    from geo.network import load_engine

    return load_engine(path, cache_dir=cache_dir)


def _engine(area: str, limits: Limits) -> Any:
    """The area's engine, loaded once per process while its graph file is unchanged."""
    from geo.network.areas import area_info

    info = area_info(area, cache_dir=limits.cache_dir)
    stat = info.path.stat()
    cache_dir = None if limits.cache_dir is None else str(limits.cache_dir)
    return _engine_of(str(info.path), (stat.st_size, stat.st_mtime_ns), cache_dir)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: non-finite numbers become null, ids stay ints or strings."""
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")
    ]
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
            elif hasattr(value, "item"):
                row[key] = value.item()
    return rows


def _too_many(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise TooLargeError(f"{what}: at most {limit} points, got {count}")


@answers_errors
def isochrones(
    area: str, args: Mapping[str, str], body: Body | None = None, *, limits: Limits
) -> ApiResponse:
    """``/api/network/<area>/isochrones``: nested walking isochrones around each point
    (``union=true``: around all of them), as GeoJSON."""
    from geo.network import to_geojson
    from geo.network.analyst import point_isochrones

    opts = parse_params(ISOCHRONE_PARAMS, args)
    engine = _engine(area, limits)
    points = _points(opts, body, prefix="", part="points", limits=limits)
    if not opts["union"]:
        _too_many(len(points), MAX_ISOCHRONE_ORIGINS, "isochrones without union=true")
    frame = point_isochrones(
        engine,
        points,
        minutes=opts["minutes"],
        speed_kmh=opts["speed_kmh"],
        union=bool(opts["union"]),
        id_column=opts["id"],
    )
    return ApiResponse(200, to_geojson(frame), {"Content-Type": GEOJSON})


@answers_errors
def distances(
    area: str, args: Mapping[str, str], body: Body | None = None, *, limits: Limits
) -> ApiResponse:
    """``/api/network/<area>/distances``: door-to-door walking distances between the points
    (every pair, or each point's ``nearest`` K)."""
    from geo.network import OSM_ATTRIBUTION
    from geo.network.analyst import point_distances

    opts = parse_params(DISTANCE_PARAMS, args)
    engine = _engine(area, limits)
    points = _points(opts, body, prefix="", part="points", limits=limits)
    if opts["nearest"] is None:
        _too_many(len(points), MAX_PAIRS_POINTS, "every pair (without nearest)")
    table = point_distances(
        engine, points, nearest=opts["nearest"], speed_kmh=opts["speed_kmh"], id_column=opts["id"]
    )
    payload = {
        "network": area,
        "speed_kmh": opts["speed_kmh"],
        "pairs": _records(table),
        "attribution": OSM_ATTRIBUTION,
    }
    return ApiResponse(200, payload, {"Content-Type": JSON})


@answers_errors
def accessibility(
    area: str,
    args: Mapping[str, str],
    body: Body | None = None,
    *,
    destinations: Body | None = None,
    limits: Limits,
) -> ApiResponse:
    """``/api/network/<area>/accessibility``: for each point, the nearest destination on
    foot and the destinations within each of ``minutes``."""
    from geo.network import OSM_ATTRIBUTION
    from geo.network.analyst import destination_access

    opts = parse_params(ACCESSIBILITY_PARAMS, args)
    engine = _engine(area, limits)
    origins = _points(opts, body, prefix="", part="points", limits=limits)
    targets = _points(opts, destinations, prefix="to_", part="destinations", limits=limits)
    table = destination_access(
        engine,
        origins,
        targets,
        minutes=opts["minutes"],
        speed_kmh=opts["speed_kmh"],
        id_column=opts["id"],
        destination_id_column=opts["to_id"],
    )
    payload = {
        "network": area,
        "speed_kmh": opts["speed_kmh"],
        "minutes": sorted(set(opts["minutes"])),
        "origins": _records(table),
        "attribution": OSM_ATTRIBUTION,
    }
    return ApiResponse(200, payload, {"Content-Type": JSON})
