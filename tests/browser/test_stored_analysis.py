"""The map of an upload draws in Chromium whatever process serves it: after a restart of
the server on the same store, and on each worker of ``serve --workers 2`` (the store keeps
no page, so no nonce marker of the process that drew it first)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import CSV, DATA, BrowserPage, served, wait_until

N_POINTS = CSV.count(b"\n") - 1
WORKER_HEADER = {"CLUSTERMAP_TESTING": "true", "CLUSTERMAP_TEST_WORKER_HEADER": "true"}


def _upload(url: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/analyze", data=CSV, headers={"Content-Type": "text/csv"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        token: str = json.loads(response.read())["token"]
        return token


def _draw(browser: Any, url: str) -> str | None:
    """Open ``url`` in a new browser context (a new connection), wait until its points are
    on the map, check that no script was blocked; the answering worker's id."""
    context = browser.new_context(viewport={"width": 1024, "height": 700})
    try:
        page = BrowserPage(context.new_page())
        console: list[str] = []
        page.page.on("console", lambda message: console.append(message.text))
        response = page.page.goto(url)
        assert response is not None and response.status == 200
        wait_until(page.page, f"() => window.clustermapPointCount === {N_POINTS}")
        assert page.page.locator(".folium-map.leaflet-container").count() == 1
        assert not [line for line in console if "Content Security Policy" in line]
        assert page.errors == []
        body = response.text()
        assert "cmnonce" not in body  # no process's marker reaches a client
        worker: str | None = response.headers.get("x-clustermap-worker")
        return worker
    finally:
        context.close()


def test_a_stored_analysis_draws_after_a_restart(browser: Any, tmp_path: Path) -> None:
    args = ("--data", str(DATA), "--cache-dir", str(tmp_path))
    with served(*args) as url:
        token = _upload(url)
        _draw(browser, f"{url}/analyses/{token}")  # drawn once by the first process
    with served(*args) as url:  # a new process on the same store
        _draw(browser, f"{url}/analyses/{token}")
        _draw(browser, f"{url}/analyses/{token}?basemap=offline")


def test_a_stored_analysis_draws_on_every_worker(browser: Any, tmp_path: Path) -> None:
    args = ("--data", str(DATA), "--cache-dir", str(tmp_path), "--workers", "2")
    with served(*args, env=WORKER_HEADER) as url:
        token = _upload(url)
        workers = []
        for _ in range(20):  # each view on a new connection; stop once each drew it twice
            workers.append(_draw(browser, f"{url}/analyses/{token}"))
            if len(set(workers)) == 2 and all(workers.count(w) >= 2 for w in workers):
                break
        assert len(set(workers)) == 2 and None not in workers
