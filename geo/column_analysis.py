"""Density measures of a point file read as columns: ``clustermap density`` on any size.

:func:`analyse_file` reads a file in chunks (:mod:`geo.columns`), keeps the rows that pass
the ``--where`` filters (:mod:`geo.selection`) and computes the measures of
:func:`geo.analysis.analyse_points` on arrays, with no geometry object per point. Its
:class:`ColumnAnalysis` gives the same JSON (``clustermap.point_measures/1``), with the
filters, the per-category measures of ``--by`` and the location quotients added.

Two passes
----------
1. *Reading* (:mod:`geo.column_read`). For each chunk: the rows' lon/lat (one
   ``Transformer`` to EPSG:4326, when H3 cells or the choice of the metric CRS need them),
   their H3 cells, summed per (cell, category) and, for location quotients, per cell
   over every row of the file; the float64 coordinates of the kept rows, their category
   codes, their lon/lat extent.
2. *Measuring.* The metric CRS is chosen from that extent as :func:`geo.projection.metric_crs`
   chooses it (or is the one given), the kept coordinates are projected in place with one
   ``Transformer``, and the registered measures (:mod:`geo.measures`, run by
   :func:`geo.recipe.run_measures`) read the arrays: the study area (hull, bbox, buffer or
   polygon), Clark-Evans over one k-d tree, the kernel density binned a million points at
   a time into its grid (whose extent and bandwidth needed the whole first pass).

Memory is the kept coordinates (16 bytes a point, which the nearest-neighbour statistic
needs in one tree) plus the grid and the H3 counts, which follow the number of cells.
Per-point nearest-neighbour lists (``PointAnalysis.neighbours``) are not made: no output
of ``clustermap density`` shows them. Dense cores read the arrays too
(:func:`geo.dbscan.dbscan_grid`, memory proportional to the points); the hexagons and
contours written to files build geometries.

With ``--by``, every category is measured over the study area of all kept rows, so that
densities and Clark-Evans ratios compare across categories; kernel density surfaces per
category are made only on request (``kde_by``); see :mod:`geo.categories`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo._memory import release_memory
from geo.analysis import NO_POINT_INSIDE, PointAnalysis, Progress
from geo.categories import CategoryMeasures, per_category
from geo.column_read import Kept, OnRead, project_kept, read_pass
from geo.columns import (
    ColumnReader,
    NeedsFullReader,
    frame_reader,
    full_reader,
    open_columns,
)
from geo.density import AreaClip
from geo.errors import InputDataError, param
from geo.hexbins import cell_areas_km2, cell_ids, cell_polygons, max_sites_per_km2
from geo.lq import ALPHA, MIN_COUNT, location_quotients
from geo.options import AnalysisOptions
from geo.points import ReadOptions
from geo.projection import checked_metric_crs
from geo.recipe import InMemoryPoints, run_measures
from geo.selection import Selection

__all__ = ["CategoryMeasures", "ColumnAnalysis", "OnRead", "analyse_file", "analyse_frame"]

#: Called after each chunk with (rows read, bytes read, file size in bytes).
#: Significant cells listed per category in the JSON (all are in ``--lq-out``).
TOP_CELLS = 5


@dataclass
class ColumnAnalysis(PointAnalysis):
    """A :class:`~geo.analysis.PointAnalysis` of a file read as columns.

    ``points`` is empty (no geometry per point is made); ``n`` is the number of points
    measured, ``n_rows`` the rows read with valid coordinates before ``where``.
    ``cell_counts`` are the kept rows per (uint64 H3 cell, category code), ``labels`` the
    ``by`` categories by code, ``per_category`` their measures, ``hexbins`` the counts per
    cell (uint64 index; :meth:`hexbin_frame` adds areas and hexagons) and ``lq`` the
    location quotients (:func:`geo.lq.location_quotients`, ``category`` as a label).
    """

    n: int = 0
    n_rows: int = 0
    selection: Selection = field(default_factory=Selection)
    labels: list[str] = field(default_factory=list)
    per_category: list[CategoryMeasures] = field(default_factory=list)
    cell_counts: pd.DataFrame | None = None
    max_sites_per_km2: float = float("nan")
    lq: pd.DataFrame | None = None

    @property
    def n_points(self) -> int:
        """Number of points measured."""
        return self.n

    def summary(self) -> dict[str, Any]:
        """The measures of :meth:`PointAnalysis.summary`, with ``n_rows``, ``where``,
        ``by`` and ``location_quotients``."""
        out = super().summary()
        out["n_rows"] = self.n_rows
        out["where"] = [str(w) for w in self.selection.where]
        out["by"] = None
        by = self.selection.by
        if by is not None:
            out["by"] = {
                "column": by.column,
                "prefix_length": by.width,
                "n_categories": len(self.per_category),
                "categories": [c.to_dict(self.crs, total=self.n) for c in self.per_category],
            }
        out["location_quotients"] = self._lq_summary()
        return out

    def _lq_summary(self) -> dict[str, Any] | None:
        if self.lq is None:
            return None
        import h3

        categories = []
        for label, rows in self.lq.groupby("category", sort=True):
            significant = rows[rows["significant"]].sort_values(
                ["lq", "count"], ascending=False, kind="stable"
            )
            top = []
            for row in significant.head(TOP_CELLS).to_dict("records"):
                cell = h3.int_to_str(int(row["cell"]))
                lat, lon = h3.cell_to_latlng(cell)
                top.append(
                    {
                        "h3_cell": cell,
                        "lon": lon,
                        "lat": lat,
                        "count": int(row["count"]),
                        "cell_total": int(row["cell_total"]),
                        "lq": float(row["lq"]),
                        "p_value": float(row["p_value"]),
                    }
                )
            categories.append(
                {
                    "category": label,
                    "n_cells": len(rows),
                    "n_significant": len(significant),
                    "max_lq": float(rows["lq"].max()),
                    "top_cells": top,
                }
            )
        return {
            "resolution": self.options.hex_res,
            "reference": "every row of the file with valid coordinates",
            "n_reference_rows": self.n_rows,
            "test": "one-sided exact binomial, P(X >= count), X ~ Binomial(cell_total, share); "
            f"significant: lq > 1, p < {ALPHA} and count >= {MIN_COUNT}",
            "alpha": ALPHA,
            "categories": categories,
        }

    def keep_hexbins(self, bins: Any) -> None:
        """Keep the points per H3 cell counted as the file was read (:meth:`set_hex_counts`)."""
        self.set_hex_counts(bins)

    def set_hex_counts(self, per_cell: pd.Series) -> None:
        """Keep the points per H3 cell (``per_cell``: counts indexed by integer cell), the
        densest first, and the densest cell's sites per km²."""
        bins = pd.DataFrame(
            {"count": per_cell.to_numpy(dtype=np.int64)},
            index=pd.Index(per_cell.index.to_numpy(dtype=np.uint64), name="h3_cell"),
        )
        self.hexbins = bins.sort_values(["count"], ascending=False, kind="stable")
        self.max_sites_per_km2 = max_sites_per_km2(bins.index.to_numpy(), bins["count"].to_numpy())

    def max_hex_density(self, bins: gpd.GeoDataFrame) -> float:
        """Computed when the counts were summed: the columnar bins hold counts only."""
        return self.max_sites_per_km2

    def hexbin_frame(self) -> gpd.GeoDataFrame:
        """The hexagonal bins as :func:`geo.hexbins.hexbin_counts` gives them (cell ids as
        text, ``count``, ``area_km2``, ``sites_per_km2``, hexagons in EPSG:4326)."""
        bins = self.hexbins
        if bins is None:
            msg = f"no hexagonal bins: {param('hex_res')} none leaves them out"
            raise InputDataError(msg)
        cells = bins.index.to_numpy()
        ids = cell_ids(cells)
        counts = bins["count"].to_numpy()
        areas = cell_areas_km2(cells)
        return gpd.GeoDataFrame(
            {"count": counts, "area_km2": areas, "sites_per_km2": counts / areas},
            index=pd.Index(ids, name="h3_cell", dtype=object),
            geometry=cell_polygons(ids),
            crs="EPSG:4326",
        )

    def lq_frame(self) -> gpd.GeoDataFrame:
        """Every location quotient with its hexagon (EPSG:4326), for ``--lq-out``."""
        if self.lq is None:
            msg = (
                f"no location quotients: they need {param('where')} or {param('by')}, and "
                f"hexagons ({param('hex_res')})"
            )
            raise InputDataError(msg)
        distinct = np.unique(self.lq["cell"].to_numpy())
        ids = cell_ids(distinct)
        polygons = dict(zip(distinct.tolist(), cell_polygons(ids), strict=True))
        names = dict(zip(distinct.tolist(), ids, strict=True))
        cells = self.lq["cell"].tolist()
        table = self.lq.drop(columns="cell").assign(h3_cell=[names[c] for c in cells])
        return gpd.GeoDataFrame(
            table[["h3_cell", *[c for c in table.columns if c != "h3_cell"]]],
            geometry=[polygons[c] for c in cells],
            crs="EPSG:4326",
        )


