"""Helpers the tests share (fixtures live in conftest.py): paths of the repository's data,
servers on loopback, and the browser page's tools."""

from __future__ import annotations

import contextlib
import json
import os
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
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "sites"
NETWORKS = ROOT / "data" / "networks"
SOURCES = ROOT / "data" / "sources"
#: Every cluster id of the bundled registry.
CLUSTERS = [
    str(feature["properties"]["id"])
    for feature in json.loads((DATA / "clusters.geojson").read_text())["features"]
]
#: Strings that would run as HTML or JavaScript if a page failed to escape them.
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "back`tick`alert(1)`",
    "back\\slash\\",
    '"><script>alert(1)</script>',
]
#: A small upload: 30 points around Delft, ``;``-separated lat/lon.
CSV = b"lat;lon\n" + b"".join(
    f"{52 + i / 1000:.4f};{4.35 + (i * 7 % 11) / 1000:.4f}\n".encode() for i in range(30)
)

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
