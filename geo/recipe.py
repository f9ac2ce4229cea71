"""The one recipe of an analysis: every registered measure, in order, on one engine's points.

The three engines (:func:`geo.analysis.analyse_points` in process,
:func:`geo.column_analysis.analyse_file` on columns, :func:`geo.distributed.analyse_shuffled`
on Dask) each make their :class:`~geo.measures.Points` and call :func:`run_measures`; none
keeps a list of measures. :class:`InMemoryPoints` is the view of the first two, which hold
every point's metric coordinates in one array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import pyproj

from geo.density import nearest_neighbour_distances_xy
from geo.errors import ParameterError
from geo.kde import KDESurface, kde_surface_xy
from geo.measures import AllPoints, Chunks, Measure, measures
from geo.messages import fill
from geo.options import AnalysisOptions

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis

__all__ = ["InMemoryPoints", "refuse_all_points", "run_measures"]

P = TypeVar("P")
Progress = Callable[[str], None]


def run_measures(analysis: PointAnalysis, points: Any, *, step: Progress) -> None:
    """Run each measure the options enable, in order: keep its result (its
    ``PointAnalysis`` field, or ``results[key]``) and its caveat below its threshold."""
    for declared in measures(analysis.options):
        step(declared.stage)
        result = declared.compute(points, analysis)
        keep(analysis, declared, result)


def keep(analysis: PointAnalysis, declared: Measure, result: Any) -> None:
    """Store a measure's result and caveat in ``analysis``."""
    if declared.attribute is not None:
        setattr(analysis, declared.attribute, result)
    else:
        analysis.results[declared.key] = result
    caveat = declared.caveat_of(result, analysis)
    if caveat is not None:
        template, values = caveat
        analysis.caveats[declared.key] = fill(template, values)
        analysis.caveat_values[declared.key] = values


def refuse_all_points(options: AnalysisOptions, *, engine: str) -> None:
    """Refuse, before any work, the measures that need every point in one array
    (:class:`~geo.measures.AllPoints`) and that ``options`` enable.

    Raises
    ------
    ParameterError
        Naming the first such measure and how to leave it out.
    """
    for declared in measures(options):
        if isinstance(declared.combine, AllPoints):
            msg = (
                f"the {engine} engine computes no {declared.name}: "
                f"{declared.combine.off} (they run in process)"
            )
            raise ParameterError(msg)


@dataclass
class InMemoryPoints:
    """Every point's metric coordinates in one array (``xy``, ``(n, 2)`` in ``crs``): the
    view of the in-process and columnar engines. ``count_hexagons`` gives the points per
    H3 cell as the engine keeps them; ``index`` labels the points (None: ``0 .. n-1``);
    ``polygon`` is the user's study area, if any."""

    engine: str
    options: AnalysisOptions
    crs: pyproj.CRS
    points_xy: np.ndarray
    count_hexagons: Callable[[int], Any]
    polygon: Any = None
    index: pd.Index | None = None
    before_all_points: Callable[[], None] | None = None

    @property
    def n(self) -> int:
        """Number of points."""
        return len(self.points_xy)

    def xy(self) -> np.ndarray:
        """Every point's metric x/y."""
        if self.before_all_points is not None:
            self.before_all_points()
        return self.points_xy

    def hull_vertices(self) -> np.ndarray:
        """Every point (their hull is the hull)."""
        return self.points_xy

    def mean_nn_distance_m(self) -> float:
        """Mean distance to the nearest other point, over one k-d tree."""
        return float(np.mean(nearest_neighbour_distances_xy(self.points_xy)))

    def kde_surface(self) -> KDESurface:
        """The kernel density surface of the options."""
        opts = self.options
        return kde_surface_xy(
            self.points_xy,
            bandwidth=opts.bandwidth,
            kernel=opts.kernel,
            cell_m=opts.cell_m,
            crs=self.crs,
        )

    def hexagons(self, resolution: int) -> Any:
        """The points per H3 cell."""
        return self.count_hexagons(resolution)

    def reduce(self, chunks: Chunks[P]) -> P:
        """One chunk: every point."""
        return chunks.kernel(self.points_xy)
