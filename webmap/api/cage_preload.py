"""What the upload cage's forkserver imports before it forks any child (:mod:`webmap.api.cage`).

Importing this module has effects, on purpose, in the forkserver only (never import it
elsewhere): it lowers the process's CPU priority (its children inherit it, so serving pages
comes before reading uploads), counts one CPU (``os.cpu_count()``), sets one BLAS thread
and Arrow's system allocator (mimalloc would reserve 1 GB of the child's address space)
before numpy and pyarrow load, then locks GDAL down to the drivers uploads need, with its
network settings (:func:`geo.points.gdal_environment`, :func:`geo.points.restrict_drivers`),
imports the readers and measures, and measures a tiny upload once, so that each child
starts with everything loaded and can use no other GDAL driver.
"""

from __future__ import annotations

import os

os.nice(10)  # the forkserver and every cage yield the CPU to serving requests
# one core per cage, seen by every library as it loads (geo's kernels, scipy's workers=-1):
# no worker thread, which a child at its address-space limit could not start
os.cpu_count = lambda: 1
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"

import geopandas  # noqa: E402, F401 - preloaded for the children
import pyarrow  # noqa: E402

from geo.points import gdal_environment, restrict_drivers  # noqa: E402

# GDAL is loaded by now: the allow-list goes into the environment (for anything started
# from here) and unloads every other driver from this process, before any child forks
os.environ.update(gdal_environment())
restrict_drivers()

import webmap.api.uploads_api  # noqa: E402

pyarrow.set_cpu_count(1)
pyarrow.set_io_thread_count(1)


def _warm() -> None:
    """Measure a tiny upload once, so the lazy imports and PROJ's database (opened read-only)
    are ready in every child instead of costing each child half a second."""
    rows = "".join(f"{52 + i / 1000:.4f};{4.35 + (i * 7 % 11) / 1000:.4f}\n" for i in range(30))
    job = webmap.api.uploads_api.UploadJob(f"lat;lon\n{rows}".encode(), {}, name="warm.csv")
    webmap.api.uploads_api.measure_upload(job)


_warm()
