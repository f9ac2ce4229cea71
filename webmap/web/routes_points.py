"""Point files served as vector tiles (``POINTS``): the map page, TileJSON and the tiles.

:func:`init_app` builds (or reads from the cache folder) each file's tile index when the
app is created, so the server answers tiles from its first request; each route adapts one
:mod:`webmap.api.points_api` function. ``/points/NAME`` is a page (an HTML ``404`` for an
unknown name); ``tiles.json`` and the tiles answer JSON errors.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request

from geo.errors import UnknownIdError
from geo.paths import resolve_cache_dir
from geo.tiles import PointIndex, index_files
from webmap.api import points_api
from webmap.api.response import ApiResponse
from webmap.maps.basemaps import BASEMAPS, DEFAULT_BASEMAP, OSM_CREDIT, tile_url
from webmap.web.routes_api import to_flask

bp = Blueprint("points", __name__, url_prefix="/points")

POINTS_KEY = "clustermap.points"


def init_app(app: Flask) -> None:
    """Index the point files of ``POINTS`` (or read their indexes from the cache folder,
    ``NETWORK_CACHE_DIR``) and register the routes."""
    cache = resolve_cache_dir(app.config.get("NETWORK_CACHE_DIR"))
    app.extensions[POINTS_KEY] = index_files(app.config["POINTS"], cache_dir=cache)
    app.register_blueprint(bp)


def _indexes() -> dict[str, PointIndex]:
    indexes: dict[str, PointIndex] = current_app.extensions[POINTS_KEY]
    return indexes


def answer_tile(result: ApiResponse) -> Response:
    """A tile as bytes (with its own ETag and a ``304`` when it matches); else JSON."""
    if not isinstance(result.body, bytes):
        return to_flask(result)
    response = current_app.response_class(result.body, status=result.status)
    for key, value in result.headers.items():
        response.headers[key] = value
    response.make_conditional(request)
    return response


@bp.get("/<name>")
def page(name: str) -> str:
    """A map of the point file's tiles, with its count and extent."""
    try:
        facts = points_api.summary(_indexes(), name)
    except UnknownIdError as exc:
        abort(404, description=str(exc))
    osm = BASEMAPS[DEFAULT_BASEMAP].provider
    return render_template(
        "points.html",
        facts=facts,
        basemap_url=tile_url(osm) if osm is not None else "",
        basemap_credit=OSM_CREDIT,
    )


@bp.get("/<name>/tiles.json")
def tilejson(name: str) -> Response:
    """The TileJSON 3.0.0 document of the point file."""
    url = f"{request.url_root}points/{name}/tiles/{{z}}/{{x}}/{{y}}.mvt"
    return to_flask(points_api.tilejson(_indexes(), name, tile_url=url))


@bp.get("/<name>/tiles/<z>/<x>/<y>.mvt")
def tile(name: str, z: str, x: str, y: str) -> Response:
    """One Mapbox Vector Tile, gzipped; ``204`` when it holds no point."""
    return answer_tile(points_api.tile(_indexes(), name, z, x, y))
