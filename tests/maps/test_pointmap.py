"""Point maps of analysts' files: compact embedding, escaping, reprojection, labels, export."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo._errors import InputDataError, ParameterError
from geo.points import label_column_of
from webmap.maps.assets import INLINE_PREFIX, STATIC_DIR
from webmap.maps.escape import escape_text
from webmap.maps.export import standalone_html
from webmap.maps.points import (
    CLUSTER_THRESHOLD,
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
