"""The JSON/GeoJSON API as plain functions: parameters in, :class:`ApiResponse` out.

Nothing here knows Flask: :mod:`webmap.api_routes` adapts these functions to routes, and
tests can call them directly. Errors are ``{"code": ..., "description": ...}`` bodies
with a 4xx status; raw input is never echoed into HTML.

Query parameters are declared once, as :class:`Param` lists next to the functions that
read them (``MEASURES_PARAMS``, ``DENSITY_PARAMS``, ...): :func:`parse_params` validates a
request against them (every problem reported at once) and :mod:`webmap.openapi` documents
them, so the documentation cannot drift from the validation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from geo._errors import ClustermapError, NetworkUnavailableError, ParameterError, UnknownIdError
from geo.registry import Registry
from webmap.caching import LruCache
from webmap.uploads import Analysis, AnalysisStore

GEOJSON = "application/geo+json"
JSON = "application/json"


@dataclass(frozen=True)
class ApiResponse:
    """What an API call answers: status, headers, and a JSON-able body."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": JSON})


def error(status: int, code: str, description: str) -> ApiResponse:
    """A JSON error body, e.g. ``error(404, "NotFound", "unknown cluster id 'x'")``."""
    return ApiResponse(status, {"code": code, "description": description})


def from_exception(exc: ClustermapError) -> ApiResponse:
    """Map a clustermap error to its 4xx response."""
    if isinstance(exc, UnknownIdError):
        return error(404, "NotFound", str(exc))
    if isinstance(exc, NetworkUnavailableError):
        return error(404, "NetworkUnavailable", str(exc))
    return error(400, "InvalidParameterValue", str(exc))


def cluster_summary(registry: Registry, cluster_id: str) -> dict[str, Any]:
    """A cluster's id, name, place, practices and site counts."""
    info = registry.cluster(cluster_id)
    sites = registry.sites_of(cluster_id)
    return {
        "id": cluster_id,
        "name": info["name"],
        "country": info["country"],
        "city": info["city"],
        "domain": info["domain"],
        "website": info["website"],
        "practices": sorted({p["practice"] for p in info["practices"]}),
        "n_sites": len(sites),
        "n_located": int(sites.geometry.notna().sum()),
    }


def list_clusters(registry: Registry, *, practice: str | None = None) -> ApiResponse:
    """``GET /api/clusters``: every cluster, optionally only those with ``practice``."""
    items = [cluster_summary(registry, cid) for cid in registry.clusters.index]
    if practice:
        items = [c for c in items if practice in c["practices"]]
    return ApiResponse(200, {"clusters": items, "registry_version": registry.version})


def cluster_detail(registry: Registry, cluster_id: str) -> ApiResponse:
    """``GET /api/clusters/<id>``: attributes, practices with evidence, epicentres."""
    try:
        info = registry.cluster(cluster_id)
    except UnknownIdError as exc:
        return from_exception(exc)
    body = cluster_summary(registry, cluster_id)
    body.update(
        description=info["description"],
        practices=info["practices"],
        epicentres=[
            {
                "id": epi_id,
                "name": row["name"],
                "members": list(row["members"]),
                "description": row["description"],
            }
            for epi_id, row in registry.epicentres_of(cluster_id).iterrows()
        ],
        links={
            "sites": f"/api/clusters/{cluster_id}/sites",
            "measures": f"/api/clusters/{cluster_id}/measures",
            "density": f"/api/clusters/{cluster_id}/density",
            "isochrones": f"/api/clusters/{cluster_id}/isochrones",
            "map": f"/clusters/{cluster_id}",
        },
    )
    return ApiResponse(200, body)


