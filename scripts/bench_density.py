"""Benchmark the KDE surface and the Clark-Evans statistics against reference tools.

Generates clustered points in a 50 km square (seeded), then times, in the same run:

* the KDE surface (512x512 grid, gaussian, 500 m bandwidth) of :func:`geo.kde.kde_surface_xy`
  against a bare ``np.bincount`` of the same points into the same grid and KDEpy's
  ``FFTKDE`` (same points, 512x512 grid);
* the Clark-Evans statistics (convex hull + mean nearest-neighbour distance) of
  :func:`geo.density.clark_evans_xy` + hull against pointpats (``PointPattern.mean_nnd`` and
  ``hull_area``) and ``geopandas.sjoin_nearest`` (nearest other point by spatial join).

Both sides of every ratio take metric coordinates and are timed on the same n. pointpats and
sjoin_nearest are slow, so by default they are timed on ``--ref-n`` points (ours is timed on
that n too for the ratio). Peak memory is the process's maximum resident set size.

Usage: ``python scripts/bench_density.py [--n 1000000] [--ref-n 1000000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from geo.density import clark_evans_xy, hull_polygon
from geo.kde import kde_surface_xy


def clustered_points(n: int, *, side_m: float = 50_000.0, seed: int = 42) -> np.ndarray:
    """``n`` points around 200 centres in a ``side_m`` square, clipped to it."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, side_m, (200, 2))
    spread = rng.uniform(300, 2500, 200)
    which = rng.integers(0, 200, n)
    xy = centres[which] + rng.normal(0, 1, (n, 2)) * spread[which, None]
    return np.clip(xy, 0, side_m) + np.array([500_000.0, 5_700_000.0])


def best_of(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (after one untimed warm-up)."""
    out = func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return min(times), out


def bench_kde(xy: np.ndarray, repeat: int) -> None:
    from KDEpy import FFTKDE

    size = 512
    ours_t, surface = best_of(
        lambda: kde_surface_xy(xy, bandwidth=500.0, kernel="gaussian", grid_size=size), repeat
    )
    rows, cols = surface.shape
    x0 = surface.west_m
    y0 = surface.north_m - rows * surface.cell_m
    inv = 1.0 / surface.cell_m

    def bare() -> np.ndarray:
        ix = ((xy[:, 0] - x0) * inv).astype(np.intp)
        iy = ((xy[:, 1] - y0) * inv).astype(np.intp)
        return np.bincount(iy * cols + ix, minlength=rows * cols)

    bare_t, _ = best_of(bare, repeat)
    kdepy_t, _ = best_of(
        lambda: FFTKDE(kernel="gaussian", bw=500.0).fit(xy).evaluate((size, size)), repeat
    )
    print(f"KDE surface, n={len(xy):,}, grid {rows}x{cols}, gaussian 500 m")
    print(f"  ours (linear binning + FFT) {ours_t * 1e3:8.1f} ms")
    print(
        f"  bare np.bincount            {bare_t * 1e3:8.1f} ms   ours/bincount = "
        f"{ours_t / bare_t:5.2f}  (target <= 8)"
    )
    print(
        f"  KDEpy FFTKDE                {kdepy_t * 1e3:8.1f} ms   KDEpy/ours    = "
        f"{kdepy_t / ours_t:5.2f}  (target >= 2)"
    )
    print(f"  integral {surface.integral:,.1f} sites (n = {len(xy):,})")


def _ours_clark_evans(xy: np.ndarray) -> tuple[float, float]:
    area = hull_polygon(xy).area
    mean_nn, _, r, _, _ = clark_evans_xy(xy, area)
    return mean_nn, r


def bench_clark_evans(xy: np.ndarray, ref_xy: np.ndarray, repeat: int) -> None:
    import geopandas as gpd
    from pointpats import PointPattern

    ours_t, (mean_nn, r) = best_of(lambda: _ours_clark_evans(xy), repeat)
    print(f"Clark-Evans (hull + mean NN distance), n={len(xy):,}")
    print(f"  ours                        {ours_t:8.3f} s    mean NN {mean_nn:.3f} m, R {r:.4f}")
    n_ref = len(ref_xy)
    if n_ref != len(xy):
        ours_ref_t, _ = best_of(lambda: _ours_clark_evans(ref_xy), repeat)
        print(f"  ours on the reference n={n_ref:,}  {ours_ref_t:8.3f} s")
    else:
        ours_ref_t = ours_t

    def pysal() -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            pp = PointPattern(ref_xy)
            return float(pp.mean_nnd), float(pp.hull_area)

    pp_t, (pp_nn, _) = best_of(pysal, 1)
    print(
        f"  pointpats (n={n_ref:,})       {pp_t:8.3f} s    pointpats/ours = "
        f"{pp_t / ours_ref_t:5.2f}  (target >= 3); mean NN {pp_nn:.3f} m"
    )

    def sjoin() -> float:
        gdf = gpd.GeoDataFrame(
            {"i": np.arange(n_ref)},
            geometry=gpd.points_from_xy(ref_xy[:, 0], ref_xy[:, 1]),
            crs="EPSG:32631",
        )
        joined = gpd.sjoin_nearest(gdf, gdf, distance_col="d", exclusive=True)
        return float(joined.groupby(level=0)["d"].first().mean())

    start = time.perf_counter()
    sj_nn = sjoin()
    sj_t = time.perf_counter() - start
    print(
        f"  sjoin_nearest (n={n_ref:,})   {sj_t:8.3f} s    sjoin/ours     = "
        f"{sj_t / ours_ref_t:5.2f}  (target >= 10); mean NN {sj_nn:.3f} m"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--ref-n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    xy = clustered_points(args.n)
    ref_xy = xy if args.ref_n >= args.n else xy[: args.ref_n]
    bench_kde(xy, args.repeat)
    bench_clark_evans(xy, ref_xy, max(1, args.repeat // 2))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of the whole run, references included): {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
