"""The study area and the sites per km² of it: the first measure, which the others read.

The area is the hull, bounding box or buffered hull of the points (:func:`geo.density.
study_area_xy`, on the vertices the engine offers: every point in process, each
partition's hull on Dask), or the user's polygon (:func:`geo.density.polygon_study_area`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from geo.density import Density, polygon_study_area, study_area_xy
from geo.measures.measure_registry import Measure, Points, Primitive, Row, SummaryKey, register
from geo.messages import N_

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis


def _compute(points: Points, analysis: PointAnalysis) -> Density:
    opts = points.options
    if points.polygon is not None:
        region = polygon_study_area(points.polygon, crs=points.crs)
    else:
        region = study_area_xy(
            points.hull_vertices(), area=opts.area, buffer_m=opts.buffer_m, crs=points.crs
        )
    n = points.n
    density = Density(
        n_points=n,
        area_method=region.method,
        area_km2=region.area_km2,
        sites_per_km2=n / region.area_km2 if region.area_km2 > 0 else math.nan,
        crs=points.crs.to_string(),
    )
    if not density.area_km2 > 0:
        analysis.warnings.append(
            f"the study area ({density.area_method}) has no area: density undefined"
        )
    return density


def _summary(density: Density, analysis: PointAnalysis) -> dict[str, Any]:
    return {
        "area_method": density.area_method,
        "area_km2": density.area_km2,
        "n_points_in_area": density.n_points,
        "n_outside_area": analysis.n_outside_area,
        "sites_per_km2": density.sites_per_km2,
    }


def _rows(m: Mapping[str, Any]) -> list[Row]:
    outside = m.get("n_outside_area") or 0
    n = m["n_points_in_area"]
    inside = Row(N_("Points in the area"), n)
    if outside:
        inside = Row(
            N_("Points in the area (%(outside)s outside, left out of every measure)"),
            f"{n:,} of {n + outside:,}",
            values={"outside": f"{outside:,}"},
        )
    return [
        Row(
            N_("Study area (%(method)s)"),
            m["area_km2"],
            "km²",
            values={"method": m["area_method"]},
            fmt="%.3f",
            brief=True,
        ),
        inside,
        Row(N_("Density"), m["sites_per_km2"], "sites/km²", fmt="%.2f", brief=True),
    ]


DENSITY = register(
    Measure(
        key="density",
        name="study area and density",
        stage="study area",
        order=10,
        compute=_compute,
        summary=_summary,
        keys=(
            SummaryKey("area_method", "", "hull, bbox, buffer:<m> or polygon"),
            SummaryKey("area_km2", "km²", "area of the study area", N_("Study area")),
            SummaryKey("n_points_in_area", "", "points measured (inside a polygon)"),
            SummaryKey("n_outside_area", "", "points outside a polygon study area"),
            SummaryKey(
                "sites_per_km2", "", "points per km² of the study area", N_("Sites per km²")
            ),
        ),
        rows=_rows,
        combine=Primitive(
            "hull_vertices", N_("the hull of the partitions' hull vertices is the hull")
        ),
        attribute="density",
    )
)
