"""The map pages in real headless Chromium, with every non-loopback request blocked."""

from __future__ import annotations

from typing import Any

from tests.helpers import wait_until


def test_delft_map_shows_one_marker_per_located_site(live_server: Any, page: Any,
                                                     registry: Any) -> None:  # fmt: skip
    located = registry.located("delft")
    page.page.goto(f"{live_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    assert page.page.locator("div.cm-site").count() == len(located)
    assert page.page.locator("path.cm-epicentre-member").count() == 3
    assert page.page.locator(".leaflet-control-scale").count() == 1
    assert page.page.locator(".cm-legend-sites").inner_text().startswith("Site role")
    assert page.errors == []
    # basemap tiles are the only requests that leave the machine, and they failed safely
    assert all("tile.openstreetmap.org" in url for url in page.blocked)


def test_layer_control_toggles_site_groups(live_server: Any, page: Any, registry: Any) -> None:
    located = registry.located("delft")
    n_university = int((located["role"] == "university").sum())
    page.page.goto(f"{live_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-site")
    toggle = page.page.get_by_label("Sites: university")
    toggle.uncheck()
    assert page.page.locator("div.cm-site").count() == len(located) - n_university
    toggle.check()
    assert page.page.locator("div.cm-site").count() == len(located)
    page.page.get_by_label("Epicentres").uncheck()
    assert page.page.locator("path.cm-epicentre-member").count() == 0
    assert page.errors == []


def test_popup_shows_site_details(live_server: Any, page: Any) -> None:
    page.page.goto(f"{live_server.url}/clusters/delft")
    page.page.wait_for_selector("div.cm-role-incubator")
    # zoom in on YES!Delft so that its marker does not overlap Technopolis' (115 m away)
    # Leaflet ignores a new view while the initial fit animates: ask until it holds
    wait_until(
        page.page,
        """() => {
            const map = window.clustermapMap;
            if (map.getZoom() !== 18) { map.setView([51.99316, 4.38666], 18, {animate: false}); }
            return map.getZoom() === 18;
        }""",
    )
    page.page.locator("div.cm-role-incubator").first.click()  # a real, unforced click
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "YES!Delft incubator" in text
    assert "Molengraaffsingel 12" in text and "building" in text and "KvK" in text
    assert page.errors == []


def test_overview_map_has_a_marker_per_located_cluster(live_server: Any, page: Any,
                                                       registry: Any) -> None:  # fmt: skip
    page.page.goto(f"{live_server.url}/")
    page.page.wait_for_selector("path.cm-cluster")
    assert page.page.locator("path.cm-cluster").count() == len(registry.cluster_locations())
    assert page.page.locator("#cluster-list li").count() == len(registry.clusters)
    page.page.select_option("#practice", "rd_links")
    page.page.click("button[type=submit]")
    page.page.wait_for_url("**practice=rd_links")
    assert page.page.locator("#cluster-list li").count() == 5
    assert page.errors == []


def test_crowded_cluster_groups_its_markers(crowded_registry: Any, page: Any) -> None:
    from geo.registry import load_registry
    from tests.helpers import LiveServer
    from webmap import create_app

    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(crowded_registry)}))
    try:
        page.page.goto(f"{server.url}/clusters/delft")
        page.page.wait_for_selector(".marker-cluster")
        total = page.page.evaluate(
            """() => {
                let n = 0;
                window.clustermapMap.eachLayer(layer => {
                    if (layer instanceof L.MarkerClusterGroup) { n += layer.getLayers().length; }
                });
                return n;
            }"""
        )
        # the registry's Delft sites and the 300 generated, all (and only them) in the group
        assert total == len(load_registry(crowded_registry).located("delft")) > 300
        assert page.errors == []
    finally:
        server.stop()
