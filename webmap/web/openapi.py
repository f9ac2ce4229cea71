"""The OpenAPI 3.0 document, generated from the routes themselves so it cannot drift.

Each documented view carries an :class:`Operation` (set by the :func:`operation`
decorator, next to its route); :func:`document` walks the app's URL map, turns Flask rules
into OpenAPI paths (``<cluster_id>`` -> ``{cluster_id}``) and takes the query parameters
from the same :class:`webmap.api.params.Param` lists that validate requests. A test checks the
result against the OpenAPI 3.0 schema and that every ``/api`` and ``/ogc`` route is
documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask

from webmap.api.params import Param

__all__ = ["OPENAPI_MEDIA_TYPE", "Operation", "document", "operation"]

from webmap.api.response import OPENAPI_MEDIA_TYPE

_ATTRIBUTE = "_openapi_operation"
_RULE_ARGUMENT = re.compile(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>")

F = TypeVar("F", bound=Callable[..., Any])

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "description"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
}
FEATURE_COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
    },
}
FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": {"type": "object", "nullable": True},
        "properties": {"type": "object", "nullable": True},
    },
}


@dataclass(frozen=True)
class Operation:
    """What the document says about one route.

    ``body`` is ``"json"`` (any JSON object), ``"geojson"`` (a FeatureCollection),
    ``"feature"``, ``"html"`` or ``"openapi"``; ``path_params`` describes the rule's
    arguments (``{name: (description, enum[, example])}``); ``request_body`` is an OpenAPI
    request body object; ``statuses`` lists the error statuses.
    """

    summary: str
    tags: tuple[str, ...] = ("api",)
    params: Sequence[Param] = ()
    body: str = "json"
    html: bool = False
    path_params: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    request_body: dict[str, Any] | None = None
    statuses: tuple[int, ...] = (400, 404)
    success: int = 200
    description: str = ""


def operation(summary: str, **kwargs: Any) -> Callable[[F], F]:
    """Attach an :class:`Operation` to a view function (put it under the route decorator)."""

    def decorate(view: F) -> F:
        setattr(view, _ATTRIBUTE, Operation(summary=summary, **kwargs))
        return view

    return decorate


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """The :class:`Operation` of a view, if it is documented."""
    found = getattr(view, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None


def _content(op: Operation) -> dict[str, Any]:
    if op.body == "geojson":
        content = {
            "application/geo+json": {"schema": {"$ref": "#/components/schemas/FeatureCollection"}}
        }
    elif op.body == "feature":
        content = {"application/geo+json": {"schema": {"$ref": "#/components/schemas/Feature"}}}
    elif op.body == "html":
        return {"text/html": {"schema": {"type": "string"}}}
    elif op.body == "openapi":
        content = {OPENAPI_MEDIA_TYPE: {"schema": {"type": "object"}}}
    else:
        content = {"application/json": {"schema": {"type": "object"}}}
    if op.html:
        content["text/html"] = {"schema": {"type": "string"}}
    return content


_REASONS = {
    304: "Not modified: the client's copy (If-None-Match) is current.",
    400: "Invalid parameter value.",
    404: "Not found.",
    406: "The requested format is not available.",
    413: "The upload is larger than the configured limit, or reading it needs more memory.",
    422: "Reading the upload needs more CPU time than allowed, or its process died.",
    503: "Every computing slot is taken and the queue is full (Retry-After).",
    504: "The computation took longer than allowed.",
}


def _responses(op: Operation) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses: dict[str, Any] = {
        str(op.success): {"description": op.description or op.summary, "content": _content(op)}
    }
    for status in op.statuses:
        if status == 304:
            responses["304"] = {"description": _REASONS[304]}
        else:
            responses[str(status)] = {
                "description": _REASONS.get(status, "Error."),
                "content": error,
            }
    return responses


def _path_and_params(rule: str, op: Operation) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for name in _RULE_ARGUMENT.findall(rule):
        description, choices, *example = op.path_params.get(name, (name.replace("_", " "), ()))
        schema: dict[str, Any] = {"type": "string"}
        if choices:
            schema["enum"] = list(choices)
        if example:
            schema["example"] = example[0]
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": description,
                "schema": schema,
            }
        )
    return _RULE_ARGUMENT.sub(r"{\1}", rule), params


def document(app: Flask, *, server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of every documented route of ``app``."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = operation_of(app.view_functions[rule.endpoint])
        if op is None:
            continue
        path, path_params = _path_and_params(rule.rule, op)
        methods = sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
        for method in methods:
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
                "tags": list(op.tags),
                "parameters": path_params + [p.openapi() for p in op.params],
                "responses": _responses(op),
            }
            if op.request_body is not None:
                entry["requestBody"] = op.request_body
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "clustermap",
            "version": _version(),
            "description": (
                "Business and innovation clusters: registry, density and proximity measures, "
                "walking isochrones, uploads, and OGC API - Features (Part 1, Core) under "
                "/ogc. Errors are JSON objects {code, description} with a 4xx status."
            ),
            "license": {"name": "MIT"},
        },
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "tags": [
            {"name": "api", "description": "JSON/GeoJSON API"},
            {"name": "uploads", "description": "Analyses of uploaded points"},
            {"name": "ogc", "description": "OGC API - Features, Part 1: Core"},
            {"name": "meta", "description": "Service description and health"},
        ],
        "paths": paths,
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                "Feature": FEATURE_SCHEMA,
                "FeatureCollection": FEATURE_COLLECTION_SCHEMA,
            }
        },
    }


def _version() -> str:
    import geo

    return str(geo.__version__)
