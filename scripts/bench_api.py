"""Benchmark the API: an upload of N points through POST /api/analyze, cached pages, and
the weight of a page: bytes on the wire and map-ready time in headless Chromium.

python scripts/bench_api.py                 # in-process (Flask test client), 100,000 points
python scripts/bench_api.py --url http://127.0.0.1:8000   # against a running server

The page weight and browser timings need a server: the one at ``--url``, else the app is
served on a free loopback port for them.
"""

from __future__ import annotations

import argparse
import http.client
import math
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def french_csv(n: int, *, seed: int = 0) -> bytes:
    """N points around Lyon as a French spreadsheet writes them (';', decimal commas)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal([45.76, 4.84], 0.05, size=(20, 2))
    which = rng.integers(0, len(centres), n)
    lat = centres[which, 0] + rng.normal(0, 0.01, n)
    lon = centres[which, 1] + rng.normal(0, 0.015, n)
    lines = ["id;latitude;longitude"]
    lines += [
        f"{i};{a:.6f};{b:.6f}".replace(".", ",") for i, a, b in zip(range(n), lat, lon, strict=True)
    ]
    return "\n".join(lines).encode()


def wire_bytes(url: str, path: str, *, gzip: bool) -> int:
    """Bytes of the status line, headers and body of one GET (what crosses the network)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = {"Accept-Encoding": "gzip"} if gzip else {"Accept-Encoding": "identity"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    head = sum(len(f"{k}: {v}\r\n") for k, v in response.getheaders()) + 17
    connection.close()
    return head + len(body)


# Runs before any page script: notes when the map shows its first site marker.
_READY_PROBE = """
(() => {
  const ready = () => {
    if (window.__cmReady === undefined && document.querySelector("div.cm-site")) {
      window.__cmReady = performance.now();
    }
    return window.__cmReady !== undefined;
  };
  new MutationObserver((_, observer) => { if (ready()) observer.disconnect(); })
    .observe(document, {childList: true, subtree: true});
})();
"""


def map_ready_ms(url: str, path: str, *, runs: int = 5) -> tuple[float, float]:
    """Median milliseconds from navigation to a map with its markers, on a first visit (empty
    browser cache) and on a repeat visit (same browser, assets cached), loopback only;
    infinite for a map that never shows its markers."""
    from playwright.sync_api import sync_playwright

    first, repeat = [], []
    args = ["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, "
            "EXCLUDE 127.0.0.1"]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(_READY_PROBE)
            page = context.new_page()
            for timings in (first, repeat):
                page.goto(f"{url}{path}", wait_until="domcontentloaded")
                deadline = time.monotonic() + 15
                while (ready := page.evaluate("() => window.__cmReady")) is None:
                    if time.monotonic() > deadline:  # e.g. its scripts were blocked
                        ready = math.inf
                        break
                    time.sleep(0.02)
                timings.append(float(ready))
            context.close()
        browser.close()
    return statistics.median(first), statistics.median(repeat)


def page_weight(url: str, path: str = "/clusters/delft") -> dict[str, float]:
    """Bytes on the wire (plain and gzip) and map-ready times of one page."""
    first, repeat = map_ready_ms(url, path)
    return {
        "plain_bytes": wire_bytes(url, path, gzip=False),
        "gzip_bytes": wire_bytes(url, path, gzip=True),
        "first_visit_ms": first,
        "repeat_visit_ms": repeat,
    }


def serve_in_thread(app: Any) -> str:
    """``app`` on a free loopback port (werkzeug, threaded); its URL."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="points uploaded")
    parser.add_argument("--url", default=None, help="a running server (default: in-process)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = french_csv(args.n)
    print(f"upload: {args.n:,} points, {len(data) / 1e6:.1f} MB CSV")

    if args.url:

        def post() -> tuple[int, bytes]:
            request = urllib.request.Request(
                f"{args.url}/api/analyze", data=data, headers={"Content-Type": "text/csv"}
            )
            with urllib.request.urlopen(request) as response:
                return response.status, response.read()

        def get(path: str, etag: str | None = None) -> tuple[int, str | None]:
            headers = {"If-None-Match": etag} if etag else {}
            request = urllib.request.Request(f"{args.url}{path}", headers=headers)
            try:
                with urllib.request.urlopen(request) as response:
                    response.read()
                    return response.status, response.headers.get("ETag")
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers.get("ETag")
    else:
        from webmap import create_app

        app = create_app()
        client = app.test_client()

        def post() -> tuple[int, bytes]:
            response = client.post("/api/analyze", data=data, content_type="text/csv")
            return response.status_code, response.get_data()

        def get(path: str, etag: str | None = None) -> tuple[int, str | None]:
            headers = {"If-None-Match": etag} if etag else {}
            response = client.get(path, headers=headers)
            return response.status_code, response.headers.get("ETag")

    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        status, _body = post()
        timings.append(time.perf_counter() - start)
        assert status == 201, status
    print(
        f"POST /api/analyze: best {min(timings):.2f} s, median {statistics.median(timings):.2f} s"
    )

    status, etag = get("/clusters/delft")
    first = []
    for _ in range(50):
        start = time.perf_counter()
        get("/clusters/delft")
        first.append(time.perf_counter() - start)
    conditional = []
    for _ in range(50):
        start = time.perf_counter()
        status, _ = get("/clusters/delft", etag)
        conditional.append(time.perf_counter() - start)
    assert status == 304, status
    print(
        f"cached /clusters/delft: median {statistics.median(first) * 1000:.2f} ms (200), "
        f"{statistics.median(conditional) * 1000:.2f} ms (304 to If-None-Match)"
    )
    weight = page_weight(args.url or serve_in_thread(app))
    print(
        f"/clusters/delft on the wire: {weight['plain_bytes'] / 1024:.0f} KB plain, "
        f"{weight['gzip_bytes'] / 1024:.0f} KB gzip; map ready in Chromium: "
        f"{weight['first_visit_ms']:.0f} ms first visit, "
        f"{weight['repeat_visit_ms']:.0f} ms repeat visit (medians of 5)"
    )


if __name__ == "__main__":
    main()
