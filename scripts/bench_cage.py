"""What the upload cage costs: one upload measured in a caged child against the same
measure in the server's own process (today's way before the cage), in the same run.

python scripts/bench_cage.py [--repeat 5]

For a 30-point and a 10,000-point CSV it prints the median seconds of
:func:`webmap.api.uploads_api.measure_upload` called in this process (warm: imports done),
through :meth:`webmap.api.cage.Cage.run` (a fresh forked child per upload, limits and
network namespace included), and in a fresh Python per upload (``python -c``), which is
what the forkserver avoids; then the ratios and the cage's overhead in milliseconds.
Last, the peak address space (``VmPeak``, what ``UPLOAD_MEMORY_BYTES`` bounds) of a child
measuring ``--peak-points`` points, against the address space a child starts with.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from webmap.api.cage import Cage, CageLimits
from webmap.api.uploads_api import UploadJob, measure_upload

MIB = 1024 * 1024
FRESH = (
    "import sys; from webmap.api.uploads_api import UploadJob, measure_upload; "
    "measure_upload(UploadJob(sys.stdin.buffer.read(), {}, name='u.csv'))"
)


def _csv(n: int) -> bytes:
    rng = np.random.default_rng(1)
    lat, lon = 52.0 + rng.normal(0, 0.05, n), 4.35 + rng.normal(0, 0.05, n)
    return (
        "lat;lon\n" + "".join(f"{a:.6f};{b:.6f}\n" for a, b in zip(lat, lon, strict=True))
    ).encode()


def peak_address_space(job: UploadJob | None) -> int:
    """Measure ``job`` (if any) in this process; its peak address space in bytes."""
    if job is not None:
        measure_upload(job)
    with Path("/proc/self/status").open() as status:
        line = next(row for row in status if row.startswith("VmPeak:"))
    return int(line.split()[1]) * 1024


def _median(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median)")
    parser.add_argument("--peak-points", type=int, default=100_000, help="points (peak)")
    args = parser.parse_args()
    cage = Cage(CageLimits(memory_bytes=1536 * MIB, cpu_seconds=40, wall_seconds=120))
    cage.start()
    for n in (30, 10_000):
        job = UploadJob(_csv(n), {}, name="u.csv")
        measure_upload(job)  # warm this process's imports
        cage.run(measure_upload, job)  # and the forkserver
        here = _median(lambda job=job: measure_upload(job), args.repeat)
        caged = _median(lambda job=job: cage.run(measure_upload, job), args.repeat)
        fresh = _median(
            lambda job=job: subprocess.run(
                [sys.executable, "-c", FRESH], input=job.data, check=True
            ),
            args.repeat,
        )
        print(
            f"{n:>6} points: in process {here:.3f} s, caged {caged:.3f} s "
            f"({caged / here:.2f}x, +{(caged - here) * 1000:.0f} ms), "
            f"fresh python {fresh:.3f} s ({fresh / here:.2f}x)"
        )
    start = cage.run(peak_address_space, None)
    job = UploadJob(_csv(args.peak_points), {}, name="u.csv")
    peak = cage.run(peak_address_space, job)
    print(
        f"address space of a child: {start / MIB:.0f} MB at start, {peak / MIB:.0f} MB at the "
        f"peak of {args.peak_points:,} points"
    )


if __name__ == "__main__":
    main()
