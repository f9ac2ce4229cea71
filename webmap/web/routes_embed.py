"""Sharing a cluster's map: the embed builder's choices, embed addresses, and oEmbed.

* The cluster page's "Share / embed" panel (``templates/_embed_builder.html`` and
  ``static/embed_builder.js``) offers :func:`builder_choices`: the layers the embed route
  accepts for that cluster, the basemaps, the languages, the dates of the date switch and
  the frame height. Every choice is a parameter ``/embed/<id>`` accepts
  (:data:`EMBED_PARAMS`).
* ``GET /oembed?url=...`` answers oEmbed 1.0 (``type: rich``) for a cluster page or an
  embed address of this server. The address is matched against the trusted origin
  (:mod:`webmap.web.origin`): another host or path prefix, or an unknown cluster, is
  ``404``; its view parameters are validated and the iframe address is rebuilt from the
  parsed values, never copied from the input. Names in the HTML go through
  :func:`webmap.maps.escape.escape_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote, urlencode, urlsplit

from flask import Blueprint, Response, current_app, request

from geo.errors import ParameterError
from geo.measures import NOTE_DATE
from geo.registry import Registry
from webmap.api.params import Param, parse_params
from webmap.api.response import ApiResponse, answers_errors, error
from webmap.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext
from webmap.layer_registry import LAYERS, Layer
from webmap.maps.basemaps import BASEMAPS, Basemap
from webmap.maps.cluster_map import available_layers
from webmap.maps.escape import escape_text
from webmap.maps.view import VIEW_PARAMS, MapView, parse_view
from webmap.web.mapdata_cache import network_signature
from webmap.web.openapi import operation
from webmap.web.routes_api import to_flask
from webmap.web.state import get_registry

bp = Blueprint("embedding", __name__)

#: Every query parameter ``/embed/<id>`` reads: the view's and ``lang``.
EMBED_PARAMS = (*VIEW_PARAMS, "lang")
#: The size of an embed: the builder's default height, its bounds, and oEmbed's frame.
DEFAULT_WIDTH_PX = 800
DEFAULT_HEIGHT_PX = 500
MIN_HEIGHT_PX = 200
MAX_HEIGHT_PX = 2000
#: The longest ``url`` oEmbed reads (an embed address with every option is ~250).
MAX_URL_CHARS = 2000
PROVIDER_NAME = "clustermap"
_PAGE_PATH = re.compile(r"/(clusters|embed)/([^/]+)")


@dataclass(frozen=True)
class BuilderChoices:
    """What the embed builder offers for one cluster.

    ``layers`` are those ``/embed/<id>`` accepts for the cluster (the walking layers only
    with a street network); ``dates`` are the ``as_of`` values of the date switch besides
    today's registry; ``frame_titles`` the iframe's ``title`` in each language.
    """

    layers: tuple[Layer, ...]
    basemaps: tuple[Basemap, ...]
    dates: tuple[str, ...]
    frame_titles: dict[str, str]
    height_px: int = DEFAULT_HEIGHT_PX
    min_height_px: int = MIN_HEIGHT_PX
    max_height_px: int = MAX_HEIGHT_PX


def builder_choices(name: str, *, available: Iterable[str]) -> BuilderChoices:
    """The builder's choices for the cluster called ``name``, whose map can draw the
    ``available`` layers."""
    return BuilderChoices(
        layers=tuple(LAYERS[key] for key in available),
        basemaps=tuple(BASEMAPS.values()),
        dates=(NOTE_DATE,),
        frame_titles={lang: frame_title(name, lang=lang) for lang in LANGUAGES},
    )


def frame_title(name: str, *, lang: str) -> str:
    """The iframe's ``title`` (what a screen reader announces), as text."""
    return gettext("Map of %(name)s (clustermap)", lang=lang, name=name)


def parse_lang(args: Mapping[str, str]) -> str | None:
    """The ``lang`` asked for (None: the page's usual choice).

    Raises
    ------
    ParameterError
        When ``lang`` is given and is not one of :data:`webmap.i18n.LANGUAGES`.
    """
    lang = args.get("lang") or None
    if lang is not None and lang not in LANGUAGES:
        msg = f"lang must be one of {', '.join(LANGUAGES)}"
        raise ParameterError(msg)
    return lang


def embed_query(view: MapView, *, lang: str | None) -> dict[str, str]:
    """The query of the embed address drawing ``view`` in ``lang``: only parsed values, in
    the order the builder writes them."""
    query: dict[str, str] = {}
    if view.layers is not None:
        query["layers"] = ",".join(view.layers)
    query["basemap"] = view.basemap
    if lang is not None:
        query["lang"] = lang
    if view.as_of is not None:
        query["as_of"] = view.as_of
    if view.lat is not None and view.lon is not None:
        query["lat"], query["lon"] = f"{view.lat:.5f}", f"{view.lon:.5f}"
    if view.zoom is not None:
        query["zoom"] = str(view.zoom)
    return query


def embed_address(root: str, cluster_id: str, query: Mapping[str, str]) -> str:
    """``root/embed/<id>?query`` (``root``: the trusted origin and prefix, no final ``/``)."""
    path = f"{root}/embed/{quote_plus(cluster_id)}"
    return f"{path}?{urlencode(query, safe=',')}" if query else path


def frame_html(src: str, *, title: str, width: int, height: int) -> str:
    """The ``<iframe>`` that embeds ``src``; ``title`` (for screen readers) is escaped.

    The builder (``static/embed_builder.js``) writes the same attributes, its width 100 %.
    """
    return (
        f'<iframe src="{escape_text(src)}" title="{escape_text(title)}" width="{width}" '
        f'height="{height}" loading="lazy" style="border:0" '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )


# ---------------------------------------------------------------------------- oEmbed

