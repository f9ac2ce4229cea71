"""Untrusted text is never HTML: registry strings carrying XSS payloads stay inert text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo.registry import load_registry
from tests.helpers import PAYLOADS, LiveServer
from webmap import create_app
from webmap.maps.escape import escape_text


def test_escape_text_neutralises_html_and_template_strings() -> None:
    for payload in PAYLOADS:
        out = escape_text(payload)
        for char in "<>`$\\\"'{}":
            assert char not in out, (payload, out)
    assert escape_text(None) == ""
    assert escape_text("Genopole & Évry") == "Genopole &amp; Évry"


def test_payloads_render_as_text_on_the_server_pages(hostile_registry: Path, page: Any) -> None:
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(hostile_registry)}))
    try:
        page.page.goto(f"{server.url}/clusters/delft")
        page.page.wait_for_selector("div.cm-site")
        assert page.page.locator("h1").inner_text() == PAYLOADS[0]
        panel = page.page.locator("#site-table").inner_text()
        for payload in PAYLOADS:
            assert payload in panel
        # open every site's popup and read it back as text
        texts = page.page.evaluate(
            """() => {
                const out = [];
                window.clustermapMap.eachLayer(layer => {
                    const icon = layer.options.icon;
                    if (layer.getPopup && layer.getPopup() && icon &&
                        String(icon.options.className).includes('cm-site')) {
                        layer.openPopup();
                        out.push(layer.getPopup().getElement().innerText);
                    }
                });
                return out;
            }"""
        )
        assert len(texts) == len(load_registry(hostile_registry).located("delft"))
        for payload in PAYLOADS:
            assert any(payload in text for text in texts), payload
        tooltips = page.page.evaluate(
            """() => {
                const out = [];
                window.clustermapMap.eachLayer(layer => {
                    if (layer.getTooltip && layer.getTooltip()) {
                        layer.openTooltip();
                        out.push(layer.getTooltip().getElement().innerText);
                    }
                });
                return out;
            }"""
        )
        assert any(PAYLOADS[2] in text for text in tooltips)
        page.page.goto(f"{server.url}/")
        page.page.wait_for_selector("path.cm-cluster")
        assert PAYLOADS[0] in page.page.locator("#cluster-list").inner_text()
        assert page.page.locator("img[src=x]").count() == 0
        assert page.dialogs == []
        assert page.errors == []
    finally:
        server.stop()
