"""Folium layers drawn from :mod:`geo.overlays` results, each with its own legend.

Every layer is one ``FeatureGroup`` listed in the layer control under a stable key (see
:data:`LAYERS`); its legend shows while the layer is on. All text from data goes through
:func:`webmap.maps.escape.escape_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium import plugins
from jinja2 import Template

from geo.overlays import Overlays, class_breaks
from webmap.maps.basemaps import OSM_CREDIT
from webmap.maps.escape import escape_text

#: Sequential colours, light to dark (ColorBrewer YlOrRd 5).
RAMP = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
ISOCHRONE_COLOURS = ("#1a9850", "#fee08b", "#d73027", "#7b3294", "#2c7bb6")


@dataclass(frozen=True)
class LayerSpec:
    """A layer key, its label in the layer control, and whether it shows by default."""

    key: str
    label: str
    default: bool


LAYERS = {
    spec.key: spec
    for spec in (
        LayerSpec("sites", "Sites", True),
        LayerSpec("epicentres", "Epicentres", True),
        LayerSpec("density", "Kernel density", False),
        LayerSpec("hexbins", "Hexagons", False),
        LayerSpec("cores", "Dense cores", False),
        LayerSpec("nn", "Nearest neighbours", False),
        LayerSpec("isochrones", "Walking isochrones", True),
        LayerSpec("paths", "Walking paths", True),
    )
}
NETWORK_LAYERS = ("isochrones", "paths")


class LayerLegend(MacroElement):
    """A legend control shown while ``layer`` is on the map; ``html`` is trusted markup."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer.get_name() }};
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "cm-legend cm-legend-{{ this.key }}");
                div.innerHTML = `{{ this.html }}`;
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            function sync() {
                if (map.hasLayer(layer)) { legend.addTo(map); } else { legend.remove(); }
            }
            map.on("overlayadd overlayremove", sync);
            sync();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: Any, key: str, html: str) -> None:
        super().__init__()
        self._name = "LayerLegend"
        self.layer = layer
        self.key = key
        self.html = html


class Attribution(MacroElement):
    """Adds a credit (trusted markup) to the map's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution(`{{ this.text }}`);
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


class KeyedGroup(folium.FeatureGroup):
    """A feature group that knows its layer key (see :data:`LAYERS`)."""

    def __init__(self, name: str, *, key: str, show: bool) -> None:
        super().__init__(name=name, show=show)
        self.layer_key = key


class KeyedSubGroup(plugins.FeatureGroupSubGroup):
    """A sub-group of a marker cluster that knows its layer key."""

    def __init__(self, parent: Any, name: str, *, key: str, show: bool) -> None:
        super().__init__(parent, name=name, show=show)
        self.layer_key = key


def group(fmap: folium.Map, key: str, *, show: bool, label: str | None = None) -> KeyedGroup:
    """A feature group for layer ``key``, added to the map."""
    layer = KeyedGroup(label or LAYERS[key].label, key=key, show=show)
    fmap.add_child(layer)
    return layer


def legend_rows(
    title: str,
    rows: list[tuple[str, str]],
    *,
    note: str = "",
    marks: list[tuple[str, str]] | None = None,
) -> str:
    """Legend markup: a title, (colour, label) rows, (CSS class, label) ``marks`` drawn by
    the stylesheet (dashed rings, areas), an optional note; text escaped."""
    items = "".join(
        f'<li><span class="cm-swatch" style="background:{colour}"></span>{escape_text(label)}</li>'
        for colour, label in rows
    ) + "".join(
        f'<li class="{css}-row"><span class="cm-mark {css}"></span>{escape_text(label)}</li>'
        for css, label in marks or []
    )
    extra = f"<p>{escape_text(note)}</p>" if note else ""
    return f"<strong>{escape_text(title)}</strong><ul>{items}</ul>{extra}"


def latlon(geometry: Any) -> list[tuple[float, float]]:
    """A line's or ring's coordinates in Leaflet's (lat, lon) order."""
    return [(lat, lon) for lon, lat, *_ in geometry.coords]


def _fmt(value: float, unit: str = "") -> str:
    text = f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def _geojson(
    frame: gpd.GeoDataFrame, style: Callable[[dict[str, Any]], dict[str, Any]], tooltip: list[str]
) -> folium.GeoJson:
    data = frame.reset_index(drop=False) if frame.index.name else frame
    return folium.GeoJson(
        data.__geo_interface__,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=tooltip, labels=False) if tooltip else None,
        control=False,
    )


