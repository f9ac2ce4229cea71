"""Map controls Folium lacks or gets wrong for us.

Folium's ``MeasureControl`` wraps leaflet-measure, which compiles its templates with
``eval``: our Content-Security-Policy rightly forbids that, so the measure tool here is
Leaflet.PolylineMeasure, which needs no ``eval``.
"""

from __future__ import annotations

import re

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

#: A viewport that lets a person zoom the page (WCAG 1.4.4, axe's ``meta-viewport``).
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
# Folium's own, written in every map's header, forbids zooming (maximum-scale, user-scalable)
_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


def zoomable(html: str, *, viewport: str = VIEWPORT) -> str:
    """``html`` with Folium's ``<meta name="viewport">``, which forbids zooming, replaced
    by ``viewport`` (an empty string drops it, for a page that writes its own)."""
    return _FOLIUM_VIEWPORT.sub(viewport, html)


class MeasureTool(JSCSSMixin, MacroElement):
    """Distance measuring (Leaflet.PolylineMeasure), metric units."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.polylineMeasure({
            position: "topleft",
            unit: "kilometres",
            showBearings: false,
            clearMeasurementsOnStop: false,
            showClearControl: true,
            showUnitControl: false
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )
    # placeholders; webmap.maps.assets.use_local_assets points them at our vendored files
    default_js = [("polylinemeasure_js", "Leaflet.PolylineMeasure.js")]  # noqa: RUF012
    default_css = [("polylinemeasure_css", "Leaflet.PolylineMeasure.css")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self._name = "MeasureTool"


class MapStyle(JSCSSMixin, MacroElement):
    """Our map stylesheet (legends, labels, popups), so exported maps carry it too.

    On a narrow screen the stylesheet makes the legends' corner scroll; the script lets the
    keyboard reach it there (WCAG 2.1.1).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (window.matchMedia("(max-width: 40rem)").matches) {
            {{ this._parent.get_name() }}.getContainer()
                .querySelector(".leaflet-bottom.leaflet-left").tabIndex = 0;
        }
        {% endmacro %}
        """
    )
    default_js = []  # noqa: RUF012
    default_css = [("clustermap_map_css", "map.css")]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStyle"
