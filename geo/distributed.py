"""Density measures of point data too large for one machine, on a Dask cluster.

:func:`analyse_dask` reads a partitioned GeoParquet folder, or a glob of CSV or Parquet files
with coordinate columns, on a Dask cluster (a scheduler's address, or a local cluster of
worker processes) and returns the :class:`~geo.column_analysis.ColumnAnalysis` of
:func:`~geo.column_analysis.analyse_file` for the same points: the same study area, density,
Clark-Evans statistics, kernel density surface and H3 bins. Dense cores (DBSCAN) and the
listing of each point's neighbours stay in process.

Passes over the data
--------------------
1. Each partition's located rows in lon/lat: count, bounds, centre. The metric CRS follows
   from them as in process (:func:`geo.projection.metric_crs_of_extent`).
2. Each partition projected to ``x``/``y`` metres with its points' Hilbert distance (level
   16 within the data's bounds, as dask-geopandas ``spatial_shuffle`` computes it), then
   shuffled by that distance (``set_index``, as ``spatial_shuffle`` does) into partitions of
   about :data:`PARTITION_ROWS` points, each a compact area, kept on the workers. Only floats
   cross the shuffle: with dask 2026.8 and dask-geopandas 0.5 on a cluster of processes, a
   persisted ``spatial_shuffle`` of the geometries fails (they come back as WKB bytes that
   ``set_geometry`` does not decode).
3. Per partition: count, bounds, mean and squared deviations (combined as Chan et al.), the
   convex hull's vertices, H3 cell counts and the largest nearest-neighbour distance within
   the partition.
4. Per partition: linear binning onto the global density grid, points per grid cell, and
   nearest-neighbour distances with a halo (:func:`nn_with_halo`).

What equals the in-process result
---------------------------------
Counts are integers summed across partitions: points per H3 cell and per grid cell are
exactly equal. The hull of all points is the hull of the partitions' hull vertices, so the
study area is the same polygon (its area equal to rounding); nearest-neighbour distances are
the same per point, so the Clark-Evans statistics agree to rounding (1e-12 relative). The
linearly binned grid is a sum of floating-point weights taken in another order, and the
scott bandwidth comes from combined moments: both agree to about 1e-12 relative.

The ``"silverman"`` bandwidth needs exact quartiles of all points and is refused here.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import h3.api.basic_int as h3int
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError, cKDTree

from geo._csv import _separator
from geo._errors import EngineUnavailableError, InputDataError, ParameterError, clip, quote
from geo.analysis import density_notes
from geo.column_analysis import ColumnAnalysis
from geo.density import Density, clark_evans_stats, nearest_neighbour_distances_xy, study_area_xy
from geo.hexbins import max_sites_per_km2
from geo.kde import (
    GridSpec,
    bandwidth_from_sd,
    grid_spec,
    linear_binning,
    support_m,
    surface_from_binned,
)
from geo.options import AnalysisOptions
from geo.points import ReadOptions, _coordinate_columns
from geo.projection import (
    checked_metric_crs,
    lonlat_arrays,
    metric_crs_of_extent,
    site_points,
    xy_arrays,
)

__all__ = [
    "DaskAnalysis",
    "ShuffledPoints",
    "analyse_dask",
    "analyse_frame",
    "analyse_shuffled",
    "dask_client",
    "nn_with_halo",
    "read_dask",
    "shuffle_points",
]

#: Rows per partition after the spatial shuffle (about 50 MB of x/y on a worker).
PARTITION_ROWS = 1_000_000
#: Level of the Hilbert curve the points are shuffled by (dask-geopandas' default).
HILBERT_LEVEL = 16
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT_S = 10.0
#: Per-partition sums of pass 4: binned grid, points per cell, nearest-neighbour distances.
_Sums: TypeAlias = tuple[np.ndarray | None, np.ndarray | None, float]
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".geoparquet")


def _require_dask() -> None:
    try:
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        msg = f"the dask engine needs the 'dask' extra (pip install 'clustermap[dask]'): {exc}"
        raise EngineUnavailableError(msg) from None


@contextmanager
def dask_client(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    timeout_s: float | None = None,
) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``scheduler`` (``tcp://HOST:PORT``),
    or of a local cluster of ``workers`` processes (one thread each; default 2) started for
    the block and closed after it.

    Raises
    ------
    EngineUnavailableError
        If dask is not installed, or no scheduler answers at ``scheduler`` within
        ``timeout_s`` seconds (default :data:`CONNECT_TIMEOUT_S`).
    """
    _require_dask()
    from distributed import Client, LocalCluster

    if scheduler is not None and workers is not None:
        msg = "give either a scheduler address or a number of workers, not both"
        raise ParameterError(msg)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout_s or CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            msg = f"cannot reach the Dask scheduler {quote(scheduler)}: {clip(exc, limit=120)}"
            raise EngineUnavailableError(msg) from None
        except ValueError as exc:
            msg = f"not a Dask scheduler address: {quote(scheduler)} ({clip(exc, limit=120)})"
            raise ParameterError(msg) from None
        with client:
            yield client
        return
    count = 2 if workers is None else workers
    if count < 1:
        msg = f"--workers must be at least 1, not {count}"
        raise ParameterError(msg)
    with (
        _quiet_scheduler(),
        LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: 8787 may be another cluster's
            memory_limit=memory_limit or "auto",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextmanager
def _quiet_scheduler() -> Iterator[None]:
    """A local scheduler's routine log lines (each shuffle started and ended, a worker's
    closing) at level WARNING or below stay out of the user's terminal."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


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
    _require_dask()
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
        sep = _separator(header)
        columns = [c.strip().strip('"') for c in header.split(sep)]
        reader = dd.read_csv
    else:
        msg = f"the dask engine reads CSV or Parquet files, not {', '.join(sorted(suffixes))}"
        raise InputDataError(msg)
    x, y, crs = _coordinate_columns(
        pd.DataFrame(columns=columns),
        lat=opts.get("lat"),
        lon=opts.get("lon"),
        x=opts.get("x"),
        y=opts.get("y"),
        crs=opts.get("crs"),
    )
    if reader is dd.read_csv:
        frame = dd.read_csv(files, sep=sep, usecols=[x, y], dtype=str, blocksize="64MB")
    else:
        frame = dd.read_parquet(files, columns=[x, y])
    meta = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
    return dask_geopandas.from_dask_dataframe(
        frame.map_partitions(_to_points, x, y, crs, meta=meta)
    )


_SUMMARY_COLUMNS = (
    "rows",
    "n",
    "west",
    "south",
    "east",
    "north",
    "coords",
    "sum_lat",
    "sum_sin",
    "sum_cos",
    "minx",
    "miny",
    "maxx",
    "maxy",
)


def _lonlat_summary(part: gpd.GeoDataFrame) -> pd.DataFrame:
    """Rows, located rows, lon/lat bounds and the coordinate sums that give the centre, as
    :func:`geo.projection.metric_crs` takes them (pass 1)."""
    geoms = part.geometry
    located = geoms[~(geoms.isna() | geoms.is_empty)]
    row: dict[str, float] = {"rows": len(part), "n": len(located)}
    row |= dict.fromkeys(_SUMMARY_COLUMNS[2:], math.nan) | {"coords": 0}
    if len(located):
        row |= dict(zip(("minx", "miny", "maxx", "maxy"), located.total_bounds, strict=True))
        lonlat = located.to_crs(4326)
        west, south, east, north = lonlat.total_bounds
        coords = shapely.get_coordinates(lonlat.values)
        rad = np.radians(coords[:, 0])
        row |= {
            "west": west,
            "south": south,
            "east": east,
            "north": north,
            "coords": len(coords),
            "sum_lat": coords[:, 1].sum(),
            "sum_sin": np.sin(rad).sum(),
            "sum_cos": np.cos(rad).sum(),
        }
    return pd.DataFrame([row])


def _choose_crs(summary: pd.DataFrame, crs: Any) -> pyproj.CRS:
    if crs is not None:
        return checked_metric_crs(crs)
    k = summary["coords"].sum()
    sin, cos = summary["sum_sin"].sum() / k, summary["sum_cos"].sum() / k
    bounds = (
        float(summary["west"].min()),
        float(summary["south"].min()),
        float(summary["east"].max()),
        float(summary["north"].max()),
    )
    centre = (math.degrees(math.atan2(sin, cos)), float(summary["sum_lat"].sum() / k))
    return metric_crs_of_extent(bounds, centre=centre)


def _metric_xy(
    part: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    keep: Sequence[str],
    bounds: tuple[float, float, float, float],
) -> pd.DataFrame:
    """The located points of a partition as ``x``/``y`` metres in ``crs``, with their
    ``hilbert`` distance within the data's ``bounds`` (in the data's CRS) to shuffle them
    by (pass 2)."""
    part = part.reset_index(drop=True)
    points = site_points(part, crs=crs)
    xy = xy_arrays(points)
    located = part.geometry.loc[points.index]
    hilbert = located.hilbert_distance(total_bounds=bounds, level=HILBERT_LEVEL)
    out = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "hilbert": hilbert.to_numpy()})
    for column in keep:
        out[column] = part[column].to_numpy()[points.index.to_numpy()]
    return out


@dataclass(frozen=True)
class PartSummary:
    """What pass 3 learns of one partition: ``n`` points within ``bounds`` (minx, miny,
    maxx, maxy), their mean and sums of squared deviations per axis, hull vertices,
    ``h3`` counts (int cell ids) and the largest distance from a point to its nearest
    neighbour in the partition (``inf`` for a single point)."""

    n: int
    bounds: tuple[float, float, float, float]
    mean: np.ndarray
    m2: np.ndarray
    hull: np.ndarray
    h3: pd.Series
    max_nn_m: float


def _hull_vertices(xy: np.ndarray) -> np.ndarray:
    if len(xy) < 3:
        return xy
    try:
        return xy[ConvexHull(xy).vertices]
    except QhullError:  # on a line: its two ends hold the hull
        order = np.lexsort((xy[:, 1], xy[:, 0]))
        return xy[[order[0], order[-1]]]


def _part_summary(part: pd.DataFrame, crs: pyproj.CRS, hex_res: int | None) -> PartSummary:
    xy = part[["x", "y"]].to_numpy(dtype=float)
    n = len(xy)
    if n == 0:
        empty = np.zeros(2)
        bounds = (math.inf, math.inf, -math.inf, -math.inf)
        return PartSummary(0, bounds, empty, empty, xy, pd.Series([], dtype=np.int64), 0.0)
    mean = xy.mean(axis=0)
    m2 = ((xy - mean) ** 2).sum(axis=0)
    counts: pd.Series = pd.Series([], dtype=np.int64)
    if hex_res is not None:
        points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
        lon, lat = lonlat_arrays(points)
        cells = [
            h3int.latlng_to_cell(a, b, hex_res)
            for a, b in zip(lat.tolist(), lon.tolist(), strict=True)
        ]
        counts = pd.Series(np.asarray(cells, dtype=np.uint64)).value_counts(sort=False)
    dist = nearest_neighbour_distances_xy(xy)
    return PartSummary(
        n=n,
        bounds=(*xy.min(axis=0).tolist(), *xy.max(axis=0).tolist()),
        mean=mean,
        m2=m2,
        hull=_hull_vertices(xy),
        h3=counts,
        max_nn_m=float(np.max(dist)) if n >= 2 else math.inf,
    )


def _inside(part: pd.DataFrame, box: tuple[float, float, float, float]) -> np.ndarray:
    """The x/y of a partition's points inside ``box`` (edges included)."""
    xy = part[["x", "y"]].to_numpy(dtype=float)
    minx, miny, maxx, maxy = box
    keep = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
    return xy[keep]