def analyse_file(
    path: str | Path,
    options: AnalysisOptions | None = None,
    *,
    read: ReadOptions | None = None,
    selection: Selection | None = None,
    study_area: Any = None,
    crs: Any = None,
    on_read: OnRead | None = None,
    progress: Progress | None = None,
) -> ColumnAnalysis:
    """Every density measure of a point file, read in chunks as columns.

    Parameters
    ----------
    path
        A point file (any format of :func:`geo.points.read_points`).
    options
        The analysis options (default :class:`~geo.options.AnalysisOptions`).
    read
        The options of :func:`geo.points.read_points` (columns, CRS, ``drop_invalid``,
        ``max_points``).
    selection
        The ``where`` filters every measured row passes, the ``by`` grouping whose
        categories are measured too, and whether each gets a density surface
        (:class:`geo.selection.Selection`).
    study_area
        A polygon study area, instead of ``options.area``: the rows outside it are left out
        of every measure (:class:`geo.density.AreaClip`); a bare shapely geometry needs
        ``crs``, the metric CRS it is drawn in.
    crs
        Metric CRS (default: the one :func:`geo.projection.metric_crs` picks for the
        measured points).
    on_read
        Called after each chunk read (:data:`OnRead`).
    progress
        Called with the name of each stage as it starts.

    Raises
    ------
    InputDataError
        If the file cannot be read, its coordinates are invalid (as
        :func:`geo.points.read_points`), a ``where``/``by`` column is missing or no row
        passes the filters.
    """
    opts = options if options is not None else AnalysisOptions()
    chosen = selection if selection is not None else Selection()
    read_options: ReadOptions = read if read is not None else {}
    step = progress or (lambda _stage: None)
    metric = checked_metric_crs(crs) if crs is not None else None
    columns = chosen.columns
    clip = AreaClip.of(study_area, crs=metric) if study_area is not None else None

    def run(reader: ColumnReader) -> Kept:
        return read_pass(
            reader,
            chosen,
            hex_res=opts.hex_res,
            lonlat_needed=metric is None,
            on_read=on_read,
            clip=clip,
        )

    step("reading")
    try:  # the fast path warns only once it has read every row: never twice
        data = run(open_columns(path, columns=columns, **read_options))
    except NeedsFullReader:
        data = run(full_reader(path, columns=columns, **read_options))
    return _after_reading(data, opts, metric, chosen, study_area=study_area, step=step)


