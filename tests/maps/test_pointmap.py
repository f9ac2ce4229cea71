"""Point maps of analysts' files: compact embedding, escaping, reprojection, labels, export."""

from __future__ import annotations

import base64
import html
import json
import re
import zlib
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputDataError, ParameterError
from geo.points import label_column_of
from webmap.maps.assets import INLINE_PREFIX, STATIC_DIR
from webmap.maps.escape import escape_text
from webmap.maps.export import standalone_html
from webmap.maps.point_layer import (
    CLUSTER_THRESHOLD,
    WEBGL_THRESHOLD,
    PointLayer,
    add_points,
    points_map,
    script_json,
)

PAYLOADS = ["<img src=x onerror=alert(1)>", "${alert(1)}", "a `backtick`", "back\\slash"]


def _points(n: int, *, seed: int = 0, names: list[str] | None = None) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(4.3, 4.4, n)
    lat = rng.uniform(51.95, 52.05, n)
    names = names if names is not None else [f"Site {i}" for i in range(n)]
    return gpd.GeoDataFrame({"name": names}, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _layer(fmap: folium.Map) -> PointLayer:
    layers = [c for c in fmap._children.values() if isinstance(c, PointLayer)]
    assert len(layers) == 1
    return layers[0]


def _layer_script(fmap: folium.Map) -> str:
    """The rendered JavaScript of the map's point layer: its call of clustermap.pointLayer."""
    page = fmap.get_root().render()
    name = _layer(fmap).get_name()
    start = page.index(f"var {name} = clustermap.pointLayer(")
    return page[start : page.index(");\n", start) + 3]


def _data(fmap: folium.Map) -> dict[str, Any]:
    match = re.search(r"clustermap\.pointLayer\(\s*(\{.*?\}), \{", _layer_script(fmap), re.S)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_every_point_is_embedded_once_with_six_decimals() -> None:
    gdf = _points(2500)
    fmap = points_map(gdf)
    data = _data(fmap)
    assert len(data["lon"]) == len(data["lat"]) == len(data["label"]) == 2500
    np.testing.assert_allclose(data["lon"], gdf.geometry.x, atol=5e-7)
    np.testing.assert_allclose(data["lat"], gdf.geometry.y, atol=5e-7)
    assert all(len(repr(v).split(".")[1]) <= 6 for v in data["lon"][:100])
    assert data["label"][:2] == ["Site 0", "Site 1"]


def test_payload_names_are_escaped_and_cannot_break_out_of_the_script() -> None:
    fmap = points_map(_points(4, names=PAYLOADS))
    page = fmap.get_root().render()
    script = _layer_script(fmap)
    assert "<img" not in page
    for bad in ("`", "${", "\\", "</", "<!--"):
        assert bad not in script
    labels = _data(fmap)["label"]
    assert labels == [escape_text(p) for p in PAYLOADS]
    # the popup sets the escaped text as HTML: the browser shows the raw payload as text
    assert [html.unescape(label) for label in labels] == PAYLOADS


def test_layer_name_reaches_the_layer_control_escaped() -> None:
    fmap = folium.Map(tiles=None)
    add_points(fmap, _points(3), name="<b>Sites</b> `x`")
    folium.LayerControl().add_to(fmap)
    page = fmap.get_root().render()
    match = re.search(r'overlays :\s*\{\s*("[^"]*") :', page)
    assert match and "<b>Sites" not in page
    # Leaflet's layer control sets the name as HTML: escaped, it shows as the raw text
    assert json.loads(match.group(1)) == "&lt;b&gt;Sites&lt;/b&gt; &#96;x&#96;"


def test_script_json_cannot_close_a_script_or_open_a_comment() -> None:
    text = script_json({"a": "</script><!-- -->", "b": "\u2028"})
    assert "</" not in text and "<!--" not in text and "-->" not in text
    assert "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- -->", "b": "\u2028"}


def test_projected_points_are_reprojected_to_wgs84() -> None:
    gdf = _points(20)
    rd = gdf.to_crs("EPSG:28992")  # Dutch national grid, metres
    assert rd.geometry.x.min() > 1000
    data = _data(points_map(rd))
    np.testing.assert_allclose(data["lon"], gdf.geometry.x, atol=2e-6)
    np.testing.assert_allclose(data["lat"], gdf.geometry.y, atol=2e-6)


def test_map_is_fitted_to_the_points() -> None:
    gdf = _points(50)
    page = points_map(gdf).get_root().render()
    minx, miny, maxx, maxy = gdf.total_bounds
    match = re.search(r"fitBounds\(\s*\[\[([^\]]+)\],\s*\[([^\]]+)\]\]", page)
    assert match
    south, west = map(float, match.group(1).split(","))
    north, east = map(float, match.group(2).split(","))
    assert (south, west, north, east) == pytest.approx((miny, minx, maxy, maxx), abs=1e-6)


def test_footprints_are_drawn_at_a_point_inside_them() -> None:
    square = shapely.box(4.0, 52.0, 4.001, 52.001)
    gdf = gpd.GeoDataFrame({"name": ["lab"]}, geometry=[square], crs=4326)
    data = _data(points_map(gdf))
    assert square.contains(shapely.Point(data["lon"][0], data["lat"][0]))


