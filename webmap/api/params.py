"""Query parameters declared once: validated from requests and documented in OpenAPI.

Each endpoint lists its :class:`Param` objects next to the function that reads them;
:func:`parse_params` validates a request against them (every problem reported at once)
and :mod:`webmap.web.openapi` documents them, so the documentation cannot drift from the
validation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from geo.errors import ParameterError, Problems

ParamKind = Literal["number", "integer", "string", "boolean", "numbers", "bbox"]


@dataclass(frozen=True)
class Param:
    """A documented query parameter: its type, range and default.

    ``kind`` is one of ``"number"`` (finite float; with ``choices``, a float or one of
    those words), ``"integer"`` (with ``choices``, an integer or one of those words),
    ``"string"`` (with ``choices``, one of them),
    ``"boolean"`` (``true``/``false``/``1``/``0``), ``"numbers"`` (comma-separated finite
    floats, at most ``max_items``) or ``"bbox"`` (``minx,miny,maxx,maxy`` in lon/lat).
    ``clamp`` brings an integer above ``maximum`` down to it instead of refusing it.
    """

    name: str
    kind: ParamKind
    description: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    max_items: int | None = None
    clamp: bool = False

    def schema(self) -> dict[str, Any]:
        """The OpenAPI 3.0 schema of the parameter."""
        bounds: dict[str, Any] = {}
        if self.minimum is not None:
            bounds["minimum"] = self.minimum
            if self.exclusive_minimum:
                bounds["exclusiveMinimum"] = True
        if self.maximum is not None and not self.clamp:
            bounds["maximum"] = self.maximum
        if self.kind == "number":
            number = {"type": "number", **bounds}
            if self.choices:
                return {"anyOf": [number, {"type": "string", "enum": list(self.choices)}]}
            return number
        if self.kind == "integer":
            integer = {"type": "integer", **bounds}
            if self.choices:
                return {"anyOf": [integer, {"type": "string", "enum": list(self.choices)}]}
            return integer
        if self.kind == "boolean":
            return {"type": "boolean"}
        if self.kind == "numbers":
            return {
                "type": "array",
                "items": {"type": "number", **bounds},
                "minItems": 1,
                "maxItems": self.max_items or 10,
            }
        if self.kind == "bbox":
            return {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}
        if self.choices:
            return {"type": "string", "enum": list(self.choices)}
        return {"type": "string", "maxLength": 200}

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.0 parameter object (a query parameter)."""
        schema = self.schema()
        if self.default is not None:
            schema = {**schema, "default": self.default}
        out: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": schema,
        }
        if self.kind in ("numbers", "bbox"):
            out.update(style="form", explode=False)
        return out


#: Numbers are ASCII digits (``int``/``float`` also take "٣" and "1_0"), at most 50 characters.
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?")
_MAX_NUMBER_CHARS = 50


def _finite(text: str) -> float | None:
    text = text.strip()
    if len(text) > _MAX_NUMBER_CHARS or not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


Parsed = tuple[Any, str | None]


def _parse_boolean(param: Param, text: str) -> Parsed:
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True, None
    if lowered in ("false", "0", "no"):
        return False, None
    return None, f"{param.name} must be true or false"


def _parse_string(param: Param, text: str) -> Parsed:
    if param.choices and text not in param.choices:
        return None, f"{param.name} must be one of {', '.join(param.choices)}"
    if len(text) > 200:
        return None, f"{param.name} is longer than 200 characters"
    return text, None


def _parse_bbox(param: Param, text: str) -> Parsed:
    name = param.name
    values = [_finite(v) for v in text.split(",")]
    if len(values) not in (4, 6) or any(v is None for v in values):
        return None, f"{name} must be 4 (or 6) finite numbers: minx,miny,maxx,maxy"
    box = [float(v) for v in values if v is not None]
    minx, miny, maxx, maxy = (box[0], box[1], box[2], box[3])
    if len(box) == 6:
        minx, miny, maxx, maxy = box[0], box[1], box[3], box[4]
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None, (
            f"{name} must be lon/lat degrees with -90 <= miny <= maxy <= 90 "
            "and longitudes within [-180, 180]"
        )
    return (minx, miny, maxx, maxy), None


def _parse_numbers(param: Param, text: str) -> Parsed:
    name = param.name
    parts = [v for v in text.split(",") if v.strip()]
    if not parts or (param.max_items is not None and len(parts) > param.max_items):
        return None, f"{name} must be 1 to {param.max_items} comma-separated numbers"
    one = Param(
        name,
        "number",
        "",
        minimum=param.minimum,
        maximum=param.maximum,
        exclusive_minimum=param.exclusive_minimum,
    )
    numbers = []
    for part in parts:
        value, problem = _parse_number(one, part.strip())
        if problem:
            return None, problem
        numbers.append(value)
    return numbers, None


def _parse_number(param: Param, text: str) -> Parsed:
    """An integer or a finite number (or one of the param's words) within its range."""
    name = param.name
    if text.lower() in param.choices:
        return text.lower(), None
    number: float | int | None
    if param.kind == "integer":
        number = int(text) if _INTEGER.fullmatch(text) else None
    else:
        number = _finite(text)
    if number is None:
        words = f" or one of {', '.join(param.choices)}" if param.choices else ""
        kind = "an integer" if param.kind == "integer" else "a finite number"
        return None, f"{name} must be {kind}{words}"
    low, high = param.minimum, param.maximum
    if low is not None and (number < low or (param.exclusive_minimum and number == low)):
        sign = ">" if param.exclusive_minimum else ">="
        return None, f"{name} must be {sign} {low:g}"
    if high is not None and number > high:
        if param.clamp:
            return type(number)(high), None
        return None, f"{name} must be <= {high:g}"
    return number, None


_PARSERS = {
    "boolean": _parse_boolean,
    "string": _parse_string,
    "bbox": _parse_bbox,
    "numbers": _parse_numbers,
    "number": _parse_number,
    "integer": _parse_number,
}


def _parse_one(param: Param, text: str) -> Parsed:
    """(value, problem) of one raw parameter value."""
    return _PARSERS[param.kind](param, text.strip())


def parse_params(params: Sequence[Param], args: Mapping[str, str]) -> dict[str, Any]:
    """Validate ``args`` against ``params``: a dict of every parameter (defaults filled in).

    Unknown arguments are ignored. Empty values count as absent.

    Raises
    ------
    ParameterError
        Listing every invalid parameter at once (messages never include the raw input).
    """
    values: dict[str, Any] = {}
    problems = Problems()
    for param in params:
        raw = args.get(param.name)
        if raw is None or not str(raw).strip():
            values[param.name] = param.default
            continue
        value, problem = _parse_one(param, str(raw))
        if problem:
            problems.add(problem)
        values[param.name] = value
    problems.raise_if_any(ParameterError)
    return values
