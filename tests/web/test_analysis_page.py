"""``/analyses/<token>``: the map of an upload, on the basemap asked for, drawn by each
process from the stored data (the store keeps no page and no secret of a process)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CSV, DATA
from webmap import create_app
from webmap.api.analysis_db import DATABASE_NAME
from webmap.maps.basemaps import BASEMAPS, tile_url
from webmap.web.security import NONCE_MARKER

_TILE_LAYER = re.compile(r'var (tile_layer_[0-9a-f]+) = L\.tileLayer\(\s*"([^"]*)"')


def _client(cache: Path) -> Any:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(cache)})
    return app.test_client()


def _shown_tiles(html: str) -> list[str]:
    """The URLs of the tile layers the page adds to its map at load (hidden base layers
    are only offered in the layer control)."""
    return [url for name, url in _TILE_LAYER.findall(html) if f"{name}.addTo(map_" in html]


def _offline_shown(html: str) -> bool:
    group = re.search(r"var (feature_group_[0-9a-f]+) = L\.featureGroup", html)
    return group is not None and f"{group.group(1)}.addTo(" in html


@pytest.mark.parametrize("basemap", sorted(BASEMAPS))
def test_the_map_of_an_upload_shows_the_basemap_asked_for(tmp_path: Path, basemap: str) -> None:
    client = _client(tmp_path)
    token = client.post("/api/analyze", data=CSV, content_type="text/csv").get_json()["token"]
    response = client.get(f"/analyses/{token}?basemap={basemap}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "clustermap.pointLayer(" in html
    provider = BASEMAPS[basemap].provider
    if provider is not None:
        assert _shown_tiles(html) == [tile_url(provider)] and not _offline_shown(html)
    elif basemap == "none":
        assert _shown_tiles(html) == [""] and not _offline_shown(html)
    else:
        assert _shown_tiles(html) == [] and _offline_shown(html)


def test_an_unknown_basemap_is_400_and_an_unknown_token_404(tmp_path: Path) -> None:
    client = _client(tmp_path)
    token = client.post("/api/analyze", data=CSV, content_type="text/csv").get_json()["token"]
    bad = client.get(f"/analyses/{token}?basemap=google")
    assert bad.status_code == 400
    assert "unknown basemap" in bad.get_data(as_text=True)
    assert client.get(f"/analyses/{'A' * 24}?basemap=none").status_code == 404
    assert client.get(f"/analyses/{'A' * 24}?basemap=google").status_code == 400


def test_each_process_draws_a_page_once_per_basemap_and_stores_no_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webmap.web import routes_api

    drawn: list[str] = []
    real = routes_api.render_analysis

    def counting(analysis: Any, *, token: str, basemap: str) -> str:
        drawn.append(basemap)
        return real(analysis, token=token, basemap=basemap)

    monkeypatch.setattr(routes_api, "render_analysis", counting)
    client = _client(tmp_path)
    token = client.post("/api/analyze", data=CSV, content_type="text/csv").get_json()["token"]
    for query in ("", "?basemap=osm", "?basemap=none", "?basemap=none&utm=x", ""):
        page = client.get(f"/analyses/{token}{query}")
        assert page.status_code == 200
        assert NONCE_MARKER not in page.get_data(as_text=True)
    assert drawn == ["osm", "none"]
    with sqlite3.connect(tmp_path / DATABASE_NAME) as db:
        stored = b"".join(
            str(value).encode() for row in db.execute("SELECT * FROM analyses") for value in row
        )
    assert b"cmnonce" not in stored and b"<script" not in stored
