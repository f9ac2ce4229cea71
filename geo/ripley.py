"""Ripley's K and Besag's L functions: how clustered points are, and at which scale.

For ``n`` points in a window of area ``A`` (intensity ``λ = n / A``), the estimator is

    K(r) = 1 / (λ n) · Σ_{i ≠ j} w_ij · 1(d_ij < r),        L(r) = sqrt(K(r) / π)

in square metres and metres. Under complete spatial randomness (CSR) ``K(r) = π r²`` and
``L(r) = r``: ``L(r) > r`` means more neighbours within ``r`` than chance gives
(clustering at that scale), ``L(r) < r`` fewer (regularity).

Window and edge correction
--------------------------
The window is the bounding box of the points in their metric CRS, as in pointpats.
Points near the window's edge have part of their ``r``-disc outside it, so uncorrected
counts fall short at large ``r``. ``edge_correction="translation"`` (the default) weights
each pair by ``w_ij = A / |W ∩ (W + x_j - x_i)|``, which for a rectangle of sides ``a``
and ``b`` is ``a b / ((a - |dx|)(b - |dy|))`` (Ohser and Stoyan, 1981; spatstat's
``"translate"``). ``"none"`` gives ``w_ij = 1``: the estimator of pointpats'
``k``/``l`` functions, which it reproduces exactly. Distances stop at a quarter of the
window's shorter side by default, beyond which the estimate is unreliable.

The CSR envelope
----------------
``n_simulations`` patterns of ``n`` uniform points in the same window go through the same
estimator; the pointwise minimum and maximum of their ``L`` form the envelope. An
observed ``L`` outside it at a distance is significant at level ``2 / (n_simulations + 1)``
there (pointwise, not for the whole curve at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.errors import InputDataError, ParameterError, Problems
from geo.projection import has_location, metric_crs

__all__ = [
    "EDGE_CORRECTIONS",
    "MAX_PLOT_POINTS",
    "MIN_PLOT_POINTS",
    "MIN_POINTS",
    "RIPLEY_SCHEMA",
    "RipleyResult",
    "ripley",
    "ripley_for_plot",
    "ripley_xy",
]

EdgeCorrection = Literal["translation", "none"]
EDGE_CORRECTIONS: tuple[EdgeCorrection, ...] = ("translation", "none")

#: Below this many points the curve and its envelope say little; the result warns.
MIN_POINTS = 20
RIPLEY_SCHEMA = "clustermap.ripley/1"


@dataclass(frozen=True)
class RipleyResult:
    """K and L at each distance, with the CSR envelope of L.

    Attributes
    ----------
    distance_m
        The distances ``r`` (metres).
    k_m2, l_m
        ``K(r)`` (m²) and ``L(r)`` (m).
    envelope_low_m, envelope_high_m
        Pointwise minimum and maximum of ``L(r)`` over the CSR simulations (empty
        arrays when ``n_simulations`` is 0).
    n_points, area_km2
        The pattern's size and its window's area.
    edge_correction, n_simulations
        How it was computed.
    crs
        The metric CRS of the distances.
    warnings
        What to keep in mind reading it (few points).
    """

    distance_m: np.ndarray
    k_m2: np.ndarray
    l_m: np.ndarray
    envelope_low_m: np.ndarray
    envelope_high_m: np.ndarray
    n_points: int
    area_km2: float
    edge_correction: str
    n_simulations: int
    crs: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``schema: "clustermap.ripley/1"``): one row per distance, and
        the settings."""
        has_envelope = len(self.envelope_low_m) == len(self.distance_m)
        rows = []
        for i, r in enumerate(self.distance_m):
            row = {"distance_m": float(r), "k_m2": float(self.k_m2[i]), "l_m": float(self.l_m[i])}
            if has_envelope:
                row["csr_low_m"] = float(self.envelope_low_m[i])
                row["csr_high_m"] = float(self.envelope_high_m[i])
            rows.append(row)
        return {
            "schema": RIPLEY_SCHEMA,
            "n_points": self.n_points,
            "area_km2": self.area_km2,
            "window": "bounding box of the points",
            "edge_correction": self.edge_correction,
            "n_simulations": self.n_simulations,
            "significance": 2 / (self.n_simulations + 1) if self.n_simulations else None,
            "crs": self.crs,
            "warnings": list(self.warnings),
            "functions": rows,
        }


