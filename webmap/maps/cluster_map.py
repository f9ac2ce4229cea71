"""Folium maps built from registry data and measures: the overview and a cluster's map.

No maths here: locations come from :mod:`geo.registry`, layer geometry from
:mod:`geo.overlays` and :mod:`geo.network`; this module only draws. Every registry string
goes through :func:`webmap.maps.escape.escape_text` before reaching a map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure, MacroElement
from folium import plugins
from jinja2 import Template

from geo.network import NetworkLayers
from geo.overlays import Overlays, drawn_bounds
from geo.registry import Registry
from webmap.i18n import N_, format_number, gettext
from webmap.layer_registry import LAYERS, NETWORK_LAYERS, Layer, map_layers
from webmap.maps.basemaps import BASEMAPS, TILELESS, add_basemaps
from webmap.maps.elements import MapStyle, MeasureTool, zoomable
from webmap.maps.escape import escape_text
from webmap.maps.layer_builders import (
    KeyedGroup,
    KeyedSubGroup,
    LayerData,
    add_legend,
    build,
    credit_osm,
    latlon,
)
from webmap.maps.view import MapView

ROLE_COLOURS = {
    "flagship": "#d62728",
    "university": "#1f77b4",
    "research": "#17becf",
    "incubator": "#ff7f0e",
    "science_park": "#2ca02c",
    "platform": "#9467bd",
    "demonstrator": "#8c564b",
    "hospital": "#e377c2",
    "cluster_office": "#7f7f7f",
    "company": "#bcbd22",
    "venue": "#393b79",
}
#: The letter on each role's icon (plain text: no icon font to load).
ROLE_LETTERS = {
    "flagship": "F",
    "university": "U",
    "research": "R",
    "incubator": "I",
    "science_park": "S",
    "platform": "P",
    "demonstrator": "D",
    "hospital": "H",
    "cluster_office": "O",
    "company": "C",
    "venue": "V",
}
#: Outline of an approximate position (a proxy or a low-confidence point).
APPROX_COLOUR = "#e6550d"
#: Screen radius (pixels) of the ring around an approximate point whose error is not stated.
APPROX_RING_PX = 16
#: Above this many sites, site markers are grouped in clusters.
CLUSTER_MARKERS_ABOVE = 200


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for a page template: what goes in <head>, the map's <div>,
    and its script."""

    header: str
    body: str
    script: str


def render_parts(fmap: folium.Map, *, static_root: str = "") -> MapParts:
    """Render a Folium map into the parts a page template places; ``static_root`` (a path
    prefix such as ``/maps``, the server's when it is behind a proxy) goes before the
    ``/static/`` links of the map's assets."""
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.render()
    header = zoomable(figure.header.render(), viewport="")  # the page writes its own
    if static_root:
        header = re.sub(r'((?:src|href)=")/static/', rf"\g<1>{static_root}/static/", header)
    return MapParts(
        header=header,
        body=figure.html.render(),
        script=figure.script.render(),
    )


class ExposeMap(MacroElement):
    """Publishes the Leaflet map as ``window.clustermapMap`` for page scripts and tests."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.clustermapMap = {{ this._parent.get_name() }};
        {% endmacro %}
        """
    )


def base_map(
    *,
    location: tuple[float, float] = (50.0, 7.0),
    zoom: int = 5,
    basemap: str = "osm",
    controls: bool = True,
    streets: dict[str, Any] | str | None = None,
    lang: str = "en",
) -> folium.Map:
    """An empty map with the basemaps (the offline one draws ``streets``: a GeoJSON geometry
    or the URL it is fetched from; else country outlines), a scale bar, and (``controls``)
    fullscreen, measure and minimap tools.
    Markers, popups and controls work when tiles cannot load."""
    fmap = folium.Map(location=list(location), zoom_start=zoom, tiles=None, control_scale=True)
    add_basemaps(fmap, selected=basemap, streets=streets, lang=lang)
    fmap.add_child(MapStyle())
    if controls:
        plugins.Fullscreen(position="topleft").add_to(fmap)
        fmap.add_child(MeasureTool())
        provider = BASEMAPS["osm"].provider
        if basemap not in TILELESS and provider is not None:
            tiles = folium.TileLayer(tiles=provider.build_url(), attr=provider.html_attribution)
            plugins.MiniMap(tile_layer=tiles, toggle_display=True, position="bottomright").add_to(
                fmap
            )
    fmap.add_child(ExposeMap())
    return fmap