def site_features(registry: Registry, cluster_id: str) -> dict[str, Any]:
    """A cluster's sites as an RFC 7946 FeatureCollection (unlocated sites: null geometry)."""
    sites = registry.sites_of(cluster_id)
    columns = [c for c in sites.columns if c != "geometry"]
    features = []
    for site_id, geom, values in zip(
        sites.index, sites.geometry, sites[columns].itertuples(index=False), strict=True
    ):
        props = {"id": site_id, **dict(zip(columns, values, strict=True))}
        features.append(
            {
                "type": "Feature",
                "id": site_id,
                "geometry": None if geom is None else geom.__geo_interface__,
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def cluster_sites(registry: Registry, cluster_id: str) -> ApiResponse:
    """``GET /api/clusters/<id>/sites``: GeoJSON FeatureCollection of its sites."""
    try:
        body = site_features(registry, cluster_id)
    except UnknownIdError as exc:
        return from_exception(exc)
    return ApiResponse(200, body, {"Content-Type": GEOJSON})


def health(registry: Registry) -> ApiResponse:
    """``GET /healthz``: the server is up and its registry loaded."""
    return ApiResponse(
        200,
        {
            "status": "ok",
            "registry_version": registry.version,
            "clusters": len(registry.clusters),
        },
    )


# --------------------------------------------------------------------------- parameters

ParamKind = Literal["number", "integer", "string", "boolean", "numbers", "bbox"]


@dataclass(frozen=True)
class Param:
    """A documented query parameter: its type, range and default.

    ``kind`` is one of ``"number"`` (finite float; with ``choices``, a float or one of
    those words), ``"integer"``, ``"string"`` (with ``choices``, one of them),
    ``"boolean"`` (``true``/``false``/``1``/``0``), ``"numbers"`` (comma-separated finite
    floats, at most ``max_items``) or ``"bbox"`` (``minx,miny,maxx,maxy`` in lon/lat).
    ``clamp`` brings an integer above ``maximum`` down to it instead of refusing it.
    """

    name: str
    kind: ParamKind
    description: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    max_items: int | None = None
    clamp: bool = False

    def schema(self) -> dict[str, Any]:
        """The OpenAPI 3.0 schema of the parameter."""
        bounds: dict[str, Any] = {}
        if self.minimum is not None:
            bounds["minimum"] = self.minimum
            if self.exclusive_minimum:
                bounds["exclusiveMinimum"] = True
        if self.maximum is not None and not self.clamp:
            bounds["maximum"] = self.maximum
        if self.kind == "number":
            number = {"type": "number", **bounds}
            if self.choices:
                return {"anyOf": [number, {"type": "string", "enum": list(self.choices)}]}
            return number
        if self.kind == "integer":
            return {"type": "integer", **bounds}
        if self.kind == "boolean":
            return {"type": "boolean"}
        if self.kind == "numbers":
            return {
                "type": "array",
                "items": {"type": "number", **bounds},
                "minItems": 1,
                "maxItems": self.max_items or 10,
            }
        if self.kind == "bbox":
            return {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}
        if self.choices:
            return {"type": "string", "enum": list(self.choices)}
        return {"type": "string", "maxLength": 200}

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.0 parameter object (a query parameter)."""
        schema = self.schema()
        if self.default is not None:
            schema = {**schema, "default": self.default}
        out: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": schema,
        }
        if self.kind in ("numbers", "bbox"):
            out.update(style="form", explode=False)
        return out


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_one(param: Param, text: str) -> tuple[Any, str | None]:
    """(value, problem) of one raw parameter value."""
    name = param.name
    text = text.strip()
    if param.kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True, None
        if lowered in ("false", "0", "no"):
            return False, None
        return None, f"{name} must be true or false"
    if param.kind == "string":
        if param.choices and text not in param.choices:
            return None, f"{name} must be one of {', '.join(param.choices)}"
        if len(text) > 200:
            return None, f"{name} is longer than 200 characters"
        return text, None
    if param.kind == "bbox":
        values = [_finite(v) for v in text.split(",")]
        if len(values) not in (4, 6) or any(v is None for v in values):
            return None, f"{name} must be 4 (or 6) finite numbers: minx,miny,maxx,maxy"
        box = [float(v) for v in values if v is not None]
        minx, miny, maxx, maxy = (box[0], box[1], box[2], box[3])
        if len(box) == 6:
            minx, miny, maxx, maxy = box[0], box[1], box[3], box[4]
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            return None, (
                f"{name} must be lon/lat degrees with -90 <= miny <= maxy <= 90 "
                "and longitudes within [-180, 180]"
            )
        return (minx, miny, maxx, maxy), None
    if param.kind == "numbers":
        parts = [v for v in text.split(",") if v.strip()]
        if not parts or (param.max_items is not None and len(parts) > param.max_items):
            return None, f"{name} must be 1 to {param.max_items} comma-separated numbers"
        numbers = []
        for part in parts:
            value, problem = _parse_one(
                Param(
                    name,
                    "number",
                    "",
                    minimum=param.minimum,
                    maximum=param.maximum,
                    exclusive_minimum=param.exclusive_minimum,
                ),
                part,
            )
            if problem:
                return None, problem
            numbers.append(value)
        return numbers, None
    if param.kind == "number" and text.lower() in param.choices:
        return text.lower(), None
    number: float | int | None
    if param.kind == "integer":
        try:
            number = int(text)
        except ValueError:
            number = None
    else:
        number = _finite(text)
    if number is None:
        words = f" or one of {', '.join(param.choices)}" if param.choices else ""
        kind = "an integer" if param.kind == "integer" else "a finite number"
        return None, f"{name} must be {kind}{words}"
    low, high = param.minimum, param.maximum
    if low is not None and (number < low or (param.exclusive_minimum and number == low)):
        sign = ">" if param.exclusive_minimum else ">="
        return None, f"{name} must be {sign} {low:g}"
    if high is not None and number > high:
        if param.clamp:
            return type(number)(high), None
        return None, f"{name} must be <= {high:g}"
    return number, None


def parse_params(params: Sequence[Param], args: Mapping[str, str]) -> dict[str, Any]:
    """Validate ``args`` against ``params``: a dict of every parameter (defaults filled in).

    Unknown arguments are ignored. Empty values count as absent.

    Raises
    ------
    ParameterError
        Listing every invalid parameter at once (messages never include the raw input).
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for param in params:
        raw = args.get(param.name)
        if raw is None or not str(raw).strip():
            values[param.name] = param.default
            continue
        value, problem = _parse_one(param, str(raw))
        if problem:
            problems.append(problem)
        values[param.name] = value
    if problems:
        raise ParameterError("; ".join(problems))
    return values


def _bad_request(exc: ParameterError) -> ApiResponse:
    return error(400, "InvalidParameterValue", str(exc))


# --------------------------------------------------------------------------- measures

HEX_RES = Param(
    "hex_res",
    "integer",
    "H3 resolution of the hexagonal bins (9 is about 0.1 km²).",
    default=9,
    minimum=0,
    maximum=15,
)
MEASURES_PARAMS = (
    HEX_RES,
    Param(
        "eps",
        "number",
        "DBSCAN radius of the dense cores, metres.",
        default=500.0,
        minimum=1.0,
        maximum=50_000.0,
    ),
    Param(
        "min_samples",
        "integer",
        "DBSCAN minimum samples of a dense core.",
        default=3,
        minimum=1,
        maximum=1000,
    ),
)

#: Largest kernel-density grid computed for a web request (cells).
MAX_WEB_KDE_CELLS = 2_000_000

DENSITY_PARAMS = (
    Param(
        "bandwidth",
        "number",
        "Kernel bandwidth in metres (standard deviation for the "
        "gaussian kernel, support radius otherwise) or a rule of thumb.",
        default="scott",
        minimum=1.0,
        maximum=100_000.0,
        choices=("scott", "silverman"),
    ),
    Param(
        "cell",
        "number",
        "Grid cell size, metres (default: 512 cells on the longest side).",
        minimum=1.0,
        maximum=100_000.0,
    ),
    Param(
        "kernel",
        "string",
        "Kernel shape.",
        default="gaussian",
        choices=("gaussian", "quartic", "epanechnikov"),
    ),
    Param(
        "hex_res",
        "integer",
        "H3 resolution of the hexagonal bins.",
        default=9,
        minimum=0,
        maximum=15,
    ),
)

ISOCHRONE_PARAMS = (
    Param(
        "minutes",
        "numbers",
        "Walking times in minutes, comma-separated.",
        default=[5.0, 10.0, 15.0],
        minimum=0,
        exclusive_minimum=True,
        maximum=60.0,
        max_items=6,
    ),
)


def measures(
    registry: Registry, cluster_id: str, args: Mapping[str, str], *, cache: LruCache
) -> ApiResponse:
    """``GET /api/clusters/<id>/measures``: the JSON of ``clustermap measures --json``."""
    from geo.measures import cluster_measures

    try:
        registry.cluster(cluster_id)
        opts = parse_params(MEASURES_PARAMS, args)
        key = ("measures", cluster_id, tuple(sorted(opts.items())), registry.version)
        body = cache.get_or_compute(
            key,
            lambda: _quietly(
                cluster_measures,
                registry,
                cluster_id,
                eps_m=float(opts["eps"]),
                min_samples=int(opts["min_samples"]),
                hex_resolution=int(opts["hex_res"]),
            ),
        )
    except ClustermapError as exc:
        return from_exception(exc)
    return ApiResponse(200, body)


def _quietly(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` with warnings silenced (they are reported in the result's warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _check_kde_grid(points: Any, opts: Mapping[str, Any]) -> None:
    """Refuse a kernel-density grid too large for a web request (before computing it)."""
    from geo.kde import BandwidthRule, bandwidth_m
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
    import json

    if frame is None or len(frame) == 0:
        return []
    frame = frame.to_crs(4326)
    if frame.index.name is not None:
        frame = frame.reset_index()
    data = json.loads(frame.to_json(drop_id=True, na="null"))
    features: list[dict[str, Any]] = data["features"]
    for feature in features:
        feature["properties"] = {"layer": layer, **feature["properties"]}
    return features


def density_layers(points: Any, opts: Mapping[str, Any]) -> dict[str, Any]:
    """Kernel-density contours and hexagonal bins of points, as one FeatureCollection.

    Features carry ``layer``: ``"kde_contour"`` (``density_min_per_km2``,
    ``density_max_per_km2``) or ``"hexbin"`` (``h3_cell``, ``count``, ``area_km2``,
    ``sites_per_km2``). The collection's ``kde`` and ``hexbins`` members summarise them.
    """
    from geo.kde import kde_contours
    from geo.measures import analyse_points

    _check_kde_grid(points, opts)
    if len(points) == 0:
        return {
            "type": "FeatureCollection",
            "features": [],
            "kde": None,
            "hexbins": None,
            "warnings": ["no located point: no density"],
        }
    analysis = _quietly(
        analyse_points,
        points,
        bandwidth=opts["bandwidth"],
        kernel=opts["kernel"],
        cell_m=None if opts.get("cell") is None else float(opts["cell"]),
        hex_resolution=opts.get("hex_res"),
    )
    summary = analysis.to_dict()
    features: list[dict[str, Any]] = []
    if analysis.surface is not None:
        features += _frame_features(_quietly(kde_contours, analysis.surface), "kde_contour")
    features += _frame_features(analysis.hexbins, "hexbin")
    return {
        "type": "FeatureCollection",
        "features": features,
        "kde": summary["kde"],
        "hexbins": summary["hexbins"],
        "warnings": summary["warnings"],
    }


def density(
    registry: Registry, cluster_id: str, args: Mapping[str, str], *, cache: LruCache
) -> ApiResponse:
    """``GET /api/clusters/<id>/density``: density contours and hexagons as GeoJSON."""
    try:
        located = registry.located(cluster_id)
        opts = parse_params(DENSITY_PARAMS, args)
        key = ("density", cluster_id, tuple(sorted(opts.items())), registry.version)
        body = cache.get_or_compute(key, lambda: density_layers(located, opts))
    except ClustermapError as exc:
        return from_exception(exc)
    return ApiResponse(200, body, {"Content-Type": GEOJSON})


def isochrones(
    registry: Registry,
    cluster_id: str,
    args: Mapping[str, str],
    *,
    cache: LruCache,
    cache_dir: str | None = None,
) -> ApiResponse:
    """``GET /api/clusters/<id>/isochrones``: walking isochrones around each epicentre.

    ``404`` with code ``NetworkUnavailable`` when no street network is cached for the
    cluster (``clustermap network fetch|import``).
    """
    from geo.network import epicentre_isochrones, network_info, to_geojson

    try:
        registry.cluster(cluster_id)
        opts = parse_params(ISOCHRONE_PARAMS, args)
        minutes = [float(m) for m in opts["minutes"]]
        info = network_info(cluster_id, cache_dir=cache_dir)
        key = ("isochrones", cluster_id, tuple(sorted(set(minutes))), registry.version, info.sha256)
        body = cache.get_or_compute(
            key,
            lambda: to_geojson(
                _quietly(
                    epicentre_isochrones,
                    cluster_id,
                    minutes=minutes,
                    registry=registry,
                    cache_dir=cache_dir,
                )
            ),
        )
    except ClustermapError as exc:
        return from_exception(exc)
    return ApiResponse(200, body, {"Content-Type": GEOJSON})


# --------------------------------------------------------------------------- uploads

ANALYZE_PARAMS = (
    Param(
        "format",
        "string",
        "Format of the body (default: from the Content-Type or the uploaded file's name).",
        choices=("csv", "geojson"),
    ),
    Param("lat", "string", "Latitude column of a CSV (default: detected by name)."),
    Param("lon", "string", "Longitude column of a CSV (default: detected by name)."),
    Param(
        "drop_invalid",
        "boolean",
        "Drop rows with missing or out-of-range coordinates instead of refusing the file.",
        default=False,
    ),
    *DENSITY_PARAMS[:3],
    Param(
        "hex_res",
        "integer",
        "H3 resolution of the hexagonal bins (none by default).",
        minimum=0,
        maximum=15,
    ),
)

#: Points drawn on an upload's map (a random sample beyond this).
MAP_POINTS = 100_000


def _labels(points: Any, sample: Any) -> list[str] | None:
    """The sampled points' names, from the column a map would label them with."""
    from webmap.pointmap import label_column_of

    column = label_column_of(points)
    if column is None:
        return None
    values = points[column].to_numpy()[sample]
    return ["" if v is None or v != v else str(v) for v in values]


ANALYSIS_SCHEMA = "clustermap.analysis/1"


def _upload_name(fmt: str | None, filename: str | None, content_type: str | None) -> str:
    if fmt is not None:
        return f"upload.{fmt}"
    if filename:
        return filename
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


def _proximity(points: Any) -> dict[str, Any]:
    """Nearest-neighbour distance summary (geodesic metres), as ``proximity --json``."""
    import numpy as np

    from geo.projection import metric_crs
    from geo.proximity import nearest_neighbours

    if len(points) < 2:
        return {
            "k": 1,
            "distance": "geodesic (WGS 84)",
            "mean_nn_distance_m": None,
            "median_nn_distance_m": None,
            "min_nn_distance_m": None,
            "max_nn_distance_m": None,
        }
    table = nearest_neighbours(points, k=1, crs=metric_crs(points))
    first = table["distance_1_m"].to_numpy(dtype=float)
    return {
        "k": 1,
        "distance": "geodesic (WGS 84)",
        "mean_nn_distance_m": float(np.nanmean(first)),
        "median_nn_distance_m": float(np.nanmedian(first)),
        "min_nn_distance_m": float(np.nanmin(first)),
        "max_nn_distance_m": float(np.nanmax(first)),
    }


def analyze(
    data: bytes,
    args: Mapping[str, str],
    *,
    store: AnalysisStore,
    filename: str | None = None,
    content_type: str | None = None,
    base_url: str = "/",
) -> ApiResponse:
    """``POST /api/analyze``: measure uploaded points and keep a map of them for a while.

    The body is a CSV (``;`` or ``,`` separators, decimal commas accepted) or GeoJSON, read
    by the CLI's loader (:func:`geo.points.read_points_bytes`). Answers ``201`` with
    ``density`` (the point measures of ``clustermap density --json``), ``proximity``
    (nearest-neighbour distances), ``map`` (the URL of ``/analyses/<token>``) and
    ``expires_in_s``; the upload is never written into the registry.
    """
    import json

    import numpy as np

    from geo.measures import analyse_points
    from geo.points import read_points_bytes

    try:
        opts = parse_params(ANALYZE_PARAMS, args)
        if not data.strip():
            raise ParameterError("the request body is empty: send a CSV or GeoJSON")
        name = _upload_name(opts["format"], filename, content_type)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            points = read_points_bytes(
                data,
                filename=name,
                lat=opts["lat"],
                lon=opts["lon"],
                drop_invalid=bool(opts["drop_invalid"]),
            )
        notes = [str(w.message) for w in caught]
        if len(points) == 0:
            raise ParameterError("the upload holds no located point")
        _check_kde_grid(points, opts)
        analysis = _quietly(
            analyse_points,
            points,
            bandwidth=opts["bandwidth"],
            kernel=opts["kernel"],
            cell_m=None if opts["cell"] is None else float(opts["cell"]),
            hex_resolution=opts["hex_res"],
        )
        proximity = _proximity(points)
    except ClustermapError as exc:
        return from_exception(exc)
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

        contours = _quietly(kde_contours, analysis.surface)
        layers["kde_contours"] = json.loads(contours.to_crs(4326).to_json(drop_id=True))
    body: dict[str, Any] = {
        "schema": ANALYSIS_SCHEMA,
        "density": density_body,
        "proximity": proximity,
    }
    record = Analysis(
        measures=body,
        points=[[round(float(lats[i]), 6), round(float(lons[i]), 6)] for i in sample],
        labels=_labels(points, sample),
        layers=layers,
        bounds=[
            [float(np.min(lats)), float(np.min(lons))],
            [float(np.max(lats)), float(np.max(lons))],
        ],
    )
    token = store.put(record)
    root = base_url.rstrip("/")
    body = {
        **body,
        "token": token,
        "map": None if token is None else f"{root}/analyses/{token}",
        "measures": None if token is None else f"{root}/api/analyses/{token}",
        "expires_in_s": None if token is None else store.ttl_seconds,
    }
    if token is None:
        body["density"]["warnings"].append("the analysis is too large to keep: no map")
        return ApiResponse(200, body)
    return ApiResponse(201, body, {"Content-Type": JSON, "Location": body["map"]})


def analysis_measures(store: AnalysisStore, token: str) -> ApiResponse:
    """``GET /api/analyses/<token>``: the measures of a kept upload, or ``404``."""
    found = store.get(token)
    if found is None:
        return error(404, "NotFound", "no such analysis (it may have expired)")
    return ApiResponse(200, found.measures)
