"""Folium maps built from registry data: the overview map and a cluster's map.

No maths here: locations and measures come from :mod:`geo`; this module only draws them.
Every registry string goes through :func:`webmap.text.escape_text` before reaching a map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
from branca.element import Figure, MacroElement
from jinja2 import Template

from geo.registry import Registry
from webmap.text import escape_text

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
}
EPICENTRE_COLOUR = "#000000"
OSM_CREDIT = "© OpenStreetMap contributors"


@dataclass(frozen=True)
class MapParts:
    """A rendered map split for a page template: what goes in <head>, the map's <div>,
    and its script."""

    header: str
    body: str
    script: str


def render_parts(fmap: folium.Map) -> MapParts:
    """Render a Folium map into the three parts a page template places."""
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.render()
    return MapParts(
        header=figure.header.render(),
        body=figure.html.render(),
        script=figure.script.render(),
    )


class Legend(MacroElement):
    """A Leaflet control holding a legend; ``rows`` are (colour, label) pairs, escaped here."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "cm-legend");
                div.innerHTML = `{{ this.html }}`;
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, rows: list[tuple[str, str]], *, extra: str = "") -> None:
        super().__init__()
        self._name = "Legend"
        items = "".join(
            f'<li><span class="cm-swatch cm-role-{escape_text(label)}"></span>'
            f"{escape_text(label.replace('_', ' '))}</li>"
            for _, label in rows
        )
        self.html = f"<strong>{escape_text(title)}</strong><ul>{items}</ul>{extra}"


def base_map(*, location: tuple[float, float] = (50.0, 7.0), zoom: int = 5) -> folium.Map:
    """An empty map with the OpenStreetMap basemap, a scale bar and attribution.

    Markers, popups and controls work when the tiles cannot load (no internet).
    """
    fmap = folium.Map(location=list(location), zoom_start=zoom, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(fmap)
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


def cluster_map(registry: Registry, cluster_id: str) -> folium.Map:
    """A cluster's sites coloured by role, epicentres marked, with legend and layers."""
    sites = registry.located(cluster_id)
    fmap = base_map(location=_city_location(registry, cluster_id), zoom=12)
    # epicentres first, so that site markers lie on top and take the clicks
    _add_epicentres(fmap, registry, cluster_id, sites)
    _add_sites(fmap, sites)
    roles = [r for r in ROLE_COLOURS if r in set(sites["role"])]
    fmap.add_child(
        Legend(
            "Site role",
            [(ROLE_COLOURS[r], r) for r in roles],
            extra='<p class="cm-epi-key">dashed ring: epicentre member</p>',
        )
    )
    folium.LayerControl(collapsed=False).add_to(fmap)
    if len(sites):
        minx, miny, maxx, maxy = sites.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding=(40, 40), max_zoom=16)
    return fmap


def _city_location(registry: Registry, cluster_id: str) -> tuple[float, float]:
    city = registry.clusters.geometry[cluster_id]
    return (city.y, city.x)


def _add_sites(fmap: folium.Map, sites: gpd.GeoDataFrame) -> None:
    for role, colour in ROLE_COLOURS.items():
        members = sites[sites["role"] == role]
        if members.empty:
            continue
        group = folium.FeatureGroup(name=f"Sites: {role.replace('_', ' ')}").add_to(fmap)
        for site_id, site in members.iterrows():
            point = site.geometry.representative_point()
            folium.CircleMarker(
                [point.y, point.x],
                radius=8,
                color="#222222",
                weight=1,
                fill=True,
                fill_color=colour,
                fill_opacity=0.9,
                class_name=f"cm-site cm-role-{role}",
                popup=folium.Popup(
                    _site_popup(str(site_id), site), parse_html=False, max_width=360
                ),
                tooltip=folium.Tooltip(escape_text(site["name"])),
            ).add_to(group)
            if site.geometry.geom_type != "Point":
                folium.GeoJson(
                    site.geometry.__geo_interface__,
                    style_function=_footprint_style(colour),
                    control=False,
                ).add_to(group)


def _footprint_style(colour: str) -> Any:
    return lambda _feature: {"color": colour, "weight": 1, "fillOpacity": 0.15}


def _site_popup(site_id: str, site: Any) -> str:
    rows = [
        ("Role", str(site["role"]).replace("_", " ")),
        ("Address", site["address"]),
        ("Location precision", site["location_precision"]),
        ("Source", site["source"]),
    ]
    if site.get("valid_from"):
        rows.append(("Since", site["valid_from"]))
    if site.get("valid_to"):
        rows.append(("Until", site["valid_to"]))
    if site.get("notes"):
        rows.append(("Notes", site["notes"]))
    cells = "".join(f"<tr><th>{escape_text(k)}</th><td>{escape_text(v)}</td></tr>" for k, v in rows)
    return (
        f'<div class="cm-popup" data-site="{escape_text(site_id)}">'
        f"<strong>{escape_text(site['name'])}</strong><table>{cells}</table></div>"
    )


def _add_epicentres(
    fmap: folium.Map, registry: Registry, cluster_id: str, sites: gpd.GeoDataFrame
) -> None:
    epicentres = registry.epicentres_of(cluster_id)
    if epicentres.empty:
        return
    group = folium.FeatureGroup(name="Epicentres").add_to(fmap)
    for _epi_id, epi in epicentres.iterrows():
        located = [m for m in epi["members"] if m in sites.index]
        points = [sites.geometry[m].representative_point() for m in located]
        for point in points:
            folium.CircleMarker(
                [point.y, point.x],
                radius=14,
                color=EPICENTRE_COLOUR,
                weight=2,
                dash_array="4 4",
                fill=False,
                class_name="cm-epicentre-member",
                tooltip=folium.Tooltip(escape_text(f"Epicentre: {epi['name']}")),
            ).add_to(group)
        if len(points) >= 2:
            ring = [[p.y, p.x] for p in points]
            shape = folium.Polygon if len(points) >= 3 else folium.PolyLine
            shape(
                ring,
                color=EPICENTRE_COLOUR,
                weight=2,
                dash_array="6 6",
                fill=len(points) >= 3,
                fill_opacity=0.05,
                class_name="cm-epicentre",
                tooltip=folium.Tooltip(escape_text(epi["name"])),
            ).add_to(group)
