"""Large point layers drawn with WebGL (deck.gl, SwiftShader in headless Chromium), small ones
with canvas markers; exports opened from file:// with no network."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from tests.helpers import wait_until
from webmap.maps.escape import escape_text
from webmap.maps.export import standalone_html
from webmap.maps.point_layer import CLUSTER_THRESHOLD, WEBGL_THRESHOLD, points_map

PAYLOADS = ["<img src=x onerror=alert(1)>", "${alert(1)}", "a `backtick`", "back\\slash"]
# above the threshold, and few enough to draw in seconds with software WebGL
N_WEBGL = WEBGL_THRESHOLD + 10_000

# Centre the map, at zoom 18 (where sites metres apart are pixels apart) and with no
# animation, on the WebGL point whose (escaped) label is given; answers its position in the
# page once the view holds (a view change asked while the fit to the points still animates
# is dropped: asked again on each poll).
_SHOW_POINT = """
(label) => {
    const layer = window.clustermapPointLayers[0];
    const map = layer._map;
    if (window.cmPointIndex === undefined) {
        for (let i = 0; ; i++) {
            if (layer.clustermapLabel(i) === label) { window.cmPointIndex = i; break; }
        }
    }
    const latlng = L.latLng(layer.clustermapLatLng(window.cmPointIndex));
    if (map.getZoom() !== 18 || !map.getCenter().equals(latlng, 1e-6)) {
        map.setView(latlng, 18, {animate: false});
        return null;
    }
    const point = map.latLngToContainerPoint(latlng);
    const box = map.getContainer().getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}
"""


def _payload_points(n_filler: int) -> gpd.GeoDataFrame:
    """The payload names, degrees apart, then ``n_filler`` ordinary sites around Delft."""
    rng = np.random.default_rng(11)
    lon = np.concatenate([[3.0, 5.0, 7.0, 9.0], rng.uniform(4.3, 4.4, n_filler)])
    lat = np.concatenate([[50.0, 51.0, 50.0, 51.0], rng.uniform(51.95, 52.05, n_filler)])
    names = PAYLOADS + [f"Site {i}" for i in range(n_filler)]
    return gpd.GeoDataFrame({"name": names}, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _export(tmp_path: Path, gdf: gpd.GeoDataFrame, *, basemap: str = "none") -> str:
    path = tmp_path / "points.html"
    path.write_text(standalone_html(points_map(gdf, basemap=basemap)), encoding="utf-8")
    return path.as_uri()


def _popup_text(page: Any, name: str) -> str:
    """Click the WebGL point named ``name`` and return its popup's text; close the popup."""
    page.page.evaluate("() => { window.cmPointIndex = undefined; }")
    x, y = wait_until(page.page, _SHOW_POINT, arg=escape_text(name))
    page.page.mouse.click(x, y)
    popup = page.page.locator(".leaflet-popup-content .cm-point-popup")
    popup.wait_for()
    text: str = popup.inner_text()
    page.page.evaluate("() => { window.clustermapPointLayers[0]._map.closePopup(); }")
    page.page.locator(".leaflet-popup").wait_for(state="detached")
    return text


def test_exported_webgl_map_draws_every_point_and_picks_labels_as_text(
    tmp_path: Path, page: Any
) -> None:
    gdf = _payload_points(N_WEBGL)
    page.page.goto(_export(tmp_path, gdf))
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}", timeout_s=60)
    # drawn by deck.gl on a WebGL canvas, with no canvas markers nor clusters
    assert page.page.evaluate(
        "() => !!document.querySelector('.leaflet-overlay-pane canvas').getContext('webgl2')"
    )
    assert page.page.locator(".marker-cluster").count() == 0
    for name in PAYLOADS:
        assert _popup_text(page, name) == name
    assert _popup_text(page, "Site 1234") == "Site 1234"
    # hidden and shown again in the layer control: drawn and picked by a new deck.gl
    page.page.locator(".leaflet-control-layers").hover()
    page.page.get_by_label("Points").uncheck()
    assert page.page.locator(".leaflet-overlay-pane canvas").count() == 0
    page.page.get_by_label("Points").check()
    assert _popup_text(page, "Site 1234") == "Site 1234"
    assert page.page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert page.errors == []
    assert page.blocked == []  # offline: everything is in the file


def test_a_click_beside_every_point_opens_no_popup(tmp_path: Path, page: Any) -> None:
    gdf = _payload_points(N_WEBGL)
    page.page.goto(_export(tmp_path, gdf))
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}", timeout_s=60)
    x, y = wait_until(page.page, _SHOW_POINT, arg=escape_text(PAYLOADS[0]))
    page.page.mouse.click(x + 60, y + 60)  # 60 px from a point alone at zoom 18
    page.page.wait_for_timeout(300)
    assert page.page.locator(".leaflet-popup").count() == 0
    assert page.errors == []


def test_a_small_layer_keeps_its_canvas_markers(tmp_path: Path, page: Any) -> None:
    gdf = _payload_points(20)
    page.page.goto(_export(tmp_path, gdf))
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}")
    assert page.page.evaluate("() => typeof window.deck") == "undefined"
    assert page.page.evaluate(
        "() => window.clustermapPointLayers[0].getLayers().every(m => m instanceof L.CircleMarker)"
    )
    assert page.errors == []


def test_offline_basemap_draws_clustered_points_and_the_layer_control(
    tmp_path: Path, page: Any
) -> None:
    """Issue 20, defect 2: with no tile layer shown, clustering had no maxZoom and threw."""
    gdf = _payload_points(CLUSTER_THRESHOLD + 200)
    page.page.goto(_export(tmp_path, gdf, basemap="offline"))
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}")
    assert page.page.locator(".marker-cluster").count() >= 1
    assert page.page.locator(".leaflet-control-layers").count() == 1
    assert page.page.get_by_label("Offline (no tiles)").is_checked()
    assert page.errors == []


def test_uploaded_points_are_drawn_with_webgl_under_the_servers_csp(
    live_server: Any, page: Any
) -> None:
    """The analysis page of an upload, as the server sends it: deck.gl runs under our
    Content-Security-Policy (no eval, nonced inline scripts) and picks the labels."""
    gdf = _payload_points(WEBGL_THRESHOLD + 500)
    rows = [
        f"{name};{lat:.7f};{lon:.7f}"
        for name, lat, lon in zip(gdf["name"], gdf.geometry.y, gdf.geometry.x, strict=True)
    ]
    body = ("name;lat;lon\n" + "\n".join(rows) + "\n").encode("utf-8")
    console: list[str] = []
    page.page.on("console", lambda message: console.append(message.text))
    request = urllib.request.Request(
        f"{live_server.url}/api/analyze", data=body, headers={"Content-Type": "text/csv"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.loads(response.read())
    page.page.goto(answer["map"])
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}", timeout_s=60)
    assert page.page.evaluate("() => typeof window.deck") == "object"
    assert _popup_text(page, PAYLOADS[0]) == PAYLOADS[0]
    assert page.page.locator('img[src="x"]').count() == 0
    assert not [text for text in console if "Content Security Policy" in text]
    assert page.errors == []
    assert page.dialogs == []
