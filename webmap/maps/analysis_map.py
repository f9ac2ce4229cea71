"""The layers of an upload's map, drawn from its stored GeoJSON (:mod:`webmap.api.uploads_api`):
kernel density, hexagons, dense cores and nearest-neighbour links, each with its legend
(:mod:`webmap.maps.layer_builders`), then the location quotients one category at a time
(:mod:`webmap.maps.lq_layer`). Every text from the file is escaped by those modules."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from geo.overlays import Overlays
from webmap.maps.layer_builders import LayerData, build
from webmap.maps.lq_layer import add_lq_layer

#: The columns each stored layer is drawn with (an absent layer is an empty frame).
COLUMNS = {
    "kde_contours": ["density_min_per_km2", "density_max_per_km2"],
    "hexbins": ["h3_cell", "count", "area_km2", "sites_per_km2"],
    "cores": ["core", "n_sites", "area_km2", "sites_per_km2"],
    "nn_links": ["from_id", "to_id", "distance_m"],
}


def _frame(layer: dict[str, Any] | None, columns: list[str]) -> gpd.GeoDataFrame:
    if not layer or not layer.get("features"):
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
    frame = gpd.GeoDataFrame.from_features(layer["features"], crs="EPSG:4326")
    return frame[[*columns, "geometry"]]


def stored_overlays(
    layers: dict[str, dict[str, Any]], *, caveats: dict[str, str], hex_resolution: int | None
) -> Overlays:
    """The :class:`geo.overlays.Overlays` of an upload's stored layers."""
    frames = {key: _frame(layers.get(key), columns) for key, columns in COLUMNS.items()}
    return Overlays(
        density_bands=frames["kde_contours"],
        hexbins=frames["hexbins"],
        cores=frames["cores"],
        nn_links=frames["nn_links"],
        hex_resolution=hex_resolution,
        caveats=dict(caveats),
    )


def add_analysis_layers(
    fmap: folium.Map,
    layers: dict[str, dict[str, Any]],
    *,
    caveats: dict[str, str],
    hex_resolution: int | None,
    lang: str = "en",
) -> None:
    """Add the upload's layers to ``fmap``: kernel density shown, hexagons, cores and
    links hidden until chosen, and the location quotients of one category; legends in
    ``lang``."""
    data = LayerData(stored_overlays(layers, caveats=caveats, hex_resolution=hex_resolution))
    build(fmap, "density", data, show=True, lang=lang)
    for key, stored in (("hexbins", "hexbins"), ("cores", "cores"), ("nn", "nn_links")):
        if layers.get(stored):
            build(fmap, key, data, show=False, lang=lang)
    add_lq_layer(fmap, layers.get("lq_cells"))
