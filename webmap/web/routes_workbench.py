"""The analyst's workbench: ``/analyze`` (the upload form, with a preview) and the downloads
of an analysis (``/analyses/<token>/download/<file>``, ``/analyses/<token>/figure.<fmt>``).

The form is a plain multipart POST that works without JavaScript: ``Preview`` keeps the
file for a short while under a random token (:class:`webmap.api.workbench_api.StagedUploads`, in
the cache folder, at most ``MAX_CONTENT_LENGTH`` times four) and shows its first rows and
detected columns; ``Analyse`` (with a new file or the previewed one) measures it in the cage
like ``POST /api/analyze`` and answers ``303`` to ``/analyses/<token>``. A refused file
shows the form again with the message (escaped by Jinja), with the API's status.
``workbench.js`` adds upload progress and drag and drop.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from geo.errors import ClustermapError
from geo.paths import resolve_cache_dir
from webmap.api import uploads_api, workbench_api
from webmap.api.response import ApiResponse, from_exception
from webmap.error_table import body_for
from webmap.web.caching import conditional
from webmap.web.language import page_language
from webmap.web.upload_store import get_cage, get_store
from webmap.web.workpool import get_pool

bp = Blueprint("workbench", __name__)

_GONE = "There is no such analysis; it may have expired."
#: Staged uploads take at most this many request bodies together.
STAGED_BODIES = 4
FIGURE_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def _staged() -> workbench_api.StagedUploads:
    folder = resolve_cache_dir(current_app.config.get("NETWORK_CACHE_DIR")) / "staged-uploads"
    limit = int(current_app.config["MAX_CONTENT_LENGTH"]) * STAGED_BODIES
    return workbench_api.StagedUploads(folder, max_bytes=limit)


def _limits() -> dict[str, Any]:
    from geo.points import MAX_COLUMNS
    from webmap.api.measures_api import MAX_WEB_KDE_CELLS

    config = current_app.config
    return {
        "max_request_bytes": int(config["MAX_CONTENT_LENGTH"]),
        "max_points": int(config["MAX_UPLOAD_POINTS"]),
        "max_decoded_bytes": int(config["MAX_UPLOAD_DECODED_BYTES"]),
        "max_kde_cells": MAX_WEB_KDE_CELLS,
        "max_columns": MAX_COLUMNS,
        "map_points": uploads_api.MAP_POINTS,
        "ttl_s": int(config["ANALYSIS_TTL_SECONDS"]),
        "wall_s": float(config["UPLOAD_WALL_SECONDS"]),
    }


def _form(
    *,
    status: int = 200,
    message: str | None = None,
    problems: list[str] | None = None,
    preview: workbench_api.Preview | None = None,
    staged: str | None = None,
    filename: str | None = None,
    query: dict[str, str] | None = None,
) -> Response:
    html = render_template(
        "analyze.html",
        options=workbench_api.option_fields(),
        selection=workbench_api.selection_fields(),
        limits=_limits(),
        message=message,
        problems=[p for p in problems or [] if p != message],
        preview=preview,
        staged=staged,
        filename=filename,
        query=query or {},
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/analyze")
def analyze_form() -> Response:
    """The empty upload form."""
    return _form()


@bp.post("/analyze")
def analyze_post() -> Response:
    """Preview (``step=preview``) or analyse an upload; ``303`` to its page when done."""
    try:
        query = workbench_api.query_of_form(request.form.items(multi=True))
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        limit = int(current_app.config["MAX_CONTENT_LENGTH"])
        return _form(status=413, message=f"the upload is larger than the limit of {limit:,} bytes")
    staged = request.form.get("staged") or None
    try:
        if upload is not None and upload.filename:
            data, name = upload.read(), upload.filename
        elif staged:
            data, name = _staged().get(staged)
        else:
            return _form(status=400, message="choose a file to upload", query=query)
        if not data.strip():
            return _form(status=400, message="the file is empty", query=query)
        if request.form.get("step") == "preview":
            preview = workbench_api.preview_upload(data, name=name, query=query)
            token = _staged().put(data, name=name)
            return _form(preview=preview, staged=token, filename=name, query=query)
    except ClustermapError as exc:
        body = body_for(exc)
        status = from_exception(exc).status
        return _form(
            status=status, message=body["description"], problems=body["problems"], query=query
        )
    result = _analyse(data, name, query)
    if result.status >= 400:
        body = result.body if isinstance(result.body, dict) else {}
        return _form(
            status=result.status,
            message=str(body.get("description", "the file could not be analysed")),
            problems=[str(p) for p in body.get("problems", [])],
            query=query,
            staged=staged,
            filename=name,
        )
    token = result.body.get("token")
    if token is None:
        return _form(status=413, message="the analysis is too large to keep", query=query)
    return Response(status=303, headers={"Location": f"{request.script_root}/analyses/{token}"})


def _analyse(data: bytes, name: str, query: dict[str, str]) -> ApiResponse:
    from webmap.web.routes_api import CAGE_ANSWER_SECONDS

    config = current_app.config
    limits = uploads_api.ReadLimits(
        max_points=int(config["MAX_UPLOAD_POINTS"]),
        max_bytes=int(config["MAX_UPLOAD_DECODED_BYTES"]),
    )
    store, cage, base = get_store(), get_cage(), request.url_root
    return get_pool().run(
        lambda: uploads_api.analyze(
            data, query, store=store, cage=cage, filename=name, base_url=base, limits=limits
        ),
        timeout_s=cage.limits.wall_seconds + CAGE_ANSWER_SECONDS,
    )


@bp.get("/analyses/<token>/download/<key>")
def analysis_download(token: str, key: str) -> Response:
    """One file of a kept analysis (:data:`webmap.api.workbench_api.DOWNLOADS`)."""
    found = get_store().get(token)
    if found is None:
        abort(404, description=_GONE)
    file = workbench_api.download(found, key)
    if file is None:
        abort(404, description="this analysis offers no such download")
    return conditional(
        Response(
            file.body,
            mimetype=file.media_type,
            headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
        )
    )


@bp.get("/analyses/<token>/figure.<any(png, svg, pdf):fmt>")
def analysis_figure(token: str, fmt: str) -> Response:
    """The analysis's print figure, drawn in the cage from the kept points (a sample above
    :data:`webmap.api.uploads_api.MAP_POINTS`), with the options it was measured with."""
    found = get_store().get(token)
    if found is None:
        abort(404, description=_GONE)
    cage = get_cage()
    job = (found.points, found.extras.get("args", {}), fmt, page_language())
    from webmap.web.routes_api import CAGE_ANSWER_SECONDS

    body = get_pool().run(
        lambda: cage.run(stored_figure, job),
        timeout_s=cage.limits.wall_seconds + CAGE_ANSWER_SECONDS,
    )
    return conditional(
        Response(
            body,
            mimetype=FIGURE_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="analysis-figure.{fmt}"'},
        )
    )


def stored_figure(job: tuple[list[list[float]], dict[str, str], str, str]) -> bytes:
    """The figure's bytes of kept ``[lat, lon]`` points measured with an API query, its text
    in the job's language (run in the cage: matplotlib and the analysis are bounded like an
    upload)."""
    import geopandas as gpd
    import numpy as np

    from geo.analysis import analyse_points
    from geo.overlays import point_overlays
    from webmap.api.measures_api import quietly
    from webmap.api.params import parse_params
    from webmap.figures import figure_bytes
    from webmap.figures.points_figure import points_figure
    from webmap.i18n import gettext

    points, args, fmt, lang = job
    opts = parse_params(uploads_api.ANALYZE_PARAMS, args)
    lat, lon = np.asarray(points, dtype=float).reshape(-1, 2).T
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    options = uploads_api.upload_options(opts, len(frame))
    analysis = quietly(analyse_points, frame, options)
    figure = points_figure(
        analysis,
        point_overlays(analysis),
        title=gettext("Analysis of an upload", lang=lang),
        source=gettext("an upload", lang=lang),
        lang=lang,
    )
    return figure_bytes(figure, fmt)