def test_rows_without_geometry_are_left_out_with_a_warning() -> None:
    gdf = _points(5)
    gdf.loc[[1, 3], "geometry"] = None
    with pytest.warns(UserWarning, match="2 row"):
        data = _data(points_map(gdf))
    assert data["label"] == ["Site 0", "Site 2", "Site 4"]


def test_an_empty_file_gives_an_empty_map() -> None:
    fmap = points_map(_points(0))
    assert _data(fmap) == {"lon": [], "lat": [], "label": []}
    assert "fitBounds" not in fmap.get_root().render()


def test_points_without_crs_are_refused() -> None:
    gdf = _points(3).set_crs(None, allow_override=True)
    with pytest.raises(InputDataError, match="no CRS"):
        points_map(gdf)


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["id", "Name", "title"], "Name"),
        (["id", "NOM"], "NOM"),
        (["label", "title"], "label"),
        (["Title", "x"], "Title"),
        (["id", "city"], None),
    ],
)
def test_label_column_is_detected_by_name(columns: list[str], expected: str | None) -> None:
    gdf = gpd.GeoDataFrame({c: ["v"] for c in columns}, geometry=[shapely.Point(4, 52)], crs=4326)
    assert label_column_of(gdf) == expected


def test_given_label_column_is_used_and_missing_values_show_empty() -> None:
    gdf = _points(3)
    gdf["company"] = ["Acme & Co", None, np.nan]
    data = _data(points_map(gdf, label_column="company"))
    assert data["label"] == ["Acme &amp; Co", "", ""]


def test_no_label_column_means_no_labels() -> None:
    gdf = _points(3).drop(columns="name")
    assert "label" not in _data(points_map(gdf))


def test_unknown_label_column_and_basemap_are_refused() -> None:
    with pytest.raises(ParameterError, match="'company' not found"):
        points_map(_points(3), label_column="company")
    with pytest.raises(ParameterError, match="unknown basemap"):
        points_map(_points(3), basemap="satellite")


def test_colour_must_be_a_colour() -> None:
    fmap = folium.Map(tiles=None)
    add_points(fmap, _points(3), colour="#1f77b4")
    with pytest.raises(ParameterError, match="colour"):
        add_points(fmap, _points(3), colour="red;alert(1)")


def test_markers_are_clustered_only_above_the_threshold() -> None:
    small = points_map(_points(CLUSTER_THRESHOLD)).get_root().render()
    large = points_map(_points(CLUSTER_THRESHOLD + 1)).get_root().render()
    assert re.search(r"clustermap\.pointLayer\(.*, false\s*\);", small, re.S)
    assert re.search(r"clustermap\.pointLayer\(.*, true\s*\);", large, re.S)
    assert "leaflet.markercluster.js" not in small and "leaflet.markercluster.js" in large
    assert "pointlayer.js" in small and "pointlayer.js" in large
    script = (STATIC_DIR / "pointlayer.js").read_text()
    assert "L.markerClusterGroup({" in script and "L.canvas(" in script


def test_standalone_html_inlines_every_asset_and_restores_server_links() -> None:
    fmap = points_map(_points(CLUSTER_THRESHOLD + 1), basemap="none")
    page = standalone_html(fmap)
    assert INLINE_PREFIX not in page
    assert "<script src=" not in page and '<link rel="stylesheet"' not in page
    assert "L.markerClusterGroup = " in page or "MarkerClusterGroup=" in page
    # the links point back at the server's files, the default of use_local_assets
    assert all(url.startswith("/static/") for _, url in folium.Map.default_js)
    assert all(url.startswith("/static/") for _, url in PointLayer.default_js)
    # and the map still renders for the server afterwards
    assert '<script src="/static/vendor/leaflet/dist/leaflet.js?v=' in fmap.get_root().render()


def test_a_hundred_thousand_points_weigh_under_five_megabytes() -> None:
    page = standalone_html(points_map(_points(100_000)))
    assert len(page.encode("utf-8")) < 5_000_000


def _decoded(layer: PointLayer) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """The WebGL payload read back as the browser reads it (``static/glpointlayer.js``),
    written here from the format's description, not with the encoder's helpers."""
    config = json.loads(layer.config_json)
    raw = np.frombuffer(zlib.decompress(base64.b64decode(layer.payload)), dtype=np.uint8)
    n = config["n"]

    def column(start: int) -> np.ndarray:
        planes = raw[start : start + 4 * n].reshape(4, n).astype(np.uint64)
        return planes[0] | planes[1] << 8 | planes[2] << 16 | planes[3] << 24

    def undelta(zigzag: np.ndarray) -> np.ndarray:
        values, value = [], 0
        for z in zigzag.tolist():
            value = (value + ((z >> 1) ^ -(z & 1))) % 2**32
            values.append(value)
        return np.array(values, dtype=float)

    lon = config["west"] + undelta(column(0)) * config["step"]
    lat = config["south"] + undelta(column(4 * n)) * config["step"]
    if not config["labels"]:
        return lon, lat, None
    lengths = column(8 * n).astype(np.int64)
    ends = 12 * n + np.cumsum(lengths)
    starts = ends - lengths
    body = raw.tobytes()
    return lon, lat, [body[s:e].decode("utf-8") for s, e in zip(starts, ends, strict=True)]


