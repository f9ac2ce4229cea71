"""``/clusters/<id>/figure.(png|svg|pdf)``: the print-ready figure of a cluster
(:mod:`webmap.figures`), as ``clustermap figure`` draws it.

Query parameters: ``layers`` (comma list), ``paper`` (``a4``/``a3``), ``landscape``
(``true``/``false``), ``dpi`` (PNG only, :data:`webmap.figures.MIN_DPI` to
:data:`MAX_SERVER_DPI`), ``as_of`` (``YYYY[-MM[-DD]]``) and ``lang`` (``en``/``fr``, else the
``lang`` cookie or ``Accept-Language``, as pages: :mod:`webmap.web.language`). An unknown
cluster answers ``404``, a bad parameter ``400``. The figure is drawn in the app's work pool
from one analysis of the cluster, and only its bytes are kept in the app's cache, per
parameters, registry, network and language; the analysis is the one the cluster's page
and measures share (:mod:`webmap.api.cluster_analysis`). Answers carry an ETag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Blueprint, Response, abort, current_app, request

from geo.errors import ParameterError, UnknownIdError, quote
from geo.registry import date_key
from webmap.api.cluster_analysis import cluster_analysis
from webmap.api.memo import day_key
from webmap.figures import (
    DEFAULT_DPI,
    FORMATS,
    MIN_DPI,
    Page,
    figure_bytes,
    figure_layers,
    registry_cluster_figure,
)
from webmap.i18n import gettext
from webmap.maps.view import parse_layers
from webmap.web.caching import conditional, get_cache
from webmap.web.language import page_language
from webmap.web.mapdata_cache import request_network_signature
from webmap.web.state import get_registry
from webmap.web.workpool import heavy

bp = Blueprint("figures", __name__)

#: Every layer a cluster figure may have (with streets when the cluster has a network).
ALL_CLUSTER_LAYERS = figure_layers("cluster", has_streets=True)
#: Largest PNG resolution the server draws: an A3 sheet at 300 dpi is 17 million pixels.
MAX_SERVER_DPI = 300
_DPI = re.compile(r"[0-9]{2,3}")  # ASCII digits only
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


def _page(args: Mapping[str, str]) -> Page:
    """The paper, orientation and resolution asked for; ParameterError when invalid."""
    landscape = args.get("landscape", "false").lower()
    if landscape not in _BOOLEAN:
        msg = f"landscape must be true or false, not {quote(landscape)}"
        raise ParameterError(msg)
    dpi_text = args.get("dpi", str(DEFAULT_DPI))
    if not _DPI.fullmatch(dpi_text) or not MIN_DPI <= int(dpi_text) <= MAX_SERVER_DPI:
        msg = f"dpi must be a whole number from {MIN_DPI} to {MAX_SERVER_DPI}"
        raise ParameterError(msg)
    return Page(paper=args.get("paper", "a4"), landscape=_BOOLEAN[landscape], dpi=int(dpi_text))


def _render(
    cluster_id: str,
    fmt: str,
    page: Page,
    layers: tuple[str, ...] | None,
    as_of: str | None,
    lang: str,
) -> bytes:
    """The figure's bytes, from the cluster's one analysis that its page and measures share
    (:func:`webmap.api.cluster_analysis.cluster_analysis`; the page's map data keeps no
    kernel density grid)."""
    registry = get_registry()
    analysis = cluster_analysis(registry, cluster_id, as_of=as_of, cache=get_cache())
    figure = registry_cluster_figure(
        analysis,
        registry_version=registry.version,
        page=page,
        layers=layers,
        cache_dir=current_app.config.get("NETWORK_CACHE_DIR"),
        lang=lang,
    )
    return figure_bytes(figure, fmt, dpi=page.dpi)


def _layers(text: str) -> tuple[str, ...]:
    """The layers named in ``text``, once each, in drawing order (the figure draws them in
    that order whatever the query says): ``sites,sites`` and ``sites`` are one figure."""
    chosen = set(parse_layers(text, available=ALL_CLUSTER_LAYERS))
    return tuple(key for key in ALL_CLUSTER_LAYERS if key in chosen)


@bp.get("/clusters/<cluster_id>/figure.<any(png, svg, pdf):fmt>")
def figure(cluster_id: str, fmt: str) -> Response:
    """The cluster's figure as a download."""
    registry = get_registry()
    try:
        registry.cluster(cluster_id)
    except UnknownIdError:
        message = "There is no cluster with the id %(id)s."
        abort(404, description=gettext(message, lang=page_language(), id=quote(cluster_id)))
    as_of = request.args.get("as_of") or None
    try:  # checked before any work; the network decides 'streets'
        page = _page(request.args)
        day = None if as_of is None else date_key(as_of, field="as_of")
        layers = _layers(request.args["layers"]) if "layers" in request.args else None
    except ParameterError as exc:
        abort(400, description=str(exc))
    network = request_network_signature()
    lang = page_language()
    # keyed on parsed values: 'sites,sites' or '2016-10-01' make no entry of their own;
    # without as_of, today's date (the sites open today)
    today = day_key(as_of)
    key = ("figure", registry.version, cluster_id, fmt, page, layers, day, today, network, lang)
    try:
        body = get_cache().get_or_compute(
            key, lambda: _render(cluster_id, fmt, page, layers, as_of, lang), run=heavy
        )
    except ParameterError as exc:  # 'streets' asked of a cluster without a network
        abort(400, description=str(exc))
    response = Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{cluster_id}-figure.{fmt}"'},
    )
    return conditional(response)
