"""Density measures of a point file read as columns: ``clustermap density`` on any size.

:func:`analyse_file` reads a file in chunks (:mod:`geo.columns`), keeps the rows that pass
the ``--where`` filters (:mod:`geo.selection`) and computes the measures of
:func:`geo.analysis.analyse_points` on arrays, with no geometry object per point. Its
:class:`ColumnAnalysis` gives the same JSON (``clustermap.point_measures/1``), with the
filters, the per-category measures of ``--by`` and the location quotients added.

Two passes
----------
1. *Reading.* For each chunk: the rows' lon/lat (one ``Transformer`` to EPSG:4326, when
   H3 cells or the choice of the UTM zone need them), their H3 cells, summed per (cell,
   category) and, for location quotients, per cell over every row of the file; the
   float64 coordinates of the kept rows, their category codes, their lon/lat extent.
2. *Measuring.* The metric CRS is chosen from that extent as :func:`geo.projection.metric_crs`
   chooses it (or is the one given), the kept coordinates are projected in place with one
   ``Transformer``, and the measures read the arrays: the study area (hull, bbox, buffer or
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
category are made only on request (``kde_by``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj

from geo._memory import release_memory
from geo.accumulate import Categories, CellCounts, Coordinates, LonLatExtent, h3_cells
from geo.analysis import (
    MIN_POINTS,
    NO_POINT_INSIDE,
    PointAnalysis,
    Progress,
    StudyArea,
    add_cores,
    add_kde,
    density_notes,
    kde_summary,
)
from geo.columns import (
    ColumnReader,
    NeedsFullReader,
    frame_reader,
    full_reader,
    open_columns,
)
from geo.density import AreaClip, Density, clark_evans_xy, polygon_study_area, study_area_xy
from geo.errors import ClustermapError, InputDataError, param
from geo.hexbins import cell_areas_km2, cell_ids, cell_polygons, max_sites_per_km2
from geo.kde import KDESurface, kde_surface_xy
from geo.lq import ALPHA, MIN_COUNT, location_quotients
from geo.options import AnalysisOptions
from geo.points import ReadOptions
from geo.projection import checked_metric_crs, transform_xy
from geo.selection import Selection, check_columns

__all__ = ["CategoryMeasures", "ColumnAnalysis", "OnRead", "analyse_file", "analyse_frame"]

#: Called after each chunk with (rows read, bytes read, file size in bytes).
OnRead = Callable[[int, int, int], None]
#: Significant cells listed per category in the JSON (all are in ``--lq-out``).
TOP_CELLS = 5
_WGS84 = pyproj.CRS.from_epsg(4326)
#: Chunks read between two returns of freed memory to the system.
_RELEASE_CHUNKS = 8


@dataclass
class CategoryMeasures:
    """The measures of one ``--by`` category over the common study area."""

    category: str
    n_points: int
    sites_per_km2: float
    clark_evans: tuple[float, float, float, float, float]
    n_cells: int
    max_count: int
    surface: KDESurface | None = None

    def to_dict(self, crs: pyproj.CRS, *, total: int) -> dict[str, Any]:
        """The JSON of one category (see ``docs/measures.md``)."""
        mean_nn, expected, r, z, p = self.clark_evans
        few = self.n_points < MIN_POINTS["clark_evans"]
        return {
            "category": self.category,
            "n_points": self.n_points,
            "share": self.n_points / total if total else None,
            "sites_per_km2": self.sites_per_km2,
            "mean_nn_distance_m": mean_nn,
            "expected_mean_nn_distance_m": expected,
            "clark_evans_r": r,
            "clark_evans_z": None if few else z,
            "clark_evans_p": None if few else p,
            "hexbins": {"n_cells": self.n_cells, "max_count": self.max_count},
            "kde": None if self.surface is None else kde_summary(self.surface, crs),
        }


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

    def set_hex_counts(self, per_cell: pd.Series) -> None:
        """Keep the points per H3 cell (``per_cell``: counts indexed by integer cell), the
        densest first, and the densest cell's sites per km²."""
        bins = pd.DataFrame(
            {"count": per_cell.to_numpy(dtype=np.int64)},
            index=pd.Index(per_cell.index.to_numpy(dtype=np.uint64), name="h3_cell"),
        )
        self.hexbins = bins.sort_values(["count"], ascending=False, kind="stable")
        self.max_sites_per_km2 = max_sites_per_km2(bins.index.to_numpy(), bins["count"].to_numpy())

    def _max_hex_density(self, bins: gpd.GeoDataFrame) -> float:
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


@dataclass
class _Read:
    """What the reading pass leaves: kept coordinates (file CRS), codes and counts."""

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