def _webgl_layer(gdf: gpd.GeoDataFrame) -> PointLayer:
    fmap = folium.Map(tiles=None)
    return add_points(fmap, gdf)


def test_layers_above_the_webgl_threshold_are_drawn_with_webgl() -> None:
    small = points_map(_points(WEBGL_THRESHOLD)).get_root().render()
    large = points_map(_points(WEBGL_THRESHOLD + 1)).get_root().render()
    assert "clustermap.pointLayer(" in small and "clustermap.glPointLayer(" not in small
    assert "clustermap.glPointLayer(" in large and "clustermap.pointLayer(" not in large
    assert "deck.gl-leaflet" not in small and "glpointlayer.js" not in small
    assert "@deck.gl/core/dist.min.js" in large and "glpointlayer.js" in large
    assert "leaflet.markercluster.js" not in large


def test_webgl_coordinates_are_binary_and_within_a_centimetre() -> None:
    gdf = _points(WEBGL_THRESHOLD + 500, seed=3)
    layer = _webgl_layer(gdf)
    script = _layer_script_of(layer)
    # no coordinate is written as a JSON number: the only numbers are the header's
    assert not re.search(r"4\.3\d{3}", script.replace(layer.config_json, ""))
    lon, lat, labels = _decoded(layer)
    assert labels is not None and sorted(labels) == sorted(gdf["name"])
    # the label "Site <row>" says which input row each decoded point stands for: it is
    # there, to half a quantisation step (1e-7 degrees)
    rows = [int(label.split()[1]) for label in labels]
    np.testing.assert_allclose(lon, gdf.geometry.x.to_numpy()[rows], rtol=0, atol=5.1e-8)
    np.testing.assert_allclose(lat, gdf.geometry.y.to_numpy()[rows], rtol=0, atol=5.1e-8)


def test_webgl_coordinates_spanning_the_world_keep_their_place() -> None:
    lon = np.array([-179.999, 0.0, 179.999, 12.345678, -45.0] * 5000)
    lat = np.array([-85.0, 0.0, 85.0, 47.123456, 30.0] * 5000)
    layer = PointLayer(lon, lat, None, drawing="webgl")
    out_lon, out_lat, labels = _decoded(layer)
    assert labels is None
    assert sorted(zip(out_lon.round(6), out_lat.round(6), strict=True)) == sorted(
        zip(lon.round(6), lat.round(6), strict=True)
    )


def test_webgl_labels_are_escaped_utf8_and_the_payload_is_plain_base64() -> None:
    names = [*PAYLOADS, "Café Zoë", "北京 \u2028"] + [f"Site {i}" for i in range(WEBGL_THRESHOLD)]
    gdf = _points(len(names), names=names)
    layer = _webgl_layer(gdf)
    assert re.fullmatch(r"[A-Za-z0-9+/=]*", layer.payload)
    _, _, labels = _decoded(layer)
    assert labels is not None
    assert sorted(labels) == sorted(escape_text(name) for name in names)
    script = _layer_script_of(layer)
    for bad in ("<img", "`", "${", "\\", "</"):
        assert bad not in script


def test_an_empty_webgl_layer_has_an_empty_payload() -> None:
    layer = PointLayer(np.array([]), np.array([]), [], drawing="webgl")
    lon, lat, labels = _decoded(layer)
    assert len(lon) == len(lat) == 0 and labels == []


def test_points_map_sets_its_own_max_zoom_for_the_offline_basemap() -> None:
    page = points_map(_points(CLUSTER_THRESHOLD + 1), basemap="offline").get_root().render()
    options = page[page.index("L.map(") : page.index("L.control.scale()")]
    assert re.search(r'"maxZoom":\s*19', options)


def _layer_script_of(layer: PointLayer) -> str:
    page = layer._parent.get_root().render()
    start = page.index(f"var {layer.get_name()} = clustermap.glPointLayer(")
    return page[start : page.index(");\n", start) + 3]


def test_every_label_is_escaped_as_escape_text_does() -> None:
    """Labels are escaped in bulk (those with nothing to escape are kept as they are): the
    result equals escape_text of each, for every printable ASCII character and others."""
    labels: list[Any] = [chr(c) for c in range(32, 127)]
    labels += ["é€", "\u2028", "a&b", None, np.nan, pd.NA, [1, "<b>"], 3.5]
    layer = PointLayer(np.zeros(len(labels)), np.zeros(len(labels)), labels, drawing="markers")
    expected = [escape_text(v) for v in labels[:-5]] + ["", "", "", escape_text([1, "<b>"])]
    assert json.loads(layer.data_json)["label"] == [*expected, "3.5"]
