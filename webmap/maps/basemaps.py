"""Basemaps offered on every map, from ``xyzservices``.

Tiles are the only requests a page makes outside our server; the map works without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import folium
import xyzservices
import xyzservices.providers as xyz


@dataclass(frozen=True)
class Basemap:
    """A named basemap: its label and tile provider (None: no basemap)."""

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
        Basemap("none", "No basemap", None),
    )
}
DEFAULT_BASEMAP = "osm"
# the exact text of the OpenStreetMap tiles' attribution, so Leaflet shows it once
OSM_CREDIT = xyz.OpenStreetMap.Mapnik.html_attribution


def add_basemaps(fmap: folium.Map, *, selected: str = DEFAULT_BASEMAP) -> None:
    """Add every basemap as a base layer, ``selected`` shown first.

    "No basemap" is an empty tile layer whose attribution still credits the data drawn.
    """
    for basemap in sorted(BASEMAPS.values(), key=lambda b: b.key != selected):
        if basemap.provider is None:
            layer = folium.TileLayer(
                tiles="",
                attr=OSM_CREDIT,
                name=basemap.label,
                show=basemap.key == selected,
            )
        else:
            layer = folium.TileLayer(
                tiles=tile_url(basemap.provider),
                attr=basemap.provider.html_attribution,
                name=basemap.label,
                max_zoom=basemap.provider.get("max_zoom", 19),
                subdomains=basemap.provider.get("subdomains", "abc"),
                show=basemap.key == selected,
            )
        layer.add_to(fmap)


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
