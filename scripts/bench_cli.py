"""Benchmark the command line's start-up: ``clustermap --help`` and ``clustermap clusters``.

python scripts/bench_cli.py [--repeat 15] [--ref REV]

Each command runs ``--repeat`` times in a fresh interpreter; the script prints the median
wall time and its ratio to ``python -c pass`` measured in the same run. With ``--ref REV``
the same commands also run from a ``git worktree`` of that revision, for a before/after
comparison on the same machine and load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5


def median_time(argv: list[str], *, repeat: int, cwd: Path) -> float:
    """Median wall time of ``argv`` run ``repeat`` times (after one warm-up run)."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(tree: Path, *, repeat: int, label: str, baseline: float) -> None:
    """Print the start-up times of the CLI of the source tree ``tree``."""
    for args in (["--help"], ["clusters"]):
        seconds = median_time([sys.executable, "-m", "webmap", *args], repeat=repeat, cwd=tree)
        verdict = "ok" if seconds < TARGET_S else f"over {TARGET_S} s"
        print(
            f"{label:<8} clustermap {' '.join(args):<10} {seconds * 1000:7.0f} ms  "
            f"{seconds / baseline:5.1f}x python -c pass  ({verdict})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--ref", default=None, help="also time this git revision")
    args = parser.parse_args()
    baseline = median_time([sys.executable, "-c", "pass"], repeat=args.repeat, cwd=ROOT)
    print(f"python -c pass: {baseline * 1000:.0f} ms (median of {args.repeat})")
    if args.ref:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "ref"
            subprocess.run(
                ["git", "worktree", "add", "--detach", "-q", str(tree), args.ref],
                cwd=ROOT,
                check=True,
            )
            try:
                measure(tree, repeat=args.repeat, label=args.ref[:8], baseline=baseline)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    measure(ROOT, repeat=args.repeat, label="now", baseline=baseline)


if __name__ == "__main__":
    main()
