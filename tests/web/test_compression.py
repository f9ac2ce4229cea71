"""gzip for pages and JSON (compressed once, the nonce spliced in), static files by digest."""

from __future__ import annotations

import gzip
import re
from typing import Any

from webmap.web.compression import GZIP_SUFFIX, gzip_with, splice

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_spliced_gzip_is_the_body_with_each_filler() -> None:
    body = b"".join(f"<p>{i} {'x' * (i % 7)}</p>".encode() for i in range(5000))
    marked = b"MARK" + body + b"MARK" + body[:100] + b"MARK"
    spliced = splice(marked, b"MARK")
    for filler in (b"", b"n0nce-Abc_123", b"y" * 40):
        assert gzip.decompress(gzip_with(spliced, filler)) == marked.replace(b"MARK", filler)
    plain = splice(body, b"MARK")
    packed = gzip_with(plain, b"unused")
    assert gzip.decompress(packed) == body
    assert len(packed) < len(body) / 3


def _nonce(response: Any) -> str:
    found = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert found is not None
    return found.group(1)


def test_pages_are_gzipped_with_their_own_nonce_and_etag(client: Any) -> None:
    plain = client.get("/clusters/delft")
    packed = client.get("/clusters/delft", headers=GZIP)
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    html = gzip.decompress(packed.get_data()).decode()
    assert html == plain.get_data(as_text=True).replace(_nonce(plain), _nonce(packed))
    assert f'<script nonce="{_nonce(packed)}">' in html
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + GZIP_SUFFIX + '"'
    again = client.get("/clusters/delft", headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == packed.headers["ETag"]
    # the next gzipped answer comes from the kept pieces, with a fresh nonce
    third = client.get("/clusters/delft", headers=GZIP)
    assert _nonce(third) != _nonce(packed)
    assert _nonce(third) in gzip.decompress(third.get_data()).decode()


def test_json_and_geojson_are_gzipped(client: Any) -> None:
    for path in ("/api/clusters/delft/density", "/ogc/collections/sites/items", "/openapi.json"):
        plain = client.get(path)
        packed = client.get(path, headers=GZIP)
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(packed.get_data()) == plain.get_data(), path
    small = client.get("/healthz", headers=GZIP)  # under a kilobyte: not worth it
    assert small.headers.get("Content-Encoding") is None


def test_static_files_are_cached_a_year_under_their_digest(client: Any) -> None:
    html = gzip.decompress(client.get("/clusters/delft", headers=GZIP).get_data()).decode()
    links = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert links and all(re.search(r"\?v=[0-9a-f]{16}$", link) for link in links), links
    assert any("/static/vendor/leaflet/dist/leaflet.js?v=" in link for link in links)
    for link in links:
        with client.get(link) as response:
            assert response.status_code == 200, link
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/static/clustermap.css") as old:
        assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    with client.get("/static/clustermap.css?v=0123456789abcdef") as stale:
        assert stale.headers["Cache-Control"] == "no-cache"
