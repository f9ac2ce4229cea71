"""The measures of each ``--by`` category (:mod:`geo.column_analysis`), over the study
area of all kept rows so that densities and Clark-Evans ratios compare across categories:
points per km², Clark-Evans, H3 cells and, on request, a kernel density surface."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyproj

from geo.density import ClarkEvansStats, clark_evans_xy
from geo.errors import ClustermapError
from geo.kde import KDESurface, kde_surface_xy
from geo.measures.kernel_density import kde_summary
from geo.measures.nearest_neighbour import MIN_POINTS
from geo.options import AnalysisOptions

__all__ = ["CategoryMeasures", "per_category"]


@dataclass
class CategoryMeasures:
    """The measures of one ``--by`` category over the common study area."""

    category: str
    n_points: int
    sites_per_km2: float
    clark_evans: ClarkEvansStats
    n_cells: int
    max_count: int
    surface: KDESurface | None = None

    def to_dict(self, crs: pyproj.CRS, *, total: int) -> dict[str, Any]:
        """The JSON of one category (see ``docs/measures.md``)."""
        stats = self.clark_evans
        few = self.n_points < MIN_POINTS
        return {
            "category": self.category,
            "n_points": self.n_points,
            "share": self.n_points / total if total else None,
            "sites_per_km2": self.sites_per_km2,
            "mean_nn_distance_m": stats.mean_nn_distance_m,
            "expected_mean_nn_distance_m": stats.expected_mean_nn_distance_m,
            "clark_evans_r": stats.r,
            "clark_evans_z": None if few else stats.z,
            "clark_evans_p": None if few else stats.p,
            "hexbins": {"n_cells": self.n_cells, "max_count": self.max_count},
            "kde": None if self.surface is None else kde_summary(self.surface, crs),
        }


def per_category(
    xy: np.ndarray,
    codes: np.ndarray,
    labels: list[str],
    *,
    area_km2: float,
    cells: pd.DataFrame | None,
    options: AnalysisOptions | None,
    crs: pyproj.CRS,
) -> list[CategoryMeasures]:
    """Measures of each category (``codes``: a code a point, naming ``labels``) over the
    common study area of ``area_km2``; ``cells``: the (cell, category) counts; with
    ``options``, a kernel density surface each."""
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(labels)))
    n_cells, max_count = _cells_per_category(cells, len(labels))
    out = []
    for code in sorted(range(len(labels)), key=lambda c: labels[c]):
        rows = order[(int(ends[code - 1]) if code else 0) : int(ends[code])]
        part = xy[rows]
        out.append(
            CategoryMeasures(
                category=labels[code],
                n_points=len(part),
                sites_per_km2=len(part) / area_km2 if area_km2 > 0 else float("nan"),
                clark_evans=clark_evans_xy(part, area_km2 * 1e6),
                n_cells=int(n_cells[code]),
                max_count=int(max_count[code]),
                surface=None if options is None else _category_kde(part, options, crs),
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


def _category_kde(xy: np.ndarray, opts: AnalysisOptions, crs: pyproj.CRS) -> KDESurface | None:
    """A category's kernel density surface, None where it cannot be made (too few
    points for a bandwidth rule, a grid too large)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the coarse-grid note is the main surface's
            return kde_surface_xy(
                xy,
                bandwidth=opts.bandwidth,
                kernel=opts.kernel,
                cell_m=opts.cell_m,
                crs=crs,
            )
    except ClustermapError:
        return None
