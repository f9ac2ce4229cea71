"""Basemaps offered on every map: tiles from ``xyzservices``, none, or offline.

Tiles are the only requests a page makes outside our server; the map works without them.
``offline`` draws the map's own line work instead (a cluster's streets, else country
outlines: :mod:`webmap.maps.offline`), and is switched to by itself when tiles fail to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import folium
import xyzservices
import xyzservices.providers as xyz

from webmap.i18n import N_, gettext
from webmap.maps.offline import LABEL as OFFLINE_LABEL
from webmap.maps.offline import add_offline_layer


@dataclass(frozen=True)
class Basemap:
    """A named basemap: its label and tile provider (None: no tiles)."""

    key: str
    label: str
    provider: xyzservices.TileProvider | None

    def tile_origins(self) -> list[str]:
        """The origins the tiles load from, for the Content-Security-Policy."""
        if self.provider is None:
            return []
        parts = urlsplit(self.provider.url)
        host = parts.netloc.replace("{s}", "*")
        return [f"{parts.scheme}://{host}"]


BASEMAPS = {
    b.key: b
    for b in (
        Basemap("osm", "OpenStreetMap", xyz.OpenStreetMap.Mapnik),
        Basemap("positron", "CartoDB Positron", xyz.CartoDB.Positron),
        Basemap("none", N_("No basemap"), None),
        Basemap("offline", OFFLINE_LABEL, None),
    )
}
#: The basemaps drawn without tiles.
TILELESS = ("none", "offline")
DEFAULT_BASEMAP = "osm"
# the exact text of the OpenStreetMap tiles' attribution, so Leaflet shows it once
OSM_CREDIT = xyz.OpenStreetMap.Mapnik.html_attribution


def add_basemaps(
    fmap: folium.Map, *, selected: str = DEFAULT_BASEMAP, streets: Any = None, lang: str = "en"
) -> None:
    """Add every basemap as a base layer, ``selected`` shown first.

    "No basemap" is an empty tile layer whose attribution still credits the data drawn.
    "Offline" draws ``streets`` (a GeoJSON geometry of a cluster's network), else the
    country outlines, and takes over when the tiles fail to load.
    """
    tiles = []
    for basemap in sorted(BASEMAPS.values(), key=lambda b: b.key != selected):
        if basemap.key == "offline":
            continue  # added last, once the tile layers it stands in for exist
        if basemap.provider is None:
            layer = folium.TileLayer(
                tiles="",
                attr=OSM_CREDIT,
                name=gettext(basemap.label, lang=lang),
                show=basemap.key == selected,
            )
        else:
            layer = folium.TileLayer(
                tiles=tile_url(basemap.provider),
                attr=basemap.provider.html_attribution,
                name=gettext(basemap.label, lang=lang),
                max_zoom=basemap.provider.get("max_zoom", 19),
                subdomains=basemap.provider.get("subdomains", "abc"),
                show=basemap.key == selected,
            )
            tiles.append(layer)
        layer.add_to(fmap)
    add_offline_layer(
        fmap, tiles=tiles, streets=streets, streets_credit=OSM_CREDIT, show=selected == "offline"
    )


def tile_url(provider: xyzservices.TileProvider) -> str:
    """The provider's Leaflet URL template.

    CARTO's template asks for an API key that its basemaps serve without at modest
    volumes; with no key we drop the parameter rather than send a placeholder.
    """
    url = provider.build_url(fill_subdomain=False, scale_factor="{r}", apikey="KEY")
    return url.replace("?key=KEY", "").replace("&key=KEY", "")


def all_tile_origins() -> list[str]:
    """Every origin a basemap may load tiles from."""
    return sorted({o for b in BASEMAPS.values() for o in b.tile_origins()})
