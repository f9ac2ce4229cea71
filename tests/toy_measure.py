"""A toy measure, written as ``CONTRIBUTING.md`` says a new one is: the centre of mass of
the points (mean x and y, metres in the analysis' CRS), summed chunk by chunk.

Importing the module registers it, as importing a module of :mod:`geo.measures` does;
``tests/test_adding_a_measure.py`` registers it for a test and sees it in every engine
and view. It lives with the tests so that clustermap does not ship it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.measures import Chunks, Measure, Points, Row, SummaryKey, register
from geo.messages import N_


@dataclass(frozen=True)
class Sums:
    """What a chunk contributes: its number of points and the sums of their x and y."""

    n: int
    x: float
    y: float


@dataclass(frozen=True)
class Centre:
    """The centre of mass, metres in the analysis' CRS."""

    x_m: float
    y_m: float


def partial(xy: np.ndarray) -> Sums:
    """One chunk's sums (``xy``: ``(n, 2)`` metric coordinates, maybe empty)."""
    return Sums(len(xy), float(xy[:, 0].sum()), float(xy[:, 1].sum()))


def merge(a: Sums, b: Sums) -> Sums:
    """Two chunks' sums."""
    return Sums(a.n + b.n, a.x + b.x, a.y + b.y)


CHUNKS = Chunks(kernel=partial, merge=merge)


def compute(points: Points, analysis: Any) -> Centre | None:
    sums = points.reduce(CHUNKS)
    return Centre(sums.x / sums.n, sums.y / sums.n) if sums.n else None


def summary(centre: Centre | None, analysis: Any) -> dict[str, Any]:
    return {"toy_centre": None if centre is None else {"x_m": centre.x_m, "y_m": centre.y_m}}


def rows(m: Mapping[str, Any]) -> list[Row]:
    centre = m.get("toy_centre")
    if not centre:
        return []
    return [Row(N_("Toy centre (x, y)"), f"{centre['x_m']:.1f}, {centre['y_m']:.1f}", "m")]


TOY = register(
    Measure(
        key="toy_centre",
        name="toy centre",
        stage="toy centre",
        order=60,
        compute=compute,
        summary=summary,
        keys=(SummaryKey("toy_centre", "m", "x_m, y_m: the mean x and y; or None"),),
        rows=rows,
        combine=CHUNKS,
    )
)
