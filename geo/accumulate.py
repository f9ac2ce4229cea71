"""State summed over the chunks of a point file: coordinates, categories, H3 cell counts
and the lon/lat extent.

Each accumulator takes one chunk at a time (:mod:`geo.columns`). H3 counts are reduced as
they grow, so their memory follows the number of distinct cells, not the number of rows.
The coordinates of the measured rows are kept (float64, 16 bytes a point): the
nearest-neighbour statistics need every point in one k-d tree.

H3 cells of a chunk are computed by ``h3ronpy`` (vectorised, Arrow-native): on a million
Lambert-93 points it takes about half the time of h3-py called per point with integer
cells (and a fifth of h3-py's string API), with the same cells (tests compare them).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj

from geo._threads import map_parts

__all__ = ["Categories", "CellCounts", "Coordinates", "LonLatExtent", "h3_cells"]

#: Pending (cell, category) rows above which :class:`CellCounts` sums what it holds.
_REDUCE_ROWS = 4_000_000
#: Cells of category 0 kept uncounted at most (8 bytes each) before :class:`CellCounts`
#: counts them.
_RAW_ROWS = 1 << 24
#: Points a thread gives H3 cells at least (fewer: one thread).
_H3_PART = 16_384


def h3_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """The H3 cell (as an unsigned 64-bit index) of each lat/lon in degrees."""
    from h3ronpy.vector import coordinates_to_cells

    lat = np.ascontiguousarray(lat, dtype=float)
    lon = np.ascontiguousarray(lon, dtype=float)
    out = np.empty(len(lat), dtype=np.uint64)

    def run(part: slice) -> None:  # h3ronpy releases the GIL: the parts run on every core
        cells = coordinates_to_cells(lat[part], lon[part], resolution)
        out[part] = pa.array(cells).to_numpy(zero_copy_only=False)

    if len(lat):
        map_parts(run, len(lat), min_part=_H3_PART)
    return out


class Coordinates:
    """The float64 coordinates of the measured rows, chunk after chunk."""

    def __init__(self) -> None:
        self._x: list[np.ndarray] = []
        self._y: list[np.ndarray] = []

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Keep the coordinates of one chunk."""
        self._x.append(np.asarray(x, dtype=float))
        self._y.append(np.asarray(y, dtype=float))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every kept x and y, each as one contiguous array (the chunks are released)."""
        x = np.concatenate(self._x) if self._x else np.empty(0)
        self._x = []
        y = np.concatenate(self._y) if self._y else np.empty(0)
        self._y = []
        return x, y


class Categories:
    """Category labels coded 0, 1, 2 ... in order of first appearance across chunks."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self._parts: list[np.ndarray] = []

    def add(self, labels: pa.Array) -> np.ndarray:
        """Code one chunk's labels, keep and return the codes."""
        encoded = labels.dictionary_encode()
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        lookup = np.array(
            [
                self.codes.setdefault(str(v), len(self.codes))
                for v in encoded.dictionary.to_pylist()
            ],
            dtype=np.int32,
        )
        indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        codes = lookup[indices] if len(lookup) else np.empty(0, dtype=np.int32)
        self._parts.append(codes)
        return codes

    @property
    def names(self) -> list[str]:
        """The labels, by code."""
        return list(self.codes)

    def array(self) -> np.ndarray:
        """The code of every kept row, in order."""
        return np.concatenate(self._parts) if self._parts else np.empty(0, dtype=np.int32)


