"""The offline basemap's line work, from our own server (``static/offline.js`` fetches it
only when a map shows the offline basemap):

- ``/basemap/countries.geojson``: the country outlines, decoded once from the vendored
  Natural Earth TopoJSON (:mod:`webmap.maps.outlines`);
- ``/basemap/streets/<cluster_id>.geojson``: a cluster's streets, from its cached or
  bundled walking network (:func:`geo.network.street_lines`).

Both are cached and gzipped like every page.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app

from geo.network import cluster_engine, has_network, street_lines
from webmap.maps.outlines import countries_geojson
from webmap.web.caching import cached_page
from webmap.web.mapdata_cache import request_network_signature
from webmap.web.state import get_registry
from webmap.web.workpool import heavy

bp = Blueprint("basemap", __name__)


@bp.get("/basemap/countries.geojson")
@cached_page(localized=False)
def countries() -> Response:
    """Every country's outline as GeoJSON (EPSG:4326), crediting Natural Earth."""
    return Response(countries_geojson(), mimetype="application/geo+json")


@bp.get("/basemap/streets/<cluster_id>.geojson")
@cached_page(vary=request_network_signature, localized=False)
def streets(cluster_id: str) -> Response:
    """The cluster's streets as one GeoJSON MultiLineString (EPSG:4326); 404 when the
    registry does not hold the cluster or no network is cached for it."""
    cache_dir = current_app.config["NETWORK_CACHE_DIR"]
    if cluster_id not in get_registry().clusters.index or not has_network(
        cluster_id, cache_dir=cache_dir
    ):
        abort(404, description="There is no street network for this cluster.")
    lines = heavy(lambda: street_lines(cluster_engine(cluster_id, cache_dir=cache_dir)))
    return Response(json.dumps(lines, separators=(",", ":")), mimetype="application/geo+json")
