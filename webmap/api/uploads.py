"""API functions for uploads: ``POST /api/analyze`` and the analyses it keeps."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo._errors import ClustermapError, ParameterError, clip
from geo._json import feature_collection
from webmap.api.analysis_db import Analysis, AnalysisStore
from webmap.api.cage import Cage
from webmap.api.measures import DENSITY_PARAMS, check_kde_grid, quietly, web_options
from webmap.api.params import Param, parse_params
from webmap.api.response import JSON, ApiResponse, answers_errors, error, from_exception
from webmap.api.selection import SELECTION_PARAMS, lq_layer, selection_of_params

ANALYZE_PARAMS = (
    Param(
        "format",
        "string",
        "Declares a body sent without a CSV or GeoJSON Content-Type or file name "
        "(the content itself decides how it is read).",
        choices=("csv", "geojson"),
    ),
    Param("lat", "string", "Latitude column of a CSV (default: detected by name)."),
    Param("lon", "string", "Longitude column of a CSV (default: detected by name)."),
    Param("x", "string", "Projected x column of a CSV (with crs)."),
    Param("y", "string", "Projected y column of a CSV (with crs)."),
    Param("crs", "string", "CRS of x/y (e.g. EPSG:2154), or of a file that declares none."),
    Param(
        "drop_invalid",
        "boolean",
        "Drop rows with missing or out-of-range coordinates instead of refusing the file.",
        default=False,
    ),
    *DENSITY_PARAMS,
    *SELECTION_PARAMS,
)

#: Points drawn on an upload's map (a random sample beyond this).
MAP_POINTS = 100_000


def _labels(points: Any, sample: Any) -> list[str] | None:
    """The sampled points' names, from the column a map would label them with."""
    from geo.points import label_column_of

    column = label_column_of(points)
    if column is None:
        return None
    values = points[column].to_numpy()[sample]
    return ["" if v is None or v != v else str(v) for v in values]


ANALYSIS_SCHEMA = "clustermap.analysis/1"
#: Characters kept of an upload's text values (labels, where/by columns); longer ones are cut.
MAX_TEXT_CHARS = 200


def _upload_name(fmt: str | None, filename: str | None, content_type: str | None) -> str:
    if fmt is not None:
        return f"upload.{fmt}"
    if filename:
        return clip(filename)
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "text/plain", "application/csv", "text/tab-separated-values"):
        return "upload.csv"
    if kind in ("application/geo+json", "application/json"):
        return "upload.geojson"
    msg = (
        "say what the body is: Content-Type text/csv or application/geo+json, "
        "a multipart file with a .csv or .geojson name, or ?format=csv|geojson"
    )
    raise ParameterError(msg)


def _proximity(analysis: Any) -> dict[str, Any]:
    """Nearest-neighbour distance summary (geodesic metres) of a
    :class:`geo.analysis.PointAnalysis`, as ``proximity --json``."""
    first = None if analysis.neighbours is None else analysis.nn_distance_m.to_numpy(dtype=float)
    return proximity_summary(first)


def proximity_of(points: Any, crs: Any) -> dict[str, Any]:
    """The summary of :func:`_proximity` for points measured by the columnar analysis."""
    from geo.proximity import nearest_neighbours

    if len(points) < 2:
        return proximity_summary(None)
    table = nearest_neighbours(points, k=1, crs=crs)
    return proximity_summary(table["distance_1_m"].to_numpy(dtype=float))


def proximity_summary(first: Any) -> dict[str, Any]:
    """The nearest-neighbour summary of the distances ``first`` (metres), or null fields
    when None."""
    import numpy as np

    if first is None:
        return {
            "k": 1,
            "distance": "geodesic (WGS 84)",
            "mean_nn_distance_m": None,
            "median_nn_distance_m": None,
            "min_nn_distance_m": None,
            "max_nn_distance_m": None,
        }
    return {
        "k": 1,
        "distance": "geodesic (WGS 84)",
        "mean_nn_distance_m": float(np.nanmean(first)),
        "median_nn_distance_m": float(np.nanmedian(first)),
        "min_nn_distance_m": float(np.nanmin(first)),
        "max_nn_distance_m": float(np.nanmax(first)),
    }


@dataclass(frozen=True)
class ReadLimits:
    """Limits checked while an upload is read (``None``: no limit)."""

    max_points: int | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class UploadJob:
    """What the upload cage receives: the upload, its query and its read limits."""

    data: bytes
    args: dict[str, str]
    name: str
    limits: ReadLimits = ReadLimits()