def _read(
    reader: ColumnReader,
    selection: Selection,
    *,
    hex_res: int | None,
    lonlat_needed: bool,
    on_read: OnRead | None,
    clip: AreaClip | None = None,
) -> _Read:
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
    return _Read(
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

    def run(reader: ColumnReader) -> _Read:
        return _read(
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
    data = _read(reader, chosen, hex_res=opts.hex_res, lonlat_needed=metric is None, on_read=None)
    return _after_reading(data, opts, metric, chosen, study_area=None, step=lambda _stage: None)


def _after_reading(
    data: _Read,
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
    metric = metric if metric is not None else data.extent.metric_crs()
    _project(data, metric)
    xy = np.column_stack([data.x, data.y])
    data.x = data.y = np.empty(0)
    release_memory()  # what the reading pass freed, before the measures need more
    return _measure(data, xy, opts, metric, selection, study_area=study_area, step=step)


def _project(data: _Read, metric: pyproj.CRS) -> None:
    """Project the kept coordinates to ``metric`` in place, on every core."""
    if data.crs.equals(metric):
        return
    transform_xy(data.x, data.y, source=data.crs, target=metric, inplace=True)


def _area(xy: np.ndarray, opts: AnalysisOptions, metric: pyproj.CRS, polygons: Any) -> Density:
    """The density over the study area (with a polygon, ``xy`` are the points inside it)."""
    region: StudyArea
    if polygons is not None:
        region = polygon_study_area(polygons, crs=metric)
    else:
        region = study_area_xy(xy, area=opts.area, buffer_m=opts.buffer_m, crs=metric)
    n = len(xy)
    return Density(
        n_points=n,
        area_method=region.method,
        area_km2=region.area_km2,
        sites_per_km2=n / region.area_km2 if region.area_km2 > 0 else float("nan"),
        crs=metric.to_string(),
    )


def _measure(
    data: _Read,
    xy: np.ndarray,
    opts: AnalysisOptions,
    metric: pyproj.CRS,
    selection: Selection,
    *,
    study_area: Any,
    step: Progress,
) -> ColumnAnalysis:
    step("study area")
    density = _area(xy, opts, metric, study_area)
    area_m2 = density.area_km2 * 1e6
    step("nearest neighbours")
    analysis = ColumnAnalysis(
        options=opts,
        crs=metric,
        points=gpd.GeoSeries([], crs=metric),
        density=density,
        clark_evans=clark_evans_xy(xy, area_m2),
        n=len(xy),
        n_rows=data.n_rows,
        selection=selection,
        labels=data.labels,
        n_outside_area=data.n_outside,
    )
    density_notes(analysis, len(xy))
    step("kernel density")
    add_kde(analysis, xy)
    if data.counts is not None:
        step("hexagonal bins")
        analysis.set_hex_counts(data.counts.groupby("cell", sort=False)["count"].sum())
        analysis.cell_counts = data.counts
        if data.reference is not None:
            analysis.lq = _lq(data, selection)
    if opts.cores is not None:
        step("dense cores")
        release_memory()  # what the measures before freed, before the grid of the cores
        add_cores(analysis, xy)
    if selection.by is not None and data.codes is not None:
        step("categories")
        analysis.per_category = _per_category(data, xy, analysis, kde_by=selection.kde_by)
    return analysis


def _lq(data: _Read, selection: Selection) -> pd.DataFrame:
    counts = data.counts
    assert counts is not None and data.reference is not None
    names = data.labels if data.labels else [selection.label]
    lq = location_quotients(counts, data.reference)
    lq["category"] = np.asarray(names, dtype=object)[lq["category"].to_numpy()]
    return lq


def _per_category(
    data: _Read,
    xy: np.ndarray,
    analysis: ColumnAnalysis,
    *,
    kde_by: bool,
) -> list[CategoryMeasures]:
    """Measures of each category over the study area of all kept rows (with a user's
    polygon, the rows inside it)."""
    codes = data.codes
    assert codes is not None
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(data.labels)))
    area_km2 = analysis.density.area_km2
    n_cells, max_count = _cells_per_category(analysis.cell_counts, len(data.labels))
    out = []
    for code in sorted(range(len(data.labels)), key=lambda c: data.labels[c]):
        rows = order[(int(ends[code - 1]) if code else 0) : int(ends[code])]
        part = xy[rows]
        out.append(
            CategoryMeasures(
                category=data.labels[code],
                n_points=len(part),
                sites_per_km2=len(part) / area_km2 if area_km2 > 0 else float("nan"),
                clark_evans=clark_evans_xy(part, area_km2 * 1e6),
                n_cells=int(n_cells[code]),
                max_count=int(max_count[code]),
                surface=_category_kde(part, analysis) if kde_by else None,
            )
        )
    return out


def _cells_per_category(cells: pd.DataFrame | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per category code (0 to ``n - 1``): the number of H3 cells holding it and its largest
    count in one cell, from one pass over the (cell, category) counts (zeros without them)."""
    n_cells, max_count = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if cells is not None and len(cells):
        category = cells["category"].to_numpy(dtype=np.int64)
        n_cells += np.bincount(category, minlength=n)
        np.maximum.at(max_count, category, cells["count"].to_numpy(dtype=np.int64))
    return n_cells, max_count


def _category_kde(xy: np.ndarray, analysis: ColumnAnalysis) -> KDESurface | None:
    """A category's kernel density surface, None where it cannot be made (too few
    points for a bandwidth rule, a grid too large)."""
    opts = analysis.options
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the coarse-grid note is the main surface's
            return kde_surface_xy(
                xy,
                bandwidth=opts.bandwidth,
                kernel=opts.kernel,
                cell_m=opts.cell_m,
                crs=analysis.crs,
            )
    except ClustermapError:
        return None
