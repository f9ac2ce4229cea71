"""Results as JSON: the one sanitiser of values and the one GeoJSON writer of frames."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd


#: The C encoder of :func:`json_text`'s one-line values (made once, not per value).
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_PLAIN = frozenset({str, int, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars become Python ones, tuples lists, NaN and infinities
    None; dict keys become strings.

    Examples
    --------
    >>> to_jsonable({"r": np.float64(0.5), "p": float("nan"), 1: (np.int64(2),)})
    {'r': 0.5, 'p': None, '1': [2]}
    """
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind in _PLAIN:
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: Any, *, indent: int = 2) -> str:
    """JSON text of plain JSON values (:func:`to_jsonable`'s), laid out as
    ``json.dumps(value, indent=indent, ensure_ascii=False)`` lays it out, except that an
    array of no object or array, and an object of no object or array inside an array (a
    record), are written on one line: a list of records (cores, cells) is one record a
    line, written by the C encoder, in half the time and three quarters of the size of
    one line a value.

    Examples
    --------
    >>> print(json_text({"n": 2, "ids": [0, 1], "cores": [{"core": 0, "area_km2": 1.5}]}))
    {
      "n": 2,
      "ids": [0, 1],
      "cores": [
        {"core": 0, "area_km2": 1.5}
      ]
    }
    """
    parts: list[str] = []
    _write(value, parts, indent=indent, depth=0, in_array=False)
    return "".join(parts)


def _flat(values: Any) -> bool:
    return not any(isinstance(v, dict | list) for v in values)


def _write(value: Any, parts: list[str], *, indent: int, depth: int, in_array: bool) -> None:
    """Append the text of ``value`` at ``depth`` to ``parts`` (see :func:`json_text`)."""
    if not isinstance(value, dict | list) or not value:
        parts.append(_ENCODER.encode(value))
        return
    is_dict = isinstance(value, dict)
    members = value.values() if isinstance(value, dict) else value
    if (in_array or not is_dict) and _flat(members):
        parts.append(_ENCODER.encode(value))
        return
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    inner = "\n" + " " * (indent * (depth + 1))
    parts.append("{" if is_dict else "[")
    for k, (key, item) in enumerate(items):
        parts.append(("," if k else "") + inner)
        if is_dict:
            parts.append(_ENCODER.encode(key) + ": ")
        _write(item, parts, indent=indent, depth=depth + 1, in_array=not is_dict)
    parts.append("\n" + " " * (indent * depth) + ("}" if is_dict else "]"))


def feature_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """``frame`` as an RFC 7946 FeatureCollection (EPSG:4326; missing values null; no
    ``id`` member, an index with a name becomes a property)."""
    frame = frame.to_crs(4326)
    if frame.index.name is not None:
        frame = frame.reset_index()
    data: dict[str, Any] = json.loads(frame.to_json(drop_id=True, na="null"))
    return data
