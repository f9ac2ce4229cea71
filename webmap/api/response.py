"""What an API function answers: :class:`ApiResponse`, media types, and errors.

Every API function returns an :class:`ApiResponse`; :func:`answers_errors` turns the
:class:`geo.errors.ClustermapError` it raises into the 4xx answer of
:data:`webmap.error_table.ERRORS`, so no function repeats that translation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from geo.errors import ClustermapError
from webmap.error_table import answer_for, body_for, error_body

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"

P = ParamSpec("P")


@dataclass(frozen=True)
class ApiResponse:
    """What an API call answers: status, headers, and a JSON-able body."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": JSON})


def error(status: int, code: str, description: str) -> ApiResponse:
    """A JSON error body, e.g. ``error(404, "NotFound", "unknown cluster id 'x'")``."""
    return ApiResponse(status, error_body(code, description))


def from_exception(exc: ClustermapError) -> ApiResponse:
    """The 4xx answer to a clustermap error, with every problem it carries."""
    return ApiResponse(answer_for(exc).status, body_for(exc))


def answers_errors(func: Callable[P, ApiResponse]) -> Callable[P, ApiResponse]:
    """Decorate an API function: a :class:`ClustermapError` it raises becomes its answer."""

    @functools.wraps(func)
    def answer(*args: P.args, **kwargs: P.kwargs) -> ApiResponse:
        try:
            return func(*args, **kwargs)
        except ClustermapError as exc:
            return from_exception(exc)

    return answer
