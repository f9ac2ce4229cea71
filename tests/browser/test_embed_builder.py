"""The cluster page's "Share / embed" panel, driven in Chromium: its controls rewrite the code
and the live preview, the code carries a title, the copy button copies it."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers import wait_until

CODE = "() => { const box = document.getElementById('embed-snippet'); return box && box.value; }"
PREVIEW = "() => document.getElementById('embed-preview').getAttribute('src')"


def _open(page: Any, url: str) -> Any:
    """The cluster page at ``url`` with its builder opened from the keyboard."""
    page.goto(url)
    page.wait_for_selector("div.cm-site")
    assert page.locator("#embed-snippet").count() == 0  # nothing built (nor loaded) yet
    page.locator("#embed-builder summary").focus()
    page.keyboard.press("Enter")
    wait_until(page, CODE)
    return page.locator("#embed-builder")


def _src(code: str) -> str:
    return html.unescape(code.split('src="', 1)[1].split('"', 1)[0])


def _query(src: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(src).query)


def test_the_builder_controls_rewrite_the_code_and_the_preview(
    live_server: Any, page: Any, registry: Any
) -> None:
    page.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    panel = _open(page.page, f"{live_server.url}/clusters/delft")
    code = page.page.locator("#embed-snippet").input_value()
    name = registry.cluster("delft")["name"]
    assert code.startswith(f'<iframe src="{live_server.url}/embed/delft?layers=')
    assert f'title="{html.escape(f"Map of {name} (clustermap)")}"' in code
    assert 'width="100%" height="500" loading="lazy"' in code
    src = _src(code)
    assert _query(src)["layers"] == ["isochrones,paths,epicentres,sites"]  # the map's
    wait_until(page.page, f"() => ({PREVIEW})() === {src!r}")
    preview = page.page.frame_locator("#embed-preview")
    preview.locator("div.cm-site").first.wait_for()
    assert preview.locator("div.cm-site").count() == len(registry.located("delft"))

    panel.get_by_label("Kernel density").check()
    panel.get_by_label("Walking paths").uncheck()
    panel.get_by_label("Basemap").select_option("positron")
    panel.get_by_label("Language").select_option("fr")
    panel.get_by_label("Sites shown").select_option("2016-10")
    panel.get_by_label("Height (pixels)").fill("320")
    code = page.page.locator("#embed-snippet").input_value()
    src = _src(code)
    assert _query(src) == {
        "layers": ["density,isochrones,epicentres,sites"],
        "basemap": ["positron"],
        "lang": ["fr"],
        "as_of": ["2016-10"],
    }
    assert 'height="320"' in code and "title=" in code
    wait_until(page.page, f"() => ({PREVIEW})() === {src!r}")
    preview.locator(".cm-legend-density").wait_for()
    assert preview.locator("html").get_attribute("lang") == "fr"
    box = page.page.locator("#embed-preview").bounding_box()
    assert box is not None and round(box["height"]) == 320

    for key in ("Sites", "Epicentres", "Kernel density", "Walking isochrones"):
        panel.get_by_label(key, exact=True).uncheck()
    assert page.page.locator("#embed-problem").is_visible()
    assert page.page.locator("#embed-copy").is_disabled()
    panel.get_by_label("Sites", exact=True).check()
    assert not page.page.locator("#embed-problem").is_visible()
    code = page.page.locator("#embed-snippet").input_value()
    assert _query(_src(code))["layers"] == ["sites"]

    page.page.locator("#embed-copy").click()
    wait_until(page.page, "() => document.getElementById('embed-copied').textContent !== ''")
    assert page.page.locator("#embed-copied").inner_text() == "Copied."
    copied = page.page.evaluate("navigator.clipboard.readText()")
    assert copied == code
    assert "title=" in copied
    assert page.errors == []


def test_the_builder_is_keyboard_usable(live_server: Any, page: Any) -> None:
    _open(page.page, f"{live_server.url}/clusters/delft")
    page.page.keyboard.press("Tab")  # from the summary into the form: the first layer
    focused = "() => [document.activeElement.name, document.activeElement.value]"
    assert page.page.evaluate(focused) == ["layer", "density"]  # drawing order, bottom first
    page.page.keyboard.press("Space")
    code = page.page.locator("#embed-snippet").input_value()
    assert "density" in _query(_src(code))["layers"][0].split(",")
    page.page.locator("#embed-basemap").focus()
    page.page.keyboard.press("ArrowDown")  # osm -> positron
    assert _query(_src(page.page.locator("#embed-snippet").input_value()))["basemap"] == [
        "positron"
    ]
    assert page.errors == []


def test_the_builder_starts_at_the_maps_view_when_asked(live_server: Any, page: Any) -> None:
    panel = _open(page.page, f"{live_server.url}/clusters/delft")
    assert "zoom" not in _query(_src(page.page.locator("#embed-snippet").input_value()))
    panel.get_by_label("Start at this page's map centre and zoom").check()
    # Leaflet ignores a new view while the initial fit animates: ask until it holds
    wait_until(
        page.page,
        """() => {
            const map = window.clustermapMap;
            if (map.getZoom() !== 15) { map.setView([51.995, 4.38], 15, {animate: false}); }
            return document.getElementById('embed-snippet').value.includes('zoom=15');
        }""",
    )
    centre = page.page.evaluate(
        "(() => { const c = window.clustermapMap.getCenter(); return [c.lat, c.lng]; })()"
    )
    query = _query(_src(page.page.locator("#embed-snippet").input_value()))
    assert (query["lat"], query["lon"]) == ([f"{centre[0]:.5f}"], [f"{centre[1]:.5f}"])
    assert page.errors == []


def test_the_builder_follows_the_pages_date_and_layers(live_server: Any, page: Any) -> None:
    page.page.goto(f"{live_server.url}/clusters/saint-etienne?as_of=2016-10")
    page.page.wait_for_selector("div.cm-site")
    page.page.locator(".leaflet-control-layers").get_by_label("Kernel density").check()
    page.page.locator("#embed-builder summary").click()
    wait_until(page.page, CODE)
    query = _query(_src(page.page.locator("#embed-snippet").input_value()))
    assert query["as_of"] == ["2016-10"]
    assert "density" in query["layers"][0].split(",")
    assert page.page.locator("#embed-as-of").input_value() == "2016-10"
    assert page.errors == []


def test_the_builder_fits_a_phone(live_server: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        phone = context.new_page()
        phone.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(live_server.url)
                else route.abort()
            ),
        )
        _open(phone, f"{live_server.url}/clusters/delft")
        panel = phone.locator("#embed-builder").bounding_box()
        assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 375
        for selector in (
            "#embed-basemap",
            "#embed-height",
            "#embed-preview",
            "#embed-snippet",
            "#embed-copy",
        ):
            box = phone.locator(selector).bounding_box()
            assert box is not None, selector
            assert (
                panel["x"] <= box["x"]
                and box["x"] + box["width"] <= panel["x"] + panel["width"] + 0.5
            ), selector
    finally:
        context.close()
