"""Points shuffled by Hilbert distance into compact partitions held on the workers, their
summaries, and the nearest-neighbour search with a halo (passes 1 to 4 of
:mod:`geo.distributed`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import h3.api.basic_int as h3int
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import ConvexHull, QhullError, cKDTree

from geo.density import nearest_neighbour_distances_xy
from geo.errors import InputDataError, clip
from geo.kde import GridSpec, linear_binning
from geo.projection import (
    checked_metric_crs,
    lonlat_arrays,
    metric_crs_of_extent,
    site_points,
    xy_arrays,
)

__all__ = [
    "PARTITION_ROWS",
    "PartSummary",
    "PassSums",
    "ShuffledPoints",
    "cell_counts",
    "nn_with_halo",
    "shuffle_points",
]

#: Rows per partition after the spatial shuffle (about 50 MB of x/y on a worker).
PARTITION_ROWS = 1_000_000
#: Level of the Hilbert curve the points are shuffled by (dask-geopandas' default).
HILBERT_LEVEL = 16


@dataclass(frozen=True)
class PassSums:
    """The sums of pass 4 (of a partition, or of all): the linearly binned grid and the
    points per grid cell (None without a grid), and the nearest-neighbour distances."""

    binned: np.ndarray | None
    counts: np.ndarray | None
    nn_sum_m: float


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


def _choose_crs(summary: pd.DataFrame, crs: Any, *, source: Any) -> pyproj.CRS:
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
    return metric_crs_of_extent(bounds, centre=centre, source=source)


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


def _part_measures(part: pd.DataFrame, grid: GridSpec | None, *halo: np.ndarray) -> PassSums:
    """Pass 4 on one partition: linearly binned grid and points per grid cell (none
    without a grid), and the sum of nearest-neighbour distances."""
    xs = np.ascontiguousarray(part["x"].to_numpy(dtype=float))
    ys = np.ascontiguousarray(part["y"].to_numpy(dtype=float))
    dist = nn_with_halo(np.column_stack([xs, ys]), halo)
    if grid is None:
        return PassSums(None, None, float(dist.sum()))
    return PassSums(linear_binning(xs, ys, grid), cell_counts(xs, ys, grid), float(dist.sum()))


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

    def measures(self, grid: GridSpec | None) -> PassSums:
        """Binned grid, points per grid cell and sum of nearest-neighbour distances of all
        the points (pass 4), summed on the workers."""
        from distributed import get_client

        sums: PassSums = _merged(get_client(), self._submit(_part_measures, grid), _add)
        return sums

    def reduce(self, kernel: Callable[[np.ndarray], Any], merge: Callable[[Any, Any], Any]) -> Any:
        """``kernel`` of each partition's x/y (``(n, 2)``, maybe empty), merged in pairs on
        the workers with ``merge`` (a :class:`geo.measures.Chunks` measure)."""
        from distributed import get_client

        client = get_client()
        tasks = [client.submit(_part_kernel, f, kernel) for f in self.partitions]
        return _merged(client, tasks, merge)


def _part_kernel(part: pd.DataFrame, kernel: Callable[[np.ndarray], Any]) -> Any:
    return kernel(part[["x", "y"]].to_numpy(dtype=float))


def _merged(client: Any, tasks: list[Any], merge: Callable[[Any, Any], Any]) -> Any:
    """The tasks' results merged in pairs on the workers: no worker holds every partial."""
    while len(tasks) > 1:
        paired = [client.submit(merge, a, b) for a, b in zip(tasks[::2], tasks[1::2], strict=False)]
        tasks = paired + ([tasks[-1]] if len(tasks) % 2 else [])
    return tasks[0].result()


def _add(a: PassSums, b: PassSums) -> PassSums:
    total = a.nn_sum_m + b.nn_sum_m
    if a.binned is None or b.binned is None or a.counts is None or b.counts is None:
        return PassSums(None, None, total)
    return PassSums(a.binned + b.binned, a.counts + b.counts, total)


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
    columns carried along with the coordinates; ``crs`` is the metric CRS (default
    :func:`geo.projection.metric_crs_of_extent`, as in process). Needs a current
    :class:`distributed.Client`.
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
    metric = _choose_crs(summary, crs, source=gdf.crs)
    if npartitions is None:
        workers = len(get_client().scheduler_info().get("workers", {})) or 1
        npartitions = max(2 * workers, math.ceil(n / PARTITION_ROWS))
    # The shuffle of dask-geopandas' spatial_shuffle (set_index on the Hilbert distance,
    # as geopandas computes it) on projected x/y floats rather than on the geometries:
    # floats move through the shuffle at a fraction of the cost, and a persisted
    # spatial_shuffle of the geometries failed here (module doc).
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
