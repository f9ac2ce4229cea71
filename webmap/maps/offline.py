"""The ``offline`` basemap: a map's own line work where tiles cannot load.

A cluster map with a street network draws that network's streets (light grey, under every
data layer, not clickable); any other map draws the Natural Earth country outlines
(:mod:`webmap.maps.outlines`). It is a base layer like the tile basemaps, chosen with
``basemap=offline`` or in the layer control, and chosen by itself when the selected tiles
fail to load: ``static/offline.js`` does both the drawing and the switch; this module
only hands it the layers and the streets.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from webmap.maps.outlines import CREDIT, countries_geojson

LABEL = "Offline (no tiles)"
#: The pane of the offline line work: above the tiles (200), below every overlay (400).
PANE = "cmOffline"


class OfflineBasemap(JSCSSMixin, MacroElement):
    """Hands ``clustermapOffline.attach`` the map, the offline base layer, the tile base
    layers it stands in for, what to draw (``streets``: a GeoJSON geometry or the URL to
    fetch it from; None: the country outlines) and its credit (HTML we wrote, shown while
    the layer is)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        clustermapOffline.attach({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
            [{{ this.tile_names() }}], {{ this.config() }});
        {% endmacro %}
        """
    )
    default_js: list[tuple[str, str]] = []  # noqa: RUF012  (set by webmap.maps.assets)

    def __init__(
        self,
        layer: folium.FeatureGroup,
        tiles: list[folium.TileLayer],
        *,
        streets: Any,
        attribution: str,
    ) -> None:
        super().__init__()
        self._name = "OfflineBasemap"
        self.layer = layer
        self.tiles = tiles
        self.streets = streets
        self.attribution = attribution

    def tile_names(self) -> str:
        """The tile layers' JavaScript names, comma-separated."""
        return ", ".join(layer.get_name() for layer in self.tiles)

    def config(self) -> str:
        """The drawing's settings as a script-safe JavaScript object.

        ``outlines`` is True where the page fetches them from our server, or the outlines
        themselves in a self-contained export (whose assets are inlined), which has no
        server to ask.
        """
        from webmap.maps.assets import INLINE_PREFIX  # both import this module
        from webmap.maps.point_layer import script_json

        outlines: Any = self.streets is None
        if outlines and any(path.startswith(INLINE_PREFIX) for _, path in self.default_js):
            outlines = json.loads(countries_geojson())
        return script_json(
            {
                "pane": PANE,
                "streets": self.streets,
                "outlines": outlines,
                "attribution": self.attribution,
            }
        )


def add_offline_layer(
    fmap: folium.Map,
    *,
    tiles: list[folium.TileLayer],
    streets: Any = None,
    streets_credit: str = "",
    show: bool,
) -> folium.FeatureGroup:
    """Add the offline base layer to ``fmap`` and the switch to it from ``tiles``.

    Parameters
    ----------
    fmap
        The map.
    tiles
        The tile base layers that fall back to it when they cannot load.
    streets
        A GeoJSON (Multi)LineString of the cluster's streets (EPSG:4326), or the URL the
        page fetches it from; None draws the country outlines.
    streets_credit
        The attribution of the streets' data (the outlines credit Natural Earth).
    show
        Whether it is the basemap shown first.
    """
    credit = streets_credit if streets is not None else CREDIT
    layer = folium.FeatureGroup(name=LABEL, overlay=False, show=show)
    layer.add_to(fmap)
    OfflineBasemap(layer, tiles, streets=streets, attribution=credit).add_to(fmap)
    return layer
