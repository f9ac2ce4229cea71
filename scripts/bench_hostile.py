"""Time and peak memory of the upload reader on issue 18's hostile files, in a fresh
process each, for one checkout of clustermap or two (before and after a change).

python scripts/bench_hostile.py                       # this checkout
python scripts/bench_hostile.py --before /work/main   # and another one, for comparison
python scripts/bench_hostile.py --only gdalg,csv-1.5M --limit-gb 6

Each file is made by :mod:`scripts.hostile_files` and read as ``POST /api/analyze`` reads it
(:func:`geo.points.read_points_bytes` with the default upload limits, and the web's
``attributes``/``max_chars`` where the checkout has them); ``by`` files are then grouped
(:func:`geo.column_analysis.analyse_frame`). The child runs under an address-space limit
(``--limit-gb``) and a wall-clock limit (``--timeout``); a child stopped by either is
reported as such. Peak memory is the child's maximum resident set (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import hostile_files  # noqa: E402

MIB = 1 << 20

#: The reading of one file in a child process: argv = path, file name, by spec or "".
CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
path, filename, by = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
from geo.points import ReadOptions, read_points_bytes
options = {"max_points": 2_000_000, "max_bytes": 256 << 20}
new = "attributes" in ReadOptions.__annotations__
if new:
    options.update(attributes=[by.split(":")[0]] if by else [], max_chars=200)
start = time.perf_counter()
try:
    points = read_points_bytes(data, filename=filename, **options)
    outcome = f"read {len(points):,} points"
    if by:
        from geo.column_analysis import analyse_frame
        from geo.options import AnalysisOptions
        from geo.selection import Selection, parse_by
        extra = {"max_categories": 1_000} if new and "web" in filename else {}
        selection = Selection(by=parse_by(by), **extra)
        # the attack is the grouping: cores left out on both checkouts (the old one's
        # scikit-learn DBSCAN would time its own memory, not the grouping's)
        analysis = analyse_frame(points, AnalysisOptions(cores=None, hex_res=8),
                                 selection=selection, name=filename)
        outcome += f", {len(analysis.per_category):,} categories measured"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:150]}"
print(json.dumps({"seconds": time.perf_counter() - start, "outcome": outcome}))
"""


def _gdalg(folder: Path) -> bytes:
    secret = folder / "secret.csv"
    secret.write_text("lat,lon,name\n52.0,4.3,TOPSECRET-bench\n", encoding="utf-8")
    return hostile_files.gdalg_json(secret)


#: name -> (file name, by spec, maker of the bytes given a scratch folder)
ATTACKS: dict[str, tuple[str, str, Callable[[Path], bytes]]] = {
    "gdalg": ("up.geojson", "", _gdalg),
    "zip-lying-1.94GB": (
        "bomb.zip",
        "",
        lambda _: hostile_files.zip_lying_sizes(declared=100_000_000, real=1_940_000_000),
    ),
    "dbf-honest-175MB": (
        "wide.zip",
        "",
        lambda _: hostile_files.shapefile_zip(700_000, fields=25, width=10),
    ),
    "gpkg-zeroblob-60M": ("line.gpkg", "", lambda _: hostile_files.gpkg_zeroblob_view(60_000_000)),
    "gpkg-view-2M": ("view.gpkg", "", lambda _: hostile_files.gpkg_points_view(2_000_000)),
    "parquet-labels": (
        "labels.parquet",
        "",
        lambda _: hostile_files.parquet_long_labels(200_000, chars=2_000),
    ),
    "csv-1.5M-columns": ("wide.csv", "", lambda _: hostile_files.wide_csv(1_500_000)),
    "csv-300k-columns": ("wide.csv", "", lambda _: hostile_files.wide_csv(300_000)),
    "by-200k-web": ("web.csv", "cat", lambda _: hostile_files.categories_csv(200_000)),
    "by-200k-cli": ("cli.csv", "cat", lambda _: hostile_files.categories_csv(200_000)),
    "by-huge-N": ("web.csv", "cat:9223372036854775808", lambda _: hostile_files.categories_csv(10)),
}


def run(tree: Path, path: Path, filename: str, by: str, *, limit_gb: float, timeout: float) -> str:
    """Read ``path`` with the checkout ``tree`` in a child process; one line of results."""

    def limit() -> None:
        size = int(limit_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), filename, by],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=limit,
    )
    timer = threading.Timer(timeout, lambda: child.send_signal(signal.SIGKILL))
    start = time.perf_counter()
    timer.start()
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    timer.cancel()
    wall = time.perf_counter() - start
    peak = f"peak {usage.ru_maxrss / 1024:7.0f} MB"
    if out.strip():
        result = json.loads(out)
        return f"{result['seconds']:8.2f} s  {peak}  {result['outcome']}"
    if wall >= timeout:
        return f"{wall:8.2f} s  {peak}  stopped after the {timeout:.0f} s limit"
    return f"{wall:8.2f} s  {peak}  died (exit {child.returncode}) under {limit_gb:g} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--only", help="comma-separated attack names (default: all)")
    parser.add_argument("--limit-gb", type=float, default=6.0)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(ATTACKS)
    trees = [("before", args.before), ("after", ROOT)] if args.before else [("this", ROOT)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in names:
            filename, by, make = ATTACKS[name]
            data = make(folder)
            path = folder / "upload"
            path.write_bytes(data)
            print(f"{name} ({len(data) / MIB:.2f} MB{', by=' + by if by else ''})", flush=True)
            for label, tree in trees:
                line = run(tree, path, filename, by, limit_gb=args.limit_gb, timeout=args.timeout)
                print(f"  {label:<6} {line}", flush=True)


if __name__ == "__main__":
    main()
