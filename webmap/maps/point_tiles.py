"""A layer of vector tiles of points (Leaflet.VectorGrid), for maps whose points are served
as tiles (:mod:`geo.tiles`): a spooled upload's analysis page draws every point this way.

Cells (features with ``count`` above 1) are drawn with a radius growing with their count;
a click shows a point's label and category, or a cell's count, as text (never HTML), as
the ``/points/NAME`` page does (``static/pointtiles.js``). The tiles are drawn in the
overlay pane, above the basemap (the offline basemap's land too).
"""

from __future__ import annotations

from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from webmap.maps.escape import escape_text
from webmap.maps.point_layer import script_json

__all__ = ["PointTilesLayer"]


class PointTilesLayer(JSCSSMixin, Layer):
    """The point tiles at ``url`` (an XYZ template ending ``{z}/{x}/{y}.mvt``).

    Parameters
    ----------
    url
        The tiles' URL template.
    name
        The layer's name in the layer control (plain text).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url_json }}, {
            maxNativeZoom: 20, maxZoom: 22, interactive: true,
            rendererFactory: L.svg.tile, pane: "overlayPane",
            vectorTileLayerStyles: {points: function (p) {
                var many = p.count > 1;
                return {radius: many ? Math.min(7, 1.5 + 1.2 * Math.log10(p.count)) : 3,
                        weight: many ? 0 : 1, color: "#d62728", fill: true,
                        fillColor: many ? "#1d3557" : "#e63946",
                        fillOpacity: many ? 0.5 : 0.7};
            }}
        }).addTo({{ this._parent.get_name() }});
        {{ this.get_name() }}.on("click", function (e) {
            var p = e.layer.properties, text = document.createElement("div");
            text.textContent = p.count > 1 ? p.count + " points"
                : (p.label || "") + " " + (p.category || "");
            L.popup().setLatLng(e.latlng).setContent(text).openOn({{ this._parent.get_name() }});
        });
        window.clustermapPointTiles = {{ this.get_name() }};
        {% endmacro %}
        """
    )

    # replaced by use_local_assets (webmap.maps.assets), like Folium's own classes' links
    default_js = [  # noqa: RUF012
        (
            "vectorgrid",
            "/static/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
        ),
    ]

    def __init__(self, url: str, *, name: str = "Points") -> None:
        super().__init__(name=escape_text(name), overlay=True, control=True, show=True)
        self._name = "PointTilesLayer"
        self.url_json = script_json(url)