def overview_map(registry: Registry, cluster_ids: list[str]) -> folium.Map:
    """Europe: one marker per cluster of ``cluster_ids`` that has a located site."""
    fmap = base_map()
    points = registry.cluster_locations()
    group = folium.FeatureGroup(name="Clusters").add_to(fmap)
    for cluster_id in cluster_ids:
        if cluster_id not in points.index:
            continue
        info = registry.cluster(cluster_id)
        point = points[cluster_id]
        n_located = len(registry.located(cluster_id))
        popup = (
            f"<strong>{escape_text(info['name'])}</strong><br>{escape_text(info['city'])}, "
            f"{escape_text(info['country'])}<br>{n_located} located site(s)<br>"
            f'<a href="/clusters/{escape_text(cluster_id)}">Open the cluster map</a>'
        )
        folium.CircleMarker(
            [point.y, point.x],
            radius=9,
            color="#333333",
            weight=1,
            fill=True,
            fill_color="#d62728",
            fill_opacity=0.85,
            class_name="cm-cluster",
            popup=folium.Popup(popup, parse_html=False, max_width=320),
            tooltip=folium.Tooltip(escape_text(info["name"])),
        ).add_to(group)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def cluster_map(
    registry: Registry,
    cluster_id: str,
    *,
    overlays: Overlays,
    network: NetworkLayers | None = None,
    view: MapView | None = None,
    controls: bool = True,
    lang: str = "en",
) -> folium.Map:
    """A cluster's map: sites by role, epicentres, analysis and network layers.

    With ``view.layers`` None every layer of :data:`webmap.layer_registry.LAYERS` it can
    draw is drawn and the default ones shown; otherwise only the listed layers are drawn,
    all shown (embedding and export). Labels and legends are in ``lang``.
    """
    view = view or MapView()
    sites = registry.located(cluster_id, as_of=view.as_of)
    city = registry.clusters.geometry[cluster_id]
    fmap = base_map(
        location=(city.y, city.x),
        zoom=12,
        basemap=view.basemap,
        controls=controls,
        streets=network.streets if network is not None else None,
        lang=lang,
    )

    footprints = registry.footprints[registry.footprints.index.isin(sites.index)]
    data = LayerData(overlays, network=network, registry=registry, cluster_id=cluster_id,
                     sites=sites, footprints=footprints)  # fmt: skip
    for key in map_layers(has_network=network is not None):
        if view.layers is None:
            build(fmap, key, data, show=LAYERS[key].default, lang=lang)
        elif key in view.layers:
            build(fmap, key, data, show=True, lang=lang)
    if network is not None and (view.layers is None or set(view.layers) & set(NETWORK_LAYERS)):
        credit_osm(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if view.lat is not None and view.lon is not None:
        fmap.location = [view.lat, view.lon]
        fmap.options["zoom"] = view.zoom if view.zoom is not None else 15
    elif len(sites):
        minx, miny, maxx, maxy = drawn_bounds(sites, footprints=footprints.geometry)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding=(40, 40), max_zoom=16)
        if view.zoom is not None:
            fmap.options["zoom"] = view.zoom
    return fmap


def layer_keys(fmap: folium.Map) -> dict[str, str]:
    """The JS variable name of each keyed layer group of a map, mapped to its key."""
    return {
        child.get_name(): child.layer_key
        for child in fmap._children.values()
        if isinstance(child, KeyedGroup | KeyedSubGroup)
    }