def nn_with_halo(xy: np.ndarray, halo: Sequence[np.ndarray]) -> np.ndarray:
    """Distance from each point of a partition to its nearest other point of all the data.

    ``halo`` holds the points of the other partitions that lie within ``R`` of the
    partition's bounding box, ``R`` being the largest distance from one of its points to its
    nearest neighbour *within* the partition. That halo holds every true nearest neighbour:

    Let p be a point of the partition A and d its distance to the nearest other point of A,
    so d <= R. A point q outside A is nearer to p than that only if |p - q| < d <= R. p lies
    in A's bounding box, so q lies within R of that box: inside the box widened by R on each
    side, which is where the halo was taken (each other partition B whose own bounding box
    meets the widened box contributes its points inside it; B's box holds q, so B is not
    skipped). So the nearest point of A plus halo is p's nearest point in the data, and its
    distance is exactly the in-process one. A partition of a single point has R infinite and
    takes every other point as its halo.
    """
    dist = nearest_neighbour_distances_xy(xy)
    others = [h for h in halo if len(h)]
    if not others or not len(xy):
        return dist
    tree = cKDTree(np.concatenate(others))
    bound = np.where(np.isfinite(dist), dist, np.inf)
    near = np.full(len(xy), np.inf)
    # a single query with the largest bound would search far for every point: query each
    # point with its own bound (cKDTree takes a scalar bound), grouped by bound scale
    for chunk in _bound_groups(bound):
        near[chunk] = tree.query(xy[chunk], k=1, distance_upper_bound=bound[chunk].max())[0]
    return np.minimum(np.where(np.isnan(dist), np.inf, dist), near)


