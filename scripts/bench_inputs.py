"""Benchmark the refusal of hostile inputs and the cost of the checks on honest ones.

python scripts/bench_inputs.py                  # refusals, and a 1,000,000-row CSV read
python scripts/bench_inputs.py --before 300000  # also pandas alone (the former loader) on
                                                # a first row of that many commas: slow

* ragged CSV: a first data row of N commas under a 3-column header (refused, line 2);
* Parquet bomb: 10,000,000 identical points, dictionary-encoded (refused from metadata);
* honest CSV: 1,000,000 rows read by :func:`geo.csv_reader.read_csv_bytes` (row check, then
  pandas) against pandas alone.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.csv_reader import read_csv_bytes
from geo.errors import ClustermapError
from geo.points import read_points_bytes
from scripts.hostile_files import parquet_bomb


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, func: Callable[[], Any]) -> None:
    """Run ``func`` once; print its time, outcome and the process's peak memory so far."""
    start = time.perf_counter()
    try:
        func()
        outcome = "read"
    except (ClustermapError, pd.errors.ParserError) as exc:
        outcome = f"refused: {str(exc)[:70]}"
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:9.4f} s  peak {_peak_mb():7.0f} MB  {outcome}")


def ragged(n: int) -> bytes:
    """A 3-column CSV whose first data row holds ``n`` commas."""
    return b"lat,lon,name\n" + b"," * n + b"\n52.0,4.3,a\n"


def honest_csv(n: int) -> bytes:
    """``n`` rows of id, lat, lon, name."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "lat": rng.normal(52.0, 0.05, n).round(6),
            "lon": rng.normal(4.37, 0.05, n).round(6),
            "name": [f"site {i}" for i in range(n)],
        }
    )
    return frame.to_csv(index=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=int, default=0, help="commas for pandas alone")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the honest CSV")
    args = parser.parse_args()

    for n in (300_000, 19_000_000):
        data = ragged(n)
        timed(f"ragged CSV, {n:,} commas", partial(read_points_bytes, data, filename="r.csv"))
    if args.before:
        data = ragged(args.before)
        timed(
            f"pandas alone, {args.before:,} commas",
            lambda: pd.read_csv(io.BytesIO(data), sep=",", low_memory=False),
        )
    bomb = parquet_bomb(10_000_000)
    print(f"Parquet bomb: {len(bomb):,} bytes")
    timed(
        "Parquet bomb, 10,000,000 points",
        lambda: read_points_bytes(bomb, filename="b.parquet", max_points=2_000_000),
    )
    data = honest_csv(args.rows)
    print(f"honest CSV: {args.rows:,} rows, {len(data) / 1e6:.1f} MB")
    timed("pandas alone", lambda: pd.read_csv(io.BytesIO(data), low_memory=False))
    timed("read_csv_bytes (row check + pandas)", lambda: read_csv_bytes(data, name="h.csv"))


if __name__ == "__main__":
    main()
