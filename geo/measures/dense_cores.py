"""Dense cores: DBSCAN or HDBSCAN clusters of the points, with their hulls and densities.

They need every point in one array (:func:`geo.cores.dense_cores_xy`, memory proportional
to the points), so the Dask engine refuses them before any work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import shapely

from geo.cores import DenseCores, auto_min_samples, dense_cores_xy
from geo.measures.measure_registry import AllPoints, Measure, Points, Row, SummaryKey, register
from geo.messages import N_
from geo.options import AnalysisOptions

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis

#: Fewer points than this: ``min_samples="auto"`` is 3 and the cores are flagged.
MIN_POINTS = 10
#: Cores listed one by one on the command line.
LISTED = 10


def _enabled(options: AnalysisOptions) -> bool:
    return options.cores is not None


def _compute(points: Points, analysis: PointAnalysis) -> DenseCores:
    opts = points.options
    assert opts.cores is not None
    n = analysis.n_points
    if isinstance(opts.min_samples, int):
        min_samples = opts.min_samples
    elif n < MIN_POINTS:
        min_samples = 3  # the hull of a few points makes their mean density meaningless
    else:
        min_samples = auto_min_samples(analysis.density.sites_per_km2, eps_m=opts.eps_m)
    found = dense_cores_xy(
        points.xy(),
        method=opts.cores,
        eps_m=opts.eps_m,
        min_samples=min_samples,
        crs=points.crs,
        index=points.index,
    )
    rule = "auto" if opts.min_samples == "auto" else "given"
    return replace(found, parameters={**found.parameters, "min_samples_rule": rule})


def _caveat(cores: DenseCores, analysis: PointAnalysis) -> dict[str, Any] | None:
    n = analysis.n_points
    if n >= MIN_POINTS:
        return None
    return {
        "n": n,
        "min": MIN_POINTS,
        "min_samples": cores.parameters["min_samples"],
        "eps_m": analysis.options.eps_m,
    }


def _summary(cores: DenseCores | None, analysis: PointAnalysis) -> dict[str, Any]:
    if cores is None:
        return {"cores": None}
    table = cores.cores
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
        "cores": {
            "method": cores.method,
            "parameters": cores.parameters,
            "n_cores": len(table),
            "n_noise": cores.n_noise,
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
    }


def _rule(parameters: Mapping[str, Any]) -> str:
    rule = ", ".join(
        f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
        for key, value in parameters.items()
        if key != "min_samples_rule"
    )
    return rule + (" (auto)" if parameters.get("min_samples_rule") == "auto" else "")


def _rows(m: Mapping[str, Any]) -> list[Row]:
    cores = m.get("cores")
    if not cores:
        return []
    rows = [
        Row(
            N_("Dense cores (%(method)s; %(rule)s)"),
            cores["n_cores"],
            values={"method": cores["method"], "rule": _rule(cores["parameters"])},
            caveat="cores",
            brief=True,
        ),
        Row(N_("Sites in no core"), cores["n_noise"]),
    ]
    for core in cores["cores"][:LISTED]:
        rows.append(
            Row(
                N_("Core %(core)s: sites, km², sites/km²"),
                f"{core['n_sites']}, {core['area_km2']:.3g}, {core['sites_per_km2']:.4g}",
                values={"core": core["core"]},
                detail=True,
            )
        )
    if cores["n_cores"] > LISTED:
        rows.append(
            Row(
                N_("%(n)s smaller cores"),
                "in --json",
                values={"n": cores["n_cores"] - LISTED},
                detail=True,
            )
        )
    return rows


CORES = register(
    Measure(
        key="cores",
        name="dense cores",
        stage="dense cores",
        order=50,
        compute=_compute,
        summary=_summary,
        keys=(
            SummaryKey(
                "cores",
                "",
                "method, parameters, n_cores, n_noise, cores (core, n_sites, area_km2, "
                "sites_per_km2, centroid_lon, centroid_lat); or None",
            ),
        ),
        rows=_rows,
        combine=AllPoints(
            memory="O(n): the coordinates and a grid key and label per point (geo.dbscan)",
            off="set cores to none",
        ),
        enabled=_enabled,
        min_points=MIN_POINTS,
        caveat=N_(
            "%(n)s points, fewer than the %(min)s dense cores need: any %(min_samples)s "
            "sites within %(eps_m)g m make a 'core'"
        ),
        caveat_values=_caveat,
        attribute="cores",
    )
)