def _bound_groups(bound: np.ndarray) -> list[np.ndarray]:
    """Indices of ``bound`` grouped so each group's bounds are within a factor 2."""
    order = np.argsort(bound, kind="stable")
    scale = np.floor(np.log2(np.maximum(bound[order], 1e-9)))
    scale[~np.isfinite(scale)] = np.inf
    starts = np.flatnonzero(np.r_[True, scale[1:] != scale[:-1]])
    return np.split(order, starts[1:])


def _part_measures(part: pd.DataFrame, grid: GridSpec | None, *halo: np.ndarray) -> _Sums:
    """Pass 4 on one partition: linearly binned grid and points per grid cell (none
    without a grid), and the sum of nearest-neighbour distances."""
    xs = np.ascontiguousarray(part["x"].to_numpy(dtype=float))
    ys = np.ascontiguousarray(part["y"].to_numpy(dtype=float))
    dist = nn_with_halo(np.column_stack([xs, ys]), halo)
    if grid is None:
        return None, None, float(dist.sum())
    return linear_binning(xs, ys, grid), cell_counts(xs, ys, grid), float(dist.sum())


def _part_distances(part: pd.DataFrame, *halo: np.ndarray) -> pd.DataFrame:
    dist = nn_with_halo(part[["x", "y"]].to_numpy(dtype=float), halo)
    return part.assign(nn_distance_m=dist)


