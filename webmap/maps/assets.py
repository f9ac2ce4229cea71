"""Front-end assets served from our own static files, never from a CDN.

``VENDORED`` is the single manifest of what ``scripts/vendor_assets.py`` copies from the
npm registry into ``webmap/static/vendor/<package>/`` (with each package's licence), and of
the JavaScript and CSS files each Folium class needs. :func:`use_local_assets` points
Folium's classes at those files, for the server (``/static/...`` URLs) or, for a
self-contained export, at ``file`` placeholders that :func:`inline_assets` replaces by the
files' contents.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
from folium import plugins

from webmap.maps.elements import MapStyle, MeasureTool
from webmap.maps.offline import OfflineBasemap
from webmap.maps.point_layer import POINT_LAYER_JS, WEBGL_JS, PointLayer
from webmap.maps.point_tiles import PointTilesLayer

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"


@dataclass(frozen=True)
class Package:
    """One npm package: the files we copy (paths inside the tarball's ``package/``), its
    licence file, and a ``notice`` written beside them as ``NOTICE`` (credit for the data a
    package redistributes; empty: none)."""

    name: str
    version: str
    files: tuple[str, ...]
    licence: str
    notice: str = ""


VENDORED = (
    Package(
        "leaflet",
        "1.9.4",
        (
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        ),
        "LICENSE",
    ),
    Package(
        "leaflet.markercluster",
        "1.5.3",
        (
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ),
        "MIT-LICENCE.txt",
    ),
    Package(
        "leaflet.fullscreen",
        "3.0.2",
        ("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"),
        "LICENSE",
    ),
    Package(
        "leaflet.polylinemeasure",
        "3.0.0",
        ("Leaflet.PolylineMeasure.js", "Leaflet.PolylineMeasure.css"),
        "LICENSE.txt",
    ),
    Package(
        "leaflet-minimap",
        "3.6.1",
        (
            "dist/Control.MiniMap.min.js",
            "dist/Control.MiniMap.min.css",
            "dist/images/toggle.png",
            "dist/images/toggle.svg",
        ),
        "LICENSE.txt",
    ),
    Package("leaflet.heat", "0.2.0", ("dist/leaflet-heat.js",), "LICENSE"),
    Package(
        "leaflet.featuregroup.subgroup",
        "1.0.2",
        ("dist/leaflet.featuregroup.subgroup.js",),
        "LICENSE",
    ),
    # the /points/NAME page draws vector tiles (its Protobuf layer uses no eval and no
    # worker); the package has no licence file: its README carries the Beerware licence
    Package(
        "leaflet.vectorgrid",
        "1.3.0",
        ("dist/Leaflet.VectorGrid.bundled.min.js",),
        "README.md",
        notice=(
            "Leaflet.VectorGrid is under the Beerware licence (README.md, 'Licence').\n"
            "Its bundled build includes pbf and vector-tile (BSD licence, (c) Mapbox),\n"
            "geojson-vt (ISC licence, (c) Mapbox) and topojson (BSD licence, Mike Bostock).\n"
        ),
    ),
    # WebGL point layers (webmap.maps.point_layer, static/glpointlayer.js): deck.gl's core (with
    # luma.gl) as a browser bundle, and its Leaflet layer
    Package("@deck.gl/core", "9.4.0", ("dist.min.js",), "LICENSE"),
    Package("deck.gl-leaflet", "1.3.1", ("dist/deck.gl-leaflet.umd.min.js",), "LICENSE"),
    # Folium's popups build their content with jQuery's $(...)
    Package("jquery", "3.7.1", ("dist/jquery.min.js",), "LICENSE.txt"),
    # country outlines of the offline basemap (webmap.maps.outlines)
    Package(
        "world-atlas",
        "2.0.2",
        ("countries-110m.json",),
        "LICENSE",
        notice=(
            "countries-110m.json is Natural Earth's 1:110m Admin 0 countries (version 4.1.0)\n"
            "as TopoJSON, from the world-atlas package (ISC licence, see LICENSE).\n"
            "Natural Earth data is in the public domain: 'Made with Natural Earth. Free vector\n"
            "and raster map data @ naturalearthdata.com.'\n"
        ),
    ),
)

# Folium class -> the (name, vendored file) pairs it needs, replacing its CDN defaults.
_JS: dict[Any, list[tuple[str, str]]] = {
    plugins.FeatureGroupSubGroup: [
        (
            "featuregroupsubgroupjs",
            "vendor/leaflet.featuregroup.subgroup/dist/leaflet.featuregroup.subgroup.js",
        )
    ],
    folium.Map: [
        ("leaflet", "vendor/leaflet/dist/leaflet.js"),
        ("jquery", "vendor/jquery/dist/jquery.min.js"),
    ],
    plugins.MarkerCluster: [
        ("markerclusterjs", "vendor/leaflet.markercluster/dist/leaflet.markercluster.js")
    ],
    plugins.FastMarkerCluster: [
        ("markerclusterjs", "vendor/leaflet.markercluster/dist/leaflet.markercluster.js")
    ],
    PointLayer: [
        ("markerclusterjs", "vendor/leaflet.markercluster/dist/leaflet.markercluster.js"),
        (POINT_LAYER_JS, "pointlayer.js"),
        (WEBGL_JS[0], "vendor/@deck.gl/core/dist.min.js"),
        (WEBGL_JS[1], "vendor/deck.gl-leaflet/dist/deck.gl-leaflet.umd.min.js"),
        (WEBGL_JS[2], "glpointlayer.js"),
    ],
    plugins.Fullscreen: [
        ("Control.Fullscreen.js", "vendor/leaflet.fullscreen/Control.FullScreen.js")
    ],
    MeasureTool: [
        ("polylinemeasure_js", "vendor/leaflet.polylinemeasure/Leaflet.PolylineMeasure.js")
    ],
    plugins.MiniMap: [("Control_MiniMap_js", "vendor/leaflet-minimap/dist/Control.MiniMap.min.js")],
    plugins.HeatMap: [("leaflet-heat.js", "vendor/leaflet.heat/dist/leaflet-heat.js")],
    PointTilesLayer: [
        ("vectorgrid", "vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js")
    ],
    MapStyle: [],
    OfflineBasemap: [("clustermap_offline_js", "offline.js")],
}
_CSS: dict[Any, list[tuple[str, str]]] = {
    folium.Map: [("leaflet_css", "vendor/leaflet/dist/leaflet.css")],
    plugins.MarkerCluster: [
        ("markerclustercss", "vendor/leaflet.markercluster/dist/MarkerCluster.css"),
        ("markerclusterdefaultcss", "vendor/leaflet.markercluster/dist/MarkerCluster.Default.css"),
    ],
    plugins.FastMarkerCluster: [
        ("markerclustercss", "vendor/leaflet.markercluster/dist/MarkerCluster.css"),
        ("markerclusterdefaultcss", "vendor/leaflet.markercluster/dist/MarkerCluster.Default.css"),
    ],
    PointLayer: [
        ("markerclustercss", "vendor/leaflet.markercluster/dist/MarkerCluster.css"),
        ("markerclusterdefaultcss", "vendor/leaflet.markercluster/dist/MarkerCluster.Default.css"),
    ],
    plugins.Fullscreen: [
        ("Control.FullScreen.css", "vendor/leaflet.fullscreen/Control.FullScreen.css")
    ],
    MeasureTool: [
        ("polylinemeasure_css", "vendor/leaflet.polylinemeasure/Leaflet.PolylineMeasure.css")
    ],
    plugins.MiniMap: [
        ("Control_MiniMap_css", "vendor/leaflet-minimap/dist/Control.MiniMap.min.css")
    ],
    plugins.HeatMap: [],
    plugins.FeatureGroupSubGroup: [],
    PointTilesLayer: [],
    MapStyle: [("clustermap_map_css", "map.css")],
    OfflineBasemap: [],
}

INLINE_PREFIX = "clustermap-inline:"
IMMUTABLE = "public, max-age=31536000, immutable"


@functools.cache
def asset_version(filename: str) -> str | None:
    """A digest of the static file ``filename`` (relative to ``static/``), for URLs that
    change with its content (``?v=``); None for a path that is not a file there."""
    path = (STATIC_DIR / filename).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest()


def _link(prefix: str, path: str) -> str:
    if prefix == INLINE_PREFIX:
        return prefix + path
    return f"{prefix}{path}?v={asset_version(path)}"


def use_local_assets(prefix: str = "/static/") -> None:
    """Point every Folium class we use at vendored files under ``prefix``.

    Folium reads ``default_js``/``default_css`` when a map is rendered, so this is called
    once at start-up (idempotent). ``prefix`` is ``/static/`` for the server (links carry
    ``?v=<digest>`` and are cached for a year, :func:`asset_version`), or
    :data:`INLINE_PREFIX` for a self-contained export.
    """
    for cls, pairs in _JS.items():
        cls.default_js = [(name, _link(prefix, path)) for name, path in pairs]
    for cls, pairs in _CSS.items():
        cls.default_css = [(name, _link(prefix, path)) for name, path in pairs]


_INLINE_JS = re.compile(r'<script src="' + re.escape(INLINE_PREFIX) + r'([^"]+)"></script>')
_INLINE_CSS = re.compile(
    r'<link rel="stylesheet" href="' + re.escape(INLINE_PREFIX) + r'([^"]+)"/>'
)
_CSS_URL = re.compile(r"url\(['\"]?(?!data:)([^'\")]+)['\"]?\)")


def inline_assets(html: str) -> str:
    """Replace placeholder links by the vendored files' contents.

    CSS ``url(...)`` references (icons, sprites) become ``data:`` URIs, so the page needs
    nothing but itself (basemap tiles aside).
    """

    def js(match: re.Match[str]) -> str:
        text = (STATIC_DIR / match.group(1)).read_text(encoding="utf-8")
        return "<script>" + text.replace("</script", "<\\/script") + "</script>"

    def css(match: re.Match[str]) -> str:
        path = STATIC_DIR / match.group(1)
        text = _CSS_URL.sub(
            lambda m: f'url("{_data_uri(path.parent / m.group(1))}")',
            path.read_text(encoding="utf-8"),
        )
        return "<style>" + text + "</style>"

    return _INLINE_CSS.sub(css, _INLINE_JS.sub(js, html))


def _data_uri(path: Path) -> str:
    import base64
    import mimetypes

    if not path.is_file():
        return "data:,"
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
