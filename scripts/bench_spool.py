"""What a spooled upload costs: a SIRENE-shaped register measured and tile-indexed in the
spool cage, as ``POST /api/analyze`` does with a body above ``MAX_CONTENT_LENGTH``.

python scripts/bench_spool.py 1000000 5000000 [--memory-mib 2048]

For each size it writes a register (``scripts/make_register.py``, EPSG:2154 CSV), copies it
into a spool folder, and runs :func:`webmap.api.spool.measure_spooled` in a
:class:`webmap.api.cage.Cage` with the default spool limits (``UPLOAD_SPOOL_MEMORY_BYTES``,
``UPLOAD_SPOOL_SECONDS``). It prints the file's bytes, the wall-clock seconds, the child's
peak address space (``VmPeak``, what the cage's limit bounds) and peak resident memory
(``VmHWM``), against the address space a child starts with, and the tile index's bytes.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.make_register import write_register
from webmap.api.cage import Cage, CageLimits
from webmap.api.spool import SpoolJob, measure_spooled
from webmap.config import SETTINGS

MIB = 1024 * 1024
DEFAULTS = {s.name: s.default for s in SETTINGS}


def _status() -> dict[str, int]:
    with Path("/proc/self/status").open() as status:
        rows = [r.split() for r in status if r.startswith(("VmPeak", "VmHWM"))]
    return {r[0].rstrip(":"): int(r[1]) * 1024 for r in rows}


def _start() -> dict[str, int]:
    """A child's memory before it reads anything."""
    return _status()


def _measured(job: SpoolJob) -> dict[str, Any]:
    """The spool cage's work, and the child's peaks once done."""
    result = measure_spooled(job)
    return {"result": result, **_status()}


def main() -> None:
    """Measure each size given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+", help="register rows")
    parser.add_argument(
        "--memory-mib", type=int, default=DEFAULTS["UPLOAD_SPOOL_MEMORY_BYTES"] // MIB
    )
    args = parser.parse_args()
    seconds = DEFAULTS["UPLOAD_SPOOL_SECONDS"]
    cage = Cage(
        CageLimits(
            memory_bytes=args.memory_mib * MIB,
            cpu_seconds=seconds,
            wall_seconds=seconds,
            file_bytes=1 << 34,
            settings=("UPLOAD_SPOOL_MEMORY_BYTES", "UPLOAD_SPOOL_SECONDS", "UPLOAD_SPOOL_SECONDS"),
        )
    )
    start = cage.run(_start)
    print(f"a child starts with VmPeak {start['VmPeak'] / MIB:,.0f} MiB")
    print(f"limit: {args.memory_mib:,} MiB of address space, {seconds} s")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "register.csv"
            write_register(source, n, seed=1)
            folder = Path(tmp) / "spool" / "job"
            folder.mkdir(parents=True)
            shutil.copy(source, folder / "upload.csv")
            began = time.perf_counter()
            out = cage.run(
                _measured,
                SpoolJob(str(folder), "upload.csv", {"x": "x", "y": "y", "crs": "EPSG:2154"}),
            )
            wall = time.perf_counter() - began
            analysis = out["result"]
            index = sum(p.stat().st_size for p in (folder / "points").iterdir())
            print(
                f"{n:>10,} rows, {source.stat().st_size / MIB:,.0f} MiB CSV: {wall:.1f} s, "
                f"VmPeak {out['VmPeak'] / MIB:,.0f} MiB, VmHWM {out['VmHWM'] / MIB:,.0f} MiB, "
                f"index {index / MIB:,.0f} MiB, "
                f"{analysis.measures['density']['n_points']:,} points measured"
            )


if __name__ == "__main__":
    main()
