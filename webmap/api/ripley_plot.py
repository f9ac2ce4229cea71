"""The cluster page's Ripley plot: ``L(r) - r`` with its CSR envelope, as numbers for a
small inline SVG (``templates/ripley_panel.svg``), drawn on the server with no script.

It is computed when the page is rendered, from the cluster's distinct places kept with
the page's cached map data (:class:`webmap.web.mapdata_cache.ClusterMapData`), with
:data:`SIMULATIONS` CSR patterns and a fixed seed: on a registry cluster (a handful of
places) that takes at most 10 ms (Delft), against about 0.8 s for the rest of Delft's
cold page, and the page itself is cached whole. An ``<img>`` loaded from a route of its
own would cost a second request for less.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from geo.errors import InputDataError
from geo.ripley import ripley_for_plot
from webmap.i18n import N_

__all__ = ["SIMULATIONS", "RipleyPlot", "ripley_plot"]

#: CSR simulations of the page's envelope, and their seed (the same plot every time).
SIMULATIONS, SEED = 99, 0
#: The plot's frame in SVG pixels, and its margins (left, right, top, bottom).
WIDTH, HEIGHT = 300, 170
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 10, 34


@dataclass(frozen=True)
class RipleyPlot:
    """What the template draws: the observed curve (``observed``: SVG polyline points),
    the envelope (``envelope``: polygon points, empty without simulations), the y of
    ``L(r) - r = 0``, the axes' end values (metres) and the notes of the result."""

    observed: str
    envelope: str
    zero_y: float
    r_max_m: float
    low_m: float
    high_m: float
    n_points: int
    n_simulations: int
    notes: tuple[str, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    right_x: int = WIDTH - RIGHT
    top: int = TOP


def _points(xs: np.ndarray, ys: np.ndarray) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def ripley_plot(places: gpd.GeoSeries | None) -> RipleyPlot | str:
    """The plot of a cluster's distinct places (in a metric CRS, ``None`` when none is
    located), or why there is none (a sentence: too few located places, or places on one
    line)."""
    if places is None:
        return N_("No site of this cluster is located: there is no Ripley's K to plot.")
    try:
        result = ripley_for_plot(places, n_simulations=SIMULATIONS, seed=SEED)
    except InputDataError as exc:
        return f"No plot: {exc}."
    r = result.distance_m
    observed = result.l_m - r
    curves = [observed]
    if len(result.envelope_low_m):
        curves += [result.envelope_low_m - r, result.envelope_high_m - r]
    low = min(float(np.min(c)) for c in curves)
    high = max(float(np.max(c)) for c in curves)
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    r_max = float(r[-1]) if r[-1] > 0 else 1.0

    def x(values: np.ndarray) -> np.ndarray:
        return LEFT + (WIDTH - LEFT - RIGHT) * values / r_max

    def y(values: np.ndarray) -> np.ndarray:
        return TOP + (HEIGHT - TOP - BOTTOM) * (high - values) / (high - low)

    envelope = ""
    if len(result.envelope_low_m):
        xs = np.concatenate([x(r), x(r)[::-1]])
        ys = np.concatenate([y(curves[1]), y(curves[2])[::-1]])
        envelope = _points(xs, ys)
    zero = float(np.clip(y(np.array([0.0]))[0], TOP, HEIGHT - BOTTOM))
    return RipleyPlot(
        observed=_points(x(r), y(observed)),
        envelope=envelope,
        zero_y=round(zero, 1),
        r_max_m=r_max,
        low_m=low,
        high_m=high,
        n_points=result.n_points,
        n_simulations=result.n_simulations,
        notes=result.warnings,
    )
