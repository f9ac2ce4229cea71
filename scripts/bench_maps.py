"""Benchmark point maps: writing them, and drawing them in headless Chromium.

For 10^4, 10^5 and 10^6 random sites (seeded, around the Netherlands, named ``Site <i>``),
in the same run:

* **write**: the ``clustermap map --points FILE -o out.html`` path inside one process, from a
  CSV on disk: :func:`geo.points.read_points`, :func:`webmap.maps.point_layer.points_map`, the
  self-contained export :func:`webmap.maps.export.standalone_html`, written (best of
  ``--repeat``; one run from 10^6 points). ``cli`` is the whole command in a fresh
  interpreter, less its start-up: the same command on a 10-point file, just before;
* **draw**: the export opened from ``file://`` in Debian's Chromium (Playwright, the tests'
  launch arguments: WebGL2 through SwiftShader), from navigation to
  ``window.clustermapPointCount`` equal to the number of points (every point drawn: for
  WebGL, the GPU finished its first frame of them, at ``window.clustermapPointTime`` by the
  page's clock from navigation), and the JavaScript heap then (CDP
  ``Runtime.getHeapUsage``: used size, plus typed arrays' backing stores and the DOM's);
* **ours** is the default layer (WebGL above :data:`~webmap.maps.point_layer.WEBGL_THRESHOLD`
  points, canvas markers below); the **baseline** is the clustered canvas-marker layer at
  the same size (``drawing="clusters"``, what every large point map drew before), up to
  ``--max-baseline`` points (at 10^6 it took 34-73 s and 1.2-1.8 GB of heap).

Usage: ``python scripts/bench_maps.py [--sizes 10000 100000 1000000] [--repeat 3]
[--max-baseline 100000] [--timeout 180]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.points import read_points  # noqa: E402
from tests.helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from webmap.maps.export import standalone_html  # noqa: E402
from webmap.maps.point_layer import WEBGL_THRESHOLD, points_map  # noqa: E402

#: The goals at 10^6 points (issue 22).
GOAL_WRITE_S = 20.0
GOAL_MB = 15.0
GOAL_DRAW_S = 8.0
GOAL_HEAP_MB = 500.0


@dataclass
class Run:
    """One map written and drawn."""

    kind: str
    n: int
    write_s: float
    mb: float
    draw_s: float | None  # None: not drawn within the time-out
    heap_mb: float | None


def random_sites(n: int, *, seed: int = 42) -> gpd.GeoDataFrame:
    """``n`` sites: half around 50 towns, half spread over the Netherlands' bounding box."""
    rng = np.random.default_rng(seed)
    towns = np.column_stack([rng.uniform(3.5, 7.0, 50), rng.uniform(50.8, 53.4, 50)])
    which = rng.integers(0, 50, n)
    near = towns[which] + rng.normal(0, 0.05, (n, 2))
    spread = np.column_stack([rng.uniform(3.4, 7.2, n), rng.uniform(50.7, 53.5, n)])
    xy = np.where((np.arange(n) % 2 == 0)[:, None], near, spread)
    names = [f"Site {i}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"name": names}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326
    )


def write_csv(gdf: gpd.GeoDataFrame, path: Path) -> None:
    frame = gdf.drop(columns="geometry").assign(lon=gdf.geometry.x, lat=gdf.geometry.y)
    frame.to_csv(path, index=False)


def write_map(csv: Path, out: Path, *, drawing: str, repeat: int) -> tuple[float, float]:
    """Best time of ``repeat`` writes of ``out`` from ``csv``, and its size in MB."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        html = standalone_html(points_map(read_points(csv), drawing=drawing))
        out.write_text(html, encoding="utf-8")
        best = min(best, time.perf_counter() - start)
    return best, out.stat().st_size / 1e6


def command_s(*args: str) -> float:
    """Wall time of ``python -m webmap ARGS`` in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "webmap", *args], cwd=ROOT, check=True, capture_output=True
    )
    return time.perf_counter() - start