def cell_counts(xs: np.ndarray, ys: np.ndarray, grid: GridSpec) -> np.ndarray:
    """Points per cell of ``grid`` (``(rows, cols)``, row 0 south): the cell whose
    south-west node is the one :func:`geo.kde.linear_binning` counts the point at."""
    nrows, ncols = grid.shape
    ix = ((xs - grid.x0) / grid.cell).astype(np.intp)
    iy = ((ys - grid.y0) / grid.cell).astype(np.intp)
    return np.bincount(iy * ncols + ix, minlength=nrows * ncols).reshape(grid.shape)


@dataclass
class ShuffledPoints:
    """Points spatially shuffled and projected on the cluster (passes 1 to 3).

    ``partitions`` are futures of pandas DataFrames held by the workers: ``x``/``y`` metres
    in ``crs`` (and the kept columns), one spatially compact partition each; ``parts`` are
    their summaries; ``rows`` counts the input rows, located or not. Later passes submit
    tasks on these futures, so nothing is read or shuffled again.
    """

    partitions: list[Any]
    crs: pyproj.CRS
    parts: list[PartSummary]
    rows: int
    hex_res: int | None = None

    @classmethod
    def from_futures(
        cls,
        partitions: list[Any],
        crs: pyproj.CRS,
        *,
        rows: int | None = None,
        hex_res: int | None = None,
    ) -> ShuffledPoints:
        """Summarise each partition (futures of ``x``/``y`` DataFrames in ``crs``, pass 3)."""
        from distributed import get_client

        client = get_client()
        summaries = [client.submit(_part_summary, f, crs, hex_res) for f in partitions]
        parts = list(client.gather(summaries))
        n = sum(p.n for p in parts)
        return cls(partitions, crs, parts, n if rows is None else rows, hex_res)

    @property
    def n_points(self) -> int:
        """Number of located points."""
        return sum(p.n for p in self.parts)

    def halo_boxes(self) -> list[list[tuple[int, tuple[float, float, float, float]]]]:
        """For each partition, the ``(other partition, widened box)`` pairs its halo is
        taken from (see :func:`nn_with_halo`)."""
        out = []
        for a, part in enumerate(self.parts):
            pairs: list[tuple[int, tuple[float, float, float, float]]] = []
            if part.n:
                r = part.max_nn_m
                minx, miny, maxx, maxy = part.bounds
                box = (minx - r, miny - r, maxx + r, maxy + r)
                for b, other in enumerate(self.parts):
                    ob = other.bounds
                    apart = ob[0] > box[2] or ob[2] < box[0] or ob[1] > box[3] or ob[3] < box[1]
                    if b != a and other.n and not apart:
                        pairs.append((b, box))
            out.append(pairs)
        return out

    def _submit(self, func: Any, *args: Any) -> list[Any]:
        """``func(partition, *args, *halo)`` for each partition, as futures."""
        from distributed import get_client

        client = get_client()
        futures = self.partitions
        return [
            client.submit(
                func,
                futures[a],
                *args,
                *(client.submit(_inside, futures[b], box) for b, box in pairs),
            )
            for a, pairs in enumerate(self.halo_boxes())
        ]

    def nn_distances(self) -> pd.DataFrame:
        """The points (gathered to this process) with ``nn_distance_m``, each point's
        distance in metres to its nearest other point."""
        from distributed import get_client

        frames = get_client().gather(self._submit(_part_distances))
        return pd.concat(frames, ignore_index=True)

    def measures(self, grid: GridSpec | None) -> _Sums:
        """Binned grid, points per grid cell and sum of nearest-neighbour distances of all
        the points (pass 4), summed on the workers."""
        from distributed import get_client

        client = get_client()
        tasks = self._submit(_part_measures, grid)
        while len(tasks) > 1:  # pairwise tree sum: no worker holds every partial grid
            paired = [
                client.submit(_add, a, b) for a, b in zip(tasks[::2], tasks[1::2], strict=False)
            ]
            tasks = paired + ([tasks[-1]] if len(tasks) % 2 else [])
        binned, counts, total = tasks[0].result()
        return binned, counts, total


