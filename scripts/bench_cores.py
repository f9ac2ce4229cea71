"""Benchmark the grid DBSCAN of the dense cores against scikit-learn's DBSCAN.

python scripts/bench_cores.py [--sizes 25000,50000,100000] [--eps 200] [--min-samples 3]
                              [--rows 1000000]

For each size N, takes the N rows nearest the centre of Paris of a SIRENE-shaped register of
``--rows`` rows (``scripts/make_register.py``, seed 1, Lambert-93 metres, cached in the
system's temporary folder): a dense register, where scikit-learn's neighbour lists grow
with the density. It runs, each in its own process, ``geo.dbscan.dbscan_grid`` and scikit-learn's
``DBSCAN`` on the same points (after the same reading), printing the wall and CPU time of
the clustering call alone, the peak RSS of each process (from ``os.wait4``), ratios, and
whether the two agree (same core points, same partition of the core points, same noise).
A process that only reads the points (and imports both libraries) gives the baseline both
include: the memory columns are each run's peak RSS above it.
The defaults are ``clustermap density``'s on a national register (eps 200 m, and
``min_samples`` 3, what ``auto`` gives at a country's mean density). The figures are ratios
measured in one run on a shared machine: other processes compete for the CPU.
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

RUN = """
import sys
import numpy as np
from sklearn.cluster import DBSCAN  # every run imports both: the baseline holds them
from geo.dbscan import dbscan_grid
path, eps, min_samples, method, out = sys.argv[1:]
import time
xy = np.load(path)
cpu, wall = time.process_time(), time.perf_counter()
if method == "read":
    labels = core = np.zeros(0)
elif method == "grid":
    found = dbscan_grid(xy, eps=float(eps), min_samples=int(min_samples))
    labels, core = found.labels, found.core
else:
    fit = DBSCAN(eps=float(eps), min_samples=int(min_samples)).fit(xy)
    labels, core = fit.labels_, np.zeros(len(xy), dtype=bool)
    core[fit.core_sample_indices_] = True
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
np.savez(out, labels=labels, core=core, seconds=np.array([wall, cpu]))
"""


def register(rows: int) -> Path:
    """The cached register of at least ``rows`` rows."""
    path = Path(tempfile.gettempdir()) / f"bench-cores-sirene-{rows}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "make_register.py"), str(rows),
             "-o", str(partial), "--seed", "1"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        partial.rename(path)
    return path


def nearest_paris(path: Path, sizes: list[int], folder: Path) -> dict[int, Path]:
    """The ``n`` rows nearest the centre of Paris, for each size, as ``.npy`` files (so that
    each run reads its points without the CSV reader's memory)."""
    import numpy as np
    import pyarrow.csv as pc

    table = pc.read_csv(
        path,
        parse_options=pc.ParseOptions(delimiter=";"),
        convert_options=pc.ConvertOptions(include_columns=["x", "y"]),
    )
    xy = np.column_stack([table["x"].to_numpy(), table["y"].to_numpy()])
    xy = xy[np.argsort(np.hypot(xy[:, 0] - 652_000.0, xy[:, 1] - 6_862_000.0))]
    files = {}
    for n in sizes:
        files[n] = folder / f"paris-{n}.npy"
        np.save(files[n], xy[:n])
    return files


def run(*args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one clustering process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", RUN, *args], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        msg = f"the {args[3]} run failed with status {status}"
        raise RuntimeError(msg)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def seconds(out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the clustering call alone (without start-up and reading)."""
    import numpy as np

    wall, cpu = np.load(out)["seconds"]
    return float(wall), float(cpu)


def agree(grid: Path, sklearn: Path) -> bool:
    """Same core points, same partition of the core points, same noise."""
    import numpy as np

    a, b = np.load(grid), np.load(sklearn)
    if not (a["core"] == b["core"]).all() or not ((a["labels"] < 0) == (b["labels"] < 0)).all():
        return False
    core = a["core"]
    pairs = set(zip(a["labels"][core].tolist(), b["labels"][core].tolist(), strict=True))
    return (
        len(pairs) == len(set(a["labels"][core].tolist())) == len(set(b["labels"][core].tolist()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--eps", type=float, default=200.0)
    parser.add_argument("--min-samples", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    path = register(args.rows)
    print(
        f"eps {args.eps:g} m, min_samples {args.min_samples}; N rows of {path.name} nearest Paris"
    )
    print(
        "| points | peak RSS reading only | grid DBSCAN (call; peak RSS over reading) "
        "| scikit-learn DBSCAN "
        "| CPU ratio | memory over reading, ratio | agree |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        points = nearest_paris(path, sizes, Path(tmp))
        for n in sizes:
            out = {m: Path(tmp) / f"{m}-{n}.npz" for m in ("grid", "sklearn")}
            common = (str(points[n]), str(args.eps), str(args.min_samples))
            base = run(*common, "read", str(Path(tmp) / "read.npz"))
            g = run(*common, "grid", str(out["grid"]))
            s = run(*common, "sklearn", str(out["sklearn"]))
            grid_mb, sklearn_mb = g[2] - base[2], s[2] - base[2]
            ratio = f"{sklearn_mb / grid_mb:.1f}x less" if grid_mb > 0 else "n/a"
            (gw, gc), (sw, sc) = seconds(out["grid"]), seconds(out["sklearn"])
            print(
                f"| {n:,} | {base[2]:,.0f} MB "
                f"| {gw:.2f} s ({gc:.2f} s CPU), +{grid_mb:,.0f} MB "
                f"| {sw:.2f} s ({sc:.2f} s CPU), +{sklearn_mb:,.0f} MB "
                f"| {sc / gc:.1f}x less CPU | {ratio} "
                f"| {'yes' if agree(out['grid'], out['sklearn']) else 'NO'} |"
            )


if __name__ == "__main__":
    main()
