"""One analysis of a point set, computed once, as a typed result.

:func:`analyse_points` runs every density and proximity measure of points with one
:class:`~geo.options.AnalysisOptions` and returns a :class:`PointAnalysis`; its JSON
(:meth:`PointAnalysis.to_dict`, ``schema: "clustermap.point_measures/1"``, keys documented
in ``docs/measures.md``) and the map layers (:mod:`geo.overlays`) are both read from it.
The maths lives in :mod:`geo.density`, :mod:`geo.kde`, :mod:`geo.hexbins`,
:mod:`geo.cores` and :mod:`geo.proximity`; this module only calls it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.cores import DenseCores, auto_min_samples, dense_cores_xy
from geo.density import Density, clark_evans_xy, inside_study_area, sites_per_km2
from geo.errors import ClustermapError, InputDataError
from geo.hexbins import hexbin_counts
from geo.jsonable import to_jsonable
from geo.kde import KDESurface, kde_surface_xy
from geo.options import AnalysisOptions
from geo.projection import has_location, metric_crs, site_points, xy_arrays
from geo.proximity import nearest_neighbours

__all__ = [
    "MIN_POINTS",
    "NO_POINT_INSIDE",
    "POINT_SCHEMA",
    "PointAnalysis",
    "analyse_points",
    "kde_summary",
    "nn_method",
]

#: Fewest points for which a measure means something (docs/measures.md explains each):
#: below it the measure is kept as a description, flagged in ``caveats`` and ``warnings``,
#: and the Clark-Evans test gives no z-score or p-value.
MIN_POINTS = {"clark_evans": 20, "kde": 10, "cores": 10}

POINT_SCHEMA = "clustermap.point_measures/1"
#: The message when a polygon study area holds none of the points.
NO_POINT_INSIDE = "none of the {n} points lies inside the study area"

Progress = Callable[[str], None]
StudyArea: TypeAlias = BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries


def _lonlat(x: float, y: float, crs: pyproj.CRS) -> tuple[float, float]:
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    return float(lon), float(lat)


def nn_method(crs: pyproj.CRS) -> str:
    """How the nearest-neighbour distances of the density measures are measured: straight
    lines in the metric CRS (``proximity`` measures geodesics, :data:`geo.proximity.NN_METHOD`)."""
    return f"euclidean in {crs.to_string()}"


def kde_summary(surface: KDESurface, crs: pyproj.CRS) -> dict[str, Any]:
    """The JSON summary of a kernel density surface (``kde`` in ``docs/measures.md``)."""
    peak_lon, peak_lat = _lonlat(*surface.peak_xy, crs)
    rows, cols = surface.shape
    return {
        "kernel": surface.kernel,
        "bandwidth_m": surface.bandwidth_m,
        "bandwidth_rule": surface.bandwidth_rule,
        "cell_m": surface.cell_m,
        "rows": rows,
        "cols": cols,
        "peak_sites_per_km2": surface.peak_per_km2,
        "peak_lon": peak_lon,
        "peak_lat": peak_lat,
        "integral_sites": surface.integral,
    }


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
        Sites per km² of the study area (:func:`geo.density.sites_per_km2`).
    clark_evans
        ``(mean_nn_m, expected_mean_nn_m, r, z, p)`` (:func:`geo.density.clark_evans_xy`);
        ``z`` and ``p`` are NaN below :data:`MIN_POINTS` ``["clark_evans"]``.
    neighbours
        The ``options.k`` nearest neighbours of each point
        (:func:`geo.proximity.nearest_neighbours`), ``None`` with too few points.
    surface, hexbins, cores
        The kernel density, hexagonal bins and dense cores (``None`` when not computed).
    caveats
        ``{measure: why it means little}`` for measures on too few points.
    warnings
        Notes of the run (degenerate areas, grid warnings, measures left out).
    n_outside_area
        Points outside a polygon study area, left out of every measure (0 without one).
    """

    options: AnalysisOptions
    crs: pyproj.CRS
    points: gpd.GeoSeries
    density: Density
    clark_evans: tuple[float, float, float, float, float]
    neighbours: pd.DataFrame | None = None
    surface: KDESurface | None = None
    hexbins: gpd.GeoDataFrame | None = None
    cores: DenseCores | None = None
    caveats: dict[str, str] = field(default_factory=dict)
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

    def summary(self) -> dict[str, Any]:
        """The measures as a dict (the keys of :meth:`to_dict` without ``schema`` and
        ``warnings``)."""
        mean_nn, expected, r, z, p = self.clark_evans
        return {
            "n_points": self.n_points,
            "crs": self.crs.to_string(),
            "area_method": self.density.area_method,
            "area_km2": self.density.area_km2,
            "n_points_in_area": self.density.n_points,
            "n_outside_area": self.n_outside_area,
            "sites_per_km2": self.density.sites_per_km2,
            "nn_method": nn_method(self.crs),
            "mean_nn_distance_m": mean_nn,
            "expected_mean_nn_distance_m": expected,
            "clark_evans_r": r,
            "clark_evans_z": None if "clark_evans" in self.caveats else z,
            "clark_evans_p": None if "clark_evans" in self.caveats else p,
            "kde": self._kde_summary(),
            "hexbins": self._hexbin_summary(),
            "cores": self._core_summary(),
            "caveats": dict(self.caveats),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able measures (see ``docs/measures.md``); each caveat of a measure on
        too few points is also a warning."""
        caveats = [f"{key}: {text}" for key, text in self.caveats.items()]
        return to_jsonable(
            {"schema": POINT_SCHEMA, **self.summary(), "warnings": [*self.warnings, *caveats]}
        )

    def _kde_summary(self) -> dict[str, Any] | None:
        return None if self.surface is None else kde_summary(self.surface, self.crs)

    def _hexbin_summary(self) -> dict[str, Any] | None:
        bins = self.hexbins
        if bins is None:
            return None
        return {
            "resolution": self.options.hex_res,
            "n_cells": len(bins),
            "max_count": int(bins["count"].max()) if len(bins) else 0,
            "max_sites_per_km2": self._max_hex_density(bins) if len(bins) else None,
        }

    def _max_hex_density(self, bins: gpd.GeoDataFrame) -> float:
        """The densest hexagon's sites per km² (of the hexagons held)."""
        return float(bins["sites_per_km2"].max())

    def _core_summary(self) -> dict[str, Any] | None:
        if self.cores is None:
            return None
        table = self.cores.cores
        centroids = table.geometry.centroid.to_crs(4326)
        columns = zip(
            table.index.tolist(),
            table["n_sites"].tolist(),
            table["area_km2"].tolist(),
            table["sites_per_km2"].tolist(),
            shapely.get_x(centroids.array).tolist(),
            shapely.get_y(centroids.array).tolist(),
            strict=True,
        )
        return {
            "method": self.cores.method,
            "parameters": self.cores.parameters,
            "n_cores": len(table),
            "n_noise": self.cores.n_noise,
            "cores": [
                {
                    "core": core,
                    "n_sites": n_sites,
                    "area_km2": area,
                    "sites_per_km2": density,
                    "centroid_lon": lon,
                    "centroid_lat": lat,
                }
                for core, n_sites, area, density, lon, lat in columns
            ],
        }


def _caveat(measure: str, n: int, what: str) -> str:
    return f"{n} points, fewer than the {MIN_POINTS[measure]} {what}"


def density_notes(analysis: PointAnalysis, n: int) -> None:
    """Note a study area without area, too few points for nearest neighbours, and the
    Clark-Evans caveat under :data:`MIN_POINTS`."""
    if not analysis.density.area_km2 > 0:
        analysis.warnings.append(
            f"the study area ({analysis.density.area_method}) has no area: density undefined"
        )
    if n < 2:
        analysis.warnings.append("fewer than two points: no nearest-neighbour statistics")
    if 2 <= n < MIN_POINTS["clark_evans"]:
        analysis.caveats["clark_evans"] = _caveat(
            "clark_evans",
            n,
            "a Clark-Evans test needs: R is descriptive only, no z-score or p-value",
        )


def add_kde(analysis: PointAnalysis, xy: np.ndarray) -> None:
    """Add the kernel density surface (or a note why there is none)."""
    opts = analysis.options
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            analysis.surface = kde_surface_xy(
                xy,
                bandwidth=opts.bandwidth,
                kernel=opts.kernel,
                cell_m=opts.cell_m,
                crs=analysis.crs,
            )
        analysis.warnings.extend(str(w.message) for w in caught)
    except ClustermapError as exc:
        analysis.warnings.append(f"no kernel density: {exc}")
        return
    n = analysis.n_points
    if n < MIN_POINTS["kde"]:
        analysis.caveats["kde"] = _caveat(
            "kde",
            n,
            "a density surface needs: it shows the kernel around each point, not a pattern",
        )


def add_cores(analysis: PointAnalysis, xy: np.ndarray, *, index: pd.Index | None = None) -> None:
    """Add the dense cores of the points ``xy`` (metric coordinates; ``index``: the
    points' index, default ``0 .. n-1``)."""
    opts = analysis.options
    if opts.cores is None:
        return
    n = analysis.n_points
    if isinstance(opts.min_samples, int):
        min_samples = opts.min_samples
    elif n < MIN_POINTS["cores"]:
        min_samples = 3  # the hull of a few points makes their mean density meaningless
    else:
        min_samples = auto_min_samples(analysis.density.sites_per_km2, eps_m=opts.eps_m)
    found = dense_cores_xy(
        xy,
        method=opts.cores,
        eps_m=opts.eps_m,
        min_samples=min_samples,
        crs=analysis.crs,
        index=index,
    )
    rule = "auto" if opts.min_samples == "auto" else "given"
    analysis.cores = replace(found, parameters={**found.parameters, "min_samples_rule": rule})
    if n < MIN_POINTS["cores"]:
        analysis.caveats["cores"] = _caveat(
            "cores",
            n,
            f"dense cores need: any {min_samples} sites within {opts.eps_m:g} m make a 'core'",
        )


def analyse_points(
    gdf: gpd.GeoDataFrame,
    options: AnalysisOptions | None = None,
    *,
    study_area: StudyArea | None = None,
    crs: Any = None,
    progress: Progress | None = None,
) -> PointAnalysis:
    """Every density and proximity measure of a point set, computed once.

    Parameters
    ----------
    gdf
        Points (or footprints, measured at a representative point) in any CRS.
    options
        The analysis options (default :class:`~geo.options.AnalysisOptions`).
    study_area
        A polygon study area, instead of ``options.area``.
    crs
        Metric CRS (default: the data's UTM zone).
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
    area = study_area if study_area is not None else opts.area
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
    n = len(xy)
    step("study area")
    density = sites_per_km2(frame, area=area, buffer_m=opts.buffer_m, crs=metric)
    step("nearest neighbours")
    analysis = PointAnalysis(
        options=opts,
        crs=metric,
        points=points,
        density=density,
        clark_evans=clark_evans_xy(xy, density.area_km2 * 1e6),
        n_outside_area=n_located - n,
    )
    density_notes(analysis, n)
    if n >= 2 and n > opts.k:
        analysis.neighbours = nearest_neighbours(frame, k=opts.k, crs=metric)
    step("kernel density")
    add_kde(analysis, xy)
    if opts.hex_res is not None:
        step("hexagonal bins")
        analysis.hexbins = hexbin_counts(frame, resolution=opts.hex_res, crs=metric)
    if opts.cores is not None:
        step("dense cores")
        add_cores(analysis, xy, index=points.index)
    return analysis
