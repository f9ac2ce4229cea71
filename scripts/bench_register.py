"""Benchmark ``clustermap density`` on a business register: wall time and peak memory.

python scripts/bench_register.py [--cache DIR] [--rows 10000000] [--small 1000000]
                                 [--against /work/main]

Generates SIRENE-shaped registers with ``scripts/make_register.py`` (cached in ``--cache``,
default a folder of the system's temporary directory) and runs, each in its own process
(wall time from start to exit, peak RSS from ``os.wait4``):

* today's path at ``--small`` rows: ``geo.points.read_points`` (one shapely Point per row,
  then ``to_crs``) + ``geo.analysis.analyse_points``, the code ``clustermap density`` ran
  before the columnar path, against ``clustermap density`` on the same CSV;
* ``clustermap density`` at ``--rows`` rows, CSV and GeoParquet, with its defaults (the
  CSV's ``--crs EPSG:2154`` only says what its ``x;y`` are; the metric CRS is then the
  file's own Lambert-93, which stretches France less than the UTM zone), and GeoParquet
  with the UTM zone named (``--metric-crs EPSG:32631``, the default before: a second
  projection of every point);
* ``--by activitePrincipaleEtablissement:2`` (the 88 NAF divisions: counts, density,
  Clark-Evans and location quotients per division) against one unfiltered run of the same
  file.

With ``--against DIR`` each ``clustermap density`` run is repeated, just after, on the code
of the checkout ``DIR`` (its ``PYTHONPATH``), and the ratios printed.

Each run prints its wall time, its CPU time (user + system, which other processes on the
machine inflate less than the wall time) and its peak RSS.

Every run computes ``clustermap density``'s defaults: the kernel density, H3 counts
(resolution 9), Clark-Evans and the dense cores (grid DBSCAN, eps 200 m, min_samples auto).
The figures are ratios measured in one run on a shared
machine: other processes compete for the CPU, so absolute times vary between runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAF = "activitePrincipaleEtablissement"

TODAY = """
import sys
from geo.analysis import analyse_points
from geo.options import AnalysisOptions
from geo.points import read_points
gdf = read_points(sys.argv[1], crs="EPSG:2154")
analyse_points(gdf, AnalysisOptions()).to_dict()
"""


def register(cache: Path, rows: int, fmt: str) -> Path:
    """The cached register of ``rows`` rows in ``fmt``, written if missing."""
    path = cache / f"sirene-{rows}.{fmt}"
    if not path.exists():
        partial = path.with_suffix(".partial")
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "make_register.py"), str(rows),
             "-o", str(partial), "--format", fmt, "--seed", "1"],
            check=True,
        )  # fmt: skip
        partial.rename(path)
    return path


def run(command: list[str], *, tree: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one process, run on
    the code of ``tree`` (a checkout of clustermap)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=tree, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        msg = f"{' '.join(command)} failed with status {status}"
        raise RuntimeError(msg)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def density(path: Path, *extra: str) -> list[str]:
    """The ``clustermap density`` command of one run."""
    crs = ["--crs", "EPSG:2154"] if path.suffix == ".csv" else []
    return [sys.executable, "-m", "webmap", "density", str(path), *crs, "--json", *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_cache = Path(tempfile.gettempdir()) / "bench-register"
    parser.add_argument("--cache", type=Path, default=default_cache)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        help="another checkout (e.g. /work/main): each columnar run is repeated on its code",
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    small = register(args.cache, args.small, "csv")
    big_csv = register(args.cache, args.rows, "csv")
    big_parquet = register(args.cache, args.rows, "parquet")
    utm = ("--metric-crs", "EPSG:32631")
    runs = {
        f"today's path, {args.small:,} rows CSV": [sys.executable, "-c", TODAY, str(small)],
        f"columnar, {args.small:,} rows CSV": density(small),
        f"defaults, {args.rows:,} rows CSV": density(big_csv),
        f"defaults, {args.rows:,} rows GeoParquet": density(big_parquet),
        f"UTM 31N named, {args.rows:,} rows GeoParquet": density(big_parquet, *utm),
        f"--by NAF:2 (88 divisions), {args.rows:,} rows GeoParquet": density(
            big_parquet, "--by", f"{NAF}:2"
        ),
    }
    figures = {}
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, command in runs.items():
        seconds, cpu, peak = run(command)
        figures[label] = (seconds, cpu, peak)
        print(f"{label:<58} {seconds:7.2f} s (CPU {cpu:6.2f} s)  peak {peak:6.0f} MB", flush=True)
        if args.against is not None and command[1:3] == ["-m", "webmap"]:
            was_s, was_cpu, was_peak = run(command, tree=args.against.resolve())
            print(
                f"{'  the same on ' + str(args.against):<58} {was_s:7.2f} s (CPU {was_cpu:6.2f} s)"
                f"  peak {was_peak:6.0f} MB: {was_s / seconds:.2f}x the wall time, "
                f"{was_cpu / cpu:.2f}x the CPU",
                flush=True,
            )
    (old_s, _, old_mb), (new_s, _, new_mb) = list(figures.values())[:2]
    print(f"at {args.small:,} rows: {old_s / new_s:.1f}x faster, {old_mb / new_mb:.1f}x lighter")
    one, by = figures[list(runs)[3]], figures[list(runs)[5]]
    print(f"--by 88 divisions: {by[0] / one[0]:.2f}x the time of one unfiltered run")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
