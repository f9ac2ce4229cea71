"""Access in headless Chromium.

- WCAG 2.1 AA: axe-core (vendored in tests/vendor/, injected through the debugger, so the
  pages keep their Content-Security-Policy) finds no violation of the wcag2a, wcag2aa,
  wcag21a and wcag21aa rules on any page or embed, in English and in French.
- The keyboard: Tab reaches the date switch, the side panel's links, the downloads and the
  layer control, each with a visible focus; the focused map pans and zooms from the keys.
- A phone (375 px): no page scrolls sideways, the side panel folds away, the scale bar and
  the attribution do not overlap, an analysis's CRS is not cut off.

``CLUSTERMAP_SCREENSHOTS=1`` saves the phone screenshot of the README (docs/phone-375.png).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webmap.maps.cluster import ROLE_COLOURS

from scripts.make_register import write_register
from scripts.vendor_assets import TEST_VENDOR_DIR, TEST_VENDORED
from tests.helpers import CLUSTERS, CSV, DATA, ROOT, BrowserPage, LiveServer, wait_until
from webmap import create_app

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ("en", "fr")
#: A script that is true once a page has drawn what axe should see (its map, its points).
LEAFLET = "() => document.querySelector('.leaflet-container') !== null"
DRAWN = "() => document.querySelector('.leaflet-marker-icon, path.leaflet-interactive') !== null"

PAGES: list[tuple[str, str]] = [
    ("/", DRAWN),
    *((f"/clusters/{c}", LEAFLET) for c in CLUSTERS),
    ("/clusters/delft?as_of=2016-10", DRAWN),
    *((f"/embed/{c}", LEAFLET) for c in CLUSTERS),
    ("/embed/delft?layers=sites,epicentres,density&basemap=none", DRAWN),
    ("/compare", ""),
    ("/analyze", ""),
    ("/analyses/{token}", "() => window.clustermapPointCount > 0"),
    ("/points/sirene", "() => window.clustermapTileFeatures > 0"),
    ("/openapi", ""),
    ("/ogc?f=html", ""),
    ("/ogc/conformance?f=html", ""),
    ("/ogc/collections?f=html", ""),
    ("/ogc/collections/sites?f=html", ""),
    ("/ogc/collections/sites/items?f=html&limit=20", ""),
    ("/ogc/collections/sites/items/{site}?f=html", ""),
    ("/clusters/atlantis", ""),
    ("/embed/delft?zoom=40", ""),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every kind of page on one server: the registry, a published point file and an upload;
    the URL, the upload's token and a site's id."""
    folder = tmp_path_factory.mktemp("a11y")
    register = folder / "sirene.csv"
    write_register(register, 2_000, seed=3)
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "NETWORK_CACHE_DIR": str(folder / "cache"),
            "POINTS": [f"sirene={register}@EPSG:2154"],
        }
    )
    live = LiveServer(app)
    request = urllib.request.Request(
        f"{live.url}/api/analyze", data=CSV, headers={"Content-Type": "text/csv"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        token = json.loads(response.read())["token"]
    sites = json.loads((DATA / "sites.geojson").read_text(encoding="utf-8"))
    yield {"url": live.url, "token": token, "site": sites["features"][0]["properties"]["id"]}
    live.stop()


def test_axe_core_is_vendored_from_npm_with_its_licences() -> None:
    """tests/vendor/ holds exactly what scripts/vendor_assets.py lists, outside static/ (no
    page can load it)."""
    (package,) = TEST_VENDORED
    folder = TEST_VENDOR_DIR / package.name
    assert AXE.parent == folder and not folder.is_relative_to(ROOT / "webmap")
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert on_disk == {*package.files, package.licence, "VERSION"}
    assert (folder / "VERSION").read_text(encoding="utf-8") == f"axe-core@{package.version}\n"
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{package.version}\n")
    assert "Mozilla Public License" in (folder / package.licence).read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG 2.0/2.1 A and AA rules on ``page``: each rule's id,
    impact and the CSS targets of its failing nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact,
                targets: v.nodes.map((n) => n.target.join(" ")),
            }));
        }""",
        WCAG_TAGS,
    )
    return found


def _open(page: BrowserPage, url: str, ready: str) -> None:
    page.page.goto(url)
    if ready:
        wait_until(page.page, ready, timeout_s=30)


@pytest.mark.parametrize(("path", "ready"), PAGES, ids=[p for p, _ in PAGES])
def test_axe_finds_no_wcag_violation(
    server: dict[str, str], page: BrowserPage, path: str, ready: str
) -> None:
    report = {}
    for lang in LANGUAGES:
        # the switcher's remembered choice (webmap.web.language): every page honours it,
        # including the OGC items page, which answers 400 to a parameter it does not know
        page.page.context.add_cookies([{"name": "lang", "value": lang, "url": server["url"]}])
        _open(page, server["url"] + path.format(**server), ready)
        assert page.page.evaluate("() => document.documentElement.lang") == lang
        violations = axe_violations(page.page)
        if violations:
            report[lang] = violations
    assert report == {}, json.dumps(report, indent=1)


def _focus_trail(page: Any, presses: int) -> list[dict[str, Any]]:
    """Press Tab ``presses`` times; after each press, what has the focus and whether it
    shows a visible outline."""
    trail = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        trail.append(
            page.evaluate(
                """() => {
                    const el = document.activeElement;
                    const style = getComputedStyle(el);
                    return {
                        id: el.id, tag: el.tagName.toLowerCase(), cls: String(el.className),
                        inLayers: !!el.closest(".leaflet-control-layers"),
                        inDownloads: !!el.closest(".cm-downloads"),
                        inPanel: !!el.closest(".cm-panel"),
                        outline: style.outlineStyle !== "none"
                            && parseFloat(style.outlineWidth) >= 2,
                    };
                }"""
            )
        )
    return trail


def test_tab_reaches_the_date_switch_panel_links_downloads_and_layer_control(
    server: dict[str, str], page: BrowserPage
) -> None:
    page.page.goto(f"{server['url']}/clusters/delft")
    wait_until(page.page, DRAWN)
    trail = _focus_trail(page.page, 150)
    reached = {
        "date switch": [t for t in trail if t["id"] in ("asof-today", "asof-note")],
        "panel link": [t for t in trail if t["inPanel"] and t["tag"] == "a"],
        "download": [t for t in trail if t["inDownloads"]],
        "layer control input": [t for t in trail if t["inLayers"] and t["tag"] == "input"],
        "map": [t for t in trail if "leaflet-container" in t["cls"]],
    }
    assert all(reached.values()), {k: len(v) for k, v in reached.items()}
    hidden_focus = [t for found in reached.values() for t in found if not t["outline"]]
    assert hidden_focus == []


def _press_on_map(page: Any, key: str) -> dict[str, float]:
    """Press ``key`` and wait for the map to settle (a key pressed while the map glides is
    ignored); its zoom and centre then."""
    page.evaluate(
        "() => { window.cmSettled = false;"
        " window.clustermapMap.once('moveend', () => { window.cmSettled = true; }); }"
    )
    page.keyboard.press(key)
    view: dict[str, float] = wait_until(
        page,
        """() => { if (!window.cmSettled) { return null; }
                   const m = window.clustermapMap, c = m.getCenter();
                   return {zoom: m.getZoom(), lat: c.lat, lon: c.lng}; }""",
    )
    return view


def test_the_focused_map_pans_and_zooms_from_the_keyboard(
    server: dict[str, str], page: BrowserPage
) -> None:
    page.page.goto(f"{server['url']}/clusters/delft?basemap=none&lat=52&lon=4.37&zoom=13")
    wait_until(page.page, DRAWN)
    page.page.focus(".leaflet-container")
    assert page.page.evaluate("() => document.activeElement.matches('.leaflet-container')")
    zoomed = _press_on_map(page.page, "+")
    assert zoomed["zoom"] == 14
    east = _press_on_map(page.page, "ArrowRight")
    assert east["lon"] > zoomed["lon"] and east["zoom"] == 14
    north = _press_on_map(page.page, "ArrowUp")
    assert north["lat"] > east["lat"]
    assert _press_on_map(page.page, "-")["zoom"] == 13


PHONE = {"width": 375, "height": 740}


def test_no_page_scrolls_sideways_at_phone_width(server: dict[str, str], browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = BrowserPage(context.new_page())
        wide = {}
        for path, ready in PAGES:
            _open(page, server["url"] + path.format(**server), ready)
            width = page.page.evaluate(
                "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
            )
            if width[0] > width[1]:
                wide[path] = width
        assert wide == {}
    finally:
        context.close()


#: One page of each kind, checked again at phone width (the layout changes there).
PHONE_PAGES = [
    (path, ready)
    for path, ready in PAGES
    if path in ("/", "/clusters/delft", "/embed/genopole", "/compare", "/analyses/{token}")
]


@pytest.mark.parametrize(("path", "ready"), PHONE_PAGES, ids=[p for p, _ in PHONE_PAGES])
def test_axe_finds_no_wcag_violation_at_phone_width(
    server: dict[str, str], browser: Any, path: str, ready: str
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = BrowserPage(context.new_page())
        _open(page, server["url"] + path.format(**server), ready)
        assert axe_violations(page.page) == []
    finally:
        context.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.locator(selector).first.bounding_box()
    assert box is not None and box["width"] > 0, selector
    return box


def _disjoint(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_cluster_page_at_phone_width_folds_its_panel_and_keeps_the_map_legible(
    server: dict[str, str], browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = BrowserPage(context.new_page())
        _open(page, f"{server['url']}/clusters/delft", DRAWN)
        scale, credit = (
            _box(page.page, ".leaflet-control-scale"),
            _box(page.page, ".leaflet-control-attribution"),
        )
        assert _disjoint(scale, credit), (scale, credit)
        assert credit["x"] + credit["width"] <= PHONE["width"]
        shot = ROOT / "docs" / "phone-375.png" if os.environ.get("CLUSTERMAP_SCREENSHOTS") else None
        page.page.screenshot(path=str(shot or tmp_path / "phone-375.png"))

        toggle = page.page.locator(".cm-panel-toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        map_before = _box(page.page, ".cm-map")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.page.locator("#measures").is_visible()
        assert page.page.locator(".cm-panel h1").is_visible()
        assert _box(page.page, ".cm-map")["height"] > map_before["height"] + 100
        toggle.click()
        assert page.page.locator("#measures").is_visible()
        assert page.errors == []
    finally:
        context.close()


def test_the_metric_crs_of_an_analysis_is_not_cut_off_at_phone_width(
    server: dict[str, str], browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = BrowserPage(context.new_page())
        _open(page, f"{server['url']}/analyses/{server['token']}", "")
        cell = page.page.locator("#measures tr", has_text="Metric CRS").locator("td")
        assert "EPSG:" in cell.inner_text()
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert cell.evaluate("(td) => td.scrollWidth <= td.clientWidth")
    finally:
        context.close()


def test_every_role_letter_on_the_map_has_aa_contrast(
    server: dict[str, str], page: BrowserPage
) -> None:
    """axe cannot measure text over the map (it sees the tiles below), so each role's icon,
    as the map's stylesheet draws it, is measured here: its letter against its fill."""
    page.page.goto(f"{server['url']}/clusters/delft")
    wait_until(page.page, DRAWN)
    ratios = page.page.evaluate(
        """(roles) => {
            const rgb = (text) => text.match(/[0-9.]+/g).slice(0, 3).map(Number);
            const lum = (c) => {
                const [r, g, b] = c.map((v) => {
                    v /= 255;
                    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const out = {};
            for (const [role, colour] of Object.entries(roles)) {
                const marker = document.createElement("div");
                marker.className = `cm-site cm-role-${role}`;
                const icon = marker.appendChild(document.createElement("span"));
                icon.className = "cm-site-icon";
                icon.style.background = colour;
                icon.textContent = "X";
                document.querySelector(".leaflet-marker-pane").appendChild(marker);
                const style = getComputedStyle(icon);
                const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
                out[role] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                marker.remove();
            }
            return out;
        }""",
        ROLE_COLOURS,
    )
    assert set(ratios) == set(ROLE_COLOURS)
    assert {role: r for role, r in ratios.items() if r < 4.5} == {}
