"""Flask routes for the JSON API: each adapts one function of :mod:`webmap.api.registry_api`,
:mod:`webmap.api.measures_api` or :mod:`webmap.api.uploads_api`.

Each route also carries its OpenAPI :func:`~webmap.web.openapi.operation`, so
``/openapi.json`` documents exactly the routes that exist. ``GET`` answers carry an ETag
and ``304`` answers ``If-None-Match``; ``/api``, ``/ogc`` and ``/openapi.json`` send CORS
headers (read-only, no credentials) for the origins in ``CORS_ORIGINS``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from geo.errors import ClustermapError, ParameterError
from webmap.api import measures_api, uploads_api
from webmap.api import network_areas as api_areas
from webmap.api import spool as api_spool
from webmap.api.params import Param
from webmap.api.registry_api import cluster_detail, cluster_sites, health, list_clusters
from webmap.api.response import ApiResponse, from_exception
from webmap.api.response import error as api_error
from webmap.maps.view import parse_basemap
from webmap.web import openapi
from webmap.web.caching import cached_page, conditional, get_cache
from webmap.web.openapi import operation
from webmap.web.state import get_registry
from webmap.web.upload_store import get_cage, get_store, render_analysis
from webmap.web.workpool import get_pool, heavy

bp = Blueprint("api", __name__)

#: Seconds an upload's request waits beyond its cage's wall clock, so the cage's own
#: answer (``504`` naming ``UPLOAD_WALL_SECONDS``) comes first.
CAGE_ANSWER_SECONDS = 10

_CLUSTER = {"cluster_id": ("Cluster id, e.g. delft (see /api/clusters).", (), "delft")}
_PRACTICE = Param("practice", "string", "Only clusters with this practice.")


def _points_body(
    description: str, *, required: bool, files: tuple[str, ...], files_required: bool
) -> dict[str, Any]:
    """An OpenAPI request body of points: CSV or GeoJSON text, or a multipart form whose
    ``files`` (all of them when ``files_required``) are binary parts."""
    form: dict[str, Any] = {
        "type": "object",
        "properties": {name: {"type": "string", "format": "binary"} for name in files},
    }
    if files_required:
        form["required"] = list(files)
    return {
        "description": description,
        "required": required,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/geo+json": {"schema": {"type": "object"}},
            "multipart/form-data": {"schema": form},
        },
    }


_UPLOAD_BODY = _points_body(
    "Points as CSV (`;` or `,` separated, decimal commas accepted; latitude and "
    "longitude columns detected by name) or GeoJSON, or a multipart form with a `file` "
    "(also GeoPackage, zipped shapefile, FlatGeobuf or GeoParquet). The format is read from "
    "the content, never the name; GDAL VRT/XML is refused. At most `MAX_UPLOAD_POINTS` "
    "points (default 2,000,000), else 413. A CSV or GeoParquet body above `MAX_CONTENT_LENGTH` "
    "(20 MB) is spooled to disk, up to `UPLOAD_SPOOL_BYTES` (384 MB) and "
    "`MAX_SPOOLED_POINTS` (5,000,000), and its map draws every point as vector tiles.",
    required=True,
    files=("file",),
    files_required=True,
)


def to_flask(result: ApiResponse) -> Response:
    """Turn an :class:`ApiResponse` into a Flask response (ETag and 304 on GET)."""
    body = json.dumps(result.body, ensure_ascii=False, default=str)
    response = current_app.response_class(body, status=result.status)
    for key, value in result.headers.items():
        response.headers[key] = value
    return conditional(response)


@bp.get("/api/clusters")
@operation("List clusters", params=(_PRACTICE,), statuses=(304,))
def clusters() -> Response:
    """List clusters (``?practice=`` filters)."""
    return to_flask(list_clusters(get_registry(), practice=request.args.get("practice")))


@bp.get("/api/clusters/<cluster_id>")
@operation("One cluster: practices with evidence, epicentres", path_params=_CLUSTER)
def cluster(cluster_id: str) -> Response:
    """One cluster's detail."""
    return to_flask(cluster_detail(get_registry(), cluster_id))


