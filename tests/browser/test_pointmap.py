"""Exported point maps in headless Chromium, opened from file:// with no network."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from tests.helpers import wait_until
from webmap.maps.export import standalone_html
from webmap.maps.point_layer import CLUSTER_THRESHOLD, points_map

PAYLOADS = ["<img src=x onerror=alert(1)>", "${alert(1)}", "a `backtick`", "back\\slash"]

# Centre the map on a marker at a zoom where it stands alone (the payload points are degrees
# apart, far from the others), so that it is drawn, not inside a cluster. Leaflet ignores a
# view change while a zoom animation runs (e.g. the fit to the points just after load): the
# function asks again on each poll until the view holds and the marker is drawn.
_SHOW_MARKER = """
(index) => {
    const group = window.clustermapPointLayers[0];
    const map = group._map;
    const marker = group.getLayers().find((m) => m.options.cmIndex === index);
    window.cmMarker = marker;
    if (map.getZoom() !== 12 || !map.getCenter().equals(marker.getLatLng(), 1e-6)) {
        map.setView(marker.getLatLng(), 12, {animate: false});
    }
    return map.getZoom() === 12 && map.hasLayer(marker) && !group._inZoomAnimation;
}
"""
_MARKER_POSITION = """
() => {
    const map = window.clustermapPointLayers[0]._map;
    const point = map.latLngToContainerPoint(window.cmMarker.getLatLng());
    const box = map.getContainer().getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}
"""


def _export(tmp_path: Path, gdf: gpd.GeoDataFrame) -> str:
    path = tmp_path / "points.html"
    path.write_text(standalone_html(points_map(gdf, basemap="none")), encoding="utf-8")
    return path.as_uri()


def _payload_points(n_filler: int) -> gpd.GeoDataFrame:
    """The four payload names, far apart, then ``n_filler`` ordinary sites around Delft."""
    rng = np.random.default_rng(7)
    lon = np.concatenate([[3.0, 5.0, 7.0, 9.0], rng.uniform(4.3, 4.4, n_filler)])
    lat = np.concatenate([[50.0, 51.0, 50.0, 51.0], rng.uniform(51.95, 52.05, n_filler)])
    names = PAYLOADS + [f"Site {i}" for i in range(n_filler)]
    return gpd.GeoDataFrame({"name": names}, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _popup_text(page: Any, index: int) -> str:
    """Click the marker of row ``index`` and return its popup's text; close the popup."""
    wait_until(page.page, _SHOW_MARKER, arg=index)
    x, y = page.page.evaluate(_MARKER_POSITION)
    page.page.mouse.click(x, y)
    popup = page.page.locator(".leaflet-popup-content .cm-point-popup")
    popup.wait_for()
    text: str = popup.inner_text()
    # a function returning nothing: Playwright would serialise a returned Leaflet map
    page.page.evaluate("() => { window.clustermapPointLayers[0]._map.closePopup(); }")
    page.page.locator(".leaflet-popup").wait_for(state="detached")  # after its fade-out
    return text


def test_exported_clustered_map_shows_payload_names_as_plain_text(
    tmp_path: Path, page: Any
) -> None:
    gdf = _payload_points(CLUSTER_THRESHOLD + 500)
    page.page.goto(_export(tmp_path, gdf))
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}")
    assert page.page.locator(".marker-cluster").count() >= 1
    for index, payload in enumerate(PAYLOADS):
        assert _popup_text(page, index) == payload
    assert page.page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert page.errors == []
    assert page.blocked == []


def test_exported_small_map_draws_every_point_without_clusters(tmp_path: Path, page: Any) -> None:
    gdf = _payload_points(6)
    page.page.goto(_export(tmp_path, gdf))
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}")
    assert page.page.locator(".marker-cluster").count() == 0
    assert page.page.locator("canvas.leaflet-zoom-animated").count() == 1
    assert [_popup_text(page, i) for i in range(len(PAYLOADS))] == PAYLOADS
    assert page.dialogs == []
    assert page.errors == []


def test_uploaded_points_show_payload_names_as_plain_text(live_server: Any, page: Any) -> None:
    """A French CSV (';' and decimal commas) uploaded to POST /api/analyze, then its map
    page as the server sends it, Content-Security-Policy included."""
    gdf = _payload_points(CLUSTER_THRESHOLD + 10)

    def french(value: float) -> str:
        return f"{value:.6f}".replace(".", ",")

    rows = [
        f"{name};{french(lat)};{french(lon)}"
        for name, lat, lon in zip(gdf["name"], gdf.geometry.y, gdf.geometry.x, strict=True)
    ]
    body = ("nom;latitude;longitude\n" + "\n".join(rows) + "\n").encode("utf-8")
    request = urllib.request.Request(
        f"{live_server.url}/api/analyze", data=body, headers={"Content-Type": "text/csv"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    page.page.goto(answer["map"])
    wait_until(page.page, f"() => window.clustermapPointCount === {len(gdf)}")
    assert [_popup_text(page, i) for i in range(len(PAYLOADS))] == PAYLOADS
    assert page.page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert page.errors == []
