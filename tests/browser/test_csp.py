"""The CSP lets our inline scripts run by a per-response nonce, and nothing else: a script
slipped into a page does not run, while the map still works."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import request

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, DATA, LiveServer, wait_until
from webmap import create_app
from webmap.web.security import NONCE_MARKER


def _nonces(response: Any) -> tuple[str, set[str]]:
    policy = response.headers["Content-Security-Policy"]
    header = re.search(r"'nonce-([^']+)'", policy)
    assert header is not None, policy
    tags = set(re.findall(r'<script nonce="([^"]+)"', response.get_data(as_text=True)))
    return header.group(1), tags


def test_each_response_has_its_own_nonce_and_no_inline_script_is_hashed(client: Any) -> None:
    first, second = client.get("/clusters/delft"), client.get("/clusters/delft")
    nonce1, tags1 = _nonces(first)
    nonce2, tags2 = _nonces(second)
    assert tags1 == {nonce1} and tags2 == {nonce2} and nonce1 != nonce2
    assert first.headers["ETag"] == second.headers["ETag"]
    for response in (first, second):
        body = response.get_data(as_text=True)
        assert NONCE_MARKER not in body
        script_src = response.headers["Content-Security-Policy"].split("script-src")[1]
        assert "sha256-" not in script_src.split(";")[0]
    # a 304 carries no policy: the browser keeps the one of the page it holds
    again = client.get("/clusters/delft", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert "Content-Security-Policy" not in again.headers
    assert "nonce-" not in client.get("/ogc?f=html").headers["Content-Security-Policy"]


def test_the_injection_route_exists_only_when_asked(client: Any) -> None:
    assert client.get("/_test/injected/delft").status_code == 404


def test_an_injected_script_is_blocked_and_the_map_still_works(page: Any) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "TEST_INJECTION_ROUTE": True})
    server = LiveServer(app)
    console: list[str] = []
    page.page.on("console", lambda message: console.append(message.text))
    try:
        page.page.goto(f"{server.url}/_test/injected/delft")
        page.page.wait_for_selector("div.cm-site")
        wait_until(page.page, "() => window.clustermapMap !== undefined")
        assert page.page.evaluate("() => window.clustermapInjected") is None
        assert page.page.locator("div.cm-site").count() > 0
        html = page.page.content()
        assert "window.clustermapInjected = true;" in html  # it was there, and blocked
        assert any("Content Security Policy" in text for text in console), console
        assert page.errors == []
    finally:
        server.stop()


def test_a_repeat_visit_answered_304_still_runs_the_map(browser: Any, app: Any) -> None:
    statuses: list[int] = []

    @app.after_request
    def record(response: Any) -> Any:
        if request.path == "/clusters/delft":
            statuses.append(response.status_code)
        return response

    server = LiveServer(app)
    # a browser of its own: request interception (the page fixture's) turns the HTTP cache off
    offline = f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {urlsplit(server.url).hostname}"
    cached = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, offline])
    try:
        page = cached.new_page()
        for _ in range(2):
            page.goto(f"{server.url}/clusters/delft")
            page.wait_for_selector("div.cm-site", timeout=15_000)
        assert statuses == [200, 304]  # the second page came from the browser's cache
    finally:
        cached.close()
        server.stop()