@bp.get("/api/clusters/<cluster_id>/sites")
@operation("A cluster's sites (RFC 7946)", body="geojson", path_params=_CLUSTER)
def sites(cluster_id: str) -> Response:
    """One cluster's sites as GeoJSON."""
    return to_flask(cluster_sites(get_registry(), cluster_id))


@bp.get("/api/clusters/<cluster_id>/measures")
@operation(
    "Density and proximity measures (the JSON of `clustermap measures --json`)",
    params=measures_api.MEASURES_PARAMS,
    path_params=_CLUSTER,
)
def measures(cluster_id: str) -> Response:
    """One cluster's measures."""
    return to_flask(
        measures_api.measures(
            get_registry(), cluster_id, request.args, cache=get_cache(), run=heavy
        )
    )


@bp.get("/api/clusters/<cluster_id>/density")
@operation(
    "Kernel-density contours and H3 hexagons as GeoJSON",
    params=measures_api.DENSITY_PARAMS,
    body="geojson",
    path_params=_CLUSTER,
)
def density(cluster_id: str) -> Response:
    """One cluster's density layers."""
    return to_flask(
        measures_api.density(get_registry(), cluster_id, request.args, cache=get_cache(), run=heavy)
    )


@bp.get("/api/clusters/<cluster_id>/isochrones")
@operation(
    "Walking isochrones around the epicentres (404 NetworkUnavailable without a network)",
    params=measures_api.ISOCHRONE_PARAMS,
    body="geojson",
    path_params=_CLUSTER,
)
def isochrones(cluster_id: str) -> Response:
    """One cluster's isochrones, where a street network is cached."""
    cache_dir = current_app.config.get("NETWORK_CACHE_DIR")
    result = measures_api.isochrones(
        get_registry(),
        cluster_id,
        request.args,
        cache=get_cache(),
        cache_dir=None if cache_dir is None else str(cache_dir),
        run=heavy,
    )
    return to_flask(result)


@bp.post("/api/analyze")
@operation(
    "Measure uploaded points; the answer links a map kept for a while",
    tags=("uploads",),
    params=uploads_api.ANALYZE_PARAMS,
    request_body=_UPLOAD_BODY,
    statuses=(400, 413, 422, 503, 504),
    success=201,
)
def analyze() -> Response:
    """Analyse an upload (CSV or GeoJSON body, or a multipart ``file``); a body above
    ``MAX_CONTENT_LENGTH`` or of unknown length is spooled (:mod:`webmap.api.spool`)."""
    inline = int(current_app.config["MAX_CONTENT_LENGTH"])
    length = request.content_length
    if request.mimetype == "multipart/form-data" and length is not None and length > inline:
        msg = (
            f"a multipart form is read in memory, up to MAX_CONTENT_LENGTH ({inline:,} bytes): "
            "send a larger CSV or GeoParquet as the request body"
        )
        return to_flask(api_error(413, "RequestEntityTooLarge", msg))
    if (length is not None and length <= inline) or request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is not None:
            data, filename, content_type = upload.read(), upload.filename, upload.mimetype
        else:
            data, filename, content_type = request.get_data(), None, request.mimetype
        return _analyze(data, filename=filename, content_type=content_type)
    limit = int(current_app.config["UPLOAD_SPOOL_BYTES"])
    if length is not None and length > limit:
        msg = f"the upload is larger than UPLOAD_SPOOL_BYTES ({limit:,} bytes)"
        return to_flask(api_error(413, "RequestEntityTooLarge", msg))
    request.max_content_length = limit  # for this request only: its body goes to disk
    files_dir = get_store().files_dir
    try:
        spooled = api_spool.spool_body(request.stream, files_dir, limit=limit)
    except ClustermapError as exc:
        return to_flask(from_exception(exc))
    if spooled.size <= inline:  # a short body of unknown length: read in memory
        data = spooled.path.read_bytes()
        api_spool.discard(spooled.path)
        return _analyze(data, filename=None, content_type=request.mimetype)
    return _analyze_spooled(spooled, inline=inline, limit=limit)


