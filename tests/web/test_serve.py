"""``python -m webmap serve`` (waitress): forwarded headers reach the app only when a
trusted proxy is configured, and links never follow a forged Host."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from tests.helpers import DATA, served
from webmap import create_app
from webmap.commands.cmd_registry import waitress_options

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "maps.example.org",
    "X-Forwarded-Prefix": "/cm",
    "Host": "evil.example",
}


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _next_link(body: bytes) -> str:
    return next(link["href"] for link in json.loads(body)["links"] if link["rel"] == "next")


def test_a_trusted_proxy_sets_the_links_under_waitress() -> None:
    with served("--data", str(DATA), env={"CLUSTERMAP_PROXY_COUNT": "1"}) as url:
        status, body = _get(f"{url}/ogc/collections/sites/items?limit=2", FORWARDED)
        assert status == 200
        assert _next_link(body).startswith("https://maps.example.org/cm/ogc/collections/sites/")
        status, page = _get(f"{url}/clusters/delft", FORWARDED)
        assert status == 200
        assert b'href="/cm/static/clustermap.css?v=' in page and b"evil.example" not in page
        status, _ = _get(f"{url}/healthz", {"X-Forwarded-Host": "evil.example/x"})
        assert status == 400


def test_without_a_proxy_links_name_the_listening_address() -> None:
    with served("--data", str(DATA)) as url:
        status, body = _get(f"{url}/ogc/collections/sites/items?limit=2", FORWARDED)
        assert status == 200
        assert _next_link(body).startswith(f"{url}/ogc/collections/sites/")


def test_waitress_settings_follow_the_configuration() -> None:
    config = create_app({"TESTING": True, "DATA_DIR": str(DATA)}).config
    options = waitress_options(config, "127.0.0.1", 8000, 8)
    assert options["server_name"] == "127.0.0.1"
    assert options["clear_untrusted_proxy_headers"] is True
    assert options["channel_timeout"] == 30
    assert options["cleanup_interval"] == 1  # idle connections live 30 s, not up to 60
    assert options["connection_limit"] == 1000
    assert logging.getLogger("waitress.queue").getEffectiveLevel() == logging.ERROR
    proxied = {**config, "PROXY_COUNT": 1, "SERVER_CHANNEL_TIMEOUT": 5}
    options = waitress_options(proxied, "0.0.0.0", 8000, 8)
    assert options["clear_untrusted_proxy_headers"] is False
    assert options["channel_timeout"] == 5
    assert options["server_name"] != "0.0.0.0"
