"""Points per H3 hexagon: the number of cells, the largest count and the densest cell.

In process the hexagons are built (:func:`geo.hexbins.hexbin_counts`); the columnar engine
counts the cells as it reads each chunk and Dask each partition, and the counts are summed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from geo.measures.measure_registry import Measure, Points, Primitive, Row, SummaryKey, register
from geo.messages import N_
from geo.options import AnalysisOptions

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis


def _enabled(options: AnalysisOptions) -> bool:
    return options.hex_res is not None


def _compute(points: Points, analysis: PointAnalysis) -> Any:
    resolution = points.options.hex_res
    assert resolution is not None
    analysis.keep_hexbins(points.hexagons(resolution))
    return analysis.hexbins


def _summary(bins: Any, analysis: PointAnalysis) -> dict[str, Any]:
    if bins is None:
        return {"hexbins": None}
    return {
        "hexbins": {
            "resolution": analysis.options.hex_res,
            "n_cells": len(bins),
            "max_count": int(bins["count"].max()) if len(bins) else 0,
            "max_sites_per_km2": analysis.max_hex_density(bins) if len(bins) else None,
        }
    }


def _rows(m: Mapping[str, Any]) -> list[Row]:
    bins = m.get("hexbins")
    if not bins:
        return []
    return [
        Row(N_("H3 r%(res)s cells"), bins["n_cells"], values={"res": bins["resolution"]}),
        Row(N_("H3 max count"), bins["max_count"]),
        Row(N_("H3 max density"), bins["max_sites_per_km2"], "sites/km²", fmt="%.1f"),
    ]


HEXBINS = register(
    Measure(
        key="hexbins",
        name="hexagonal bins",
        stage="hexagonal bins",
        order=40,
        compute=_compute,
        summary=_summary,
        keys=(
            SummaryKey("hexbins", "", "resolution, n_cells, max_count, max_sites_per_km2; or None"),
        ),
        rows=_rows,
        combine=Primitive("hexagons", N_("each chunk's or partition's counts per cell, summed")),
        enabled=_enabled,
        attribute="hexbins",
    )
)
