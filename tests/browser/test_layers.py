"""Every layer of the cluster page toggles in the layer control and shows its legend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from geo.network import ClusterNetwork
from tests.helpers import DATA, LiveServer
from webmap import create_app


@pytest.fixture
def network_server(delft_network_cache: Path) -> Any:
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(delft_network_cache)}
    )
    server = LiveServer(app)
    yield server
    server.stop()


LEGENDS = {
    "Kernel density": "density",
    "Hexagons (H3 r9)": "hexbins",
    "Dense cores": "cores",
    "Nearest neighbours": "nn",
    "Epicentres": "epicentres",
    "Walking isochrones": "isochrones",
    "Walking paths": "paths",
}


def test_each_layer_toggles_with_its_legend(network_server: Any, page: Any) -> None:
    page.page.goto(f"{network_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    for label, key in LEGENDS.items():
        legend = page.page.locator(f".cm-legend-{key}")
        box = page.page.get_by_label(label, exact=True)
        box.check()
        assert legend.count() == 1, label
        assert legend.inner_text().strip(), label
        box.uncheck()
        assert legend.count() == 0, label
    assert page.errors == []


def test_layers_draw_their_geometry(
    network_server: Any, page: Any, delft_network_cache: Path
) -> None:
    page.page.goto(f"{network_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    # shown by default: epicentre sides with their lengths, walking paths and isochrones
    labels = page.page.locator(".cm-side-label").all_inner_texts()
    assert sorted(labels) == ["1,313 m", "1,352 m", "115 m"]
    walk = page.page.locator(".cm-walk-label").all_inner_texts()
    paths = ClusterNetwork("delft", cache_dir=delft_network_cache).paths()
    assert sorted(walk) == sorted(f"{m:.0f} min" for m in paths["walk_minutes"])
    assert page.page.locator("path.cm-walk-path").count() >= 3
    attribution = page.page.locator(".leaflet-control-attribution").inner_text()
    assert attribution.count("OpenStreetMap contributors") == 1
    page.page.get_by_label("No basemap").check()  # the street data is still credited
    attribution = page.page.locator(".leaflet-control-attribution").inner_text()
    assert attribution.count("OpenStreetMap contributors") == 1
    before = page.page.locator("path.leaflet-interactive").count()
    page.page.get_by_label("Nearest neighbours", exact=True).check()
    assert page.page.locator("path.cm-nn-link").count() >= 2
    page.page.get_by_label("Hexagons (H3 r9)", exact=True).check()
    assert page.page.locator("path.leaflet-interactive").count() > before
    assert page.errors == []


def test_controls_work_offline(live_server: Any, page: Any) -> None:
    page.page.goto(f"{live_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    assert page.page.locator(".leaflet-control-zoom-fullscreen").count() == 1
    assert page.page.locator(".polyline-measure-unicode-icon").count() >= 1
    assert page.page.locator(".leaflet-control-minimap").count() == 1
    page.page.get_by_label("No basemap").check()
    page.page.get_by_label("CartoDB Positron").check()
    assert page.errors == []
