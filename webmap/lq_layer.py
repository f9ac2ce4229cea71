"""The location-quotient layer of a point map: hexagons where a category is significantly
over-represented (:mod:`geo.lq`), darker as the quotient grows.

Category names come from the user's file: every label is escaped (:mod:`webmap.text`)
before it reaches the map.
"""

from __future__ import annotations

from typing import Any

from webmap.text import escape_text

LAYER_NAME = "Location quotients (LQ > 1, p < 0.05)"
#: Quotients from which a hexagon takes the next shade.
_SHADES = ((4.0, "#7a0177"), (2.0, "#c51b8a"), (0.0, "#f768a1"))


def _shade(lq: float) -> str:
    return next(colour for floor, colour in _SHADES if lq >= floor)


def add_lq_layer(fmap: Any, layer: dict[str, Any] | None) -> None:
    """Add the hexagons of ``layer`` (the ``lq_cells`` GeoJSON of an upload) to ``fmap``,
    each with a tooltip naming its category, quotient and counts."""
    import folium

    if not layer or not layer.get("features"):
        return
    features = []
    for feature in layer["features"]:
        props = feature["properties"]
        label = (
            f"{escape_text(props['category'])}: LQ {float(props['lq']):.2f} "
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
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=LAYER_NAME,
        style_function=lambda feature: {
            "color": feature["properties"]["colour"],
            "weight": 1,
            "fillColor": feature["properties"]["colour"],
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(fmap)
