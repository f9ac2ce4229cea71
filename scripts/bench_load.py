"""Load benchmark of ``python -m webmap serve`` (waitress), this checkout against a baseline.

python scripts/bench_load.py                       # baseline: commit 69e8db2
python scripts/bench_load.py --baseline HEAD~3 --duration 10

For each tree (the baseline is checked out in a temporary ``git worktree``, removed after)
a server of that tree's own registry is started on a free loopback port, then, in this
order:

1. the page on the wire and map-ready times in headless Chromium (scripts/bench_api.py);
2. ``wrk`` (Debian package; else a Python thread-pool client) with 64 connections for
   ``--duration`` seconds on the cached ``/clusters/delft`` (asking for gzip, as browsers
   do): errors, p99 latency, requests per second;
3. ``/healthz`` latency (sampled every 50 ms) while 8 clients post uploads back to back;
4. the server's RSS before and after ``--uploads`` uploads of ``--points`` points each.

Only loopback is used. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_api import french_csv, page_weight  # noqa: E402

PAGE = "/clusters/delft"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(tree: Path) -> Iterator[tuple[str, int]]:
    """``python -m webmap serve`` of ``tree`` on loopback, with the registry of ``tree``
    (an older tree refuses today's registry's new fields): its URL and process id."""
    port = _free_port()
    data = tree / "data" / "sites"
    process = subprocess.Popen(
        [sys.executable, "-m", "webmap", "serve", "--port", str(port), "--data", str(data)],
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server of {tree} did not start") from None
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)


def _find(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"no {pattern!r} in:\n{text}")
    return found.group(1)


def _seconds(text: str) -> float:
    value, unit = _find(r"^([0-9.]+)", text), text.lstrip("0123456789.")
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def load(url: str, duration: int, connections: int) -> dict[str, float]:
    """Requests per second, p99 latency (ms) and errors of the cached page under load."""
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
             "-H", "Accept-Encoding: gzip", f"{url}{PAGE}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
        socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                                  r"timeout (\d+)", out)  # fmt: skip
        if socket_errors:
            errors += sum(int(n) for n in socket_errors.groups())
        return {
            "rps": float(_find(r"Requests/sec:\s+([0-9.]+)", out)),
            "p99_ms": _seconds(_find(r"99%\s+(\S+)", out)) * 1000,
            "errors": errors,
            "tool": 0,
        }
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    end = time.monotonic() + duration

    def client() -> None:
        nonlocal errors
        while time.monotonic() < end:
            start = time.perf_counter()
            status = _get(f"{url}{PAGE}", {"Accept-Encoding": "gzip"})
            with lock:
                latencies.append(time.perf_counter() - start)
                errors += status != 200

    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        for _ in range(connections):
            pool.submit(client)
    latencies.sort()
    return {"rps": len(latencies) / duration, "p99_ms": latencies[int(len(latencies) * 0.99)]
            * 1000, "errors": errors, "tool": 1}  # fmt: skip


def health_under_uploads(url: str, seconds: float, points: int) -> dict[str, float]:
    """``/healthz`` latency (ms) while 8 clients post uploads back to back."""
    data = french_csv(points)
    end = time.monotonic() + seconds
    outcomes: dict[int, int] = {}
    lock = threading.Lock()

    def uploader() -> None:
        while time.monotonic() < end:
            request = urllib.request.Request(
                f"{url}/api/analyze", data=data, headers={"Content-Type": "text/csv"}
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                exc.read()
                status = exc.code
            with lock:
                outcomes[status] = outcomes.get(status, 0) + 1
            if status == 503:
                time.sleep(0.5)

    threads = [threading.Thread(target=uploader) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    samples = []
    while time.monotonic() < end:
        start = time.perf_counter()
        _get(f"{url}/healthz", timeout=120)
        samples.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    samples.sort()
    return {
        "health_p50_ms": statistics.median(samples),
        "health_p99_ms": samples[int(len(samples) * 0.99)],
        "health_max_ms": samples[-1],
        "uploads_201": outcomes.get(201, 0),
        "uploads_503": outcomes.get(503, 0),
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux), MB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(_find(r"VmRSS:\s+(\d+) kB", text)) / 1024


def rss_after_uploads(url: str, pid: int, uploads: int, points: int) -> dict[str, float]:
    """RSS before and after ``uploads`` uploads of named points (2 clients at a time)."""
    rows = french_csv(points).decode().splitlines()
    named = "\n".join(
        ["nom;" + rows[0]] + [f"Entreprise {i} du pôle;" + row for i, row in enumerate(rows[1:])]
    ).encode()
    before = rss_mb(pid)

    def upload(seed: int) -> int:
        request = urllib.request.Request(
            f"{url}/api/analyze", data=named, headers={"Content-Type": "text/csv"}
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    token_page = response.headers["Location"]
                    response.read()
                _get(token_page)  # draw its map too: kept with the upload
                return 201
            except urllib.error.HTTPError as exc:
                exc.read()
                if exc.code != 503:
                    return int(exc.code)
                time.sleep(0.2)
        return 503

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(upload, range(uploads)))
    return {"rss_before_mb": before, "rss_after_mb": rss_mb(pid),
            "uploads_ok": sum(s == 201 for s in statuses)}  # fmt: skip


def bench(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    """Every measure against the server of ``tree``."""
    with server(tree) as (url, pid):
        _get(f"{url}{PAGE}")  # warm the page cache
        results: dict[str, Any] = {}
        results.update(page_weight(url))
        results.update(load(url, args.duration, args.connections))
        results.update(health_under_uploads(url, args.health_seconds, args.points))
        results.update(rss_after_uploads(url, pid, args.uploads, args.points))
        return results


@contextmanager
def baseline_tree(commit: str) -> Iterator[Path]:
    """A temporary ``git worktree`` of ``commit``."""
    folder = Path(tempfile.mkdtemp(prefix="clustermap-baseline-"))
    tree = folder / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


ROWS = [
    ("rps", "cached page, requests/s", "{:.0f}"),
    ("p99_ms", "cached page, p99 ms", "{:.1f}"),
    ("errors", "cached page, errors", "{:.0f}"),
    ("health_p50_ms", "/healthz p50 ms during 8 uploads", "{:.1f}"),
    ("health_p99_ms", "/healthz p99 ms during 8 uploads", "{:.1f}"),
    ("health_max_ms", "/healthz max ms during 8 uploads", "{:.1f}"),
    ("uploads_201", "uploads answered 201 (in that window)", "{:.0f}"),
    ("uploads_503", "uploads answered 503 (in that window)", "{:.0f}"),
    ("rss_before_mb", "RSS before uploads, MB", "{:.0f}"),
    ("rss_after_mb", "RSS after uploads, MB", "{:.0f}"),
    ("gzip_bytes", "page on the wire (gzip asked), bytes", "{:.0f}"),
    ("plain_bytes", "page on the wire (plain), bytes", "{:.0f}"),
    ("first_visit_ms", "map ready, first visit, ms", "{:.0f}"),
    ("repeat_visit_ms", "map ready, repeat visit, ms", "{:.0f}"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="69e8db2", help="commit to compare with")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--health-seconds", type=float, default=15.0)
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--points", type=int, default=20_000, help="points per upload")
    args = parser.parse_args()
    os.environ.pop("CLUSTERMAP_PROXY_COUNT", None)
    with baseline_tree(args.baseline) as tree:
        before = bench(tree, args)
    print("before:", before, flush=True)
    after = bench(ROOT, args)
    print("after:", after, flush=True)
    print(f"{'measure':<44}{'before':>12}{'after':>12}{'after/before':>14}")
    for key, label, fmt in ROWS:
        b, a = float(before[key]), float(after[key])
        ratio = f"{a / b:.2f}" if b and math.isfinite(a / b) else "-"
        shown = ["never" if math.isinf(v) else fmt.format(v) for v in (b, a)]
        print(f"{label:<44}{shown[0]:>12}{shown[1]:>12}{ratio:>14}")
    tools = {0: "wrk", 1: "Python client"}
    print(f"load tool: {tools[int(after['tool'])]}, {args.connections} connections, "
          f"{args.duration} s; uploads of {args.points:,} points")  # fmt: skip


if __name__ == "__main__":
    main()
