"""The analysis of points on a cluster, assembled from the partitions' summaries as the
in-process :class:`~geo.column_analysis.ColumnAnalysis`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis import density_notes
from geo.column_analysis import ColumnAnalysis
from geo.density import Density, clark_evans_stats, study_area_xy
from geo.distributed.dask_client import dask_client
from geo.distributed.partitions import PartSummary, ShuffledPoints, shuffle_points
from geo.distributed.read import read_dask
from geo.errors import InputDataError, ParameterError
from geo.kde import (
    GridSpec,
    bandwidth_from_sd,
    grid_spec,
    support_m,
    surface_from_binned,
)
from geo.options import AnalysisOptions
from geo.points import ReadOptions

__all__ = ["DaskAnalysis", "analyse_dask", "analyse_frame", "analyse_shuffled"]


def _moments(parts: Sequence[PartSummary]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sum of squared deviations of all points from the partitions' (Chan et al.
    1979: pairwise combination, exact up to rounding)."""
    full = [p for p in parts if p.n]
    n = sum(p.n for p in full)
    mean = sum(p.n * p.mean for p in full) / n
    m2 = sum(p.m2 + p.n * (p.mean - mean) ** 2 for p in full)
    return np.asarray(mean), np.asarray(m2)


@dataclass
class DaskAnalysis(ColumnAnalysis):
    """The :class:`~geo.column_analysis.ColumnAnalysis` of points analysed on a cluster
    (the same JSON as in process): the points stay on the cluster, ``points`` is empty and
    ``n`` counts them; ``grid_counts`` holds the points per cell of the density grid (row 0
    south).
    """

    grid_counts: np.ndarray | None = None


def _bandwidth(points: ShuffledPoints, options: AnalysisOptions) -> tuple[float, str]:
    if not isinstance(options.bandwidth, str):
        return float(options.bandwidth), "fixed"
    if options.bandwidth != "scott":
        msg = (
            f"the {options.bandwidth} bandwidth needs exact quartiles of all the points; "
            "with the dask engine use scott or a bandwidth in metres"
        )
        raise ParameterError(msg)
    _, m2 = _moments(points.parts)
    n = points.n_points
    if n < 2:
        msg = "the scott rule needs at least two points; give a bandwidth in metres"
        raise InputDataError(msg)
    sx, sy = np.sqrt(m2 / (n - 1))
    return bandwidth_from_sd(float(sx), float(sy), n, rule="scott", kernel=options.kernel), "scott"


def _grid(
    points: ShuffledPoints, options: AnalysisOptions, notes: list[str]
) -> tuple[GridSpec, float, str] | None:
    """The density grid, bandwidth and rule of the points, or ``None`` with a note why
    there is no density surface (as in process)."""
    try:
        bandwidth, rule = _bandwidth(points, options)
        lo = np.min([p.bounds[:2] for p in points.parts], axis=0)
        hi = np.max([p.bounds[2:] for p in points.parts], axis=0)
        spec = grid_spec(
            (*lo.tolist(), *hi.tolist()),
            support_m=support_m(options.kernel, bandwidth),
            cell_m=options.cell_m,
        )
    except InputDataError as exc:
        notes.append(f"no kernel density: {exc}")
        return None
    return spec, bandwidth, rule


def analyse_frame(
    gdf: Any, options: AnalysisOptions | None = None, *, crs: Any = None
) -> DaskAnalysis:
    """The analysis of a lazy point frame (:func:`read_dask`) on the current Dask client.

    Parameters
    ----------
    gdf
        A :class:`dask_geopandas.GeoDataFrame` of points (footprints count by centroid).
    options
        As in :func:`~geo.analysis.analyse_points`; the study area is ``hull``, ``bbox`` or
        ``buffer`` (a polygon study area is not taken here); ``cores`` must be None (dense
        cores run in process: :class:`~geo.errors.ParameterError` otherwise).
    crs
        Metric CRS (default: the data's UTM zone).
    """
    opts = options if options is not None else AnalysisOptions()
    _refuse_cores(opts)
    return analyse_shuffled(shuffle_points(gdf, crs=crs, hex_res=opts.hex_res), opts)


def _refuse_cores(options: AnalysisOptions) -> None:
    """Dense cores run in process (:func:`geo.dbscan.dbscan_grid`): refuse them here."""
    if options.cores is not None:
        msg = "the dask engine computes no dense cores: set cores to none (they run in process)"
        raise ParameterError(msg)


def analyse_shuffled(points: ShuffledPoints, options: AnalysisOptions) -> DaskAnalysis:
    """The analysis of points already shuffled on the cluster by :func:`shuffle_points`
    (with the H3 resolution of ``options``)."""
    _refuse_cores(options)
    if options.hex_res != points.hex_res:
        msg = f"the points were counted in H3 cells of resolution {points.hex_res}"
        raise ParameterError(msg)
    opts = options
    n = points.n_points
    vertices = np.concatenate([p.hull for p in points.parts if p.n])
    region = study_area_xy(vertices, area=opts.area, buffer_m=opts.buffer_m, crs=points.crs)
    notes: list[str] = []
    grid = _grid(points, opts, notes)
    binned, counts, nn_sum = points.measures(grid[0] if grid else None)
    density = Density(
        n_points=n,
        area_method=region.method,
        area_km2=region.area_km2,
        sites_per_km2=n / region.area_km2 if region.area_km2 > 0 else math.nan,
        crs=points.crs.to_string(),
    )
    analysis = DaskAnalysis(
        options=opts,
        crs=points.crs,
        points=gpd.GeoSeries([], crs=points.crs),
        density=density,
        clark_evans=clark_evans_stats(nn_sum / n if n else math.nan, n, region.area_km2 * 1e6),
        n=n,
        n_rows=points.rows,
        grid_counts=counts,
    )
    density_notes(analysis, n)
    if grid is not None and binned is not None:
        spec, bandwidth, rule = grid
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            analysis.surface = surface_from_binned(
                binned,
                spec,
                kernel=opts.kernel,
                bandwidth_m=bandwidth,
                bandwidth_rule=rule,
                n_points=n,
                crs=points.crs,
            )
        notes.extend(str(w.message) for w in caught)
    analysis.warnings.extend(notes)
    if opts.hex_res is not None:
        analysis.set_hex_counts(pd.concat([p.h3 for p in points.parts]).groupby(level=0).sum())
    if points.rows > n:
        analysis.warnings.append(f"{points.rows - n} rows without a location left out")
    return analysis


def analyse_dask(
    path: str | Path,
    options: AnalysisOptions | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    read: ReadOptions | None = None,
    crs: Any = None,
) -> DaskAnalysis:
    """Every density measure of the points in ``path``, computed on a Dask cluster.

    Parameters
    ----------
    path
        A partitioned (Geo)Parquet folder, or a file name or glob of CSV or Parquet files.
    options
        The analysis options (see :func:`analyse_frame` for what the engine leaves out).
    scheduler
        Address of a running scheduler (``tcp://HOST:PORT``); by default a local cluster of
        ``workers`` processes (default 2) is started for the run.
    read
        How to find the coordinates (see :func:`read_dask`).
    crs
        Metric CRS (default: the data's UTM zone).

    Raises
    ------
    EngineUnavailableError
        Dask is not installed or the scheduler does not answer.
    InputDataError
        No file matches ``path``, or the files hold no located point.
    """
    gdf = read_dask(path, read=read)
    with dask_client(scheduler=scheduler, workers=workers):
        return analyse_frame(gdf, options, crs=crs)