def add_density(fmap: folium.Map, overlays: Overlays, *, show: bool) -> None:
    """Kernel density contour bands, coloured by sites per km²."""
    bands = overlays.density_bands.copy()
    layer = group(fmap, "density", show=show)
    if bands.empty:
        LayerLegend(
            layer,
            "density",
            legend_rows("Kernel density", [], note="too few located sites for a density surface"),
        ).add_to(fmap)
        return
    colours = {i: RAMP[min(i, len(RAMP) - 1)] for i in range(len(bands))}
    bands["colour"] = [colours[i] for i in range(len(bands))]
    bands["label"] = [
        escape_text(f"{_fmt(lo)} to {_fmt(hi)} sites per km²")
        for lo, hi in zip(bands["density_min_per_km2"], bands["density_max_per_km2"], strict=True)
    ]
    _geojson(
        bands,
        lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": f["properties"]["colour"],
            "weight": 1,
            "fillOpacity": 0.45,
        },
        ["label"],
    ).add_to(layer)
    rows = [
        (c, f"≥ {_fmt(lo)}")
        for c, lo in zip(bands["colour"], bands["density_min_per_km2"], strict=True)
    ]
    LayerLegend(
        layer,
        "density",
        legend_rows("Kernel density (sites per km²)", rows, note=overlays.caveats.get("kde", "")),
    ).add_to(fmap)


def add_hexbins(fmap: folium.Map, overlays: Overlays, *, show: bool) -> None:
    """H3 hexagons as a classed choropleth of sites per km²."""
    cells = overlays.hexbins.copy()
    label = f"Hexagons (H3 r{overlays.hex_resolution})" if overlays.hex_resolution else None
    layer = group(fmap, "hexbins", show=show, label=label)
    breaks = class_breaks(cells["sites_per_km2"]) if not cells.empty else []
    if not breaks:
        LayerLegend(layer, "hexbins", legend_rows("Hexagons", [], note="no located site")).add_to(
            fmap
        )
        return

    def colour(value: float) -> str:
        index = next(i for i, upper in enumerate(breaks) if value <= upper)
        return RAMP[round(index * (len(RAMP) - 1) / max(len(breaks) - 1, 1))]

    cells["colour"] = [colour(v) for v in cells["sites_per_km2"]]
    cells["label"] = [
        escape_text(f"{n} site(s), {_fmt(d)} per km²")
        for n, d in zip(cells["count"], cells["sites_per_km2"], strict=True)
    ]
    _geojson(
        cells,
        lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        ["label"],
    ).add_to(layer)
    lowers = [float(cells["sites_per_km2"].min()), *breaks[:-1]]
    rows = [
        (colour(hi), f"{_fmt(lo)} to {_fmt(hi)}" if lo < hi else f"{_fmt(hi)}")
        for lo, hi in zip(lowers, breaks, strict=True)
    ]
    LayerLegend(layer, "hexbins", legend_rows("Sites per km² (hexagon)", rows)).add_to(fmap)


def add_cores(fmap: folium.Map, overlays: Overlays, *, show: bool) -> None:
    """DBSCAN dense cores as outlined polygons."""
    cores = overlays.cores.copy()
    layer = group(fmap, "cores", show=show)
    if not cores.empty:
        cores["label"] = [
            escape_text(f"core {c}: {n} sites, {_fmt(a, 'km²')}, {_fmt(d)} sites per km²")
            for c, n, a, d in zip(
                cores["core"],
                cores["n_sites"],
                cores["area_km2"],
                cores["sites_per_km2"],
                strict=True,
            )
        ]
        _geojson(
            cores,
            lambda _f: {"color": "#6a3d9a", "weight": 3, "fillOpacity": 0.08, "dashArray": "8 4"},
            ["label"],
        ).add_to(layer)
    note = f"{len(cores)} core(s), core 0 the largest" if not cores.empty else "no dense core"
    if "cores" in overlays.caveats:
        note = f"{note}; {overlays.caveats['cores']}"
    LayerLegend(
        layer,
        "cores",
        legend_rows("Dense cores (DBSCAN)", [("#6a3d9a", "core outline")], note=note),
    ).add_to(fmap)


def add_nn_links(fmap: folium.Map, overlays: Overlays, *, show: bool) -> None:
    """A line from each site to its nearest neighbour, labelled in metres."""
    layer = group(fmap, "nn", show=show)
    for row in overlays.nn_links.itertuples():
        coords = latlon(row.geometry)
        folium.PolyLine(
            coords,
            color="#555555",
            weight=2,
            dash_array="2 6",
            class_name="cm-nn-link",
            tooltip=folium.Tooltip(
                escape_text(f"{row.from_id} to {row.to_id}: {_fmt(row.distance_m, 'm')}")
            ),
        ).add_to(layer)
    LayerLegend(
        layer,
        "nn",
        legend_rows(
            "Nearest neighbours",
            [("#555555", "link to nearest site")],
            note="straight-line distance",
        ),
    ).add_to(fmap)


#: How an epicentre's area (or its single place) is outlined.
_EPICENTRE_STYLE: dict[str, Any] = {
    "color": "#000000",
    "weight": 2,
    "dash_array": "6 6",
    "fill": True,
    "fill_opacity": 0.05,
}