OEMBED_PARAMS = (
    Param(
        "url",
        "string",
        "The address of a cluster page (/clusters/<id>) or embed (/embed/<id>) of this "
        "server; an embed's view parameters (layers, basemap, lang, as_of, lat, lon, zoom) "
        "are kept.",
    ),
    Param("maxwidth", "integer", "Largest width of the frame, in pixels.", minimum=1),
    Param("maxheight", "integer", "Largest height of the frame, in pixels.", minimum=1),
    Param(
        "format",
        "string",
        "The answer's format: json (oEmbed's xml answers 501 Not Implemented).",
        default="json",
        choices=("json",),
    ),
)


@dataclass(frozen=True)
class SharedPage:
    """A cluster page or embed address of this server, parsed."""

    cluster_id: str
    view: MapView
    lang: str | None


def resolve_url(
    url: str, *, root: str, registry: Registry, cache_dir: str | None
) -> SharedPage | None:
    """The cluster and view that ``url`` shows; None unless it is a cluster page or embed
    under ``root`` (the same host, port and path prefix; a path is one under ``root``).

    Raises
    ------
    UnknownIdError
        When ``url`` names a cluster the registry does not hold.
    ParameterError
        When its view parameters are invalid (``400``, naming ``url``).
    """
    ours, parts = urlsplit(root), urlsplit(url)
    if url.startswith("/") and not url.startswith("//"):  # a path (the relative discovery link)
        parts = parts._replace(scheme=ours.scheme, netloc=ours.netloc)
    prefix = ours.path.rstrip("/")
    # either scheme: a TLS proxy may serve us as https; the answer links the trusted root
    ours_too = (
        parts.scheme in ("http", "https")
        and parts.netloc.lower() == ours.netloc.lower()
        and parts.path.startswith(prefix + "/")
    )
    match = _PAGE_PATH.fullmatch(parts.path[len(prefix) :].rstrip("/")) if ours_too else None
    if match is None:
        return None
    cluster_id = unquote(match.group(2))
    registry.cluster(cluster_id)  # UnknownIdError: 404
    # the first value of each, blanks kept: as Flask reads the embed's own query
    args = dict(reversed(parse_qsl(parts.query, keep_blank_values=True)))
    has_network = network_signature(cluster_id, cache_dir) is not None
    try:
        view = parse_view(args, available=available_layers(has_network=has_network))
        lang = parse_lang(args)
    except ParameterError as exc:
        msg = f"url: {exc}"
        raise ParameterError(msg) from None
    return SharedPage(cluster_id, view, lang)


@answers_errors
def oembed(
    args: Mapping[str, str], *, root: str, registry: Registry, cache_dir: str | None
) -> ApiResponse:
    """The oEmbed 1.0 answer (``type: rich``) for ``args["url"]``; ``root`` is the trusted
    origin and prefix the server is reached at (no final ``/``)."""
    if args.get("format") == "xml":
        return error(501, "NotImplemented", "format xml is not implemented: use format=json")
    options = parse_params(OEMBED_PARAMS[1:], args)
    url = args.get("url", "").strip()
    if not url:
        return error(400, "InvalidParameterValue", "url is required")
    if len(url) > MAX_URL_CHARS:
        return error(400, "InvalidParameterValue", f"url is longer than {MAX_URL_CHARS} characters")
    page = resolve_url(url, root=root, registry=registry, cache_dir=cache_dir)
    if page is None:
        return error(404, "NotFound", f"url is not a cluster page or embed of {root}/")
    width = min(DEFAULT_WIDTH_PX, options["maxwidth"] or DEFAULT_WIDTH_PX)
    height = min(DEFAULT_HEIGHT_PX, options["maxheight"] or DEFAULT_HEIGHT_PX)
    name = str(registry.cluster(page.cluster_id)["name"])
    src = embed_address(root, page.cluster_id, embed_query(page.view, lang=page.lang))
    title = frame_title(name, lang=page.lang or DEFAULT_LANGUAGE)
    body: dict[str, Any] = {
        "type": "rich",
        "version": "1.0",
        "title": name,
        "provider_name": PROVIDER_NAME,
        "provider_url": f"{root}/",
        "html": frame_html(src, title=title, width=width, height=height),
        "width": width,
        "height": height,
    }
    return ApiResponse(200, body)


def oembed_link(cluster_id: str, query: Mapping[str, str], *, page: str) -> str:
    """The ``/oembed`` address describing ``page`` (``"clusters"`` or ``"embed"``) of
    ``cluster_id`` with ``query``, for the discovery ``<link>``.

    Absolute with ``PUBLIC_URL`` configured (one origin: a cached page is the same for
    every request); else relative to the server's root, since pages never name the
    request's host (:mod:`webmap.web.caching`), and ``url`` is then a path that
    :func:`oembed` resolves against the trusted origin.
    """
    root = request.host_url.rstrip("/") if current_app.config.get("PUBLIC_URL") else ""
    path = f"{request.script_root}/{page}/{quote_plus(cluster_id)}"
    url = f"{root}{path}?{urlencode(query, safe=',')}" if query else f"{root}{path}"
    return f"{root}{request.script_root}/oembed?{urlencode({'url': url, 'format': 'json'})}"


@bp.get("/oembed")
@operation(
    "oEmbed 1.0 (type rich) for a cluster page or embed address of this server",
    tags=("meta",),
    params=OEMBED_PARAMS,
    statuses=(400, 404, 501),
)
def oembed_route() -> Response:
    """``/oembed?url=...&maxwidth=&maxheight=&format=json``."""
    answer = oembed(
        request.args,
        root=request.url_root.rstrip("/"),
        registry=get_registry(),
        cache_dir=current_app.config.get("NETWORK_CACHE_DIR"),
    )
    return to_flask(answer)
