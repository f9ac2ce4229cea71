"""Headless Chromium opens every cluster's page and full embed: no page error, a map."""

from __future__ import annotations

from typing import Any

from tests.helpers import CLUSTERS, wait_until


def test_every_cluster_page_and_embed_load_without_page_errors(live_server: Any, page: Any) -> None:
    for cluster_id in CLUSTERS:
        for path in (f"/clusters/{cluster_id}", f"/embed/{cluster_id}?layers=sites,epicentres"):
            response = page.page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            wait_until(page.page, "() => document.querySelector('.leaflet-container') !== null")
            assert page.errors == [], (path, page.errors)