def add_epicentres(fmap: folium.Map, overlays: Overlays, *, show: bool) -> folium.FeatureGroup:
    """Epicentre polygons, side lengths as labels, and minimum bounding circles; returns
    the layer so that member markers can join it."""
    layer = group(fmap, "epicentres", show=show)
    for row in overlays.epicentre_circles.itertuples():
        ring = latlon(row.geometry.exterior)
        folium.Polygon(
            ring,
            color="#444444",
            weight=1,
            dash_array="2 4",
            fill=False,
            class_name="cm-epicentre-circle",
            tooltip=folium.Tooltip(
                escape_text(f"minimum bounding circle, radius {_fmt(row.radius_m, 'm')}")
            ),
        ).add_to(layer)
    for row in overlays.epicentres.itertuples():
        if row.shape == "polygon":
            folium.Polygon(
                latlon(row.geometry.exterior),
                **_EPICENTRE_STYLE,
                class_name="cm-epicentre",
                tooltip=folium.Tooltip(escape_text(row.name)),
            ).add_to(layer)
        elif row.shape == "point":
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x],
                radius=20,
                **_EPICENTRE_STYLE,
                class_name="cm-epicentre cm-epicentre-point",
                tooltip=folium.Tooltip(escape_text(f"{row.name}: a single located place")),
            ).add_to(layer)
    for row in overlays.epicentre_sides.itertuples():
        coords = latlon(row.geometry)
        folium.PolyLine(
            coords,
            color="#000000",
            weight=2,
            dash_array="6 6",
            class_name="cm-epicentre-side",
            tooltip=folium.Tooltip(
                escape_text(_fmt(row.length_m, "m")),
                permanent=True,
                direction="center",
                class_name="cm-side-label",
            ),
        ).add_to(layer)
    LayerLegend(
        layer,
        "epicentres",
        legend_rows(
            "Epicentres",
            [("#000000", "sides, centre to centre"), ("#444444", "bounding circle")],
            note="dashed ring: member site",
        ),
    ).add_to(fmap)
    return layer


def add_isochrones(fmap: folium.Map, isochrones: gpd.GeoDataFrame, *, show: bool) -> None:
    """Walking isochrones, largest first so the nearer bands stay on top."""
    layer = group(fmap, "isochrones", show=show)
    minutes = sorted({float(m) for m in isochrones["minutes"]})
    colours = {m: ISOCHRONE_COLOURS[i % len(ISOCHRONE_COLOURS)] for i, m in enumerate(minutes)}
    frame = isochrones.sort_values("minutes", ascending=False).copy()
    frame["colour"] = [colours[float(m)] for m in frame["minutes"]]
    frame["label"] = [
        escape_text(f"{label}: {m:g} min walk, {_fmt(a, 'km²')}")
        for label, m, a in zip(
            frame.get("epicentre", frame["minutes"]),
            frame["minutes"],
            frame["area_km2"],
            strict=True,
        )
    ]
    keep = ["minutes", "area_km2", "colour", "label", "geometry"]
    _geojson(
        frame[keep],
        lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": f["properties"]["colour"],
            "weight": 1,
            "fillOpacity": 0.25,
        },
        ["label"],
    ).add_to(layer)
    rows = [(colours[m], f"{m:g} min walk") for m in minutes]
    LayerLegend(
        layer,
        "isochrones",
        legend_rows(
            "Walking isochrones", rows, note="from each epicentre's centre, on the street network"
        ),
    ).add_to(fmap)


def add_paths(fmap: folium.Map, paths: gpd.GeoDataFrame, *, show: bool) -> None:
    """Shortest walking paths between epicentre members, labelled with minutes."""
    layer = group(fmap, "paths", show=show)
    for row in paths.itertuples():
        if row.geometry is None or row.geometry.is_empty:
            continue
        lines = getattr(row.geometry, "geoms", [row.geometry])
        for line in lines:
            folium.PolyLine(
                latlon(line),
                color="#2c7bb6",
                weight=4,
                opacity=0.8,
                class_name="cm-walk-path",
                popup=folium.Popup(
                    escape_text(
                        f"{row.from_site} to {row.to_site}: {row.walk_minutes:.0f} min walk, "
                        f"{_fmt(row.distance_m, 'm')} on the network, "
                        f"detour index {row.detour_index:.2f}"
                    )
                ),
                tooltip=folium.Tooltip(
                    escape_text(f"{row.walk_minutes:.0f} min"),
                    permanent=True,
                    direction="center",
                    class_name="cm-walk-label",
                ),
            ).add_to(layer)
    LayerLegend(
        layer,
        "paths",
        legend_rows(
            "Walking paths",
            [("#2c7bb6", "shortest path")],
            note="labels: walking minutes door to door",
        ),
    ).add_to(fmap)


def credit_osm(fmap: folium.Map) -> None:
    """Credit OpenStreetMap for street data drawn on the map, whatever the basemap."""
    Attribution(OSM_CREDIT).add_to(fmap)
