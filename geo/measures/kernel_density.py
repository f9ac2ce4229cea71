"""The kernel density surface: sites per km² on a grid (:mod:`geo.kde`).

In process the points are binned into the grid a million at a time
(:func:`geo.kde.kde_surface_xy`); on Dask each partition bins its points into the same grid
and the grids are summed (:func:`geo.kde.surface_from_binned`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyproj

from geo.errors import ClustermapError
from geo.kde import KDESurface
from geo.measures.measure_registry import Measure, Points, Primitive, Row, SummaryKey, register
from geo.messages import N_

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis


def kde_summary(surface: KDESurface, crs: pyproj.CRS) -> dict[str, Any]:
    """The JSON summary of a kernel density surface (``kde`` in ``docs/measures.md``)."""
    to_lonlat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    peak_lon, peak_lat = to_lonlat.transform(*surface.peak_xy)
    rows, cols = surface.shape
    return {
        "kernel": surface.kernel,
        "bandwidth_m": surface.bandwidth_m,
        "bandwidth_rule": surface.bandwidth_rule,
        "cell_m": surface.cell_m,
        "rows": rows,
        "cols": cols,
        "peak_sites_per_km2": surface.peak_per_km2,
        "peak_lon": float(peak_lon),
        "peak_lat": float(peak_lat),
        "integral_sites": surface.integral,
    }


def _compute(points: Points, analysis: PointAnalysis) -> KDESurface | None:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            surface = points.kde_surface()
        analysis.warnings.extend(str(w.message) for w in caught)
    except ClustermapError as exc:
        analysis.warnings.append(f"no kernel density: {exc}")
        return None
    return surface


def _summary(surface: KDESurface | None, analysis: PointAnalysis) -> dict[str, Any]:
    return {"kde": None if surface is None else kde_summary(surface, analysis.crs)}


def _rows(m: Mapping[str, Any]) -> list[Row]:
    kde = m.get("kde")
    if not kde:
        return []
    return [
        Row(
            N_("Kernel density peak"),
            kde["peak_sites_per_km2"],
            "sites/km²",
            fmt="%.1f",
            caveat="kde",
            brief=True,
        ),
        Row(N_("KDE kernel"), f"{kde['kernel']} ({kde['bandwidth_rule']})"),
        Row(N_("KDE bandwidth"), kde["bandwidth_m"], "m", fmt="%.1f"),
        Row(N_("KDE cell"), kde["cell_m"], "m", fmt="%.1f"),
        Row(N_("KDE grid (rows, columns)"), f"{kde['rows']}, {kde['cols']}"),
        Row(N_("KDE peak at"), f"{kde['peak_lat']:.5f} N {kde['peak_lon']:.5f} E"),
        Row(N_("KDE integral"), kde["integral_sites"], "sites", fmt="%.1f"),
    ]


KDE = register(
    Measure(
        key="kde",
        name="kernel density",
        stage="kernel density",
        order=30,
        compute=_compute,
        summary=_summary,
        keys=(
            SummaryKey(
                "kde",
                "",
                "kernel, bandwidth_m, bandwidth_rule, cell_m, rows, cols, "
                "peak_sites_per_km2, peak_lon, peak_lat, integral_sites; or None",
            ),
        ),
        rows=_rows,
        combine=Primitive("kde_surface", N_("each partition's binned grid, summed")),
        min_points=10,
        caveat=N_(
            "%(n)s points, fewer than the %(min)s a density surface needs: "
            "it shows the kernel around each point, not a pattern"
        ),
        attribute="surface",
    )
)