def ripley(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    distances: np.ndarray | None = None,
    n_distances: int = 50,
    edge_correction: EdgeCorrection = "translation",
    n_simulations: int = 99,
    seed: int = 0,
    crs: Any = None,
) -> RipleyResult:
    """Ripley's K and Besag's L of points, with a CSR envelope (see the module doc).

    Parameters
    ----------
    gdf
        Points (footprints count by their representative point) in any CRS with one;
        rows without geometry are ignored.
    distances
        Distances in metres; by default ``n_distances`` from 0 to a quarter of the
        window's shorter side.
    n_distances
        How many distances when ``distances`` is not given.
    edge_correction
        {"translation", "none"}
    n_simulations
        CSR patterns for the envelope (0 for none).
    seed
        Seed of the simulations, for repeatable envelopes.
    crs
        Metric CRS (default: :func:`geo.projection.metric_crs`).
    """
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    located = geoms[has_location(geoms)]
    if located.empty:
        msg = "Ripley's K needs located points; none were given"
        raise InputDataError(msg)
    chosen = metric_crs(located, crs=crs)
    points = located.to_crs(chosen).representative_point()
    xy = shapely.get_coordinates(points.values)
    return ripley_xy(
        xy,
        distances=distances,
        n_distances=n_distances,
        edge_correction=edge_correction,
        n_simulations=n_simulations,
        seed=seed,
        crs=chosen.to_string(),
    )


def ripley_xy(
    xy: np.ndarray,
    *,
    distances: np.ndarray | None = None,
    n_distances: int = 50,
    edge_correction: EdgeCorrection = "translation",
    n_simulations: int = 99,
    seed: int = 0,
    crs: str = "",
) -> RipleyResult:
    """:func:`ripley` on ``(n, 2)`` metric coordinates."""
    xy = np.asarray(xy, dtype=float)
    window = _window(xy)
    support = _support(window, distances=distances, n_distances=n_distances)
    problems = Problems()
    if edge_correction not in EDGE_CORRECTIONS:
        problems.add(f"edge correction must be one of {', '.join(EDGE_CORRECTIONS)}")
    if not 0 <= n_simulations <= 9999:
        problems.add(f"simulations must be from 0 to 9999, not {n_simulations}")
    (x0, y0), (x1, y1) = window
    if edge_correction == "translation" and support[-1] >= min(x1 - x0, y1 - y0):
        problems.add(
            f"the translation correction needs distances below the window's shorter side "
            f"({min(x1 - x0, y1 - y0):.0f} m), not up to {support[-1]:.0f} m"
        )
    problems.raise_if_any(ParameterError)
    k = _k(xy, window, support, edge_correction=edge_correction)
    low = high = np.empty(0)
    if n_simulations:
        rng = np.random.default_rng(seed)
        simulated = np.empty((n_simulations, len(support)))
        for s in range(n_simulations):
            csr = np.column_stack((rng.uniform(x0, x1, len(xy)), rng.uniform(y0, y1, len(xy))))
            simulated[s] = np.sqrt(
                _k(csr, window, support, edge_correction=edge_correction) / np.pi
            )
        low, high = simulated.min(axis=0), simulated.max(axis=0)
    notes = []
    if len(xy) < MIN_POINTS:
        notes.append(
            f"only {len(xy)} points (fewer than {MIN_POINTS}): the curve and its envelope "
            "are too noisy to tell clustering from chance"
        )
    return RipleyResult(
        distance_m=support,
        k_m2=k,
        l_m=np.sqrt(k / np.pi),
        envelope_low_m=low,
        envelope_high_m=high,
        n_points=len(xy),
        area_km2=float((x1 - x0) * (y1 - y0) / 1e6),
        edge_correction=edge_correction,
        n_simulations=n_simulations,
        crs=crs,
        warnings=tuple(notes),
    )


