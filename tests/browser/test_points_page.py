"""/points/NAME in headless Chromium: Leaflet.VectorGrid draws the tiles under our CSP
(no eval, no CSP violation), every point of a small register, with no page error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.make_register import write_register
from tests.helpers import DATA, BrowserPage, LiveServer, wait_until
from webmap import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def tiles_server(tmp_path: Path) -> Iterator[LiveServer]:
    register = tmp_path / "sirene.csv"
    write_register(register, 5_000, seed=8)
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "NETWORK_CACHE_DIR": str(tmp_path / "cache"),
            "POINTS": [f"sirene={register}@EPSG:2154"],
        }
    )
    server = LiveServer(app)
    yield server
    server.stop()


def test_the_points_page_draws_its_tiles_with_no_error(
    tiles_server: LiveServer, page: BrowserPage
) -> None:
    violations: list[str] = []
    tiles: list[int] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def on_response(response: Any) -> None:
        if response.url.endswith(".mvt"):
            tiles.append(response.status)

    page.page.on("console", on_console)
    page.page.on("response", on_response)
    page.page.goto(f"{tiles_server.url}/points/sirene")
    drawn = wait_until(page.page, "() => window.clustermapTileFeatures || 0", timeout_s=30)
    assert drawn == 5_000  # every tile in view holds few enough points to show each
    assert 200 in tiles
    svg_points = page.page.evaluate("() => document.querySelectorAll('.leaflet-pane path').length")
    assert svg_points >= drawn
    assert page.errors == [] and violations == []
