"""Shared fixtures: the bundled registry, a Flask app and client, a live server on
loopback and a headless Chromium page whose network is limited to loopback."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from werkzeug.serving import make_server

from geo.registry import Registry, load_registry
from webmap import create_app

# CI replays the same examples on every run (a red run must be reproducible); a developer's
# run draws new ones, which is how awkward cases are found.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "sites"
NETWORKS = ROOT / "data" / "networks"
SOURCES = ROOT / "data" / "sources"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Apps (and servers) made without a cache folder keep their analyses in a temporary one,
    never in the user's ``~/.cache/clustermap``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLUSTERMAP_CACHE_DIR", str(tmp_path_factory.mktemp("default-cache")))
        yield


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The bundled registry."""
    return load_registry(DATA)


@pytest.fixture(scope="session")
def delft_network_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A network cache holding the real Delft street graph, imported as a user would."""
    from click.testing import CliRunner

    from webmap.commands.cli import cli

    cache = tmp_path_factory.mktemp("network-cache")
    graph = NETWORKS / "delft.graphml"
    result = CliRunner().invoke(
        cli, ["network", "import", "delft", str(graph), "--cache-dir", str(cache)]
    )
    assert result.exit_code == 0, result.output
    return cache


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled registry folder."""
    target = tmp_path / "registry"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def app(tmp_path: Path) -> Any:
    """A fresh app on the bundled registry, with an empty network cache of its own (Delft's
    network is the bundled one)."""
    return create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path / "cache")}
    )


@pytest.fixture
def client(app: Any) -> Any:
    """A Flask test client."""
    return app.test_client()


class LiveServer:
    """A WSGI app served on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def without_nonce(response: Any) -> bytes:
    """A page's body with its per-response CSP nonce replaced by ``NONCE``."""
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    return bytes(response.get_data().replace(nonce.encode(), b"NONCE"))


def free_port() -> int:
    """A TCP port free on loopback (for a server subprocess)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``python -m webmap serve ARGS`` (this checkout) on a free loopback port: its URL,
    once ``/healthz`` answers; stopped on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "webmap", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    _, err = process.communicate(timeout=5)
                    pytest.fail(f"the server did not start: {err.decode(errors='replace')}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """The app served on loopback for the browser tests."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class BrowserPage:
    """A page whose requests leave loopback never; page errors and dialogs recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", self._on_dialog)
        page.route("**/*", self._route)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "file://", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


def wait_until(page: Any, expression: str, *, timeout_s: float = 15.0, arg: Any = None) -> Any:
    """Evaluate ``expression`` (a JS function of ``arg``) until it returns a truthy value.

    Playwright's ``wait_for_function`` re-polls with ``eval`` inside the page, which our
    Content-Security-Policy rightly forbids; ``evaluate`` goes through the debugger.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout_s} s waiting for {expression}"
            raise AssertionError(msg)
        time.sleep(0.05)


@pytest.fixture
def page(browser: Any) -> Iterator[BrowserPage]:
    """A fresh browser page limited to loopback."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    wrapped = BrowserPage(context.new_page())
    yield wrapped
    context.close()


@pytest.fixture
def crowded_registry(registry_copy: Path) -> Path:
    """The bundled registry with 300 more Delft sites, enough to cluster the markers."""
    import json

    import numpy as np

    path = registry_copy / "sites.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    rng = np.random.default_rng(1)
    roles = ["company", "research", "incubator"]
    for i in range(300):
        lon, lat = 4.33 + rng.random() * 0.08, 51.97 + rng.random() * 0.05
        data["features"].append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": f"company-{i}", "cluster": "delft", "name": f"Company {i}",
                    "role": roles[i % 3], "address": "Delft", "location_precision": "building",
                    "confidence": "high", "source": "generated for tests",
                },
            }
        )  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return registry_copy
