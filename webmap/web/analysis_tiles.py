"""The vector tiles of a spooled upload's analysis: ``/analyses/<token>/tiles.json`` and
``/analyses/<token>/tiles/{z}/{x}/{y}.mvt``, answered by :mod:`webmap.api.points_api` from the
tile index the analysis owns (:mod:`webmap.api.spool`).

Each process keeps the last :data:`OPEN_INDEXES` indexes it opened (memory-mapped); an
index is looked up in the store on every request, so an expired analysis answers ``404``
at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pyarrow as pa
from flask import Blueprint, Flask, Response, current_app, request

from geo.tiles import PointIndex, open_index
from webmap.api import points_api
from webmap.web.routes_api import to_flask
from webmap.web.routes_points import answer_tile
from webmap.web.upload_store import get_store

bp = Blueprint("analysis_tiles", __name__)

#: Tile indexes of analyses kept open by a process.
OPEN_INDEXES = 16
_KEY = "clustermap.analysis_tiles"


def init_app(app: Flask) -> None:
    """Register the routes and the process's cache of open indexes."""
    app.extensions[_KEY] = (threading.Lock(), OrderedDict())
    app.register_blueprint(bp)


def _indexes(token: str) -> dict[str, PointIndex]:
    """``{token: index}`` when ``token`` is a kept analysis with tiles, else ``{}``."""
    lock, opened = current_app.extensions[_KEY]
    path = get_store().files_of(token)
    with lock:
        index = opened.get(token)
        if path is None:
            opened.pop(token, None)
            return {}
        if index is None or index.path != path:
            try:
                index = open_index(path)
            except (OSError, pa.ArrowException):  # deleted since it was looked up
                return {}
            opened[token] = index
        opened.move_to_end(token)
        while len(opened) > OPEN_INDEXES:
            opened.popitem(last=False)
    return {token: index}


@bp.get("/analyses/<token>/tiles.json")
def tilejson(token: str) -> Response:
    """The TileJSON 3.0.0 document of a spooled upload's points."""
    url = f"{request.url_root}analyses/{token}/tiles/{{z}}/{{x}}/{{y}}.mvt"
    return to_flask(points_api.tilejson(_indexes(token), token, tile_url=url))


@bp.get("/analyses/<token>/tiles/<z>/<x>/<y>.mvt")
def tile(token: str, z: str, x: str, y: str) -> Response:
    """One Mapbox Vector Tile of a spooled upload's points, gzipped; ``204`` when empty."""
    return answer_tile(points_api.tile(_indexes(token), token, z, x, y))
