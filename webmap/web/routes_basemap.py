"""``/basemap/countries.geojson``: the offline basemap's country outlines, from our server.

Leaflet maps fetch it when they show the offline basemap (``static/offline.js``); it is
decoded once from the vendored Natural Earth TopoJSON (:mod:`webmap.maps.outlines`), cached and
gzipped like every page.
"""

from __future__ import annotations

from flask import Blueprint, Response

from webmap.maps.outlines import countries_geojson
from webmap.web.caching import cached_page

bp = Blueprint("basemap", __name__)


@bp.get("/basemap/countries.geojson")
@cached_page
def countries() -> Response:
    """Every country's outline as GeoJSON (EPSG:4326), crediting Natural Earth."""
    return Response(countries_geojson(), mimetype="application/geo+json")
