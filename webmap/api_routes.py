"""Flask routes for the JSON API: each adapts one function of :mod:`webmap.api`."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from webmap import api
from webmap.state import get_registry

bp = Blueprint("api", __name__)


def to_flask(result: api.ApiResponse) -> Response:
    """Turn an :class:`api.ApiResponse` into a Flask response."""
    body = json.dumps(result.body, ensure_ascii=False, default=str)
    response = current_app.response_class(body, status=result.status)
    for key, value in result.headers.items():
        response.headers[key] = value
    return response


@bp.get("/api/clusters")
def clusters() -> Response:
    """List clusters (``?practice=`` filters)."""
    return to_flask(api.list_clusters(get_registry(), practice=request.args.get("practice")))


@bp.get("/api/clusters/<cluster_id>")
def cluster(cluster_id: str) -> Response:
    """One cluster's detail."""
    return to_flask(api.cluster_detail(get_registry(), cluster_id))


@bp.get("/api/clusters/<cluster_id>/sites")
def sites(cluster_id: str) -> Response:
    """One cluster's sites as GeoJSON."""
    return to_flask(api.cluster_sites(get_registry(), cluster_id))


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and registry version."""
    return to_flask(api.health(get_registry()))
