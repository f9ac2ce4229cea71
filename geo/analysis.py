"""One analysis of a point set, computed once, as a typed result.

:func:`analyse_points` is the in-process engine: it projects the points and runs every
registered measure (:mod:`geo.measures`, through :func:`geo.recipe.run_measures`) with one
:class:`~geo.options.AnalysisOptions`, and returns a :class:`PointAnalysis`; its JSON
(:meth:`PointAnalysis.to_dict`, ``schema: "clustermap.point_measures/1"``, keys documented
in ``docs/measures.md``) and the map layers (:mod:`geo.overlays`) are both read from it.
The maths lives in the measures' modules; this module only drives them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry.base import BaseGeometry

from geo.cores import DenseCores
from geo.density import ClarkEvansStats, Density, inside_study_area
from geo.errors import InputDataError
from geo.hexbins import hexbin_counts
from geo.jsonable import to_jsonable
from geo.kde import KDESurface
from geo.measures import Measure, measures
from geo.measures.kernel_density import kde_summary
from geo.measures.nearest_neighbour import nn_method
from geo.options import AnalysisOptions
from geo.projection import has_location, metric_crs, site_points, xy_arrays
from geo.proximity import nearest_neighbours
from geo.recipe import InMemoryPoints, run_measures

__all__ = [
    "MIN_POINTS",
    "NO_POINT_INSIDE",
    "POINT_SCHEMA",
    "PointAnalysis",
    "analyse_points",
    "kde_summary",
    "min_points",
    "nn_method",
]


def min_points() -> dict[str, int]:
    """Fewest points for which each registered measure means something (docs/measures.md
    explains each): below it the measure is kept as a description, flagged in ``caveats``
    and ``warnings``, and the Clark-Evans test gives no z-score or p-value."""
    return {m.key: m.min_points for m in measures() if m.min_points is not None}


#: :func:`min_points` of the measures of :mod:`geo.measures`.
MIN_POINTS = min_points()

POINT_SCHEMA = "clustermap.point_measures/1"
#: The message when a polygon study area holds none of the points.
NO_POINT_INSIDE = "none of the {n} points lies inside the study area"
#: Before the study area is measured (the recipe's first measure sets it).
UNMEASURED_DENSITY = Density(
    n_points=0, area_method="", area_km2=float("nan"), sites_per_km2=float("nan"), crs=""
)
UNMEASURED_CLARK_EVANS = ClarkEvansStats(
    mean_nn_distance_m=float("nan"),
    expected_mean_nn_distance_m=float("nan"),
    r=float("nan"),
    z=float("nan"),
    p=float("nan"),
)

Progress = Callable[[str], None]
StudyArea: TypeAlias = BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries


@dataclass
class PointAnalysis:
    """Every measure of one point set (see :func:`analyse_points`).

    Attributes
    ----------
    options
        The options it was computed with.
    crs
        The metric CRS of every distance.
    points
        The points in ``crs``, aligned on the input's located rows.
    density
        Sites per km² of the study area (:mod:`geo.measures.area_density`).
    clark_evans
        The Clark-Evans statistics (:class:`geo.density.ClarkEvansStats`); ``z`` and ``p``
        are left out of the summary below :data:`MIN_POINTS` ``["clark_evans"]``.
    neighbours
        The ``options.k`` nearest neighbours of each point
        (:func:`geo.proximity.nearest_neighbours`), ``None`` with too few points.
    surface, hexbins, cores
        The kernel density, hexagonal bins and dense cores (``None`` when not computed).
    results
        The results of registered measures that keep no field of their own, by key.
    caveats
        ``{measure: why it means little}`` for measures on too few points (English);
        ``caveat_values`` holds the values that filled each measure's caveat template.
    warnings
        Notes of the run (degenerate areas, grid warnings, measures left out).
    n_outside_area
        Points outside a polygon study area, left out of every measure (0 without one).
    """

    options: AnalysisOptions
    crs: pyproj.CRS
    points: gpd.GeoSeries
    density: Density = UNMEASURED_DENSITY
    clark_evans: ClarkEvansStats = UNMEASURED_CLARK_EVANS
    neighbours: pd.DataFrame | None = None
    surface: KDESurface | None = None
    hexbins: gpd.GeoDataFrame | None = None
    cores: DenseCores | None = None
    results: dict[str, Any] = field(default_factory=dict)
    caveats: dict[str, str] = field(default_factory=dict)
    caveat_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    n_outside_area: int = 0

    @property
    def n_points(self) -> int:
        """Number of located points."""
        return len(self.points)

    @property
    def nn_distance_m(self) -> pd.Series:
        """Geodesic distance of each point to its nearest other point (NaN when alone)."""
        if self.neighbours is None:
            return pd.Series(np.nan, index=self.points.index, name="distance_1_m")
        return self.neighbours["distance_1_m"]

    def result(self, declared: Measure) -> Any:
        """The result of a registered measure (None when not computed)."""
        if declared.attribute is not None:
            return getattr(self, declared.attribute)
        return self.results.get(declared.key)

    def summary(self) -> dict[str, Any]:
        """The measures as a dict (the keys of :meth:`to_dict` without ``schema`` and
        ``warnings``): each registered measure's keys, in recipe order."""
        out: dict[str, Any] = {"n_points": self.n_points, "crs": self.crs.to_string()}
        for declared in measures():
            out.update(declared.summary(self.result(declared), self))
        out["caveats"] = dict(self.caveats)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able measures (see ``docs/measures.md``); each caveat of a measure on
        too few points is also a warning."""
        caveats = [f"{key}: {text}" for key, text in self.caveats.items()]
        return to_jsonable(
            {"schema": POINT_SCHEMA, **self.summary(), "warnings": [*self.warnings, *caveats]}
        )

    def keep_hexbins(self, bins: Any) -> None:
        """Keep the hexagonal bins an engine counted (here the hexagons themselves)."""
        self.hexbins = bins

    def max_hex_density(self, bins: gpd.GeoDataFrame) -> float:
        """The densest hexagon's sites per km² (of the hexagons held)."""
        return float(bins["sites_per_km2"].max())


