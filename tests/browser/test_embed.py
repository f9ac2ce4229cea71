"""Embedding: /embed/<id> in an <iframe> of another origin, allowed or refused."""

from __future__ import annotations

from typing import Any

from tests.helpers import DATA, LiveServer
from webmap import create_app


def _host_page(embed_src: str) -> Any:
    """A WSGI app standing for a web editor's page that frames our map."""

    def app(_environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = (f'<!doctype html><title>host</title><iframe id="map" src="{embed_src}" '
                'width="800" height="500"></iframe>').encode()  # fmt: skip
        start_response(
            "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def test_embed_renders_for_allowed_origin_only(page: Any, registry: Any) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA)})
    ours = LiveServer(app)
    src = f"{ours.url}/embed/delft?layers=sites,epicentres&basemap=none"
    allowed, refused = LiveServer(_host_page(src)), LiveServer(_host_page(src))
    app.config["EMBED_ORIGINS"] = [allowed.url]  # read on each request
    try:
        page.page.goto(allowed.url)
        frame = page.page.frame_locator("#map")
        frame.locator("div.cm-site").first.wait_for()
        assert frame.locator("div.cm-site").count() == len(registry.located("delft"))
        assert frame.locator(".cm-legend-sites").count() == 1
        assert page.errors == []

        page.page.goto(refused.url, wait_until="load")  # "load" waits for the iframe too
        child = next(f for f in page.page.frames if f != page.page.main_frame)
        # Chromium replaces a frame refused by frame-ancestors with its error page
        assert child.url.startswith("chrome-error://")
        assert child.locator(".folium-map").count() == 0
    finally:
        for server in (ours, allowed, refused):
            server.stop()


def test_embed_headers_and_parameters(client: Any) -> None:
    ok = client.get("/embed/delft?layers=sites,density&basemap=positron&lat=51.99&lon=4.38&zoom=15")
    assert ok.status_code == 200
    page = ok.get_data(as_text=True)
    assert "Kernel density" in page
    assert "Hexagons" not in page
    assert "frame-ancestors 'self'" in ok.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'self'" in client.get("/clusters/delft").headers["Content-Security-Policy"]
    )
    for bad, message in (
        ("layers=sites,bogus", "unknown layer 'bogus'"),
        ("basemap=google", "unknown basemap 'google'"),
        ("lat=95&lon=4", "lat must be a number from -90 to 90"),
        ("lat=51", "lat and lon go together"),
        ("zoom=40", "zoom must be a whole number"),
        ("lat=nan&lon=4", "lat must be"),
        ("layers=<script>", "unknown layer"),
    ):
        response = client.get(f"/embed/delft?{bad}")
        assert response.status_code == 400, bad
        text = response.get_data(as_text=True)
        assert message in text.replace("&#39;", "'"), bad
        assert "<script>" not in text.split("<body", 1)[1].replace("<script src", ""), bad
    assert client.get("/embed/atlantis").status_code == 404


def test_embed_origins_are_configurable_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("CLUSTERMAP_EMBED_ORIGINS", '["https://news.example.org"]')
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA)})
    policy = app.test_client().get("/embed/delft").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://news.example.org" in policy
