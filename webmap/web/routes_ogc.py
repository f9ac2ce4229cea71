"""Flask routes of OGC API - Features under ``/ogc``: each adapts one :mod:`webmap.api.ogc`
function.

The format is chosen by ``f=json|html``, else by the ``Accept`` header (a browser gets HTML,
``curl`` and GIS clients get JSON). Links are absolute, built from ``request.url_root``,
which honours ``X-Forwarded-*`` headers when ``PROXY_COUNT`` trusts a reverse proxy.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from geo.errors import ParameterError
from webmap.api import ogc
from webmap.api.response import GEOJSON, JSON, ApiResponse, from_exception
from webmap.web.caching import conditional, get_cache
from webmap.web.openapi import operation
from webmap.web.routes_api import to_flask
from webmap.web.state import get_registry

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

_COLLECTION = {"collection_id": ("Collection id.", tuple(ogc.COLLECTIONS))}
_FEATURE = {**_COLLECTION, "feature_id": ("Feature id (a registry id).", (), "delft")}


def _root() -> str:
    return request.url_root


def _render(result: ApiResponse, template_kind: str) -> Response:
    """The result as JSON or HTML, as the client asked; ``400`` for a bad ``f``."""
    if result.status != 200:
        return to_flask(result)
    best = request.accept_mimetypes.best_match([JSON, GEOJSON, "text/html"], default=JSON)
    prefers_html = best == "text/html"
    try:
        fmt = ogc.negotiate(request.args.get("f"), prefers_html=prefers_html)
    except ParameterError as exc:
        return to_flask(from_exception(exc))
    if fmt == "json":
        response = to_flask(result)
    else:
        html = render_template("ogc_page.html", kind=template_kind, doc=result.body)
        response = conditional(Response(html, status=200, mimetype="text/html"))
    response.vary.add("Accept")
    return response


@bp.get("")
@operation(
    "OGC API landing page", tags=("ogc",), params=(ogc.F_PARAM,), html=True, statuses=(304, 400)
)
def landing() -> Response:
    """Landing page."""
    return _render(ogc.landing(_root()), "landing")


@bp.get("/conformance")
@operation(
    "Conformance classes", tags=("ogc",), params=(ogc.F_PARAM,), html=True, statuses=(304, 400)
)
def conformance() -> Response:
    """Conformance declaration."""
    return _render(ogc.conformance(_root()), "conformance")


@bp.get("/collections")
@operation(
    "Feature collections", tags=("ogc",), params=(ogc.F_PARAM,), html=True, statuses=(304, 400)
)
def collections() -> Response:
    """Every collection."""
    return _render(ogc.collections(get_registry(), _root(), cache=get_cache()), "collections")


@bp.get("/collections/<collection_id>")
@operation(
    "One feature collection",
    tags=("ogc",),
    params=(ogc.F_PARAM,),
    html=True,
    path_params=_COLLECTION,
    statuses=(304, 400, 404),
)
def collection(collection_id: str) -> Response:
    """One collection."""
    result = ogc.collection(get_registry(), _root(), collection_id, cache=get_cache())
    return _render(result, "collection")


@bp.get("/collections/<collection_id>/items")
@operation(
    "Features of a collection (paged, bbox filter)",
    tags=("ogc",),
    params=ogc.ITEMS_PARAMS,
    body="geojson",
    html=True,
    path_params=_COLLECTION,
    statuses=(304, 400, 404),
)
def items(collection_id: str) -> Response:
    """A page of features."""
    result = ogc.items(get_registry(), _root(), collection_id, request.args, cache=get_cache())
    return _render(result, "items")


@bp.get("/collections/<collection_id>/items/<feature_id>")
@operation(
    "One feature",
    tags=("ogc",),
    params=(ogc.F_PARAM,),
    body="feature",
    html=True,
    path_params=_FEATURE,
    statuses=(304, 400, 404),
)
def feature(collection_id: str, feature_id: str) -> Response:
    """One feature."""
    result = ogc.feature(get_registry(), _root(), collection_id, feature_id, cache=get_cache())
    return _render(result, "feature")
