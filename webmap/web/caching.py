"""Response caching: a bounded LRU of computed results, ETags and ``304 Not Modified``.

Everything cached is keyed by what determines it, always including the registry version,
so a changed registry never serves a stale page or measure, and today's date where the
answer shows "today"'s sites (:func:`webmap.api.memo.day_key`; pages always), so a server
running across a site's ``valid_to`` does not keep showing it open, and the language of a
page (:mod:`webmap.web.language`), so an English reader never gets a French page:

* :class:`LruCache` holds computed results (measures, density layers, rendered pages), with
  a bound on the number of entries and one on the bytes they hold (each entry measured by
  :func:`webmap.api.sizing.estimate_bytes` when stored). It is thread-safe (waitress serves
  from threads).
* :func:`cached_page` decorates a Flask view: the first request renders the page and stores
  its bytes and a strong ``ETag``; later requests answer from memory, and a request whose
  ``If-None-Match`` holds that ETag gets ``304`` with no body, without rendering anything.
* :func:`etag_of` hashes response bytes; :func:`conditional` adds the ETag to any response
  and turns it into a ``304`` when the client already holds it.

The cache of an app is ``app.extensions[CACHE_KEY]``; its bounds are ``CACHE_ENTRIES`` and
``CACHE_MAX_BYTES``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from flask import Flask, Response, current_app, make_response, request

from webmap.api.memo import DEFAULT_ENTRIES, DEFAULT_MAX_BYTES, LruCache, day_key
from webmap.web.language import PAGE_PARAMS, page_language
from webmap.web.state import get_registry
from webmap.web.workpool import heavy

__all__ = [
    "CACHE_KEY",
    "CachedPage",
    "cached_page",
    "conditional",
    "etag_of",
    "get_cache",
    "init_app",
]

CACHE_KEY = "clustermap.cache"

T = TypeVar("T")


def init_app(app: Flask) -> LruCache:
    """Give ``app`` its cache (``CACHE_ENTRIES`` items, default 512, and
    ``CACHE_MAX_BYTES``, default 256 MB)."""
    cache = LruCache(
        int(app.config.get("CACHE_ENTRIES", DEFAULT_ENTRIES)),
        int(app.config.get("CACHE_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )
    app.extensions[CACHE_KEY] = cache
    return cache


def get_cache() -> LruCache:
    """The current app's cache (created on first use if :func:`init_app` was not called)."""
    cache = current_app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = init_app(current_app)
    return cache


def etag_of(data: bytes) -> str:
    """A strong ETag value (without quotes) for response bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _held_etag(etag: str) -> str | None:
    """The ETag of ``etag``'s representation the client holds (plain or gzipped), if any."""
    from webmap.web.compression import GZIP_SUFFIX

    for candidate in (etag, etag + GZIP_SUFFIX):
        if request.if_none_match.contains(candidate):
            return candidate
    return None


def conditional(response: Response) -> Response:
    """Add a strong ETag to a ``200`` response to GET/HEAD and answer ``304`` if it matches.

    Other responses are returned unchanged.
    """
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.direct_passthrough or response.is_streamed:
        return response
    etag = etag_of(response.get_data())
    held = _held_etag(etag)
    if held is not None:
        return _not_modified(held)
    response.set_etag(etag)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


@dataclass(frozen=True)
class CachedPage:
    """A rendered response kept in the cache."""

    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]


#: the headers a cached answer keeps (a download keeps its file name)
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition")


def _page_key(
    params: tuple[str, ...], vary: Callable[[], Hashable] | None, lang: str | None
) -> tuple[Hashable, ...]:
    view_args = tuple(sorted((request.view_args or {}).items()))
    query = tuple((name, tuple(request.args.getlist(name))) for name in params)
    extra = None if vary is None else vary()
    # the path prefix is in every link of the page (the host is in none: links are relative)
    root = request.script_root
    # today's date: a page without ``as_of`` shows the sites open today (a valid_to passes)
    today = day_key(None)
    version = get_registry().version
    return ("page", request.endpoint, view_args, query, root, version, today, lang, extra)


def _not_modified(etag: str) -> Response:
    response = current_app.response_class(status=304)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _from_cache(page: CachedPage) -> Response:
    held = _held_etag(page.etag)
    if held is not None:
        return _not_modified(held)
    response = current_app.response_class(page.body, status=200, headers=list(page.headers))
    response.set_etag(page.etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


View = Callable[..., Any]


@overload
def cached_page(view: View) -> Callable[..., Response]: ...
@overload
def cached_page(
    *,
    params: tuple[str, ...] = (),
    vary: Callable[[], Hashable] | None = None,
    localized: bool = True,
) -> Callable[[View], Callable[..., Response]]: ...


def cached_page(
    view: View | None = None,
    *,
    params: tuple[str, ...] = (),
    vary: Callable[[], Hashable] | None = None,
    localized: bool = True,
) -> Any:
    """Cache a GET view's ``200`` responses per (endpoint, URL arguments, the query
    parameters named in ``params``, path prefix, registry, language).

    Apply it under the route decorator::

        @bp.get("/clusters/<cluster_id>")
        @cached_page
        def cluster(cluster_id: str) -> str: ...

    ``params`` names the query parameters the view reads; any other parameter (``?utm=``)
    is ignored and never makes an entry of its own. ``@cached_page(vary=func)`` adds
    ``func()`` (called in the request) to the key, for a page that also depends on
    something else, e.g. whether a street network is cached. A page is in the request's
    language (:func:`webmap.web.language.page_language`), which is part of its key and its
    ETag (``<digest>-<lang>``); ``localized=False`` marks a language-neutral answer (JSON,
    CSV), kept once for every language. The view may return anything
    Flask accepts; errors (``abort(404)``, non-200 statuses) are not cached. The page must
    not depend on anything but its path, those parameters, the registry and ``vary`` (no
    host name, per-request nonce, cookie or user): its links are relative. A miss renders
    the view in the app's work pool (:mod:`webmap.web.workpool`): ``503`` when it is full.
    """
    if view is None:
        return functools.partial(cached_page, params=params, vary=vary, localized=localized)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        if request.method not in ("GET", "HEAD"):
            return make_response(view(*args, **kwargs))
        cache = get_cache()
        lang = page_language() if localized else None
        request.environ.setdefault(PAGE_PARAMS, params)  # the switcher's links keep these
        key = _page_key(params, vary, lang)
        page = cache.get(key)
        if page is None:

            def render() -> Response | CachedPage:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed:
                    return response
                body = response.get_data()
                headers = tuple((k, v) for k, v in response.headers.items() if k in _KEPT_HEADERS)
                etag = etag_of(body) if lang is None else f"{etag_of(body)}-{lang}"
                rendered = CachedPage(body=body, etag=etag, headers=headers)
                cache.put(key, rendered)
                return rendered

            outcome = heavy(render)
            if isinstance(outcome, Response):
                return outcome
            page = outcome
        return _from_cache(page)

    return wrapper