def _add(a: _Sums, b: _Sums) -> _Sums:
    if a[0] is None or b[0] is None or a[1] is None or b[1] is None:
        return None, None, a[2] + b[2]
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def shuffle_points(
    gdf: Any,
    *,
    crs: Any = None,
    npartitions: int | None = None,
    hex_res: int | None = None,
    keep: Sequence[str] = (),
) -> ShuffledPoints:
    """Passes 1 to 3: choose the metric CRS, shuffle the points by Hilbert distance into
    ``npartitions`` partitions (default one per :data:`PARTITION_ROWS` points, at least two
    per worker), project them and summarise each partition.

    ``gdf`` is a :class:`dask_geopandas.GeoDataFrame` (:func:`read_dask`); ``keep`` names
    columns carried along with the coordinates; ``crs`` is the metric CRS (default the
    data's UTM zone, as in process). Needs a current :class:`distributed.Client`.
    """
    from distributed import futures_of, get_client

    try:
        summary = gdf.map_partitions(
            _lonlat_summary, meta=pd.DataFrame(columns=list(_SUMMARY_COLUMNS), dtype=float)
        ).compute()
    except (ValueError, TypeError, OSError) as exc:
        msg = f"cannot read the points: {clip(exc, limit=200)}"
        raise InputDataError(msg) from None
    n = int(summary["n"].sum())
    if n == 0:
        msg = "no located point in the input"
        raise InputDataError(msg)
    metric = _choose_crs(summary, crs)
    if npartitions is None:
        workers = len(get_client().scheduler_info().get("workers", {})) or 1
        npartitions = max(2 * workers, math.ceil(n / PARTITION_ROWS))
    # The shuffle of dask-geopandas' spatial_shuffle (set_index on the Hilbert distance,
    # as geopandas computes it) on projected x/y floats rather than on the geometries:
    # on a process-based cluster, dask 2026.8 with dask-geopandas 0.5 fails to decode the
    # geometries of a persisted spatial_shuffle (they come back as WKB bytes), and floats
    # move through the shuffle at a fraction of the cost.
    empty = pd.Series([], dtype=float)
    hilbert = pd.Series([], dtype=np.uint32)
    columns = {"x": empty, "y": empty, "hilbert": hilbert}
    meta = pd.DataFrame(columns | {c: gdf._meta[c].iloc[:0] for c in keep})
    bounds = (
        float(summary["minx"].min()),
        float(summary["miny"].min()),
        float(summary["maxx"].max()),
        float(summary["maxy"].max()),
    )
    projected = gdf.map_partitions(_metric_xy, metric, tuple(keep), bounds, meta=meta)
    frame = projected.set_index("hilbert", npartitions=npartitions).persist()
    # the persisted partitions in order, as futures: later passes run on them directly
    futures = sorted(futures_of(frame), key=lambda f: f.key[1])
    rows = int(summary["rows"].sum())
    return ShuffledPoints.from_futures(futures, metric, rows=rows, hex_res=hex_res)


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
        ``buffer`` (a polygon study area is not taken here), ``cores`` is not computed.
    crs
        Metric CRS (default: the data's UTM zone).
    """
    opts = options if options is not None else AnalysisOptions()
    return analyse_shuffled(shuffle_points(gdf, crs=crs, hex_res=opts.hex_res), opts)


def analyse_shuffled(points: ShuffledPoints, options: AnalysisOptions) -> DaskAnalysis:
    """The analysis of points already shuffled on the cluster by :func:`shuffle_points`
    (with the H3 resolution of ``options``)."""
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
        cells = pd.concat([p.h3 for p in points.parts]).groupby(level=0).sum()
        bins = pd.DataFrame(
            {"count": cells.to_numpy(dtype=np.int64)},
            index=pd.Index(cells.index.to_numpy(dtype=np.uint64), name="h3_cell"),
        )
        analysis.hexbins = bins.sort_values(["count"], ascending=False, kind="stable")
        analysis.max_sites_per_km2 = max_sites_per_km2(
            bins.index.to_numpy(), bins["count"].to_numpy()
        )
    if points.rows > n:
        analysis.warnings.append(f"{points.rows - n} rows without a location left out")
    if opts.cores is not None:
        analysis.warnings.append("dense cores are not computed by the dask engine")
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
