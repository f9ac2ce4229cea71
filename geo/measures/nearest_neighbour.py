"""Clark-Evans: the mean nearest-neighbour distance against the one of a random pattern.

The mean is read from the engine (:meth:`Points.mean_nn_distance_m`: one k-d tree in
process, each partition with a halo of its neighbours' points on Dask) and the test is
:func:`geo.density.clark_evans_stats` over the study area.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from geo.density import ClarkEvansStats, clark_evans_stats
from geo.measures.measure_registry import Measure, Points, Primitive, Row, SummaryKey, register
from geo.messages import N_

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis

#: Fewest points for a z-score and p-value.
MIN_POINTS = 20


def nn_method(crs: Any) -> str:
    """How the nearest-neighbour distances of the density measures are measured: straight
    lines in the metric CRS (``proximity`` measures geodesics, :data:`geo.proximity.NN_METHOD`)."""
    return f"euclidean in {crs.to_string()}"


def _compute(points: Points, analysis: PointAnalysis) -> ClarkEvansStats:
    n = points.n
    if n < 2:
        analysis.warnings.append("fewer than two points: no nearest-neighbour statistics")
    mean = points.mean_nn_distance_m() if n >= 2 else math.nan
    return clark_evans_stats(mean, n, analysis.density.area_km2 * 1e6)


def _caveat(stats: ClarkEvansStats, analysis: PointAnalysis) -> dict[str, Any] | None:
    n = analysis.n_points
    return {"n": n, "min": MIN_POINTS} if 2 <= n < MIN_POINTS else None


def _summary(stats: ClarkEvansStats, analysis: PointAnalysis) -> dict[str, Any]:
    flagged = "clark_evans" in analysis.caveats
    return {
        "nn_method": nn_method(analysis.crs),
        "mean_nn_distance_m": stats.mean_nn_distance_m,
        "expected_mean_nn_distance_m": stats.expected_mean_nn_distance_m,
        "clark_evans_r": stats.r,
        "clark_evans_z": None if flagged else stats.z,
        "clark_evans_p": None if flagged else stats.p,
    }


def _rows(m: Mapping[str, Any]) -> list[Row]:
    return [
        Row(
            N_("Mean nearest-neighbour distance (%(method)s)"),
            m["mean_nn_distance_m"],
            "m",
            values={"method": m["nn_method"]},
            fmt="%.1f",
            brief=True,
        ),
        Row(N_("Expected under randomness"), m["expected_mean_nn_distance_m"], "m", fmt="%.1f"),
        Row(
            N_("Clark-Evans R"),
            m["clark_evans_r"],
            fmt="%.3f",
            html_id="clark-evans-r",
            caveat="clark_evans",
            brief=True,
        ),
        Row(N_("Clark-Evans z"), m["clark_evans_z"], fmt="%.2f", html_id="clark-evans-z"),
        Row(N_("Clark-Evans p"), m["clark_evans_p"], fmt="%.3g", html_id="clark-evans-p"),
    ]


CLARK_EVANS = register(
    Measure(
        key="clark_evans",
        name="Clark-Evans test",
        stage="nearest neighbours",
        order=20,
        compute=_compute,
        summary=_summary,
        keys=(
            SummaryKey("nn_method", "", "how the distances are measured"),
            SummaryKey(
                "mean_nn_distance_m",
                "m",
                "mean nearest-neighbour distance",
                N_("Mean nearest-neighbour distance"),
            ),
            SummaryKey("expected_mean_nn_distance_m", "m", "the same for a random pattern"),
            SummaryKey(
                "clark_evans_r",
                "",
                "their ratio R: < 1 clustered, > 1 dispersed",
                N_("Clark-Evans R"),
            ),
            SummaryKey("clark_evans_z", "", "z-score of R (None below the threshold)"),
            SummaryKey(
                "clark_evans_p",
                "",
                "two-sided p-value (None below the threshold)",
                N_("Clark-Evans p"),
            ),
        ),
        rows=_rows,
        combine=Primitive(
            "mean_nn_distance_m",
            N_("nearest-neighbour distances summed per partition, each with a halo"),
        ),
        min_points=MIN_POINTS,
        caveat=N_(
            "%(n)s points, fewer than the %(min)s a Clark-Evans test needs: "
            "R is descriptive only, no z-score or p-value"
        ),
        caveat_values=_caveat,
        attribute="clark_evans",
    )
)
