"""The location-quotient layer of an upload's map in headless Chromium: drawn, listed in
the layer control, and its category names shown as plain text."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import numpy as np

from tests.helpers import wait_until

PAYLOAD = "<img src=x onerror=alert(1)>"


def test_significant_cells_are_drawn_with_their_category_as_plain_text(
    live_server: Any, page: Any
) -> None:
    rng = np.random.default_rng(5)
    rows = ["lat;lon;sector"]
    rows += [
        f"{48.85 + rng.normal(0, 2e-4)};{2.35 + rng.normal(0, 2e-4)};{PAYLOAD}" for _ in range(40)
    ]
    rows += [
        f"{48.80 + rng.normal(0, 0.05)};{2.30 + rng.normal(0, 0.05)};other" for _ in range(400)
    ]
    query = urllib.parse.urlencode({"by": "sector", "lq": "true"})
    request = urllib.request.Request(
        f"{live_server.url}/api/analyze?{query}",
        data="\n".join(rows).encode(),
        headers={"Content-Type": "text/csv"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    quotients = answer["density"]["location_quotients"]["categories"]
    flagged = {c["category"]: c["n_significant"] for c in quotients}
    assert flagged[PAYLOAD] >= 1
    page.page.goto(answer["map"])
    wait_until(page.page, "() => window.clustermapPointCount === 440")
    control = page.page.locator(".leaflet-control-layers-overlays")
    assert "Location quotients (LQ > 1, p < 0.05)" in control.inner_text()
    hexagons = page.page.locator("path.leaflet-interactive[fill='#7a0177']")
    assert hexagons.count() >= 1
    hexagons.first.hover(force=True)
    tooltip = page.page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text().startswith(f"{PAYLOAD}: LQ ")
    assert page.page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert page.errors == []