class CellCounts:
    """Row counts per (H3 cell, category code), summed over chunks.

    Without categories the chunks' cells are kept as they come and counted together, by
    one sort, when they pass :data:`_RAW_ROWS` (and at the end), the counts so far merged
    in; with categories, pandas groups each chunk by both and sums the groups as they grow.
    """

    def __init__(self) -> None:
        self._raw: list[np.ndarray] = []
        self._raw_rows = 0
        self._cells: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._pending = 0

    def add(self, cells: np.ndarray, codes: np.ndarray | None = None) -> None:
        """Count one chunk's rows (category 0 for all when ``codes`` is None)."""
        if len(cells) == 0:
            return
        if codes is None:
            self._raw.append(np.asarray(cells, dtype=np.uint64))
            self._raw_rows += len(cells)
            if self._raw_rows > _RAW_ROWS:
                self._count_raw()
            return
        frame = pd.DataFrame({"cell": cells, "category": codes})
        sizes = frame.groupby(["cell", "category"], sort=False).size()
        self._append(
            sizes.index.get_level_values(0).to_numpy(dtype=np.uint64),
            sizes.index.get_level_values(1).to_numpy(dtype=np.int32),
            sizes.to_numpy(),
        )

    def _count_raw(self) -> None:
        """Count the kept cells of category 0 (sorted, as ``np.unique`` counts them)."""
        raw = np.concatenate(self._raw)
        self._raw, self._raw_rows = [], 0
        raw.sort()
        first = _run_starts(raw)
        ids = raw[first]
        counts = np.diff(np.append(first, len(raw)))
        del raw
        self._append(ids, np.zeros(len(ids), dtype=np.int32), counts)

    def _append(self, cells: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> None:
        self._cells.append(cells)
        self._codes.append(codes)
        self._counts.append(counts.astype(np.int64))
        self._pending += len(cells)
        if self._pending > _REDUCE_ROWS and len(self._cells) > 1:
            self._reduce()

    def _reduce(self) -> None:
        cells, codes = np.concatenate(self._cells), np.concatenate(self._codes)
        counts = np.concatenate(self._counts)
        if not codes.any():
            edges = np.cumsum([len(c) for c in self._cells])[:-1]
            ids = _sorted_unique(cells)
            total = np.zeros(len(ids), dtype=np.int64)
            parts = zip(np.split(cells, edges), np.split(counts, edges), strict=True)
            for part, part_counts in parts:
                total[np.searchsorted(ids, part)] += part_counts  # a part's cells are unique
            self._cells, self._codes = [ids], [np.zeros(len(ids), dtype=np.int32)]
            self._counts = [total]
        else:
            frame = pd.DataFrame({"cell": cells, "category": codes, "count": counts})
            sums = frame.groupby(["cell", "category"], sort=False)["count"].sum()
            self._cells = [sums.index.get_level_values(0).to_numpy(dtype=np.uint64)]
            self._codes = [sums.index.get_level_values(1).to_numpy(dtype=np.int32)]
            self._counts = [sums.to_numpy(dtype=np.int64)]
        self._pending = len(self._cells[0])

    def frame(self) -> pd.DataFrame:
        """Long-form counts: columns ``cell`` (uint64), ``category`` (int32), ``count``."""
        if self._raw:
            self._count_raw()
        if len(self._cells) > 1:  # one part is summed already
            self._reduce()
        return pd.DataFrame(
            {
                "cell": self._cells[0] if self._cells else np.empty(0, np.uint64),
                "category": self._codes[0] if self._cells else np.empty(0, np.int32),
                "count": self._counts[0] if self._cells else np.empty(0, np.int64),
            }
        )


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    return np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by one sort (numpy 2's ``unique`` of a million cells takes
    several times as long)."""
    ordered = np.sort(values)
    return ordered[_run_starts(ordered)]


class LonLatExtent:
    """Bounds and centre of lon/lat points, as :func:`geo.projection.metric_crs` needs them."""

    def __init__(self) -> None:
        self.west = self.south = math.inf
        self.east = self.north = -math.inf
        self.sin = self.cos = self.lat = 0.0
        self.n = 0

    def add(self, lon: np.ndarray, lat: np.ndarray) -> None:
        """Extend by one chunk's points (degrees)."""
        if len(lon) == 0:
            return
        self.west, self.east = min(self.west, float(lon.min())), max(self.east, float(lon.max()))
        self.south, self.north = (
            min(self.south, float(lat.min())),
            max(self.north, float(lat.max())),
        )
        radians = np.radians(lon)
        self.sin += float(np.sin(radians).sum())
        self.cos += float(np.cos(radians).sum())
        self.lat += float(lat.sum())
        self.n += len(lon)

    def metric_crs(self, *, source: pyproj.CRS | None = None) -> pyproj.CRS:
        """The metric CRS :func:`geo.projection.metric_crs` picks for these points, read in
        the CRS ``source``."""
        from geo.projection import metric_crs_of_extent

        centre_lon = math.degrees(math.atan2(self.sin / self.n, self.cos / self.n))
        return metric_crs_of_extent(
            (self.west, self.south, self.east, self.north),
            centre=(centre_lon, self.lat / self.n),
            source=source,
        )
