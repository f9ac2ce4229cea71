"""Point files as lazy dask-geopandas frames: a (Geo)Parquet folder, or a glob of CSV or
Parquet files with coordinate columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.csv_reader import detect_separator
from geo.distributed.scheduler import require_dask
from geo.errors import InputDataError, quote
from geo.points import ReadOptions, coordinate_columns

__all__ = ["read_dask"]

_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".geoparquet")


def _files(path: str | Path) -> list[str]:
    text = str(path)
    if Path(text).is_dir():
        files = sorted(
            str(f) for f in Path(text).rglob("*") if f.suffix.lower() in _PARQUET_SUFFIXES
        )
        if not files:
            msg = f"no Parquet file in the folder {quote(text)}"
            raise InputDataError(msg)
        return files
    anchor = Path(text).anchor
    pattern = text[len(anchor) :] if anchor else text
    files = sorted(str(f) for f in Path(anchor or ".").glob(pattern)) if pattern else []
    if not files:
        msg = f"no file matches {quote(text)}"
        raise InputDataError(msg)
    return files


def _numbers(column: pd.Series) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(column):
        column = column.astype(str).str.replace(",", ".", regex=False)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def _to_points(frame: pd.DataFrame, x: str, y: str, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """Point geometries from coordinate columns (text read with decimal commas, as
    :func:`geo.points.read_points` reads them); rows missing a coordinate get none."""
    xs, ys = (_numbers(frame[column]) for column in (x, y))
    points = gpd.points_from_xy(xs, ys)
    points[~(np.isfinite(xs) & np.isfinite(ys))] = None
    return gpd.GeoDataFrame(geometry=points, index=frame.index, crs=crs)


def read_dask(path: str | Path, *, read: ReadOptions | None = None) -> Any:
    """The points of ``path`` as a lazy :class:`dask_geopandas.GeoDataFrame`.

    Parameters
    ----------
    path
        A folder of (Geo)Parquet files (a partitioned dataset), or a file name or glob
        pattern of CSV or Parquet files.
    read
        ``lat``/``lon`` or ``x``/``y`` column names and the ``crs`` of those columns, as
        :func:`geo.points.read_points` takes them (columns found by name by default);
        GeoParquet files carry their own geometry and CRS.
    """
    require_dask()
    import dask.dataframe as dd
    import dask_geopandas
    import pyarrow.parquet as pq

    opts = read or {}
    files = _files(path)
    suffixes = {Path(f).suffix.lower() for f in files}
    if suffixes <= set(_PARQUET_SUFFIXES):
        schema = pq.read_schema(files[0])
        if b"geo" in (schema.metadata or {}):
            return dask_geopandas.read_parquet(files)
        columns = schema.names
        reader = dd.read_parquet
    elif suffixes <= set(_CSV_SUFFIXES):
        with Path(files[0]).open(encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline().rstrip("\r\n")
        sep = detect_separator(header)
        columns = [c.strip().strip('"') for c in header.split(sep)]
        reader = dd.read_csv
    else:
        msg = f"the dask engine reads CSV or Parquet files, not {', '.join(sorted(suffixes))}"
        raise InputDataError(msg)
    x, y, crs = coordinate_columns(columns, opts)
    if reader is dd.read_csv:
        frame = dd.read_csv(files, sep=sep, usecols=[x, y], dtype=str, blocksize="64MB")
    else:
        frame = dd.read_parquet(files, columns=[x, y])
    meta = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
    return dask_geopandas.from_dask_dataframe(
        frame.map_partitions(_to_points, x, y, crs, meta=meta)
    )
