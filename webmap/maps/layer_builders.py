"""Folium layers drawn from :mod:`geo.overlays` results, each with its own legend.

Every layer is one ``FeatureGroup`` listed in the layer control under a stable key; its
record (label, legend title, default, builder) is in :data:`webmap.layer_registry.LAYERS`,
and :func:`build` draws it. Its legend shows while the layer is on. All text from data
goes through :func:`webmap.maps.escape.escape_text`; fixed text is drawn in ``lang``
(:func:`webmap.i18n.gettext`).
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

from geo.measures import measures
from geo.network import NetworkLayers
from geo.overlays import Overlays, class_breaks
from geo.registry import Registry
from webmap.i18n import format_number, format_significant, gettext, translate_filled
from webmap.layer_registry import LAYERS, Layer
from webmap.maps.basemaps import OSM_CREDIT
from webmap.maps.escape import escape_text

#: Sequential colours, light to dark (ColorBrewer YlOrRd 5).
RAMP = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
ISOCHRONE_COLOURS = ("#1a9850", "#fee08b", "#d73027", "#7b3294", "#2c7bb6")
EPICENTRE_COLOUR = "#000000"


@dataclass(frozen=True)
class LayerData:
    """What a map's layers are drawn from: the overlays, and on a registry cluster's map
    its walking network, its located ``sites`` (with their ``footprints``) and the
    registry they come from (for the epicentres' members)."""

    overlays: Overlays
    network: NetworkLayers | None = None
    registry: Registry | None = None
    cluster_id: str = ""
    sites: gpd.GeoDataFrame | None = None
    footprints: gpd.GeoDataFrame | None = None


def build(fmap: folium.Map, key: str, data: LayerData, *, show: bool, lang: str = "en") -> None:
    """Draw layer ``key`` of :data:`~webmap.layer_registry.LAYERS` on ``fmap`` with its
    builder, ``show`` deciding whether it is on when the page opens."""
    layer = LAYERS[key]
    layer.builder()(fmap, data, layer, show=show, lang=lang)


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


def group(fmap: folium.Map, layer: Layer, *, show: bool, label: str) -> KeyedGroup:
    """The feature group of ``layer``, named ``label`` in the layer control, added to the
    map."""
    keyed = KeyedGroup(label, key=layer.key, show=show)
    fmap.add_child(keyed)
    return keyed


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


def add_legend(
    fmap: folium.Map,
    anchor: Any,
    layer: Layer,
    rows: list[tuple[str, str]],
    *,
    lang: str,
    title: str | None = None,
    note: str = "",
    marks: list[tuple[str, str]] | None = None,
) -> None:
    """The legend of ``layer``, shown while ``anchor`` (its group) is on: its record's
    legend title in ``lang`` (or ``title``, already in ``lang``), ``rows``, ``marks`` and
    ``note`` as :func:`legend_rows` draws them."""
    heading = title if title is not None else gettext(layer.legend, lang=lang)
    html = legend_rows(heading, rows, note=note, marks=marks)
    LayerLegend(anchor, layer.key, html).add_to(fmap)


def latlon(geometry: Any) -> list[tuple[float, float]]:
    """A line's or ring's coordinates in Leaflet's (lat, lon) order."""
    return [(lat, lon) for lon, lat, *_ in geometry.coords]


def _fmt(value: float, unit: str = "", *, lang: str) -> str:
    """A value of a legend or a label as ``lang`` writes numbers, with its unit."""
    text = (
        format_number(value, lang=lang)
        if value >= 100
        else format_significant(value, lang=lang, digits=3)
    )
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


def _line(
    layer: Any, coords: list[tuple[float, float]], style: dict[str, Any], tip: folium.Tooltip
) -> None:
    """A polyline of ``coords`` drawn in ``style`` (colour, weight, dashes, CSS class…)
    with its tooltip, added to ``layer``."""
    folium.PolyLine(coords, **style, tooltip=tip).add_to(layer)


def add_density(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """Kernel density contour bands, coloured by sites per km²."""
    overlays = data.overlays
    bands = overlays.density_bands.copy()
    label = gettext(layer.label, lang=lang)
    keyed = group(fmap, layer, show=show, label=label)
    if bands.empty:
        note = gettext("too few located sites for a density surface", lang=lang)
        add_legend(fmap, keyed, layer, [], title=label, note=note, lang=lang)
        return
    colours = {i: RAMP[min(i, len(RAMP) - 1)] for i in range(len(bands))}
    bands["colour"] = [colours[i] for i in range(len(bands))]
    band_text = gettext("%(low)s to %(high)s sites per km²", lang=lang)
    bands["label"] = [
        escape_text(band_text % {"low": _fmt(lo, lang=lang), "high": _fmt(hi, lang=lang)})
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
    ).add_to(keyed)
    rows = [
        (c, f"≥ {_fmt(lo, lang=lang)}")
        for c, lo in zip(bands["colour"], bands["density_min_per_km2"], strict=True)
    ]
    note = _caveat(overlays.caveats.get("kde", ""), lang=lang)
    add_legend(fmap, keyed, layer, rows, note=note, lang=lang)


def add_hexbins(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """H3 hexagons as a classed choropleth of sites per km²."""
    overlays = data.overlays
    cells = overlays.hexbins.copy()
    label = gettext(layer.label, lang=lang)
    if overlays.hex_resolution:
        label = gettext("Hexagons (H3 r%(resolution)s)", lang=lang,
                        resolution=overlays.hex_resolution)  # fmt: skip
    keyed = group(fmap, layer, show=show, label=label)
    breaks = class_breaks(cells["sites_per_km2"]) if not cells.empty else []
    if not breaks:
        title = gettext(layer.label, lang=lang)
        note = gettext("no located site", lang=lang)
        add_legend(fmap, keyed, layer, [], title=title, note=note, lang=lang)
        return

    def colour(value: float) -> str:
        index = next(i for i, upper in enumerate(breaks) if value <= upper)
        return RAMP[round(index * (len(RAMP) - 1) / max(len(breaks) - 1, 1))]

    cells["colour"] = [colour(v) for v in cells["sites_per_km2"]]
    cell_text = gettext("%(n)s site(s), %(density)s per km²", lang=lang)
    cells["label"] = [
        escape_text(cell_text % {"n": n, "density": _fmt(d, lang=lang)})
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
    ).add_to(keyed)
    lowers = [float(cells["sites_per_km2"].min()), *breaks[:-1]]
    rows = [
        (
            colour(hi),
            gettext(
                "%(low)s to %(high)s", lang=lang, low=_fmt(lo, lang=lang), high=_fmt(hi, lang=lang)
            )
            if lo < hi
            else _fmt(hi, lang=lang),
        )
        for lo, hi in zip(lowers, breaks, strict=True)
    ]
    add_legend(fmap, keyed, layer, rows, lang=lang)


def add_cores(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """DBSCAN dense cores as outlined polygons."""
    overlays = data.overlays
    cores = overlays.cores.copy()
    keyed = group(fmap, layer, show=show, label=gettext(layer.label, lang=lang))
    if not cores.empty:
        core_text = gettext(
            "core %(core)s: %(n)s sites, %(area)s, %(density)s sites per km²", lang=lang
        )
        cores["label"] = [
            escape_text(
                core_text
                % {
                    "core": c,
                    "n": n,
                    "area": _fmt(a, "km²", lang=lang),
                    "density": _fmt(d, lang=lang),
                }
            )
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
        ).add_to(keyed)
    note = (
        gettext("%(n)s core(s), core 0 the largest", lang=lang, n=len(cores))
        if not cores.empty
        else gettext("no dense core", lang=lang)
    )
    if "cores" in overlays.caveats:
        note = f"{note}; {_caveat(overlays.caveats['cores'], lang=lang)}"
    rows = [("#6a3d9a", gettext("core outline", lang=lang))]
    add_legend(fmap, keyed, layer, rows, note=note, lang=lang)


def _caveat(text: str, *, lang: str) -> str:
    """A measure's caveat (stored filled in English) in ``lang``."""
    templates = [m.caveat for m in measures() if m.caveat]
    return translate_filled(text, templates, lang=lang) if text else text


def add_nn_links(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """A line from each site to its nearest neighbour, labelled in metres."""
    keyed = group(fmap, layer, show=show, label=gettext(layer.label, lang=lang))
    style = {"color": "#555555", "weight": 2, "dash_array": "2 6", "class_name": "cm-nn-link"}
    link_text = gettext("%(from)s to %(to)s: %(distance)s", lang=lang)
    for row in data.overlays.nn_links.itertuples():
        distance = _fmt(row.distance_m, "m", lang=lang)
        text = link_text % {"from": row.from_id, "to": row.to_id, "distance": distance}
        _line(keyed, latlon(row.geometry), style, folium.Tooltip(escape_text(text)))
    rows = [("#555555", gettext("link to nearest site", lang=lang))]
    add_legend(fmap, keyed, layer, rows, note=gettext("straight-line distance", lang=lang),
               lang=lang)  # fmt: skip


#: How an epicentre's area (or its single place) is outlined.
_EPICENTRE_STYLE: dict[str, Any] = {
    "color": EPICENTRE_COLOUR,
    "weight": 2,
    "dash_array": "6 6",
    "fill": True,
    "fill_opacity": 0.05,
}


def add_epicentres(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """Epicentre polygons, side lengths as labels, minimum bounding circles, and (on a
    registry cluster's map) a dashed ring on each located member site."""
    overlays = data.overlays
    keyed = group(fmap, layer, show=show, label=gettext(layer.label, lang=lang))
    circle_text = gettext("minimum bounding circle, radius %(radius)s", lang=lang)
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
                escape_text(circle_text % {"radius": _fmt(row.radius_m, "m", lang=lang)})
            ),
        ).add_to(keyed)
    single_text = gettext("%(name)s: a single located place", lang=lang)
    for row in overlays.epicentres.itertuples():
        if row.shape == "polygon":
            folium.Polygon(
                latlon(row.geometry.exterior),
                **_EPICENTRE_STYLE,
                class_name="cm-epicentre",
                tooltip=folium.Tooltip(escape_text(row.name)),
            ).add_to(keyed)
        elif row.shape == "point":
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x],
                radius=20,
                **_EPICENTRE_STYLE,
                class_name="cm-epicentre cm-epicentre-point",
                tooltip=folium.Tooltip(escape_text(single_text % {"name": row.name})),
            ).add_to(keyed)
    side = {"color": EPICENTRE_COLOUR, "weight": 2, "dash_array": "6 6",
            "class_name": "cm-epicentre-side"}  # fmt: skip
    for row in overlays.epicentre_sides.itertuples():
        tip = folium.Tooltip(escape_text(_fmt(row.length_m, "m", lang=lang)), permanent=True,
                             direction="center", class_name="cm-side-label")  # fmt: skip
        _line(keyed, latlon(row.geometry), side, tip)
    _add_members(keyed, data, lang=lang)
    rows = [
        (EPICENTRE_COLOUR, gettext("sides, centre to centre", lang=lang)),
        ("#444444", gettext("bounding circle", lang=lang)),
    ]
    add_legend(fmap, keyed, layer, rows, note=gettext("dashed ring: member site", lang=lang),
               lang=lang)  # fmt: skip


def _add_members(keyed: KeyedGroup, data: LayerData, *, lang: str) -> None:
    """A dashed ring on each located member site of the cluster's epicentres."""
    if data.registry is None or data.sites is None:
        return
    sites = data.sites
    member_text = gettext("Epicentre: %(name)s", lang=lang)
    for _epi_id, epi in data.registry.epicentres_of(data.cluster_id).iterrows():
        for member in (m for m in epi["members"] if m in sites.index):
            point = sites.geometry[member].representative_point()
            folium.CircleMarker(
                [point.y, point.x],
                radius=14,
                color=EPICENTRE_COLOUR,
                weight=2,
                dash_array="4 4",
                fill=False,
                class_name="cm-epicentre-member",
                tooltip=folium.Tooltip(escape_text(member_text % {"name": epi["name"]})),
            ).add_to(keyed)


def add_isochrones(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """Walking isochrones, largest first so the nearer bands stay on top."""
    if data.network is None:
        return
    isochrones = data.network.isochrones
    keyed = group(fmap, layer, show=show, label=gettext(layer.label, lang=lang))
    minutes = sorted({float(m) for m in isochrones["minutes"]})
    colours = {m: ISOCHRONE_COLOURS[i % len(ISOCHRONE_COLOURS)] for i, m in enumerate(minutes)}
    frame = isochrones.sort_values("minutes", ascending=False).copy()
    frame["colour"] = [colours[float(m)] for m in frame["minutes"]]
    band_text = gettext("%(place)s: %(minutes)s min walk, %(area)s", lang=lang)
    frame["label"] = [
        escape_text(
            band_text % {"place": label, "minutes": f"{m:g}", "area": _fmt(a, "km²", lang=lang)}
        )
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
    ).add_to(keyed)
    walk_text = gettext("%(minutes)s min walk", lang=lang)
    rows = [(colours[m], walk_text % {"minutes": f"{m:g}"}) for m in minutes]
    note = gettext("from each epicentre's centre, on the street network", lang=lang)
    add_legend(fmap, keyed, layer, rows, note=note, lang=lang)


def add_paths(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """Shortest walking paths between epicentre members, labelled with minutes."""
    if data.network is None:
        return
    keyed = group(fmap, layer, show=show, label=gettext(layer.label, lang=lang))
    style = {"color": "#2c7bb6", "weight": 4, "opacity": 0.8, "class_name": "cm-walk-path"}
    path_text = gettext(
        "%(from)s to %(to)s: %(minutes)s min walk, %(distance)s on the network, "
        "detour index %(detour)s",
        lang=lang,
    )
    label_text = gettext("%(minutes)s min", lang=lang)
    for row in data.network.paths.itertuples():
        if row.geometry is None or row.geometry.is_empty:
            continue
        text = path_text % {
            "from": row.from_site,
            "to": row.to_site,
            "minutes": f"{row.walk_minutes:.0f}",
            "distance": _fmt(row.distance_m, "m", lang=lang),
            "detour": f"{row.detour_index:.2f}",
        }
        for line in getattr(row.geometry, "geoms", [row.geometry]):
            popup = folium.Popup(escape_text(text))  # one per line: an element has one parent
            tip = folium.Tooltip(
                escape_text(label_text % {"minutes": f"{row.walk_minutes:.0f}"}),
                permanent=True,
                direction="center",
                class_name="cm-walk-label",
            )
            _line(keyed, latlon(line), {**style, "popup": popup}, tip)
    rows = [("#2c7bb6", gettext("shortest path", lang=lang))]
    note = gettext("labels: walking minutes door to door", lang=lang)
    add_legend(fmap, keyed, layer, rows, note=note, lang=lang)


def credit_osm(fmap: folium.Map) -> None:
    """Credit OpenStreetMap for street data drawn on the map, whatever the basemap."""
    Attribution(OSM_CREDIT).add_to(fmap)
