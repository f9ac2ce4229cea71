"""The location-quotient layers of a point map: for each category, the hexagons where it is
significantly over-represented (:mod:`geo.lq`), darker as the quotient grows.

One category shows at a time: each is its own overlay in the layer control, and turning one
on turns the others off (:class:`OneAtATime`), so hexagons of several categories never
stack into a darker shade that would read as a higher quotient. Each has its legend, naming
the category and its LQ classes, shown while it is on. The category with the most
significant hexagons shows first.

Category names come from the user's file: every label is escaped (:mod:`webmap.maps.escape`)
before it reaches the map.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from branca.element import MacroElement
from jinja2 import Template

from webmap.maps.escape import escape_text
from webmap.maps.layer_builders import LayerLegend, legend_rows

#: The layer control's label of a category's overlay (``{}``: the escaped category).
LAYER_NAME = "Location quotient: {}"
#: Quotients from which a hexagon takes the next shade, highest first, with their legend.
SHADES = (
    (4.0, "#7a0177", "4 or more"),
    (2.0, "#c51b8a", "2 to 4"),
    (1.0, "#f768a1", "1 to 2"),
)
NOTE = "Significant: LQ > 1, p < 0.05, 3 or more sites."


def _shade(lq: float) -> str:
    return next((colour for floor, colour, _ in SHADES if lq >= floor), SHADES[-1][1])


class OneAtATime(MacroElement):
    """Overlays of which at most one is on: turning one on turns the others off."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var layers = [{% for layer in this.layers %}{{ layer.get_name() }}, {% endfor %}];
            map.on("overlayadd", function(event) {
                if (layers.indexOf(event.layer) < 0) { return; }
                // once the layer control has handled the click, so it redraws its boxes
                setTimeout(function() {
                    layers.forEach(function(other) {
                        if (other !== event.layer && map.hasLayer(other)) {
                            map.removeLayer(other);
                        }
                    });
                }, 0);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layers: list[Any]) -> None:
        super().__init__()
        self._name = "OneAtATime"
        self.layers = layers


def add_lq_layer(fmap: Any, layer: dict[str, Any] | None) -> None:
    """Add the hexagons of ``layer`` (the ``lq_cells`` GeoJSON of an upload) to ``fmap``,
    one overlay and one legend per category, one category shown at a time; each hexagon's
    tooltip names its category, quotient and counts."""
    import folium

    if not layer or not layer.get("features"):
        return
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for feature in layer["features"]:
        by_category[str(feature["properties"]["category"])].append(feature)
    order = sorted(by_category, key=lambda c: (-len(by_category[c]), c))
    groups = []
    for i, category in enumerate(order):
        name = escape_text(category)
        features = []
        for feature in by_category[category]:
            props = feature["properties"]
            label = (
                f"{name}: LQ {float(props['lq']):.2f} "
                f"({int(props['count'])} of {int(props['cell_total'])} sites, "
                f"p = {float(props['p_value']):.2g})"
            )
            features.append(
                {
                    "type": "Feature",
                    "geometry": feature["geometry"],
                    "properties": {"label": label, "colour": _shade(float(props["lq"]))},
                }
            )
        group = folium.FeatureGroup(name=LAYER_NAME.format(name), show=i == 0)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda feature: {
                "color": feature["properties"]["colour"],
                "weight": 1,
                "fillColor": feature["properties"]["colour"],
                "fillOpacity": 0.45,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            control=False,
        ).add_to(group)
        group.add_to(fmap)
        rows = [(colour, f"LQ {words}") for _, colour, words in SHADES]
        legend = legend_rows(f"Location quotient of {category}", rows, note=NOTE)
        LayerLegend(group, f"lq-{i}", legend).add_to(fmap)
        groups.append(group)
    OneAtATime(groups).add_to(fmap)