def analyse_frame(
    gdf: gpd.GeoDataFrame,
    options: AnalysisOptions | None = None,
    *,
    selection: Selection | None = None,
    crs: Any = None,
    name: str = "data",
) -> ColumnAnalysis:
    """The measures of :func:`analyse_file` of points already read (a point GeoDataFrame
    from :mod:`geo.points`, e.g. an upload), with its ``where``/``by`` selection.

    ``name`` names the data in messages.
    """
    opts = options if options is not None else AnalysisOptions()
    chosen = selection if selection is not None else Selection()
    metric = checked_metric_crs(crs) if crs is not None else None
    reader = frame_reader(gdf, name=name, columns=chosen.columns)
    data = read_pass(
        reader, chosen, hex_res=opts.hex_res, lonlat_needed=metric is None, on_read=None
    )
    return _after_reading(data, opts, metric, chosen, study_area=None, step=lambda _stage: None)


def _after_reading(
    data: Kept,
    opts: AnalysisOptions,
    metric: pyproj.CRS | None,
    selection: Selection,
    *,
    study_area: Any,
    step: Progress,
) -> ColumnAnalysis:
    """Choose the metric CRS, project the kept coordinates and measure them."""
    if len(data.x) == 0 and data.n_outside:
        msg = f"{data.name}: {NO_POINT_INSIDE.format(n=data.n_outside)}"
        raise InputDataError(msg)
    if len(data.x) == 0:
        msg = f"{data.name}: no row passes {param('where')} {selection.label}"
        raise InputDataError(msg)
    step("projecting")
    metric = metric if metric is not None else data.extent.metric_crs(source=data.crs)
    project_kept(data, metric)
    xy = np.column_stack([data.x, data.y])
    data.x = data.y = np.empty(0)
    release_memory()  # what the reading pass freed, before the measures need more
    return _measure(data, xy, opts, metric, selection, study_area=study_area, step=step)


def _measure(
    data: Kept,
    xy: np.ndarray,
    opts: AnalysisOptions,
    metric: pyproj.CRS,
    selection: Selection,
    *,
    study_area: Any,
    step: Progress,
) -> ColumnAnalysis:
    """Run the registered measures (:func:`geo.recipe.run_measures`) on the kept points,
    then the location quotients and the categories of ``by``."""
    analysis = ColumnAnalysis(
        options=opts,
        crs=metric,
        points=gpd.GeoSeries([], crs=metric),
        n=len(xy),
        n_rows=data.n_rows,
        selection=selection,
        labels=data.labels,
        n_outside_area=data.n_outside,
    )
    counts = data.counts

    def hexagons(_resolution: int) -> pd.Series:
        assert counts is not None  # counted as each chunk was read
        return counts.groupby("cell", sort=False)["count"].sum()

    view = InMemoryPoints(
        engine="columnar",
        options=opts,
        crs=metric,
        points_xy=xy,
        count_hexagons=hexagons,
        polygon=study_area,
        before_all_points=release_memory,  # what the measures before freed
    )
    run_measures(analysis, view, step=step)
    if counts is not None:
        analysis.cell_counts = counts
        if data.reference is not None:
            analysis.lq = _lq(data, selection)
    if selection.by is not None and data.codes is not None:
        step("categories")
        analysis.per_category = per_category(
            xy,
            data.codes,
            data.labels,
            area_km2=analysis.density.area_km2,
            cells=analysis.cell_counts,
            options=opts if selection.kde_by else None,
            crs=metric,
        )
    return analysis


def _lq(data: Kept, selection: Selection) -> pd.DataFrame:
    counts = data.counts
    assert counts is not None and data.reference is not None
    names = data.labels if data.labels else [selection.label]
    lq = location_quotients(counts, data.reference)
    lq["category"] = np.asarray(names, dtype=object)[lq["category"].to_numpy()]
    return lq
