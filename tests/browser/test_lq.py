"""The location-quotient layers of an upload's map in headless Chromium: one overlay per
category, one shown at a time with its own legend of LQ classes, and category names shown
as plain text."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import numpy as np

from tests.helpers import wait_until

PAYLOAD = "<img src=x onerror=alert(1)>"


def _upload(live_server: Any) -> dict[str, Any]:
    """Two sectors each packed in its own spot (the payload's named as an attack), and a
    sector spread everywhere."""
    rng = np.random.default_rng(5)
    rows = ["lat;lon;sector"]
    rows += [
        f"{48.85 + rng.normal(0, 2e-4)};{2.35 + rng.normal(0, 2e-4)};{PAYLOAD}" for _ in range(40)
    ]
    rows += [
        f"{48.75 + rng.normal(0, 2e-4)};{2.25 + rng.normal(0, 2e-4)};bakery" for _ in range(40)
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
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def _shown_categories(page: Any) -> set[str]:
    """The categories whose hexagons are on the map, from their tooltips."""
    return set(
        page.evaluate(
            """() => {
                const names = new Set();
                for (const key of Object.keys(window)) {
                    const map = window[key];
                    if (!(map instanceof L.Map)) { continue; }
                    map.eachLayer((layer) => {
                        const label = layer.feature && layer.feature.properties.label;
                        if (label && label.includes(": LQ ")) {
                            const text = document.createElement("textarea");
                            text.innerHTML = label.split(": LQ ")[0];
                            names.add(text.value);
                        }
                    });
                }
                return Array.from(names);
            }"""
        )
    )


def test_each_category_is_its_own_overlay_shown_one_at_a_time_with_its_legend(
    live_server: Any, page: Any
) -> None:
    answer = _upload(live_server)
    quotients = answer["density"]["location_quotients"]["categories"]
    flagged = {c["category"] for c in quotients if c["n_significant"]}
    assert flagged == {PAYLOAD, "bakery"}
    page.page.goto(answer["map"])
    wait_until(page.page, "() => window.clustermapPointCount === 480")
    control = page.page.locator(".leaflet-control-layers-overlays label")
    names = [text.strip() for text in control.all_inner_texts()]
    lq_names = [n for n in names if n.startswith("Location quotient: ")]
    assert sorted(lq_names) == sorted(f"Location quotient: {c}" for c in flagged)
    boxes = {n: control.filter(has_text=n).locator("input") for n in lq_names}
    assert [n for n in lq_names if boxes[n].is_checked()] == lq_names[:1]
    first, second = (n.removeprefix("Location quotient: ") for n in lq_names)
    assert _shown_categories(page.page) == {first}
    legends = page.page.locator(".cm-legend", has_text="Location quotient of")
    assert legends.count() == 1
    legend = legends.first.inner_text()
    assert f"Location quotient of {first}" in legend
    assert "LQ 4 or more" in legend and "LQ 2 to 4" in legend and "LQ 1 to 2" in legend
    # turning the second on turns the first off: never two categories stacked
    page.page.locator(".leaflet-control-layers").hover()  # the control opens on hover
    boxes[f"Location quotient: {second}"].check()
    wait_until(page.page, _OFF, arg=f"Location quotient: {first}")
    assert [n for n in lq_names if boxes[n].is_checked()] == [f"Location quotient: {second}"]
    assert _shown_categories(page.page) == {second}
    legends = page.page.locator(".cm-legend", has_text="Location quotient of")
    assert legends.count() == 1
    assert f"Location quotient of {second}" in legends.first.inner_text()
    # the payload is text everywhere: control, legend, tooltip
    hexagons = page.page.locator("path.leaflet-interactive[fill='#7a0177']")
    if second != PAYLOAD:
        boxes[f"Location quotient: {PAYLOAD}"].check()
    assert hexagons.count() >= 1
    # the open layer control (it lists many layers) may cover the hexagon: fold it as
    # Leaflet's collapse() does (a mouse move away depends on where the page put the map)
    page.page.evaluate(
        "() => document.querySelector('.leaflet-control-layers')"
        ".classList.remove('leaflet-control-layers-expanded')"
    )
    wait_until(page.page, "() => !document.querySelector('.leaflet-control-layers-expanded')")
    hexagons.first.hover(force=True)
    # the hexagon's tooltip (a density contour under the pointer may show its own too)
    tooltip = page.page.locator(".leaflet-tooltip", has_text=": LQ ")
    tooltip.wait_for()
    assert tooltip.inner_text().startswith(f"{PAYLOAD}: LQ ")
    assert page.page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert page.errors == []


#: True once the layer control's box labelled ``arg`` is unchecked.
_OFF = """(name) => !Array.from(
    document.querySelectorAll(".leaflet-control-layers-overlays label")
).find((label) => label.textContent.trim() === name).querySelector("input").checked"""
