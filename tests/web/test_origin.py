"""Absolute links come from PUBLIC_URL, a trusted proxy's checked headers or the server's
own address; cached pages hold no host and ignore unknown query parameters."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import DATA, without_nonce
from webmap import create_app
from webmap.web.caching import get_cache
from webmap.web.origin import ConfigError, parse_public_url, valid_host, valid_prefix

EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


def _app(**config: Any) -> Any:
    return create_app({"TESTING": True, "DATA_DIR": str(DATA), **config})


def _next_link(client: Any, headers: dict[str, str] | None = None) -> str:
    doc = client.get("/ogc/collections/sites/items?limit=2", headers=headers or {}).get_json()
    return next(link["href"] for link in doc["links"] if link["rel"] == "next")


def test_a_forged_host_never_reaches_a_link_or_a_cached_page() -> None:
    client = _app().test_client()
    first = client.get("/clusters/delft", headers=EVIL)  # the cold render
    assert first.status_code == 200
    assert b"evil.example" not in first.get_data()
    assert b"evil.example" not in client.get("/clusters/delft").get_data()
    assert b"evil.example" not in client.get("/embed/delft", headers=EVIL).get_data()
    assert _next_link(client, EVIL).startswith("http://localhost/ogc/")
    rows = "".join(f"{52 + i / 1000},{4.35 + (i * 7 % 11) / 1000}\n" for i in range(12))
    upload = client.post("/api/analyze", data="lat,lon\n" + rows, headers=EVIL,
                         content_type="text/csv")  # fmt: skip
    assert upload.status_code == 201, upload.get_data(as_text=True)
    assert upload.get_json()["map"].startswith("http://localhost/analyses/")


def test_pages_link_relatively_so_the_host_is_not_part_of_the_cache_key() -> None:
    app = _app(PROXY_COUNT=1)
    client = app.test_client()
    page = client.get("/clusters/delft", headers=EVIL).get_data(as_text=True)
    assert 'data-embed-url="/embed/delft"' in page
    assert "evil.example" not in page
    entries = len(get_cache_of(app))
    client.get("/clusters/delft", headers={"X-Forwarded-Host": "other.example"})
    assert len(get_cache_of(app)) == entries
    # the trusted proxy's (well-formed) host does appear in the API's absolute links
    assert _next_link(client, EVIL).startswith("https://evil.example/ogc/")


def test_a_forwarded_prefix_is_part_of_the_cache_key() -> None:
    client = _app(PROXY_COUNT=1).test_client()
    prefixed = client.get("/clusters/delft", headers={"X-Forwarded-Prefix": "/maps"})
    assert 'href="/maps/static/clustermap.css?v=' in prefixed.get_data(as_text=True)
    plain = client.get("/clusters/delft").get_data(as_text=True)
    assert 'href="/static/clustermap.css?v=' in plain
    assert "/maps/" not in plain
    # the map's own assets (Leaflet and its plugins) too: no link escapes the prefix
    html = prefixed.get_data(as_text=True)
    assert '<script src="/maps/static/vendor/leaflet/dist/leaflet.js?v=' in html
    assert not re.search(r'(src|href)="/static/', html)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Host": "evil.example/<script>"},
        {"X-Forwarded-Host": "evil.example:99999"},
        {"X-Forwarded-Host": "a b"},
        {"X-Forwarded-Proto": "javascript"},
        {"X-Forwarded-Prefix": "/a/../b"},
        {"X-Forwarded-Prefix": "//evil.example"},
        {"X-Forwarded-Prefix": "/a?b=1"},
    ],
)
def test_malformed_forwarded_values_are_refused(headers: dict[str, str]) -> None:
    app = _app(PROXY_COUNT=1)
    client = app.test_client()
    for path in ("/clusters/delft", "/ogc", "/healthz"):
        response = client.get(path, headers=headers)
        assert response.status_code == 400
        assert b"evil.example" not in response.get_data()
    assert len(get_cache_of(app)) == 0


def test_public_url_wins_over_every_header() -> None:
    client = _app(PUBLIC_URL="https://maps.example.org/cm/", PROXY_COUNT=1).test_client()
    assert _next_link(client, EVIL).startswith("https://maps.example.org/cm/ogc/")
    page = client.get("/clusters/delft", headers={"X-Forwarded-Prefix": "/evil"})
    assert 'href="/cm/static/clustermap.css?v=' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    ["ftp://maps.example.org", "https://user@maps.example.org", "https://maps.example.org/?a=1",
     "https://maps.example.org/a/../b", "maps.example.org", "https://bad_host!/"],
)  # fmt: skip
def test_a_bad_public_url_stops_the_app(url: str) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        _app(PUBLIC_URL=url)


def test_public_url_parts() -> None:
    public = parse_public_url("HTTPS://Maps.Example.org:8443/a/b/")
    assert (public.scheme, public.host, public.prefix) == ("https", "maps.example.org:8443", "/a/b")


def test_host_and_prefix_syntax() -> None:
    for good in ("example.org", "localhost:8000", "127.0.0.1", "[::1]:8080", "a-b.c"):
        assert valid_host(good), good
    for bad in ("", "a b", "ex/ample", "-a.org", "a.org:0", "a.org:x", "[zz]", "a:1:2", "a@b"):
        assert not valid_host(bad), bad
    assert valid_prefix("") and valid_prefix("/a/b-c_d.e")
    for bad in ("a", "/", "/a/", "/..", "/a/./b", "//x", "/a b", "/a%2e"):
        assert not valid_prefix(bad), bad


def test_unknown_query_parameters_share_the_cached_page() -> None:
    app = _app()
    client = app.test_client()
    first = client.get("/clusters/delft")
    entries = len(get_cache_of(app))
    for value in ("a", "b", "c"):
        again = client.get(f"/clusters/delft?utm={value}&fbclid={value}")
        assert without_nonce(again) == without_nonce(first)
        assert again.headers["ETag"] == first.headers["ETag"]
    assert len(get_cache_of(app)) == entries
    assert client.get("/clusters/delft?basemap=none").status_code == 200
    assert len(get_cache_of(app)) == entries + 1  # a documented parameter makes its own page


def get_cache_of(app: Any) -> Any:
    """The app's page and result cache."""
    with app.app_context():
        return get_cache()