@answers_errors
def analyze(
    data: bytes,
    args: Mapping[str, str],
    *,
    store: AnalysisStore,
    cage: Cage,
    filename: str | None = None,
    content_type: str | None = None,
    base_url: str = "/",
    limits: ReadLimits = ReadLimits(),
) -> ApiResponse:
    """``POST /api/analyze``: measure uploaded points and keep a map of them for a while.

    The body is a CSV (``;`` or ``,`` separators, decimal commas accepted) or GeoJSON, read
    by the CLI's loader (:func:`geo.points.read_points_bytes`). Answers ``201`` with
    ``density`` (the point measures of ``clustermap density --json``), ``proximity``
    (nearest-neighbour distances), ``map`` (the URL of ``/analyses/<token>``) and
    ``expires_in_s``; the upload is never written into the registry. The format is read
    from the content (see :mod:`geo._formats`); an upload of more than
    ``limits.max_points`` points, or compressed content decoding to more than
    ``limits.max_bytes``, is refused early with ``413``.

    The parameters are checked here; the upload is read and measured in ``cage``
    (:func:`measure_upload` in a child process with memory, CPU and time limits), whose
    limits answer ``413``, ``422`` or ``504`` (:mod:`webmap.errors`).
    """
    opts = parse_params(ANALYZE_PARAMS, args)
    selection_of_params(opts)
    if not data.strip():
        raise ParameterError("the request body is empty: send a CSV or GeoJSON")
    name = _upload_name(opts["format"], filename, content_type)
    job = UploadJob(data, dict(args), name=name, limits=limits)
    measured = cage.run(measure_upload, job)
    if isinstance(measured, ApiResponse):
        return measured
    return created(measured, store=store, base_url=base_url)


def created(measured: Analysis, *, store: AnalysisStore, base_url: str) -> ApiResponse:
    """The answer to an upload measured as ``measured``: ``201`` once kept in ``store``
    (its token and map's URL), else ``200`` with a warning that no map is kept."""
    token = store.put(measured)
    root = base_url.rstrip("/")
    body = {
        **measured.measures,
        "token": token,
        "map": None if token is None else f"{root}/analyses/{token}",
        "measures": None if token is None else f"{root}/api/analyses/{token}",
        "expires_in_s": None if token is None else store.ttl_seconds,
    }
    if token is None:
        body["density"]["warnings"].append("the analysis is too large to keep: no map")
        return ApiResponse(200, body)
    return ApiResponse(201, body, {"Content-Type": JSON, "Location": body["map"]})


def measure_upload(job: UploadJob) -> Analysis | ApiResponse:
    """Read and measure one upload (in the cage): its :class:`Analysis`, or the ``4xx``
    answer to a file that cannot be read."""
    try:
        return _measure(job)
    except ClustermapError as exc:
        return from_exception(exc)


def _measure(job: UploadJob) -> Analysis:
    import numpy as np

    from geo.analysis import analyse_points
    from geo.column_analysis import analyse_frame
    from geo.points import read_points_bytes

    opts = parse_params(ANALYZE_PARAMS, job.args)
    selection = selection_of_params(opts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        points = read_points_bytes(
            job.data,
            filename=job.name,
            lat=opts["lat"],
            lon=opts["lon"],
            x=opts["x"],
            y=opts["y"],
            crs=opts["crs"],
            drop_invalid=bool(opts["drop_invalid"]),
            max_points=job.limits.max_points,
            max_bytes=job.limits.max_bytes,
            attributes=selection.columns,
            max_chars=MAX_TEXT_CHARS,
        )
    notes = [str(w.message) for w in caught]
    if len(points) == 0:
        raise ParameterError("the upload holds no located point")
    check_kde_grid(points, opts)
    if selection.columns:
        analysis = quietly(
            analyse_frame, points, web_options(opts), selection=selection, name=job.name
        )
        points = points[selection.mask_frame(points)]
        proximity = proximity_of(points, analysis.crs)
    else:
        analysis = quietly(analyse_points, points, web_options(opts))
        proximity = _proximity(analysis)
    density_body = analysis.to_dict()
    density_body["warnings"] = notes + density_body["warnings"]
    lonlat = points.to_crs(4326).geometry.representative_point()
    lons, lats = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    sample = np.arange(len(lons))
    if len(sample) > MAP_POINTS:
        sample = np.sort(np.random.default_rng(0).choice(len(lons), MAP_POINTS, replace=False))
    layers: dict[str, dict[str, Any]] = {}
    if analysis.surface is not None:
        from geo.kde import kde_contours

        contours = quietly(kde_contours, analysis.surface)
        layers["kde_contours"] = feature_collection(contours)
    if opts["lq"] and getattr(analysis, "lq", None) is not None:
        layers["lq_cells"] = lq_layer(analysis)
    return Analysis(
        measures={"schema": ANALYSIS_SCHEMA, "density": density_body, "proximity": proximity},
        points=[[round(float(lats[i]), 6), round(float(lons[i]), 6)] for i in sample],
        labels=_labels(points, sample),
        layers=layers,
        bounds=[
            [float(np.min(lats)), float(np.min(lons))],
            [float(np.max(lats)), float(np.max(lons))],
        ],
    )


def analysis_measures(store: AnalysisStore, token: str) -> ApiResponse:
    """``GET /api/analyses/<token>``: the measures of a kept upload, or ``404``."""
    found = store.measures(token)
    if found is None:
        return error(404, "NotFound", "no such analysis (it may have expired)")
    return ApiResponse(200, found)