def _analyze_spooled(spooled: api_spool.Spooled, *, inline: int, limit: int) -> Response:
    args, store, base_url = request.args.to_dict(), get_store(), request.url_root
    cage = get_cage(spooled=True)
    max_points = int(current_app.config["MAX_SPOOLED_POINTS"])
    try:
        result = get_pool().run(
            lambda: api_spool.analyze_spooled(
                spooled,
                args,
                store=store,
                cage=cage,
                inline=inline,
                limit=limit,
                max_points=max_points,
                base_url=base_url,
            ),
            timeout_s=cage.limits.wall_seconds + CAGE_ANSWER_SECONDS,
        )
    except BaseException:
        api_spool.discard(spooled.path)
        raise
    if result.status != 201:  # refused before it ran (a full queue), or not kept
        api_spool.discard(spooled.path)
    return to_flask(result)


def _analyze(data: bytes, *, filename: str | None, content_type: str | None) -> Response:
    args, store, base_url = request.args.to_dict(), get_store(), request.url_root
    limits = uploads_api.ReadLimits(
        max_points=int(current_app.config["MAX_UPLOAD_POINTS"]),
        max_bytes=int(current_app.config["MAX_UPLOAD_DECODED_BYTES"]),
    )
    cage = get_cage()
    result = get_pool().run(
        lambda: uploads_api.analyze(
            data,
            args,
            store=store,
            cage=cage,
            filename=filename or None,
            content_type=content_type,
            base_url=base_url,
            limits=limits,
        ),
        timeout_s=cage.limits.wall_seconds + CAGE_ANSWER_SECONDS,
    )
    return to_flask(result)


@bp.get("/api/analyses/<token>")
@operation("The measures of an uploaded analysis (404 once expired)", tags=("uploads",))
def analysis(token: str) -> Response:
    """An upload's measures."""
    return to_flask(uploads_api.analysis_measures(get_store(), token))


@bp.get("/analyses/<token>")
def analysis_page(token: str) -> Response:
    """The map of an upload, on ``?basemap=`` (``400`` for an unknown one, ``404`` once the
    analysis is gone), drawn by each process on its first view (:mod:`webmap.web.upload_store`)."""
    try:
        basemap = parse_basemap(request.args)
    except ParameterError as exc:
        abort(400, description=str(exc))
    if token not in get_store():
        abort(404, description=_GONE)
    return _analysis_map(token, basemap=basemap)


_GONE = "There is no such analysis; it may have expired."


@cached_page(vary=lambda: parse_basemap(request.args))
def _analysis_map(token: str, *, basemap: str) -> str:
    found = get_store().get(token)
    if found is None:  # expired since it was looked up
        abort(404, description=_GONE)
    return render_analysis(found, token=token, basemap=basemap)


# --------------------------------------------------------------------------- named areas

_AREA = {"area": ("A named area (`clustermap network import GRAPH --name AREA`).", (), "my-area")}
_AREA_BODY = _points_body(
    "The points as CSV or GeoJSON (at most 2,000), or a multipart form with a "
    "`points` file and, for accessibility, a `to` file of destinations.",
    required=False,
    files=("points", "to"),
    files_required=False,
)
_AREA_ENDPOINTS = (
    ("isochrones", api_areas.ISOCHRONE_PARAMS, "geojson", "Walking isochrones around points"),
    ("distances", api_areas.DISTANCE_PARAMS, "json", "Walking distances between points"),
    ("accessibility", api_areas.ACCESSIBILITY_PARAMS, "json", "Nearest destination on foot"),
)


