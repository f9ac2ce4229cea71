"""Writing files so that a failure never leaves a half-written one behind.

A file is written to a temporary name in the target's folder, then moved onto the target
with :func:`os.replace` (atomic on POSIX). The temporary file is created with the usual
``open`` mode, so the result has the permissions the user's umask gives any new file
(``0644`` by default), not the ``0600`` of :func:`tempfile.mkstemp`. GDAL names a layer
after its file, so vector files name theirs after the target (:func:`write_frame`), never
after the temporary name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # the target's suffix is kept, for writers that choose a format from the name
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}{target.suffix}")
    try:
        yield tmp
        tmp.replace(target)  # atomic, like os.replace
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write(target: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write ``target`` through ``write(handle)`` atomically (temp file, then ``os.replace``)."""
    with atomic_path(target) as tmp, tmp.open("wb") as handle:
        write(handle)


def write_text(target: Path, text: str) -> None:
    """Write UTF-8 text to ``target`` atomically."""
    atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))


def write_frame(frame: gpd.GeoDataFrame, target: Path, *, driver: str = "GeoJSON") -> None:
    """Write a GeoDataFrame to ``target`` atomically, its layer named after the target's
    stem (``hex.geojson`` -> ``"hex"``), not after the temporary file GDAL writes first."""
    with atomic_path(target) as tmp:
        frame.to_file(tmp, driver=driver, layer=target.stem)
