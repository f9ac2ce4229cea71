"""Registry validation: collect every problem in one pass.

Each check appends a line ``file: feature 'id' (#n): field: what is wrong`` to a list; the
caller raises one :class:`geo.errors.RegistryError` with all of them, so a user fixes a
file in one pass instead of one fault per run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from geo._geodesy import geodesic_distance_m
from geo.errors import Problems
from geo.schema import Field

MAX_KM_FROM_CITY = 50.0

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")


def feature_label(filename: str, number: int, feature: Mapping[str, Any]) -> str:
    """Name a feature for messages: its file, its id when it has one, and its position."""
    props = feature.get("properties") or {}
    fid = props.get("id") if isinstance(props, Mapping) else None
    return f"{filename}: feature #{number}" + (f" {fid!r}" if fid else "")


def check_collection(filename: str, data: Any, problems: Problems) -> list[dict[str, Any]]:
    """Check the GeoJSON envelope and return the features that are objects."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        problems.add(f"expected a GeoJSON FeatureCollection, got {got!r}", where=filename)
        return []
    features = data.get("features")
    if not isinstance(features, list):
        problems.add("'features' must be a list", where=filename)
        return []
    good = []
    for n, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add("is not a GeoJSON Feature", where=f"{filename}: feature #{n}")
        elif not isinstance(feature.get("properties"), dict):
            problems.add("has no 'properties' object", where=f"{filename}: feature #{n}")
        else:
            good.append(feature)
    return good


def check_fields(
    where: str, props: Mapping[str, Any], fields: Iterable[Field], problems: Problems
) -> None:
    """Each field of :mod:`geo.schema` by its kind: required ones present and non-empty,
    slugs, texts, choices, dates and metres well-formed (``path``, ``practices`` and
    ``members`` are checked by the registry, which reads their targets)."""
    fields = list(fields)
    for field in fields:
        value = props.get(field.name)
        if field.required and (value is None or (isinstance(value, str | list) and not value)):
            problems.add(f"{field.name}: missing required field", where=where)
    for field in fields:
        value = props.get(field.name)
        if value is not None:
            _check_kind(where, field, value, problems)


def _check_kind(where: str, field: Field, value: Any, problems: Problems) -> None:
    name = field.name
    if field.kind == "slug":
        if not isinstance(value, str):
            problems.add(f"{name}: must be a string", where=where)
        elif value and not _ID.match(value):
            problems.add(f"{name}: {value!r} is not a slug (a-z, 0-9 and '-')", where=where)
    elif field.kind == "text" and not isinstance(value, str):
        problems.add(f"{name}: must be a text, not {type(value).__name__}", where=where)
    elif field.kind == "choice":
        check_choice(where, name, value, field.choices, problems)
    elif field.kind == "date" and not (isinstance(value, str) and _DATE.match(value)):
        problems.add(f"{name}: {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", where=where)
    elif field.kind == "metres" and not (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    ):
        problems.add(f"{name}: {value!r} is not a positive number of metres", where=where)


def check_choice(
    where: str, field: str, value: Any, allowed: tuple[str, ...], problems: Problems
) -> None:
    """``value`` is one of ``allowed`` (missing values are reported by check_fields)."""
    if value is not None and value not in allowed:
        problems.add(f"{field}: {value!r} is not one of {', '.join(allowed)}", where=where)


def check_geometry(
    where: str, geojson: Any, problems: Problems, *, allowed: tuple[str, ...]
) -> BaseGeometry | None:
    """Parse a GeoJSON geometry; report bad types, invalid or empty shapes, out-of-range
    coordinates. Returns the shapely geometry, or None when absent or unusable."""
    if geojson is None:
        return None
    if not isinstance(geojson, dict) or geojson.get("type") not in allowed:
        got = geojson.get("type") if isinstance(geojson, dict) else type(geojson).__name__
        problems.add(f"geometry: type {got!r} is not one of {', '.join(allowed)}", where=where)
        return None
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed input
        problems.add(f"geometry: cannot be read ({exc})", where=where)
        return None
    if geom.is_empty:
        problems.add("geometry: is empty", where=where)
        return None
    coords = _all_coords(geom)
    bad = [(x, y) for x, y in coords if not (math.isfinite(x) and math.isfinite(y))]
    if bad:
        problems.add("geometry: coordinates are not finite numbers", where=where)
        return None
    out = [(x, y) for x, y in coords if not (-180 <= x <= 180 and -90 <= y <= 90)]
    if out:
        x, y = out[0]
        hint = " (lat/lon swapped?)" if -90 <= x <= 90 and -180 <= y <= 180 else ""
        problems.add(
            f"geometry: coordinate [{x}, {y}] is out of range: RFC 7946 wants "
            f"[longitude, latitude] with lon in [-180, 180], lat in [-90, 90]{hint}",
            where=where,
        )
        return None
    if not geom.is_valid:
        problems.add("geometry: is not a valid shape (self-intersection?)", where=where)
        return None
    return geom


def check_approximation(where: str, props: Mapping[str, Any], problems: Problems) -> None:
    """``approximates`` is not blank (its kind and ``uncertainty_m``'s are checked by
    :func:`check_fields`); both describe a drawn position, so a site without geometry has
    neither, and a drawn low-confidence position always says what it approximates."""
    what, radius = props.get("approximates"), props.get("uncertainty_m")
    if isinstance(what, str) and not what.strip():
        problems.add(
            "approximates: must be a non-empty text (what the point stands for)", where=where
        )
    located = props.get("location_precision") not in (None, "unknown")
    if not located and (what is not None or radius is not None):
        problems.add(
            "approximates/uncertainty_m: describe a position; this site has none", where=where
        )
    if located and props.get("confidence") == "low" and what is None:
        problems.add(
            "approximates: a low-confidence position must say what it stands for", where=where
        )


def check_near_city(
    where: str, geom: BaseGeometry, city: str, city_point: Point, problems: Problems
) -> None:
    """A site lies within MAX_KM_FROM_CITY of its cluster's city, else report it, naming a
    lat/lon swap when swapping the coordinates brings it close."""
    point = geom.representative_point()
    km = _km(point.x, point.y, city_point.x, city_point.y)
    if km <= MAX_KM_FROM_CITY:
        return
    swapped = _km(point.y, point.x, city_point.x, city_point.y)
    hint = (
        "; swapping them puts it in town, so lat/lon look swapped"
        if swapped <= MAX_KM_FROM_CITY
        else ""
    )
    problems.add(
        f"geometry: is {km:,.0f} km from {city} (more than {MAX_KM_FROM_CITY:.0f} km){hint}",
        where=where,
    )


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    if not (-90 <= lat1 <= 90 and -180 <= lon1 <= 180):
        return math.inf
    return float(geodesic_distance_m(lon1, lat1, lon2, lat2)) / 1000.0


def _all_coords(geom: BaseGeometry) -> list[tuple[float, float]]:
    if hasattr(geom, "geoms"):
        return [c for part in geom.geoms for c in _all_coords(part)]
    if geom.geom_type == "Polygon":
        rings = [geom.exterior, *geom.interiors]  # type: ignore[attr-defined]
        return [(float(c[0]), float(c[1])) for ring in rings for c in ring.coords]
    return [(float(c[0]), float(c[1])) for c in geom.coords]