def draw(browser: Any, path: Path, n: int, *, timeout_s: float) -> tuple[float | None, float]:
    """Seconds from navigation to every point drawn (None: timed out), and the JS heap (MB)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        cdp = page.context.new_cdp_session(page)
        start = time.perf_counter()
        page.goto(path.as_uri(), timeout=timeout_s * 1000)
        drawn: float | None = None
        while time.perf_counter() - start < timeout_s:
            if page.evaluate("() => window.clustermapPointCount") == n:
                # the page's own clock when the last points were drawn (WebGL layers set
                # it), else when this poll saw them: a poll waits for a busy page
                at = page.evaluate("() => window.clustermapPointTime")
                drawn = at / 1000 if at is not None else time.perf_counter() - start
                break
            time.sleep(0.02)
        usage = cdp.send("Runtime.getHeapUsage")
        # the JS heap, plus the typed arrays' backing stores and the embedder's (DOM) heap
        heap = sum(
            usage.get(k, 0) for k in ("usedSize", "embedderHeapUsedSize", "backingStorageSize")
        )
        return drawn, heap / 1e6
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-baseline", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    runs: list[Run] = []
    cli: dict[int, float] = {}
    startup: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tiny = Path(tmp) / "tiny.csv"
        write_csv(random_sites(10), tiny)
        cli_out = str(Path(tmp) / "cli.html")
        for n in args.sizes:
            csv = Path(tmp) / f"sites_{n}.csv"
            write_csv(random_sites(n), csv)
            repeat = args.repeat if n < 1_000_000 else 1
            # start-up: the interpreter and the libraries the command loads, timed on a
            # 10-point file just before (the machine's load varies)
            startup[n] = command_s("map", "--points", str(tiny), "-o", cli_out)
            cli[n] = command_s("map", "--points", str(csv), "-o", cli_out)
            kinds: list[tuple[str, str]] = [("ours", "auto")]
            if n <= args.max_baseline and n > WEBGL_THRESHOLD:
                kinds.append(("baseline", "clusters"))
            for kind, drawing in kinds:
                out = Path(tmp) / f"map_{n}_{drawing}.html"
                write_s, size = write_map(csv, out, drawing=drawing, repeat=repeat)
                drawn, heap = draw(browser, out, n, timeout_s=args.timeout)
                layer = "WebGL" if (drawing == "auto" and n > WEBGL_THRESHOLD) else "canvas"
                runs.append(Run(f"{kind} ({layer})", n, write_s, size, drawn, heap))
                print(f"  measured {runs[-1]}", file=sys.stderr)
        browser.close()

    print(
        "start-up (clustermap map --points of 10 points): "
        + ", ".join(f"{t:.2f} s" for t in startup.values())
    )
    print(
        f"{'layer':26} {'n':>9}  {'write s':>7} {'cli s':>6} {'MB':>6}  {'draw s':>7} "
        f"{'heap MB':>7}"
    )
    for run in runs:
        draw_text = f"{run.draw_s:7.2f}" if run.draw_s is not None else f">{args.timeout:6.0f}"
        cli_text = (
            f"{cli[run.n] - startup[run.n]:6.2f}" if run.kind.startswith("ours") else "      "
        )
        print(
            f"{run.kind:26} {run.n:>9,}  {run.write_s:7.2f} {cli_text} {run.mb:6.2f}  "
            f"{draw_text} {run.heap_mb or 0:7.0f}"
        )

    print("\nratios (baseline: canvas markers at the same size, same run)")
    for run in runs:
        if not run.kind.startswith("baseline"):
            continue
        ours = next(r for r in runs if r.n == run.n and r.kind.startswith("ours"))
        if ours.draw_s and run.draw_s:
            print(
                f"  n={run.n:>9,}: draw {run.draw_s / ours.draw_s:5.1f}x faster, "
                f"heap {(run.heap_mb or 0) / (ours.heap_mb or 1):4.1f}x lighter, "
                f"file {run.mb / ours.mb:4.1f}x lighter"
            )

    ours_runs = [r for r in runs if r.kind.startswith("ours")]
    top = max(ours_runs, key=lambda r: r.n)
    checks = [
        ("written", top.write_s, GOAL_WRITE_S, "s"),
        ("file", top.mb, GOAL_MB, "MB"),
        ("drawn", top.draw_s if top.draw_s is not None else float("inf"), GOAL_DRAW_S, "s"),
        ("heap", top.heap_mb or 0.0, GOAL_HEAP_MB, "MB"),
    ]
    print(f"\ngoals at {top.n:,} points (issue 22):")
    for name, value, goal, unit in checks:
        verdict = "meets" if value <= goal else "MISSES"
        print(f"  {name:8} {value:8.2f} {unit:2} (goal <= {goal:g} {unit}): {verdict}")


if __name__ == "__main__":
    main()