def available_layers(*, has_network: bool) -> list[str]:
    """The layer keys a cluster map can draw."""
    return list(map_layers(has_network=has_network))


def is_approximate(site: Any) -> bool:
    """Whether a located site is drawn as an approximate position: a proxy (it says what
    it ``approximates``) or a low-confidence point."""
    return bool(site.get("approximates")) or site.get("confidence") == "low"


def add_sites(
    fmap: folium.Map, data: LayerData, layer: Layer, *, show: bool, lang: str = "en"
) -> None:
    """The located sites of a registry cluster by role, their footprints and the rings of
    approximate positions, with the roles' legend."""
    if data.sites is None or data.footprints is None:
        return
    sites, footprints = data.sites, data.footprints
    parent: Any = fmap
    areas: Any = None  # rings and footprints: beside clustered markers, never inside them
    if len(sites) > CLUSTER_MARKERS_ABOVE:
        clustered = gettext("Sites (clustered)", lang=lang)
        parent = plugins.MarkerCluster(name=clustered, show=show).add_to(fmap)
        area_label = gettext("Sites: areas and uncertainty", lang=lang)
        areas = KeyedGroup(area_label, key=layer.key, show=show)
        fmap.add_child(areas)
    for role, colour in ROLE_COLOURS.items():
        members = sites[sites["role"] == role]
        if members.empty:
            continue
        name = gettext("Sites: %(role)s", lang=lang, role=_role(role, lang=lang))
        group = (
            KeyedSubGroup(parent, name, key=layer.key, show=show)
            if parent is not fmap
            else KeyedGroup(name, key=layer.key, show=show)
        )
        fmap.add_child(group)
        for site_id, site in members.iterrows():
            if site_id in footprints.index:
                _add_footprint(areas or group, footprints.loc[site_id], colour)
            point = site.geometry.representative_point()
            approximate = is_approximate(site)
            if approximate:
                _add_uncertainty(areas or group, site, (point.y, point.x))
            folium.Marker(
                [point.y, point.x],
                icon=_role_icon(role, colour, approximate=approximate),
                popup=folium.Popup(
                    _site_popup(str(site_id), site, lang=lang), parse_html=False, max_width=360
                ),
                tooltip=folium.Tooltip(escape_text(site["name"])),
            ).add_to(group)
            if site.geometry.geom_type != "Point":
                folium.GeoJson(
                    site.geometry.__geo_interface__,
                    style_function=_footprint_style(colour),
                    control=False,
                ).add_to(group)
    roles = [r for r in ROLE_COLOURS if r in set(sites["role"])]
    marks = []
    if any(is_approximate(site) for _, site in sites.iterrows()):
        approx = gettext(
            "approximate position (proxy or low confidence): ring radius = stated "
            "uncertainty (fixed ring if none); the popup says what it stands for",
            lang=lang,
        )
        marks.append(("cm-mark-approx", approx))
    if len(footprints):
        footprint = gettext("footprint: the area of a site, under its point", lang=lang)
        marks.append(("cm-mark-footprint", footprint))
    anchor = folium.FeatureGroup(name="Site roles legend", show=show, control=False)
    fmap.add_child(anchor)
    rows = [(ROLE_COLOURS[r], f"{ROLE_LETTERS[r]}  {_role(r, lang=lang)}") for r in roles]
    add_legend(fmap, anchor, layer, rows, marks=marks, lang=lang)


def _add_uncertainty(group: Any, site: Any, latlon: tuple[float, float]) -> None:
    """A dashed ring around an approximate point: its stated uncertainty in metres, or a
    fixed screen ring when the source gives no distance."""
    style: dict[str, Any] = {
        "color": APPROX_COLOUR,
        "weight": 2,
        "dash_array": "4 6",
        "fill": True,
        "fill_opacity": 0.08,
        "class_name": "cm-approx",
        "tooltip": folium.Tooltip(escape_text(f"Approximate position: {site['name']}")),
    }
    radius = site.get("uncertainty_m")
    if radius:
        folium.Circle(list(latlon), radius=float(radius), **style).add_to(group)
    else:
        folium.CircleMarker(list(latlon), radius=APPROX_RING_PX, **style).add_to(group)