def _window(xy: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """The bounding box ``((xmin, ymin), (xmax, ymax))``; InputDataError if it is flat."""
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 2:
        msg = "Ripley's K needs at least two points"
        raise InputDataError(msg)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    if not np.all(hi - lo > 0):
        msg = "Ripley's K needs points spread in two dimensions (they lie on one line)"
        raise InputDataError(msg)
    return (float(lo[0]), float(lo[1])), (float(hi[0]), float(hi[1]))


def _support(
    window: tuple[tuple[float, float], tuple[float, float]],
    *,
    distances: np.ndarray | None,
    n_distances: int,
) -> np.ndarray:
    if distances is not None:
        support = np.asarray(distances, dtype=float).ravel()
        if support.size == 0 or not np.all(np.isfinite(support)) or np.any(support < 0):
            msg = "distances must be finite numbers of metres >= 0"
            raise ParameterError(msg)
        return np.sort(support)
    if not 2 <= n_distances <= 1000:
        msg = f"the number of distances must be from 2 to 1000, not {n_distances}"
        raise ParameterError(msg)
    (x0, y0), (x1, y1) = window
    return np.linspace(0.0, min(x1 - x0, y1 - y0) / 4.0, n_distances)


def _k(
    xy: np.ndarray,
    window: tuple[tuple[float, float], tuple[float, float]],
    support: np.ndarray,
    *,
    edge_correction: str,
) -> np.ndarray:
    """K at each distance of ``support`` (sorted), from the pairs closer than its maximum."""
    (x0, y0), (x1, y1) = window
    width, height = x1 - x0, y1 - y0
    n = len(xy)
    pairs = cKDTree(xy).query_pairs(float(support[-1]), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    delta = np.abs(xy[i] - xy[j])
    distance = np.hypot(delta[:, 0], delta[:, 1])
    if edge_correction == "translation":
        weight = (width * height) / ((width - delta[:, 0]) * (height - delta[:, 1]))
    else:
        weight = np.ones(len(distance))
    # each unordered pair counts for i -> j and j -> i; strict "<" as pointpats counts
    order = np.argsort(distance)
    cumulative = np.concatenate(([0.0], np.cumsum(2.0 * weight[order])))
    below = np.searchsorted(distance[order], support, side="left")
    intensity = n / (width * height)
    return cumulative[below] / (intensity * n)


#: Fewest and most points for which a plot of L is drawn (figures, the cluster page): the
#: pairs counted grow with the square of the points, 2,000 points and 99 simulations take
#: about 3 s.
MIN_PLOT_POINTS, MAX_PLOT_POINTS = 3, 2000


def ripley_for_plot(
    points: gpd.GeoSeries, *, n_simulations: int = 99, seed: int = 0
) -> RipleyResult:
    """:func:`ripley` of points in a metric CRS (a cluster's distinct places), for a plot.

    Raises
    ------
    InputDataError
        With a plain message when there are fewer than :data:`MIN_PLOT_POINTS` points
        ("too few located places …"), more than :data:`MAX_PLOT_POINTS`, or when they lie
        on one line.
    """
    if len(points) < MIN_PLOT_POINTS:
        msg = (
            f"too few located places ({len(points)}) for Ripley's K: a plot needs at "
            f"least {MIN_PLOT_POINTS}"
        )
        raise InputDataError(msg)
    if len(points) > MAX_PLOT_POINTS:
        msg = (
            f"{len(points):,} points are too many to plot Ripley's K here (at most "
            f"{MAX_PLOT_POINTS:,}): run 'clustermap ripley' on a sample"
        )
        raise InputDataError(msg)
    return ripley(points, n_simulations=n_simulations, seed=seed, crs=points.crs)
