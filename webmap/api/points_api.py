"""Point files served as vector tiles: the TileJSON document, the tiles, the page's facts.

Each function takes the published indexes (name -> :class:`geo.tiles.PointIndex`) and
answers an :class:`ApiResponse`; an unknown name is a ``404``, a tile address that is not
a number a ``400``, one outside the zoom range or the world a ``404``. A tile's body is
the gzipped Mapbox Vector Tile (``Content-Encoding: gzip``); a tile with no point answers
``204 No Content``.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from typing import Any

from geo.errors import ParameterError, UnknownIdError
from geo.tiles import LAYER, MAX_ZOOM, POINT_LIMIT, PointIndex, check_tile, tile_mvt
from webmap.api.response import ApiResponse, answers_errors, error

MVT = "application/vnd.mapbox-vector-tile"
#: How long a client may keep a tile: its URL names the point file, whose content may
#: change between starts.
TILE_MAX_AGE = 3600
#: The fields of the layer, as TileJSON's ``vector_layers`` lists them.
FIELDS = {
    "count": "Number: points the feature stands for (1 for a single point)",
    "label": "String: the point's label (single points only)",
    "category": "String: the point's category (single points only)",
}


def index_of(indexes: Mapping[str, PointIndex], name: str) -> PointIndex:
    """The index published as ``name``.

    Raises
    ------
    UnknownIdError
        When no point file has that name.
    """
    if name not in indexes:
        raise UnknownIdError("point file", name, list(indexes))
    return indexes[name]


@answers_errors
def tilejson(indexes: Mapping[str, PointIndex], name: str, *, tile_url: str) -> ApiResponse:
    """The TileJSON 3.0.0 document of ``name``; ``tile_url`` is the absolute URL template
    of its tiles (``.../{z}/{x}/{y}.mvt``)."""
    index = index_of(indexes, name)
    lon, lat, zoom = index.center()
    body = {
        "tilejson": "3.0.0",
        "name": name,
        "description": f"{index.count:,} points",
        "scheme": "xyz",
        "tiles": [tile_url],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": list(index.bounds),
        "center": [lon, lat, zoom],
        "vector_layers": [{"id": LAYER, "fields": FIELDS, "minzoom": 0, "maxzoom": MAX_ZOOM}],
    }
    return ApiResponse(200, body)


def _tile_number(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ParameterError(f"{name} must be a whole number >= 0, not {text[:12]!r}")
    return int(text)


@answers_errors
def tile(indexes: Mapping[str, PointIndex], name: str, z: str, x: str, y: str) -> ApiResponse:
    """Tile ``z/x/y`` of ``name``: ``200`` with the gzipped tile, ``204`` when empty."""
    index = index_of(indexes, name)
    numbers = {k: _tile_number(k, v) for k, v in (("z", z), ("x", x), ("y", y))}
    try:
        check_tile(numbers["z"], numbers["x"], numbers["y"])
    except ParameterError as exc:
        return error(404, "NotFound", f"no tile {z}/{x}/{y}: {exc}")
    data = tile_mvt(index, numbers["z"], numbers["x"], numbers["y"])
    headers = {
        "Content-Type": MVT,
        "Cache-Control": f"public, max-age={TILE_MAX_AGE}",
        "ETag": f'"{index.digest[:20]}-{z}-{x}-{y}"',
    }
    if not data:
        return ApiResponse(204, b"", headers)
    headers["Content-Encoding"] = "gzip"
    return ApiResponse(200, gzip.compress(data, compresslevel=6, mtime=0), headers)


def summary(indexes: Mapping[str, PointIndex], name: str) -> dict[str, Any]:
    """What the page says of ``name``: its points, bounds and the columns read.

    Raises
    ------
    UnknownIdError
        When no point file has that name.
    """
    index = index_of(indexes, name)
    return {
        "name": name,
        "count": index.count,
        "bounds": list(index.bounds),
        "label_column": index.label_column,
        "category_column": index.category_column,
        "point_limit": POINT_LIMIT,
    }
