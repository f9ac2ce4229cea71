"""The named places in headless Chromium: the campus footprint, approximate positions in
their own style, and the legend that explains both."""

from __future__ import annotations

from typing import Any

import pytest

from webmap.maps.cluster_map import is_approximate

PAGES = ["delft", "saint-etienne", "rhone-alpes-eco-energies"]


@pytest.mark.parametrize("cluster_id", PAGES)
def test_approximate_positions_are_drawn_apart_and_explained(
    live_server: Any, page: Any, registry: Any, cluster_id: str
) -> None:
    located = registry.located(cluster_id)
    approximate = [sid for sid, site in located.iterrows() if is_approximate(site)]
    assert approximate, cluster_id  # each of the three pages has at least one
    page.page.goto(f"{live_server.url}/clusters/{cluster_id}")
    page.page.wait_for_selector("div.cm-site")
    assert page.page.locator("path.cm-approx").count() == len(approximate)
    assert page.page.locator("div.cm-site-approx").count() == len(approximate)
    legend = page.page.locator(".cm-legend-sites")
    assert legend.locator(".cm-mark-approx").count() == 1
    assert "approximate position" in legend.inner_text()
    # a ring of a stated uncertainty is that many metres across, not a fixed symbol
    radii = page.page.evaluate(
        """() => {
            const out = [];
            window.clustermapMap.eachLayer(layer => {
                if (layer instanceof L.Circle && String(layer.options.className)
                        .includes('cm-approx')) { out.push(layer.getRadius()); }
            });
            return out;
        }"""
    )
    stated = sorted(float(located.loc[s, "uncertainty_m"]) for s in approximate
                    if located.loc[s, "uncertainty_m"])  # fmt: skip
    assert sorted(radii) == stated
    assert page.errors == []


def test_the_district_proxy_popup_says_what_it_stands_for(live_server: Any, page: Any) -> None:
    page.page.goto(f"{live_server.url}/clusters/rhone-alpes-eco-energies")
    page.page.wait_for_selector("div.cm-site")
    page.page.locator("div.cm-site-approx").first.click()
    popup = page.page.locator(".cm-popup[data-site='cite-environnement']")
    text = popup.inner_text()
    assert "Confidence\tlow" in text and "Location precision\tdistrict" in text
    assert "355 allée Jacques Monod" in text and "within about 500 m" in text
    assert page.errors == []


def test_the_campus_footprint_lies_under_its_point(live_server: Any, page: Any) -> None:
    page.page.goto(f"{live_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    assert page.page.locator("path.cm-footprint").count() == 1
    legend = page.page.locator(".cm-legend-sites")
    assert legend.locator(".cm-mark-footprint").count() == 1
    holds = page.page.evaluate(
        """() => {
            let aula = null, area = null;
            window.clustermapMap.eachLayer(layer => {
                if (layer instanceof L.Polygon && String(layer.options.className)
                        .includes('cm-footprint')) { area = layer; }
                if (layer.getPopup && layer.getPopup() && layer.options.icon) {
                    const content = layer.getPopup().getContent();
                    const html = typeof content === 'string' ? content : content.outerHTML;
                    if (html.includes('data-site="tu-delft-campus"')) { aula = layer.getLatLng(); }
                }
            });
            return area !== null && aula !== null && area.getBounds().contains(aula);
        }"""
    )
    assert holds
    assert page.errors == []


def test_the_date_control_switches_map_and_measures(
    live_server: Any, page: Any, registry: Any
) -> None:
    page.page.goto(f"{live_server.url}/clusters/saint-etienne")
    page.page.wait_for_selector("div.cm-site")
    assert page.page.locator("div.cm-site").count() == len(registry.located("saint-etienne"))
    page.page.locator("#asof-note").click()
    page.page.wait_for_url("**/clusters/saint-etienne?as_of=2016-10")
    page.page.wait_for_selector("div.cm-site")
    then = registry.located("saint-etienne", as_of="2016-10")
    assert page.page.locator("div.cm-site").count() == len(then)
    assert "comedie-saint-etienne" not in then.index
    assert page.page.locator("#asof-note[aria-current=page]").count() == 1
    assert f"{len(then)} of" in page.page.locator("#measures").inner_text()
    page.page.locator("#embed-builder summary").click()  # the embed builder keeps the date
    assert "as_of=2016-10" in page.page.locator("#embed-snippet").input_value()
    page.page.locator("#asof-today").click()
    page.page.wait_for_url("**/clusters/saint-etienne")
    page.page.wait_for_selector("div.cm-site")
    page.page.locator("#embed-builder summary").click()
    assert "as_of" not in page.page.locator("#embed-snippet").input_value()
    assert page.errors == []


def test_few_site_measures_are_greyed_and_their_legends_say_why(
    live_server: Any, page: Any
) -> None:
    page.page.goto(f"{live_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    row = page.page.locator("tr.cm-unreliable[data-measure='clark_evans']")
    assert "Clark-Evans test needs" in row.inner_text()
    colour = row.locator("td").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(107, 107, 107)"  # greyed out, still at AA contrast on white
    for label, key in (("Kernel density", "density"), ("Dense cores", "cores")):
        page.page.get_by_label(label, exact=True).check()
        assert "fewer than the 10" in page.page.locator(f".cm-legend-{key}").inner_text()
    assert page.errors == []