def _area_body(*fields: str) -> api_areas.Body | None:
    """A multipart file of one of ``fields``, else (for the points) the raw body."""
    for name in fields:
        upload = request.files.get(name)
        if upload is not None:
            return api_areas.Body(upload.read(), upload.filename or None, upload.mimetype)
    if request.method != "POST" or request.files or request.form or "to" in fields:
        return None
    return api_areas.Body(request.get_data(), None, request.mimetype)


def _area_view(endpoint: str, area: str) -> Response:
    """Answer ``/api/network/<area>/<endpoint>`` (GET with lat/lon lists, or POST)."""
    args = request.args.to_dict()
    points, to = _area_body("points", "file"), _area_body("to")
    limits = api_areas.Limits(
        cache_dir=current_app.config.get("NETWORK_CACHE_DIR"),
        max_points=min(api_areas.MAX_POINTS, int(current_app.config["MAX_UPLOAD_POINTS"])),
        max_bytes=int(current_app.config["MAX_UPLOAD_DECODED_BYTES"]),
    )
    if endpoint == "accessibility":
        return to_flask(
            get_pool().run(
                lambda: api_areas.accessibility(area, args, points, destinations=to, limits=limits)
            )
        )
    compute = api_areas.isochrones if endpoint == "isochrones" else api_areas.distances
    return to_flask(get_pool().run(lambda: compute(area, args, points, limits=limits)))


for _endpoint, _params, _body, _summary in _AREA_ENDPOINTS:
    for _method in ("GET", "POST"):
        _view = operation(
            f"{_summary} of a named area ({_method}: points "
            + ("as lat/lon lists)" if _method == "GET" else "in the body)"),
            params=_params,
            body=_body,
            path_params=_AREA,
            request_body=_AREA_BODY if _method == "POST" else None,
            statuses=(400, 404, 413),
        )(functools.partial(_area_view, _endpoint))
        bp.add_url_rule(
            f"/api/network/<area>/{_endpoint}",
            endpoint=f"area_{_endpoint}_{_method.lower()}",
            view_func=_view,
            methods=[_method],
        )


@bp.get("/healthz")
@operation("Liveness and registry version", tags=("meta",), statuses=())
def healthz() -> Response:
    """Liveness and registry version."""
    return to_flask(health(get_registry()))


@bp.get("/openapi.json")
@operation("This OpenAPI 3.0 document", tags=("meta",), body="openapi", statuses=())
def openapi_json() -> Response:
    """The OpenAPI document, generated from the routes."""
    doc = openapi.document(current_app, server_url=request.script_root or "/")
    return to_flask(ApiResponse(200, doc, {"Content-Type": openapi.OPENAPI_MEDIA_TYPE}))


@bp.get("/openapi")
@operation("The API documentation (HTML)", tags=("meta",), body="html", statuses=())
def openapi_page() -> Response:
    """A readable page of the OpenAPI document."""
    doc = openapi.document(current_app, server_url=request.script_root or "/")
    html = render_template("openapi.html", doc=doc)
    return conditional(Response(html, status=200, mimetype="text/html"))


# --------------------------------------------------------------------------- CORS

_CORS_PREFIXES = ("/api/", "/ogc", "/openapi.json", "/healthz", "/oembed")


def _allowed_origins() -> list[str]:
    value: Any = current_app.config.get("CORS_ORIGINS", "*")
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or ()]


@bp.after_app_request
def cors(response: Response) -> Response:
    """Read-only CORS on the API: GET/HEAD (and preflight), no credentials; never on other
    methods (a cross-origin ``POST /api/analyze`` answer stays unreadable to the page)."""
    origin = request.headers.get("Origin")
    if not origin or not request.path.startswith(_CORS_PREFIXES):
        return response
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return response
    allowed = _allowed_origins()
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    response.headers["Access-Control-Expose-Headers"] = "ETag, Location"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match"
        response.headers["Access-Control-Max-Age"] = "600"
    return response