def _add_footprint(group: Any, footprint: Any, colour: str) -> None:
    """A site's footprint polygon(s), drawn under its marker, with their provenance."""
    rows = [(k.capitalize(), footprint[k]) for k in ("precision", "confidence", "source", "notes")]
    popup = _popup(footprint["name"], [(k, v) for k, v in rows if v])
    for polygon in getattr(footprint.geometry, "geoms", [footprint.geometry]):
        folium.Polygon(
            [latlon(polygon.exterior), *(latlon(r) for r in polygon.interiors)],
            color=colour,
            weight=2,
            fill=True,
            fill_opacity=0.12,
            class_name="cm-footprint",
            tooltip=folium.Tooltip(escape_text(footprint["name"])),
            popup=folium.Popup(popup, parse_html=False, max_width=360),
        ).add_to(group)


def _role_icon(role: str, colour: str, *, approximate: bool = False) -> folium.DivIcon:
    """A round icon in the role's colour with the role's letter (outlined in dashes when
    the position is approximate)."""
    extra = " cm-site-approx" if approximate else ""
    return folium.DivIcon(
        html=f'<span class="cm-site-icon" style="background:{colour}">{ROLE_LETTERS[role]}</span>',
        class_name=f"cm-site cm-role-{role}{extra}",
        icon_size=(22, 22),
        icon_anchor=(11, 11),
        popup_anchor=(0, -11),
    )


def _footprint_style(colour: str) -> Any:
    return lambda _feature: {"color": colour, "weight": 1, "fillOpacity": 0.15}


def _role(role: str, *, lang: str) -> str:
    """A site's role as words (underscores read as spaces) in ``lang``
    (:mod:`webmap.vocabulary`)."""
    return gettext(role.replace("_", " "), lang=lang)


def _site_popup(site_id: str, site: Any, *, lang: str = "en") -> str:
    """A site's popup: its role, address, precision, confidence, source and dates, labelled
    in ``lang`` (the registry's own text as written)."""

    def word(value: Any) -> str:
        return gettext(str(value), lang=lang) if value else ""

    rows = [
        (gettext("Role", lang=lang), _role(str(site["role"]), lang=lang)),
        (gettext("Address", lang=lang), site["address"]),
        (gettext("Location precision", lang=lang), word(site["location_precision"])),
        (gettext("Confidence", lang=lang), word(site["confidence"])),
    ]
    if site.get("approximates"):
        radius = site.get("uncertainty_m")
        stands = gettext("the point stands for %(place)s", lang=lang, place=site["approximates"])
        if radius:
            within = format_number(radius, lang=lang)
            stands += gettext("; within about %(distance)s m", lang=lang, distance=within)
        rows.append((gettext("Approximate position", lang=lang), stands))
    rows.append((gettext("Source", lang=lang), site["source"]))
    labels = (("valid_from", N_("Since")), ("valid_to", N_("Until")), ("notes", N_("Notes")))
    for key, label in labels:
        if site.get(key):
            rows.append((gettext(label, lang=lang), site[key]))
    return _popup(site["name"], rows, site_id=site_id)


def _popup(title: Any, rows: list[tuple[str, Any]], *, site_id: str | None = None) -> str:
    """Popup markup: a title and a table of (label, value) rows, all escaped."""
    cells = "".join(f"<tr><th>{escape_text(k)}</th><td>{escape_text(v)}</td></tr>" for k, v in rows)
    data = f' data-site="{escape_text(site_id)}"' if site_id is not None else ""
    return (
        f'<div class="cm-popup"{data}>'
        f"<strong>{escape_text(title)}</strong><table>{cells}</table></div>"
    )
