"""API functions for a cluster's measures, density layers and walking isochrones."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Mapping
from typing import Any, cast

from geo.errors import ClustermapError, ParameterError
from geo.jsonable import feature_collection
from geo.options import options_from
from geo.registry import Registry
from webmap.api.cluster_analysis import cluster_analysis
from webmap.api.memo import LruCache, Runner, day_key, run_inline
from webmap.api.options_api import api_param
from webmap.api.params import Param, parse_params
from webmap.api.response import GEOJSON, ApiResponse, answers_errors

MEASURES_PARAMS = (
    api_param("hex_res"),
    api_param("eps_m"),
    api_param("min_samples"),
    Param(
        "as_of",
        "string",
        "Only sites that existed at this date (YYYY, YYYY-MM or YYYY-MM-DD).",
    ),
)

#: Largest kernel-density grid computed for a web request (cells).
MAX_WEB_KDE_CELLS = 2_000_000

DENSITY_PARAMS = (
    api_param("bandwidth"),
    api_param("cell_m"),
    api_param("kernel"),
    api_param("hex_res"),
)

MINUTES_PARAM = Param(
    "minutes",
    "numbers",
    "Walking times in minutes, comma-separated.",
    default=[5.0, 10.0, 15.0],
    minimum=0,
    exclusive_minimum=True,
    maximum=60.0,
    max_items=6,
)
"""Walking times of isochrones, here and for named areas (:mod:`webmap.api.network_areas`)."""
ISOCHRONE_PARAMS = (MINUTES_PARAM,)


@answers_errors
def measures(
    registry: Registry,
    cluster_id: str,
    args: Mapping[str, str],
    *,
    cache: LruCache,
    run: Runner = run_inline,
    today: datetime.date | None = None,
) -> ApiResponse:
    """``GET /api/clusters/<id>/measures``: the JSON of ``clustermap measures --json``.

    ``run`` runs the computation of a result missing from ``cache`` (the app's work pool);
    ``today`` is the date of "today"'s sites without ``as_of`` (default the current date),
    part of the cache key so an answer of yesterday is not served once a site has closed.
    """
    registry.cluster(cluster_id)
    opts = parse_params(MEASURES_PARAMS, args)
    options = options_from(opts)
    as_of, today = opts["as_of"], today or datetime.date.today()
    key = ("measures", cluster_id, options, as_of, registry.version, day_key(as_of, today=today))
    body = cache.get_or_compute(
        key,
        lambda: cluster_analysis(
            registry, cluster_id, options, as_of=as_of, today=today, cache=cache
        ).to_dict(),
        run=run,
    )
    return ApiResponse(200, body)


def quietly(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` with warnings silenced (they are reported in the result's warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def check_kde_grid(points: Any, opts: Mapping[str, Any]) -> None:
    """Refuse a kernel-density grid too large for a web request (before computing it)."""
    from geo.kde import bandwidth_m
    from geo.options import BandwidthRule
    from geo.projection import metric_crs, site_points, xy_arrays

    if opts.get("cell") is None or len(points) == 0:
        return  # the default grid has 512 cells on its longest side
    xy = xy_arrays(site_points(points, crs=metric_crs(points)))
    bandwidth = opts["bandwidth"]
    if isinstance(bandwidth, str):
        try:
            h = bandwidth_m(xy, rule=cast(BandwidthRule, bandwidth), kernel=opts["kernel"])
        except ClustermapError:
            return  # no surface will be computed
    else:
        h = float(bandwidth)
    support = 4.0 * h if opts["kernel"] == "gaussian" else h
    cell = float(opts["cell"])
    width, height = xy.max(axis=0) - xy.min(axis=0)
    cells = ((width + 2 * (support + cell)) / cell + 2) * (
        (height + 2 * (support + cell)) / cell + 2
    )
    if cells > MAX_WEB_KDE_CELLS:
        msg = (
            f"the density grid would have about {cells:,.0f} cells "
            f"(at most {MAX_WEB_KDE_CELLS:,}): use a larger cell or a smaller bandwidth"
        )
        raise ParameterError(msg)


def _frame_features(frame: Any, layer: str) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    features: list[dict[str, Any]] = feature_collection(frame)["features"]
    for feature in features:
        feature["properties"] = {"layer": layer, **feature["properties"]}
    return features


def density_layers(points: Any, opts: Mapping[str, Any]) -> dict[str, Any]:
    """Kernel-density contours and hexagonal bins of points, as one FeatureCollection.

    Features carry ``layer``: ``"kde_contour"`` (``density_min_per_km2``,
    ``density_max_per_km2``) or ``"hexbin"`` (``h3_cell``, ``count``, ``area_km2``,
    ``sites_per_km2``). The collection's ``kde`` and ``hexbins`` members summarise them.
    """
    from geo.analysis import analyse_points
    from geo.kde import kde_contours

    check_kde_grid(points, opts)
    if len(points) == 0:
        return {
            "type": "FeatureCollection",
            "features": [],
            "kde": None,
            "hexbins": None,
            "warnings": ["no located point: no density"],
        }
    # without dense cores: an upload asks for them with its own parameters (webmap.api.uploads_api)
    analysis = quietly(analyse_points, points, options_from(opts, cores=None))
    summary = analysis.to_dict()
    features: list[dict[str, Any]] = []
    if analysis.surface is not None:
        features += _frame_features(quietly(kde_contours, analysis.surface), "kde_contour")
    features += _frame_features(analysis.hexbins, "hexbin")
    return {
        "type": "FeatureCollection",
        "features": features,
        "kde": summary["kde"],
        "hexbins": summary["hexbins"],
        "warnings": summary["warnings"],
    }


@answers_errors
def density(
    registry: Registry,
    cluster_id: str,
    args: Mapping[str, str],
    *,
    cache: LruCache,
    run: Runner = run_inline,
) -> ApiResponse:
    """``GET /api/clusters/<id>/density``: density contours and hexagons as GeoJSON.

    ``run`` runs the computation of a result missing from ``cache`` (the app's work pool).
    """
    located = registry.located(cluster_id)
    opts = parse_params(DENSITY_PARAMS, args)
    key = ("density", cluster_id, tuple(sorted(opts.items())), registry.version, day_key(None))
    body = cache.get_or_compute(key, lambda: density_layers(located, opts), run=run)
    return ApiResponse(200, body, {"Content-Type": GEOJSON})


@answers_errors
def isochrones(
    registry: Registry,
    cluster_id: str,
    args: Mapping[str, str],
    *,
    cache: LruCache,
    cache_dir: str | None = None,
    run: Runner = run_inline,
) -> ApiResponse:
    """``GET /api/clusters/<id>/isochrones``: walking isochrones around each epicentre.

    ``404`` with code ``NetworkUnavailable`` when no street network is cached for the
    cluster (``clustermap network fetch|import``). ``run`` runs the computation of a
    result missing from ``cache`` (the app's work pool).
    """
    from geo.network import ClusterNetwork, network_info, to_geojson

    registry.cluster(cluster_id)
    opts = parse_params(ISOCHRONE_PARAMS, args)
    minutes = [float(m) for m in opts["minutes"]]
    info = network_info(cluster_id, cache_dir=cache_dir)
    key = (
        "isochrones",
        cluster_id,
        tuple(sorted(set(minutes))),
        registry.version,
        day_key(None),  # the members open today
        info.sha256,
    )
    body = cache.get_or_compute(
        key,
        lambda: to_geojson(
            quietly(
                lambda: ClusterNetwork(
                    cluster_id, registry=registry, cache_dir=cache_dir
                ).isochrones(minutes=minutes)
            )
        ),
        run=run,
    )
    return ApiResponse(200, body, {"Content-Type": GEOJSON})
