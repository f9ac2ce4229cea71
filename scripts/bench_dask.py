"""Benchmark the Dask engine: 10^6, 10^7 and 10^8 points as partitioned GeoParquet.

Usage::

    python scripts/bench_dask.py [--sizes 1e6,1e7,1e8] [--folder /tmp/clustermap-bench-dask]
                                 [--workers 2] [--memory-limit 3GB]

Each dataset is generated once into ``FOLDER/N`` (files of a million SIRENE-like points in
Lambert-93: a few hundred towns of every size plus scattered rural sites) and reused. Each
size runs on a fresh 2-worker process ``LocalCluster`` with ``--memory-limit`` per worker;
the script prints the wall time of the analysis (cluster start excluded), the points per
second, the ratio to the previous size and the peak resident memory of each worker process
(its own ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: measure this tree's geo/
    sys.path.insert(0, str(ROOT))

from geo.distributed import analyse_frame, dask_client, read_dask  # noqa: E402
from geo.options import AnalysisOptions  # noqa: E402

FILE_ROWS = 1_000_000
#: Lambert-93 extent of mainland France (metres).
_EXTENT = np.array([[100_000.0, 6_050_000.0], [1_200_000.0, 7_100_000.0]])


def _towns(rng: np.random.Generator, count: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Town centres and their weights (Zipf-like: a few large cities, many small towns)."""
    centres = rng.uniform(_EXTENT[0], _EXTENT[1], size=(count, 2))
    weights = 1.0 / np.arange(1, count + 1)
    return centres, weights / weights.sum()


def generate(folder: Path, n: int) -> Path:
    """Write ``n`` points as GeoParquet files of :data:`FILE_ROWS` rows into ``folder``."""
    done = folder / "_complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    centres, weights = _towns(np.random.default_rng(0))
    for i, start in enumerate(range(0, n, FILE_ROWS)):
        rng = np.random.default_rng(1000 + i)
        rows = min(FILE_ROWS, n - start)
        town = rng.choice(len(centres), size=rows, p=weights)
        spread = 300.0 + 8000.0 * np.sqrt(weights[town] / weights[0])
        xy = centres[town] + rng.normal(size=(rows, 2)) * spread[:, None]
        rural = rng.random(rows) < 0.1
        xy[rural] = rng.uniform(_EXTENT[0], _EXTENT[1], size=(int(rural.sum()), 2))
        xy = np.round(xy, 1)  # SIRENE gives Lambert-93 to the decimetre
        frame = gpd.GeoDataFrame(
            {"siret": np.arange(start, start + rows, dtype=np.int64)},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs="EPSG:2154",
        )
        frame.to_parquet(folder / f"part-{i:05d}.parquet")
    done.touch()
    return folder


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(folder: Path, *, workers: int, memory_limit: str) -> tuple[float, list[float], int]:
    """Analyse ``folder`` on a fresh local cluster: (seconds, peak MB per worker, points)."""
    # the Dask engine computes no dense cores (it refuses them: exact cores across
    # partitions need an eps halo, not built yet; README "On a Dask cluster")
    options = AnalysisOptions(cores=None)
    with dask_client(workers=workers, memory_limit=memory_limit) as client:
        start = time.perf_counter()
        analysis = analyse_frame(read_dask(folder), options)
        seconds = time.perf_counter() - start
        peaks = sorted(client.run(_peak_rss_mb).values())
    return seconds, peaks, analysis.n_points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7,1e8")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/clustermap-bench-dask"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    print(f"{args.workers} workers, {args.memory_limit} each; data in {args.folder}")
    previous: tuple[int, float] | None = None
    for n in sizes:
        start = time.perf_counter()
        folder = generate(args.folder / str(n), n)
        made = time.perf_counter() - start
        seconds, peaks, counted = run(folder, workers=args.workers, memory_limit=args.memory_limit)
        assert counted == n, (counted, n)
        scaling = ""
        if previous is not None:
            ratio = seconds / previous[1]
            scaling = f"  x{ratio:.1f} time for x{n / previous[0]:g} points"
        peak = ", ".join(f"{p:,.0f}" for p in peaks)
        print(
            f"{n:>12,} points: {seconds:8.1f} s ({n / seconds:,.0f} points/s; data ready in "
            f"{made:.0f} s)  peak RSS per worker: {peak} MB{scaling}",
            flush=True,
        )
        previous = (n, seconds)


if __name__ == "__main__":
    main()
