"""Time the vector tiles of a register: the index build, then random tiles at zoom 4-15.

Usage: ``python scripts/bench_tiles.py --points 1000000`` (writes a SIRENE-shaped register
with ``scripts/make_register.py``), or ``--file FILE [--crs CRS]``.

1. The index is built in a child process (a fresh cache folder), as ``clustermap serve
   --points`` does at start: its time and peak RSS.
2. This process opens the cached index (as a second start does: hash + memory map), then
   asks for random tiles that hold points (a random point, a random zoom in 4-15) the way
   the server answers them (select, encode, gzip): p50, p95, max, and its RSS.
3. Baseline, same run: a brute-force numpy count of every point against the same tiles
   (no encoding); and ``mapbox_vector_tile.encode`` of the fullest point tile against our
   encoder, when that package is installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.tiles import build_index, tile_content, tile_mvt


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(path: str, crs: str | None, cache: str) -> None:
    """The child: build the index, print its time and peak RSS as JSON."""
    start = time.perf_counter()
    index = build_index(path, crs=crs, cache_dir=cache)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "count": index.count}))


def _percentiles(times_s: list[float]) -> str:
    ms = np.array(times_s) * 1000
    p50, p95 = np.percentile(ms, 50), np.percentile(ms, 95)
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {ms.max():7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="register size to write")
    parser.add_argument("--file", help="an existing point file instead")
    parser.add_argument("--crs", default=None, help="its CRS if it does not say")
    parser.add_argument("--tiles", type=int, default=400, help="random tiles to request")
    parser.add_argument(
        "--baseline-tiles", type=int, default=40, help="tiles counted by brute force"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--build-only", nargs=3, metavar=("FILE", "CRS", "CACHE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.build_only:
        path, crs, cache = args.build_only
        _build(path, None if crs == "-" else crs, cache)
        return

    with tempfile.TemporaryDirectory() as tmp:
        if args.file:
            path, crs = args.file, args.crs
        else:
            from scripts.make_register import write_register

            path, crs = str(Path(tmp) / "register.csv"), "EPSG:2154"
            start = time.perf_counter()
            write_register(Path(path), args.points, seed=args.seed)
            print(f"register: {args.points:,} rows written in {time.perf_counter() - start:.1f} s")
        size = Path(path).stat().st_size
        cache = str(Path(tmp) / "cache")
        child = subprocess.run(
            [sys.executable, __file__, "--build-only", path, crs or "-", cache],
            check=True,
            capture_output=True,
            text=True,
        )
        built = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"index build: {built['count']:,} points from {size / 2**20:,.0f} MB in "
            f"{built['seconds']:.1f} s, peak RSS {built['peak_mb']:,.0f} MB (child process)"
        )

        start = time.perf_counter()
        index = build_index(path, crs=crs, cache_dir=cache)
        print(
            f"second start: index read from the cache in {time.perf_counter() - start:.2f} s "
            f"(SHA-256 of the file + memory map), RSS {_rss_mb():,.0f} MB"
        )
        rng = np.random.default_rng(args.seed)
        tiles = []
        for i in rng.integers(0, index.count, size=args.tiles):
            z = int(rng.integers(4, 16))
            shift = 32 - z
            tiles.append((z, int(index.x[i]) >> shift, int(index.y[i]) >> shift))
        times, selects, kinds = [], [], {"cells": 0, "points": 0}
        for z, x, y in tiles:
            start = time.perf_counter()
            content = tile_content(index, z, x, y)
            selects.append(time.perf_counter() - start)
            start = time.perf_counter()
            body = gzip.compress(tile_mvt(index, z, x, y), compresslevel=6, mtime=0)
            times.append(time.perf_counter() - start)
            kinds["cells" if content.cells else "points"] += 1
            del body
        print(
            f"tiles ({len(tiles)}, zoom 4-15; {kinds['cells']} of cells, {kinds['points']} of "
            f"points), select + encode + gzip: {_percentiles(times)}"
        )
        print(f"  of which selecting the features (index): {_percentiles(selects)}")

        qx, qy = np.asarray(index.x), np.asarray(index.y)
        brute = []
        for z, x, y in tiles[: args.baseline_tiles]:
            start = time.perf_counter()
            shift = np.uint32(32 - z)
            inside = np.flatnonzero(((qx >> shift) == x) & ((qy >> shift) == y))
            brute.append(time.perf_counter() - start)
            assert len(inside) == tile_content(index, z, x, y).total, (z, x, y)
        ours = np.median(selects[: args.baseline_tiles])
        print(
            f"baseline, brute-force numpy filter of all points ({len(brute)} of the same tiles, "
            f"counts equal): {_percentiles(brute)}; median ratio to the index's selection "
            f"x{np.median(brute) / ours:.1f}"
        )
        print(f"RSS after the tiles: {_rss_mb():,.0f} MB (memory-mapped index)")
        _compare_encoders(index, tiles)


def _compare_encoders(index: object, tiles: list[tuple[int, int, int]]) -> None:
    """Our encoder against mapbox_vector_tile.encode on the fullest point tile seen."""
    try:
        import mapbox_vector_tile
    except ImportError:
        print("mapbox-vector-tile not installed: encoder comparison skipped")
        return
    from geo.mvt import encode_points

    best = max(
        (tile_content(index, *t) for t in tiles),  # type: ignore[arg-type]
        key=lambda c: (not c.cells) * c.total,
    )
    props = {"count": best.counts.tolist(), "label": best.labels, "category": best.categories}
    start = time.perf_counter()
    encode_points(best.x, best.y, props, layer="points")
    ours = time.perf_counter() - start
    features = [
        {
            "geometry": f"POINT({px} {py})",
            "properties": {"count": 1, "label": label, "category": category},
        }
        for px, py, label, category in zip(
            best.x.tolist(), best.y.tolist(), best.labels or [], best.categories or [], strict=True
        )
    ]
    start = time.perf_counter()
    mapbox_vector_tile.encode(
        {"name": "points", "features": features},
        default_options={"y_coord_down": True, "quantize_bounds": None},
    )
    theirs = time.perf_counter() - start
    print(
        f"encoding the fullest point tile ({best.total:,} points): ours {ours * 1000:.1f} ms, "
        f"mapbox_vector_tile.encode {theirs * 1000:.1f} ms (x{theirs / ours:.1f})"
    )


if __name__ == "__main__":
    main()
