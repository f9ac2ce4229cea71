"""The language switcher in headless Chromium: reached from the keyboard, it turns the page
French, the choice outlives the page (the lang cookie), and the browser's own language is
the default."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import BrowserPage, LiveServer

pytestmark = pytest.mark.browser


def _language(page: Any) -> str:
    return str(page.evaluate("() => document.documentElement.lang"))


def test_the_switcher_turns_the_site_french_and_remembers_it(
    live_server: LiveServer, page: BrowserPage
) -> None:
    tab = page.page
    tab.goto(f"{live_server.url}/compare?as_of=2016-10")
    assert _language(tab) == "en"
    switcher = tab.locator('nav.cm-languages a[hreflang="fr"]')
    switcher.focus()
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert _language(tab) == "fr"
    assert tab.url == f"{live_server.url}/compare?as_of=2016-10"
    assert tab.locator("h1").inner_text() == "Les pôles comparés"
    current = tab.locator('nav.cm-languages [aria-current="true"]')
    assert current.inner_text() == "Français"
    tab.goto(f"{live_server.url}/")  # another page: still French (the cookie)
    assert _language(tab) == "fr"
    assert tab.locator("h1").inner_text() == "Pôles d\u2019entreprises et d\u2019innovation"
    assert page.errors == []


def test_a_french_browser_gets_french_pages_by_default(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(locale="fr-FR")
    try:
        wrapped = BrowserPage(context.new_page())
        wrapped.page.goto(f"{live_server.url}/clusters/delft?basemap=offline")
        assert _language(wrapped.page) == "fr"
        assert "Ce qui est approximatif" in wrapped.page.content()
        assert wrapped.errors == []
    finally:
        context.close()