def analyse_points(
    gdf: gpd.GeoDataFrame,
    options: AnalysisOptions | None = None,
    *,
    study_area: StudyArea | None = None,
    crs: Any = None,
    progress: Progress | None = None,
) -> PointAnalysis:
    """Every registered measure of a point set (:mod:`geo.measures`), computed once, in
    process; with the ``options.k`` nearest neighbours of each point.

    Parameters
    ----------
    gdf
        Points (or footprints, measured at a representative point) in any CRS.
    options
        The analysis options (default :class:`~geo.options.AnalysisOptions`).
    study_area
        A polygon study area, instead of ``options.area``.
    crs
        Metric CRS (default: :func:`geo.projection.metric_crs`).
    progress
        Called with the name of each stage as it starts.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.37, 4.38, 4.39, 4.38],
    ...                        [52.00, 51.99, 52.00, 52.01]), crs="EPSG:4326")
    >>> m = analyse_points(pts).to_dict()
    >>> m["n_points"], m["area_method"], m["crs"]
    (4, 'hull', 'EPSG:32631')
    """
    opts = options if options is not None else AnalysisOptions()
    step = progress or (lambda _stage: None)
    step("projecting")
    n_located = int(has_location(gdf.geometry).sum())
    if study_area is not None:  # the points outside the polygon are left out of everything
        gdf, metric = inside_study_area(gdf, study_area, crs=crs)
        if gdf.empty:
            raise InputDataError(NO_POINT_INSIDE.format(n=n_located))
    else:
        metric = metric_crs(gdf, crs=crs)
    points = site_points(gdf, crs=metric) if len(gdf) else gpd.GeoSeries([], crs=metric)
    frame = points.to_frame("geometry")
    xy = xy_arrays(points)
    analysis = PointAnalysis(
        options=opts, crs=metric, points=points, n_outside_area=n_located - len(xy)
    )

    def hexagons(resolution: int) -> gpd.GeoDataFrame:
        return hexbin_counts(frame, resolution=resolution, crs=metric)

    view = InMemoryPoints(
        engine="in-process",
        options=opts,
        crs=metric,
        points_xy=xy,
        count_hexagons=hexagons,
        polygon=study_area,
        index=points.index,
    )
    run_measures(analysis, view, step=step)
    if len(xy) >= 2 and len(xy) > opts.k:  # per-point lists, geodesic: in process only
        analysis.neighbours = nearest_neighbours(frame, k=opts.k, crs=metric)
    return analysis
