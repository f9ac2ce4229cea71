"""Benchmark point maps: our canvas/cluster layer against one Folium marker per point.

For 10, 10,000 and 100,000 random sites (seeded, around the Netherlands, named
``Site <i>``), times in the same run:

* ours: :func:`webmap.maps.points.points_map` + rendering the server page (``build``), the
  self-contained export :func:`webmap.maps.export.standalone_html` (``export``, map built again),
  and the whole command-line path: a CSV file read with :func:`geo.points.read_points`, the
  map built, exported and written (``file->html``);
* the baseline: the same map drawn with one ``folium.CircleMarker`` (and one
  ``folium.Marker``) per point, each with an escaped popup, built and rendered the same way.
  It is timed at 10 and 10,000 points; at 100,000 only when the extrapolation from 10,000
  (linear) stays under ``--max-baseline-s`` seconds, and extrapolated otherwise (marked
  ``~``). Its export weight is measured up to 10,000 points (it means building the map
  again).

Page weights are the rendered HTML in MB (10^6 bytes), the server page (assets linked) and
the export (assets inlined). Times are the best of ``--repeat`` runs (baseline: one run).

Usage: ``python scripts/bench_maps.py [--sizes 10 10000 100000] [--repeat 3]
[--max-baseline-s 60]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.points import read_points  # noqa: E402
from webmap.maps.assets import use_local_assets  # noqa: E402
from webmap.maps.basemaps import add_basemaps  # noqa: E402
from webmap.maps.escape import escape_text  # noqa: E402
from webmap.maps.export import standalone_html  # noqa: E402
from webmap.maps.points import points_map  # noqa: E402

TARGET_S = 2.0
TARGET_MB = 5.0


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


def per_point_map(gdf: gpd.GeoDataFrame, kind: str) -> folium.Map:
    """The baseline: one Folium marker per point with an escaped popup."""
    fmap = folium.Map(location=[52.0, 5.0], zoom_start=7, tiles=None, control_scale=True)
    add_basemaps(fmap)
    group = folium.FeatureGroup(name="Points").add_to(fmap)
    for lon, lat, name in zip(gdf.geometry.x, gdf.geometry.y, gdf["name"], strict=True):
        popup = folium.Popup(escape_text(name), parse_html=False, max_width=320)
        if kind == "circle":
            folium.CircleMarker([lat, lon], radius=5, weight=1, fill=True, popup=popup).add_to(
                group
            )
        else:
            folium.Marker([lat, lon], popup=popup).add_to(group)
    folium.LayerControl().add_to(fmap)
    minx, miny, maxx, maxy = gdf.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def render(fmap: folium.Map) -> str:
    html: str = fmap.get_root().render()
    return html


def _page(gdf: gpd.GeoDataFrame) -> str:
    return render(points_map(gdf))


def _export(gdf: gpd.GeoDataFrame) -> str:
    return standalone_html(points_map(gdf))


def _baseline_page(gdf: gpd.GeoDataFrame, kind: str) -> str:
    return render(per_point_map(gdf, kind))


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Smallest wall time of ``repeat`` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def mb(text: str) -> float:
    return len(text.encode("utf-8")) / 1e6


def file_to_html(gdf: gpd.GeoDataFrame, folder: Path) -> Callable[[], str]:
    """The ``clustermap map --points FILE -o out.html`` path, from a CSV on disk."""
    csv = folder / f"sites_{len(gdf)}.csv"
    frame = gdf.drop(columns="geometry").assign(lon=gdf.geometry.x, lat=gdf.geometry.y)
    frame.to_csv(csv, index=False)
    out = folder / "out.html"

    def run() -> str:
        html = standalone_html(points_map(read_points(csv)))
        out.write_text(html, encoding="utf-8")
        return html

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-baseline-s", type=float, default=60.0)
    args = parser.parse_args()
    use_local_assets()  # the server's links, as in create_app

    rows: list[tuple[str, int, str, str, str, str]] = []
    ours: dict[int, tuple[float, float, float, float]] = {}
    baseline: dict[tuple[str, int], tuple[float, float, float, bool]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            gdf = random_sites(n)
            build_s, page = best_of(args.repeat, partial(_page, gdf))
            export_s, export = best_of(args.repeat, partial(_export, gdf))
            file_s, _ = best_of(args.repeat, file_to_html(gdf, Path(tmp)))
            ours[n] = (build_s, mb(page), export_s, mb(export))
            rows.append(
                (
                    "ours (PointLayer, canvas)",
                    n,
                    f"{build_s:8.3f}",
                    f"{mb(page):7.2f}",
                    f"{export_s:8.3f}",
                    f"{mb(export):7.2f}   file->html {file_s:.3f} s",
                )
            )
            for kind in ("circle", "marker"):
                label = f"folium.{'CircleMarker' if kind == 'circle' else 'Marker'} per point"
                known = [(m, v) for (k, m), v in baseline.items() if k == kind and m >= 1000]
                if known:
                    m, (t, w, e, _) = max(known)
                    estimate = t * n / m
                    if estimate > args.max_baseline_s:
                        baseline[(kind, n)] = (t * n / m, w * n / m, e * n / m, True)
                        b = baseline[(kind, n)]
                        rows.append(
                            (
                                label,
                                n,
                                f"~{b[0]:7.1f}",
                                f"~{b[1]:6.1f}",
                                "",
                                f"(extrapolated from {m:,}; > {args.max_baseline_s:g} s)",
                            )
                        )
                        continue
                b_build, b_page = best_of(1, partial(_baseline_page, gdf, kind))
                # the export is built again: only where that costs seconds, not a minute
                b_mb = mb(standalone_html(per_point_map(gdf, kind))) if n <= 10_000 else None
                baseline[(kind, n)] = (b_build, mb(b_page), b_mb or 0.0, False)
                b_export = f"{b_mb:7.2f}" if b_mb is not None else "      -"
                rows.append((label, n, f"{b_build:8.3f}", f"{mb(b_page):7.2f}", "", b_export))

    print(f"{'method':32} {'n':>7}  {'build s':>8} {'page MB':>7}  {'export s':>8} {'exp. MB':>7}")
    for method, n, build, page_mb, export_time, export_mb in rows:
        print(f"{method:32} {n:>7,}  {build:>8} {page_mb:>7}  {export_time:>8} {export_mb}")

    print("\nratios (baseline / ours; build = map + server page render)")
    for (kind, n), (b_build, b_mb, _, estimated) in baseline.items():
        o_build, o_mb, _, _ = ours[n]
        mark = "~" if estimated else " "
        print(
            f"  {kind:6} n={n:>7,}: time {mark}{b_build / o_build:6.1f}x   "
            f"page weight {mark}{b_mb / o_mb:5.1f}x"
        )
    largest = max(ours)
    _, _, largest_s, largest_mb = ours[largest]
    verdict = "meets" if largest_s < TARGET_S and largest_mb < TARGET_MB else "MISSES"
    print(
        f"\nexport of {largest:,} sites: {largest_s:.2f} s, {largest_mb:.2f} MB: {verdict} the "
        f"target (< {TARGET_S:g} s, < {TARGET_MB:g} MB)"
    )


if __name__ == "__main__":
    main()
