"""How many bytes of memory a cached value holds, for caches bounded in bytes.

:func:`estimate_bytes` walks what the app caches: response bodies (bytes), JSON-like
bodies (dicts, lists, strings, numbers), dataclasses (map data), numpy arrays,
and (Geo)DataFrames. A DataFrame counts ``memory_usage(deep=True)``; shapely geometries
count their Python object plus 16 bytes per coordinate (``deep=True`` sees only the
object, not the GEOS coordinates behind it). Shared objects are counted once.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np

__all__ = ["estimate_bytes"]

_COORD_BYTES = 16  # two float64 per coordinate (GEOS also keeps a little per geometry)


def _geometry_bytes(values: np.ndarray) -> int:
    import shapely

    geoms = values[shapely.is_geometry(values)]
    if len(geoms) == 0:
        return 0
    coords = int(shapely.get_num_coordinates(geoms).sum())
    return coords * _COORD_BYTES + 100 * len(geoms)


def _frame_bytes(frame: Any) -> int:
    total = int(frame.memory_usage(deep=True, index=True).sum())
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or str(column.dtype) == "geometry":
            total += _geometry_bytes(np.asarray(column.to_numpy(), dtype=object))
    return total


def estimate_bytes(value: Any) -> int:
    """An estimate of the memory held by ``value`` and what it refers to, in bytes."""
    import pandas as pd

    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, bool | int | float):
            total += 0 if item is None or isinstance(item, bool) else sys.getsizeof(item)
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, bytes | bytearray | str):
            total += sys.getsizeof(item)
        elif isinstance(item, pd.DataFrame | pd.Series):
            frame = item.to_frame() if isinstance(item, pd.Series) else item
            total += _frame_bytes(frame)
        elif isinstance(item, np.ndarray):
            total += item.nbytes + 112
            if item.dtype == object:
                total += _geometry_bytes(item.ravel())
        elif isinstance(item, dict):
            total += sys.getsizeof(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += sys.getsizeof(item)
            stack.extend(item)
        elif dataclasses.is_dataclass(item):
            total += sys.getsizeof(item)
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        else:
            total += sys.getsizeof(item)
    return total
