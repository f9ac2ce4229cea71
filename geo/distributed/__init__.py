"""Density measures of point data too large for one machine, on a Dask cluster.

:func:`analyse_dask` reads a partitioned GeoParquet folder, or a glob of CSV or Parquet files
with coordinate columns, on a Dask cluster (a scheduler's address, or a local cluster of
worker processes) and returns the :class:`~geo.column_analysis.ColumnAnalysis` of
:func:`~geo.column_analysis.analyse_file` for the same points: the same study area, density,
Clark-Evans statistics, kernel density surface and H3 bins. Dense cores (DBSCAN) and the
listing of each point's neighbours stay in process: options asking for cores are refused
(:func:`geo.dbscan.dbscan_grid` holds ten million points in about a gigabyte in process;
an exact DBSCAN across partitions would need a halo of ``eps`` and a merge of the
clusters that cross partition edges).

Passes over the data
--------------------
1. Each partition's located rows in lon/lat: count, bounds, centre. The metric CRS follows
   from them as in process (:func:`geo.projection.metric_crs_of_extent`).
2. Each partition projected to ``x``/``y`` metres with its points' Hilbert distance (level
   16 within the data's bounds, as dask-geopandas ``spatial_shuffle`` computes it), then
   shuffled by that distance (``set_index``, as ``spatial_shuffle`` does) into partitions of
   about :data:`PARTITION_ROWS` points, each a compact area, kept on the workers. Only floats
   cross the shuffle, at a fraction of the geometries' cost; with dask 2026.8 and
   dask-geopandas 0.5 on a cluster of processes, this engine's first version, which
   persisted a ``spatial_shuffle`` of the geometries, failed on 1,000,000 points read from
   one file (WKB bytes reaching ``set_geometry`` after the shuffle).
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

from geo.distributed.driver import DaskAnalysis, analyse_dask, analyse_frame, analyse_shuffled
from geo.distributed.partitions import ShuffledPoints, nn_with_halo, shuffle_points
from geo.distributed.read import read_dask
from geo.distributed.scheduler import dask_client

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
