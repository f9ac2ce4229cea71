"""The offline basemap in real headless Chromium, with every non-loopback request aborted:
tiles are asked for, fail, and the map falls back to its own streets or outlines."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd

from tests.helpers import wait_until
from webmap.maps.export import standalone_html
from webmap.maps.point_layer import points_map

OFFLINE_RADIO = "Offline (no tiles)"
# a 1x1 PNG, served in place of every tile when tiles are "reachable"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# how many subpaths the offline pane draws, and whether its layer is on the map
PROBE = """() => {
    const pane = document.querySelector('.leaflet-cmOffline-pane');
    const paths = pane ? [...pane.querySelectorAll('path')] : [];
    return {
        paths: paths.length,
        subpaths: paths.map(p => (p.getAttribute('d') || '').split('M').length - 1)
                       .reduce((a, b) => a + b, 0),
        note: !!document.querySelector('.cm-offline-note'),
    };
}"""


def _fell_back(page: Any) -> dict[str, Any]:
    wait_until(page.page, "() => !!document.querySelector('.cm-offline-note')", timeout_s=20)
    state: dict[str, Any] = wait_until(
        page.page, f"() => {{ const s = ({PROBE})(); return s.paths > 0 ? s : null; }}"
    )
    assert page.page.get_by_label(OFFLINE_RADIO).is_checked()
    assert not page.page.get_by_label("OpenStreetMap").is_checked()
    return state


def test_delft_falls_back_to_its_streets_when_tiles_are_blocked(
    live_server: Any, page: Any
) -> None:
    page.page.goto(f"{live_server.url}/clusters/delft")
    state = _fell_back(page)
    n_lines = page.page.evaluate(
        """() => {
            const map = window.clustermapMap;
            let n = 0;
            map.eachLayer(l => { if (l.feature && l.options.pane === 'cmOffline')
                n += l.feature.geometry.coordinates.length; });
            return n;
        }"""
    )
    assert n_lines > 2900  # Delft's 2,984 street segments
    # the canvas-free SVG renderer draws a subpath per street (a few fall outside the view)
    assert state["subpaths"] > 1000
    assert page.page.locator(".leaflet-control-attribution").inner_text().count("OpenStreetMap")
    assert any("tile.openstreetmap.org" in url for url in page.blocked)  # tiles were tried
    assert all(url.startswith("https://") for url in page.blocked)
    assert page.errors == []


def test_overview_falls_back_to_country_outlines(live_server: Any, page: Any) -> None:
    features = json.loads(
        page.page.request.get(f"{live_server.url}/basemap/countries.geojson").body()
    )["features"]
    page.page.goto(f"{live_server.url}/")
    state = _fell_back(page)
    assert state["paths"] == len(features) == 177
    assert "Natural Earth" in page.page.locator(".leaflet-control-attribution").inner_text()
    assert any("tile.openstreetmap.org" in url for url in page.blocked)
    assert page.errors == []


def test_embed_page_falls_back_too(live_server: Any, page: Any) -> None:
    page.page.goto(f"{live_server.url}/embed/genopole")
    assert _fell_back(page)["paths"] == 177  # no network: the outlines
    assert page.errors == []


def test_exported_point_map_carries_its_outlines(tmp_path: Path, page: Any) -> None:
    """A self-contained file has no server to fetch the outlines from: it holds them."""
    points = gpd.GeoDataFrame(
        {"name": ["A", "B"]}, geometry=gpd.points_from_xy([2.35, 4.37], [48.85, 52.0]), crs=4326
    )
    path = tmp_path / "points.html"
    path.write_text(standalone_html(points_map(points)), encoding="utf-8")
    page.page.goto(path.as_uri())
    assert _fell_back(page)["paths"] == 177
    assert any("tile.openstreetmap.org" in url for url in page.blocked)
    assert page.errors == []


def test_compare_shows_outlines_with_nothing_to_block(
    live_server: Any, page: Any, registry: Any
) -> None:
    page.page.goto(f"{live_server.url}/compare")
    assert page.page.locator("svg.cm-locator path.cm-locator-country").count() >= 10
    dots = page.page.locator("svg.cm-locator circle.cm-locator-cluster")
    assert dots.count() == len(registry.cluster_locations())
    box = page.page.locator("svg.cm-locator").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    assert page.blocked == []
    assert page.errors == []


def _serve_fake_tiles(page: Any) -> list[str]:
    """Answer every OpenStreetMap tile request with a tiny PNG; the URLs answered."""
    served: list[str] = []

    def tile(route: Any) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    # added after the fixture's blocking route, so it answers the tile requests first
    page.page.route(re.compile(r"^https://tile\.openstreetmap\.org/"), tile)
    return served


def test_reachable_tiles_keep_the_tile_basemap(live_server: Any, page: Any) -> None:
    served = _serve_fake_tiles(page)
    page.page.goto(f"{live_server.url}/clusters/delft")
    wait_until(page.page, "() => document.querySelectorAll('img.leaflet-tile-loaded').length > 4")
    page.page.wait_for_timeout(2500)  # longer than the fallback's grace after a tile error
    state = page.page.evaluate(PROBE)
    assert state == {"paths": 0, "subpaths": 0, "note": False}
    assert page.page.get_by_label("OpenStreetMap").is_checked()
    assert not page.page.get_by_label(OFFLINE_RADIO).is_checked()
    assert served
    assert not any("tile.openstreetmap.org/" in url for url in page.blocked)
    assert page.errors == []


def test_going_offline_switches_a_working_map_to_its_streets(live_server: Any, page: Any) -> None:
    _serve_fake_tiles(page)
    page.page.goto(f"{live_server.url}/clusters/delft")
    wait_until(page.page, "() => document.querySelectorAll('img.leaflet-tile-loaded').length > 4")
    assert page.page.evaluate(PROBE)["note"] is False
    page.page.context.set_offline(True)  # the browser fires "offline"; navigator.onLine false
    try:
        assert _fell_back(page)["subpaths"] > 1000
    finally:
        page.page.context.set_offline(False)
    assert page.errors == []
