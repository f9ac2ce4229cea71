"""The analysis of points on a cluster, assembled from the partitions' summaries as the
in-process :class:`~geo.column_analysis.ColumnAnalysis`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.column_analysis import ColumnAnalysis
from geo.distributed.partitions import PartSummary, PassSums, ShuffledPoints, shuffle_points
from geo.distributed.read import read_dask
from geo.distributed.scheduler import dask_client
from geo.errors import InputDataError, ParameterError
from geo.kde import (
    GridSpec,
    KDESurface,
    bandwidth_from_sd,
    grid_spec,
    support_m,
    surface_from_binned,
)
from geo.measures import Chunks
from geo.options import AnalysisOptions
from geo.points import ReadOptions
from geo.recipe import refuse_all_points, run_measures

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
    _, m2 = _moments(points.parts)
    n = points.n_points
    if n < 2:
        msg = "the scott rule needs at least two points; give a bandwidth in metres"
        raise InputDataError(msg)
    sx, sy = np.sqrt(m2 / (n - 1))
    return bandwidth_from_sd(float(sx), float(sy), n, rule="scott", kernel=options.kernel), "scott"


@dataclass(frozen=True)
class _Grid:
    """The density grid of the points, with the bandwidth and its rule."""

    spec: GridSpec
    bandwidth_m: float
    rule: str


def _grid(points: ShuffledPoints, options: AnalysisOptions) -> _Grid:
    """The density grid of the points (``InputDataError`` when there is none: the kernel
    density measure notes why, as in process)."""
    bandwidth, rule = _bandwidth(points, options)
    lo = np.min([p.bounds[:2] for p in points.parts], axis=0)
    hi = np.max([p.bounds[2:] for p in points.parts], axis=0)
    spec = grid_spec(
        (*lo.tolist(), *hi.tolist()),
        support_m=support_m(options.kernel, bandwidth),
        cell_m=options.cell_m,
    )
    return _Grid(spec, bandwidth, rule)


@dataclass
class _OnCluster:
    """The :class:`~geo.measures.Points` of points shuffled on a cluster: what the
    partitions' summaries know, and pass 4 (binned grid, points per grid cell and the sum
    of nearest-neighbour distances, with halos) run once for every measure that reads it."""

    points: ShuffledPoints
    options: AnalysisOptions
    engine: str = "dask"
    polygon: Any = None
    index: Any = None
    _pass4: PassSums | None = None
    _grid: _Grid | InputDataError | None = None

    @property
    def crs(self) -> Any:
        """The metric CRS the points were projected to."""
        return self.points.crs

    @property
    def n(self) -> int:
        """Number of located points."""
        return self.points.n_points

    def xy(self) -> np.ndarray:
        """Never: the points stay on the cluster (:func:`refuse_all_points` refused it)."""
        msg = "the dask engine keeps the points on the cluster"
        raise ParameterError(msg)

    def hull_vertices(self) -> np.ndarray:
        """Each partition's hull vertices: their hull is the hull of all the points."""
        return np.concatenate([p.hull for p in self.points.parts if p.n])

    def grid(self) -> _Grid:
        """The density grid, computed once (its error kept for the kernel density)."""
        if self._grid is None:
            try:
                self._grid = _grid(self.points, self.options)
            except InputDataError as exc:
                self._grid = exc
        if isinstance(self._grid, InputDataError):
            raise self._grid
        return self._grid

    def sums(self) -> PassSums:
        """Pass 4, once: binned grid, grid counts (None without a grid), sum of distances."""
        if self._pass4 is None:
            try:
                spec: GridSpec | None = self.grid().spec
            except InputDataError:
                spec = None
            self._pass4 = self.points.measures(spec)
        return self._pass4

    @property
    def grid_counts(self) -> np.ndarray | None:
        """The points per grid cell, once pass 4 ran with a grid."""
        return None if self._pass4 is None else self._pass4.counts

    def mean_nn_distance_m(self) -> float:
        """The partitions' sums of nearest-neighbour distances (with halos), over ``n``."""
        return self.sums().nn_sum_m / self.n

    def kde_surface(self) -> KDESurface:
        """The surface of the partitions' binned grids, summed."""
        grid = self.grid()
        binned = self.sums().binned
        assert binned is not None  # pass 4 had the grid
        return surface_from_binned(
            binned,
            grid.spec,
            kernel=self.options.kernel,
            bandwidth_m=grid.bandwidth_m,
            bandwidth_rule=grid.rule,
            n_points=self.n,
            crs=self.crs,
        )

    def hexagons(self, resolution: int) -> pd.Series:
        """The partitions' points per H3 cell, summed."""
        return pd.concat([p.h3 for p in self.points.parts]).groupby(level=0).sum()

    def reduce(self, chunks: Chunks[Any]) -> Any:
        """A :class:`~geo.measures.Chunks` measure: one partial a partition, merged in
        pairs on the workers."""
        return self.points.reduce(chunks.kernel, chunks.merge)


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
        ``buffer`` (a polygon study area is not taken here); the measures that need every
        point at once (:class:`~geo.measures.AllPoints`, e.g. dense cores: ``cores`` must
        be None) run in process: :class:`~geo.errors.ParameterError` otherwise.
    crs
        Metric CRS (default: :func:`geo.projection.metric_crs_of_extent`).
    """
    opts = options if options is not None else AnalysisOptions()
    _refuse(opts)
    return analyse_shuffled(shuffle_points(gdf, crs=crs, hex_res=opts.hex_res), opts)


def _refuse(options: AnalysisOptions) -> None:
    """Refuse, before any work, what the engine cannot do: the measures that need every
    point in one array, and a bandwidth rule that needs exact quartiles."""
    refuse_all_points(options, engine="dask")
    if isinstance(options.bandwidth, str) and options.bandwidth != "scott":
        msg = (
            f"the {options.bandwidth} bandwidth needs exact quartiles of all the points; "
            "with the dask engine use scott or a bandwidth in metres"
        )
        raise ParameterError(msg)


def analyse_shuffled(points: ShuffledPoints, options: AnalysisOptions) -> DaskAnalysis:
    """The analysis of points already shuffled on the cluster by :func:`shuffle_points`
    (with the H3 resolution of ``options``): the registered measures
    (:func:`geo.recipe.run_measures`) on the partitions."""
    _refuse(options)
    if options.hex_res != points.hex_res:
        msg = f"the points were counted in H3 cells of resolution {points.hex_res}"
        raise ParameterError(msg)
    n = points.n_points
    analysis = DaskAnalysis(
        options=options,
        crs=points.crs,
        points=gpd.GeoSeries([], crs=points.crs),
        n=n,
        n_rows=points.rows,
    )
    view = _OnCluster(points, options)
    run_measures(analysis, view, step=lambda _stage: None)
    analysis.grid_counts = view.grid_counts
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
        Metric CRS (default: :func:`geo.projection.metric_crs_of_extent`).

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
