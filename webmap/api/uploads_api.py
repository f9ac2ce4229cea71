"""API functions for uploads: ``POST /api/analyze`` and the analyses it keeps."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from geo.errors import ClustermapError, ParameterError, clip
from geo.jsonable import feature_collection
from geo.options import options_from
from webmap.api.analysis_db import Analysis, AnalysisStore
from webmap.api.cage import Cage
from webmap.api.measures_api import DENSITY_PARAMS, check_kde_grid, quietly
from webmap.api.options_api import api_param
from webmap.api.params import Param, parse_params
from webmap.api.response import JSON, ApiResponse, answers_errors, error, from_exception
from webmap.api.selection_api import SELECTION_PARAMS, lq_layer, selection_of_params

if TYPE_CHECKING:
    from geo.points import ReadOptions

#: HDBSCAN cores are sought in uploads of at most this many points: it needs scikit-learn
#: (some 350 MB of a cage's address space, ``UPLOAD_MEMORY_BYTES``) and every pairwise
#: neighbourhood. The default DBSCAN cores (:func:`geo.dbscan.dbscan_grid`) take O(n)
#: memory, so they are sought in every upload.
MAX_CORE_POINTS = 50_000
UPLOAD_CORES = replace(
    api_param("cores"),
    choices=("none", *api_param("cores").choices),
    description="Dense cores of the points: dbscan (default; eps and min_samples), hdbscan "
    f"(uploads of at most {MAX_CORE_POINTS:,} points) or none.",
)

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
    UPLOAD_CORES,
    api_param("eps_m"),
    api_param("min_samples"),
    *SELECTION_PARAMS,
)

#: Points drawn on an upload's map (a random sample beyond this).
MAP_POINTS = 100_000
#: Nearest-neighbour links drawn on the map for uploads of at most this many points.
MAX_LINK_POINTS = 5_000
#: Hexagons kept for the map and its download, densest first.
MAX_HEX_CELLS = 20_000
#: Kernel-density grids of at most this many cells are kept as a GeoTIFF download.
MAX_STORED_KDE_CELLS = 1_000_000


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
    """The summary of :func:`proximity_summary` of points' geodesic nearest-neighbour
    distances (:func:`geo.proximity.nearest_neighbours`)."""
    neighbours = _neighbours(points, crs)
    return proximity_summary(
        None if neighbours is None else neighbours["distance_1_m"].to_numpy(dtype=float)
    )


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
    from the content (see :mod:`geo.formats`); an upload of more than
    ``limits.max_points`` points, or compressed content decoding to more than
    ``limits.max_bytes``, is refused early with ``413``.

    The parameters are checked here; the upload is read and measured in ``cage``
    (:func:`measure_upload` in a child process with memory, CPU and time limits), whose
    limits answer ``413``, ``422`` or ``504`` (:mod:`webmap.error_table`).
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


def read_options(opts: Mapping[str, Any], *, max_points: int | None) -> ReadOptions:
    """How to read an upload's points: the columns, CRS and ``drop_invalid`` of parsed
    :data:`ANALYZE_PARAMS`, and at most ``max_points`` points."""
    return {
        "lat": opts["lat"],
        "lon": opts["lon"],
        "x": opts["x"],
        "y": opts["y"],
        "crs": opts["crs"],
        "drop_invalid": bool(opts["drop_invalid"]),
        "max_points": max_points,
    }


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
    read = read_options(opts, max_points=job.limits.max_points)
    read.update(
        {
            "max_bytes": job.limits.max_bytes,
            "attributes": selection.columns,
            "max_chars": MAX_TEXT_CHARS,
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        points = read_points_bytes(job.data, filename=job.name, **read)
    notes = [str(w.message) for w in caught]
    if len(points) == 0:
        raise ParameterError("the upload holds no located point")
    check_kde_grid(points, opts)
    options = upload_options(opts, len(points))
    if opts["cores"] != "none" and options.cores is None:
        notes.append(
            f"no HDBSCAN cores: they are sought in uploads of {MAX_CORE_POINTS:,} points at "
            "most (dbscan has no such limit)"
        )
    if selection.columns:
        analysis = quietly(analyse_frame, points, options, selection=selection, name=job.name)
        points = points[selection.mask_frame(points)]
        neighbours = _neighbours(points, analysis.crs)
        proximity = proximity_summary(
            None if neighbours is None else neighbours["distance_1_m"].to_numpy(dtype=float)
        )
    else:
        analysis = quietly(analyse_points, points, options)
        proximity = _proximity(analysis)
        neighbours = analysis.neighbours
    nn_m = None if neighbours is None else neighbours["distance_1_m"].to_numpy(dtype=float)
    density_body = analysis.to_dict()
    density_body["warnings"] = notes + density_body["warnings"]
    lonlat = points.to_crs(4326).geometry.representative_point()
    lons, lats = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    sample = np.arange(len(lons))
    if len(sample) > MAP_POINTS:
        sample = np.sort(np.random.default_rng(0).choice(len(lons), MAP_POINTS, replace=False))
    return Analysis(
        measures={"schema": ANALYSIS_SCHEMA, "density": density_body, "proximity": proximity},
        points=[[round(float(lats[i]), 6), round(float(lons[i]), 6)] for i in sample],
        labels=_labels(points, sample),
        layers=map_layers(analysis, opts, _nn_links(neighbours, points.index, lons, lats)),
        bounds=[
            [float(np.min(lats)), float(np.min(lons))],
            [float(np.max(lats)), float(np.max(lons))],
        ],
        extras={
            "args": {k: v for k, v in job.args.items() if k in _PARAM_NAMES},
            "name": job.name,
            "sampled": len(sample) < len(lons),
            "nn_distance_m": None if nn_m is None else [_finite(nn_m[i]) for i in sample],
            "kde_grid": _kde_grid(analysis.surface),
        },
    )


def upload_options(opts: Mapping[str, Any], n_points: int) -> Any:
    """The :class:`geo.options.AnalysisOptions` of parsed :data:`ANALYZE_PARAMS` for
    ``n_points`` points: the density options and dense cores (HDBSCAN up to
    :data:`MAX_CORE_POINTS` points)."""
    method = None if opts["cores"] == "none" else opts["cores"]
    if method == "hdbscan" and n_points > MAX_CORE_POINTS:
        method = None
    return options_from(opts, cores=method)


_PARAM_NAMES = frozenset(p.name for p in ANALYZE_PARAMS)


def _finite(value: float) -> float | None:
    return round(float(value), 3) if value == value else None


def _neighbours(points: Any, crs: Any) -> Any:
    """Each point's nearest other point and its geodesic distance
    (:func:`geo.proximity.nearest_neighbours`), or None below two points."""
    from geo.proximity import nearest_neighbours

    if len(points) < 2:
        return None
    return nearest_neighbours(points, k=1, crs=crs)


def map_layers(
    analysis: Any, opts: Mapping[str, Any], links: dict[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """The map's layers (EPSG:4326 FeatureCollections): KDE contours, hexagons (the
    :data:`MAX_HEX_CELLS` densest), dense cores (largest first), nearest-neighbour links
    (up to :data:`MAX_LINK_POINTS` points) and significant location quotients."""
    layers: dict[str, dict[str, Any]] = {}
    if analysis.surface is not None:
        from geo.kde import kde_contours

        layers["kde_contours"] = feature_collection(quietly(kde_contours, analysis.surface))
    if analysis.hexbins is not None:
        frame = analysis.hexbin_frame() if hasattr(analysis, "hexbin_frame") else analysis.hexbins
        frame = frame.sort_values("count", ascending=False, kind="stable").head(MAX_HEX_CELLS)
        if "h3_cell" not in frame.columns:
            frame = frame.reset_index()
        layers["hexbins"] = feature_collection(
            frame[["h3_cell", "count", "area_km2", "sites_per_km2", "geometry"]]
        )
    if analysis.cores is not None and len(analysis.cores.cores):
        cores = analysis.cores.cores.to_crs(4326).reset_index()
        cores = cores.sort_values("n_sites", ascending=False, kind="stable")
        layers["cores"] = feature_collection(
            cores[["core", "n_sites", "area_km2", "sites_per_km2", "geometry"]]
        )
    if links is not None:
        layers["nn_links"] = links
    if opts["lq"] and getattr(analysis, "lq", None) is not None:
        layers["lq_cells"] = lq_layer(analysis)
    return layers


def _nn_links(table: Any, index: Any, lons: Any, lats: Any) -> dict[str, Any] | None:
    """A line from each point to its nearest neighbour (each pair once), or None above
    :data:`MAX_LINK_POINTS` points; ``table`` is indexed like ``index``, the points'."""
    if table is None or len(table) > MAX_LINK_POINTS:
        return None
    position = {label: i for i, label in enumerate(index)}
    features, seen = [], set()
    for site, other, distance in zip(
        table.index, table["neighbour_1"], table["distance_1_m"], strict=True
    ):
        if other is None or other != other or (other, site) in seen:
            continue
        seen.add((site, other))
        a, b = position[site], position[other]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "from_id": str(site),
                    "to_id": str(other),
                    "distance_m": round(float(distance), 3),
                },
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [round(float(lons[a]), 6), round(float(lats[a]), 6)],
                        [round(float(lons[b]), 6), round(float(lats[b]), 6)],
                    ],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _kde_grid(surface: Any) -> dict[str, Any] | None:
    """The kernel density grid, kept for its GeoTIFF download (written outside the cage:
    :func:`kde_surface_of`), or None (none, or above :data:`MAX_STORED_KDE_CELLS`).

    The cells are float32, zlib-compressed and base64-encoded; rasterio is not loaded in
    the cage, whose address space it would swell."""
    if surface is None or surface.density_per_km2.size > MAX_STORED_KDE_CELLS:
        return None
    import base64
    import zlib

    import numpy as np

    grid = np.ascontiguousarray(surface.density_per_km2, dtype="<f4")
    rows, cols = grid.shape
    return {
        "rows": int(rows),
        "cols": int(cols),
        "west_m": float(surface.west_m),
        "north_m": float(surface.north_m),
        "cell_m": float(surface.cell_m),
        "crs": None if surface.crs is None else surface.crs.to_wkt(),
        "kernel": surface.kernel,
        "bandwidth_m": float(surface.bandwidth_m),
        "bandwidth_rule": surface.bandwidth_rule,
        "n_points": int(surface.n_points),
        "cells_f4_zlib": base64.b64encode(zlib.compress(grid.tobytes(), 6)).decode("ascii"),
    }


def kde_surface_of(grid: Mapping[str, Any]) -> Any:
    """The :class:`geo.kde.KDESurface` of a grid kept by :func:`_kde_grid`."""
    import base64
    import zlib

    import numpy as np
    import pyproj

    from geo.kde import KDESurface

    cells = np.frombuffer(zlib.decompress(base64.b64decode(grid["cells_f4_zlib"])), dtype="<f4")
    return KDESurface(
        density_per_km2=cells.reshape(grid["rows"], grid["cols"]).astype(float),
        west_m=grid["west_m"],
        north_m=grid["north_m"],
        cell_m=grid["cell_m"],
        crs=None if grid["crs"] is None else pyproj.CRS.from_wkt(grid["crs"]),
        kernel=grid["kernel"],
        bandwidth_m=grid["bandwidth_m"],
        bandwidth_rule=grid["bandwidth_rule"],
        n_points=grid["n_points"],
    )


def analysis_measures(store: AnalysisStore, token: str) -> ApiResponse:
    """``GET /api/analyses/<token>``: the measures of a kept upload, or ``404``."""
    found = store.measures(token)
    if found is None:
        return error(404, "NotFound", "no such analysis (it may have expired)")
    return ApiResponse(200, found)
