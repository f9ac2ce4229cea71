"""The reading pass of :mod:`geo.column_analysis`: a point file's chunks -> the kept rows'
coordinates, their ``by`` category codes and their H3 counts (see that module's doc).

For each chunk: the rows that pass the ``where`` filters (and lie inside a polygon study
area), their float64 coordinates in the file's CRS, their category codes, and, when H3
cells or the choice of the metric CRS need them, their lon/lat (one ``Transformer`` to
EPSG:4326), their extent and their cells, summed per (cell, category) and, for location
quotients, per cell over every row of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj

from geo._memory import release_memory
from geo.accumulate import Categories, CellCounts, Coordinates, LonLatExtent, h3_cells
from geo.columns import ColumnReader
from geo.density import AreaClip
from geo.projection import transform_xy
from geo.selection import Selection, check_columns

__all__ = ["Kept", "OnRead", "project_kept", "read_pass"]

#: Called after each chunk with (rows read, bytes read, file size in bytes).
OnRead = Callable[[int, int, int], None]
_WGS84 = pyproj.CRS.from_epsg(4326)
#: Chunks read between two returns of freed memory to the system.
_RELEASE_CHUNKS = 8


@dataclass
class Kept:
    """What the reading pass (:func:`_read`) keeps: coordinates (file CRS), category codes
    and H3 counts."""

    name: str
    crs: pyproj.CRS
    x: np.ndarray
    y: np.ndarray
    codes: np.ndarray | None
    labels: list[str]
    counts: pd.DataFrame | None
    reference: pd.Series | None
    extent: LonLatExtent
    n_rows: int
    n_outside: int = 0


def read_pass(
    reader: ColumnReader,
    selection: Selection,
    *,
    hex_res: int | None,
    lonlat_needed: bool,
    on_read: OnRead | None,
    clip: AreaClip | None = None,
) -> Kept:
    """The reading pass (see the module doc); with ``clip``, the rows outside the polygon
    study area are left out of everything, the location quotients' reference too."""
    check_columns(reader.columns, selection)
    where, by = selection.where, selection.by
    geographic = reader.crs.is_geographic
    need_lonlat = lonlat_needed or hex_res is not None
    reference_needed = hex_res is not None and (bool(where) or by is not None)
    coords, categories = Coordinates(), Categories()
    counts, reference, extent = CellCounts(), CellCounts(), LonLatExtent()
    rows = outside = 0
    for done, chunk in enumerate(reader.chunks(), start=1):
        rows += len(chunk.x)
        inside = None if clip is None else clip.contains_xy(chunk.x, chunk.y, crs=reader.crs)
        keep: np.ndarray | slice = slice(None)  # every row, without copies
        if where or inside is not None:
            mask = np.ones(len(chunk.x), dtype=bool)
            for w in where:
                mask &= w.mask(chunk.values[w.column])
            if inside is not None:
                outside += int((mask & ~inside).sum())
                mask &= inside
            keep = mask
        coords.add(chunk.x[keep], chunk.y[keep])
        codes = None
        if by is not None:
            labels = by.labels(chunk.values[by.column])
            masked = isinstance(keep, np.ndarray)
            codes = categories.add(labels.filter(pa.array(keep)) if masked else labels)
            selection.check_categories(len(categories.codes))
        if need_lonlat:
            lon, lat = (
                (chunk.x, chunk.y)
                if geographic
                else transform_xy(chunk.x, chunk.y, source=reader.crs, target=_WGS84)
            )
            if lonlat_needed:  # the metric CRS is chosen from the extent
                extent.add(lon[keep], lat[keep])
            if hex_res is not None:
                cells = h3_cells(lat, lon, hex_res)
                counts.add(cells[keep], codes)
                if reference_needed and where:
                    reference.add(cells if inside is None else cells[inside])
        if on_read is not None:
            on_read(rows, chunk.bytes_read, reader.total_bytes)
        if done % _RELEASE_CHUNKS == 0:
            release_memory()
    release_memory()
    x, y = coords.arrays()
    count_frame = counts.frame() if hex_res is not None else None
    totals = None
    if reference_needed and count_frame is not None:
        if where:
            ref = reference.frame()
            totals = pd.Series(ref["count"].to_numpy(), index=ref["cell"].to_numpy())
        else:
            totals = count_frame.groupby("cell", sort=False)["count"].sum()
    return Kept(
        name=reader.name,
        crs=reader.crs,
        x=x,
        y=y,
        codes=categories.array() if by is not None else None,
        labels=categories.names,
        counts=count_frame,
        reference=totals,
        extent=extent,
        n_rows=rows,
        n_outside=outside,
    )


def project_kept(data: Kept, metric: pyproj.CRS) -> None:
    """Project the kept coordinates to ``metric`` in place, on every core."""
    if data.crs.equals(metric):
        return
    transform_xy(data.x, data.y, source=data.crs, target=metric, inplace=True)
