"""The app factory: configuration, the registry, blueprints, error pages.

Reached through :func:`webmap.create_app`; there is no app object at import time.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError

import webmap.config
from geo.registry import load_registry
from webmap.api.response import error as error_response
from webmap.maps.assets import IMMUTABLE, asset_version, use_local_assets
from webmap.maps.basemaps import all_tile_origins
from webmap.maps.escape import linked_text
from webmap.web.security import NONCE_MARKER, content_security_policy, nonced, page_nonce
from webmap.web.state import REGISTRY_KEY


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app.

    Parameters
    ----------
    config
        Overrides, e.g. ``{"DATA_DIR": "path/to/registry", "TESTING": True}``; every
        setting and its environment variable is in :data:`webmap.config.SETTINGS`.

    Raises
    ------
    geo.errors.RegistryError
        When the registry is missing or invalid: the server refuses to start.
    webmap.config.ConfigError
        When a setting's value cannot be used.
    """
    app = Flask("webmap")  # templates/ and static/ live beside the subpackages
    app.config.update(webmap.config.load(config))
    app.extensions[REGISTRY_KEY] = load_registry(Path(app.config["DATA_DIR"]))
    app.jinja_env.globals["csp_nonce"] = NONCE_MARKER
    app.jinja_env.filters["nonced"] = nonced
    # registry text (a site's source) as escaped HTML with its http(s) addresses linked
    app.jinja_env.filters["linked"] = lambda text: Markup(linked_text(text))
    use_local_assets("/static/")

    from webmap.web import (
        analysis_tiles,
        caching,
        language,
        routes_api,
        routes_basemap,
        routes_compare,
        routes_embed,
        routes_figures,
        routes_ogc,
        routes_pages,
        routes_points,
        routes_workbench,
        upload_store,
        workpool,
    )

    language.init_app(app)
    caching.init_app(app)
    upload_store.init_app(app)
    upload_store.init_cage(app)
    pool = workpool.init_app(app)
    weakref.finalize(app, pool.shutdown)
    _trust_origin(app)
    app.register_blueprint(routes_pages.bp)
    app.register_blueprint(routes_compare.bp)
    app.register_blueprint(routes_embed.bp)
    app.register_blueprint(routes_basemap.bp)
    app.register_blueprint(routes_api.bp)
    app.register_blueprint(routes_ogc.bp)
    app.register_blueprint(routes_figures.bp)
    app.register_blueprint(routes_workbench.bp)
    routes_points.init_app(app)
    analysis_tiles.init_app(app)
    if app.config.get("TESTING") and app.config.get("TEST_INJECTION_ROUTE"):
        _add_injection_probe(app)
    if app.config.get("TESTING") and app.config.get("TEST_WORKER_HEADER"):
        app.after_request(_name_the_worker)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.url_defaults(_versioned_static)
    app.after_request(_finish)
    return app


def _trust_origin(app: Flask) -> None:
    """Absolute links from ``PUBLIC_URL``, a trusted proxy's checked headers, or the server's
    own address (:mod:`webmap.web.origin`); a malformed forwarded value answers ``400``."""
    from webmap.web.origin import TrustedOrigin, parse_public_url

    public = app.config["PUBLIC_URL"]
    n = int(app.config["PROXY_COUNT"])
    wsgi: Any = TrustedOrigin(
        app.wsgi_app, public_url=parse_public_url(public) if public else None, forwarded=n > 0
    )
    if n:
        from werkzeug.middleware.proxy_fix import ProxyFix

        wsgi = ProxyFix(wsgi, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    app.wsgi_app = wsgi  # type: ignore[method-assign]
    app.before_request(_refuse_bad_origin)


def _refuse_bad_origin() -> None:
    """``400`` when a trusted proxy forwarded a malformed scheme, host or prefix."""
    from webmap.web.origin import BAD_ORIGIN_KEY

    problem = request.environ.get(BAD_ORIGIN_KEY)
    if problem:
        abort(400, description=f"Malformed forwarded value: {problem}.")


INJECTED_SCRIPT = "<script>window.clustermapInjected = true;</script>"


def _add_injection_probe(app: Flask) -> None:
    """Tests only (``TESTING`` and ``TEST_INJECTION_ROUTE``): ``/_test/injected/<id>`` is
    the cluster page with :data:`INJECTED_SCRIPT` slipped into it, as an XSS would."""
    from webmap.web.routes_pages import cluster

    def injected(cluster_id: str) -> Response:
        html = cluster(cluster_id).get_data(as_text=True)
        html = html.replace("</main>", INJECTED_SCRIPT + "</main>", 1)
        return current_app.response_class(html, mimetype="text/html")

    app.add_url_rule("/_test/injected/<cluster_id>", "injected", injected)


def _name_the_worker(response: Response) -> Response:
    """Tests only (``TESTING`` and ``TEST_WORKER_HEADER``): ``X-Clustermap-Worker`` is the id
    of the process that answered (``serve --workers``)."""
    response.headers["X-Clustermap-Worker"] = str(os.getpid())
    return response


def _wants_json() -> bool:
    json_paths = ("/healthz", "/openapi.json", "/oembed")
    return request.path.startswith(("/api/", "/ogc")) or request.path in json_paths


def _http_error(exc: HTTPException) -> Response:
    """A JSON (API) or HTML error page; a ``405`` lists the allowed methods in ``Allow``, a
    ``503`` the seconds to wait in ``Retry-After``."""
    status = exc.code or 500
    if _wants_json():
        from webmap.web.routes_api import to_flask

        code = (exc.name or "Error").replace(" ", "")
        response = to_flask(error_response(status, code, exc.description or exc.name))
    else:
        from webmap.i18n import gettext
        from webmap.web.language import page_language

        title = gettext(exc.name or "Error", lang=page_language())
        html = render_template("error.html", status=status, title=title, message=exc.description)
        response = current_app.response_class(html, status=status, mimetype="text/html")
    allowed = getattr(exc, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _unexpected_error(exc: Exception) -> Response:
    """A bug: logged with its traceback for us, a plain 500 (JSON on the API) for users."""
    current_app.logger.exception("unexpected error on %s", request.path, exc_info=exc)
    return _http_error(InternalServerError())


def _versioned_static(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for('static', filename=...)`` adds ``v=<digest of the file>``."""
    if endpoint == "static" and "filename" in values:
        values.setdefault("v", asset_version(str(values["filename"])))


def _static_caching(response: Response) -> None:
    """A static file asked for with its current digest is cached for a year; without it
    (old links) the browser revalidates."""
    filename = str((request.view_args or {}).get("filename", ""))
    current = asset_version(filename)
    fresh = current is not None and request.args.get("v") == current
    response.headers["Cache-Control"] = IMMUTABLE if fresh else "no-cache"


def _finish(response: Response) -> Response:
    """Security headers, then the body as sent: this response's nonce in place of the
    marker, gzipped when the client accepts it (:mod:`webmap.web.compression`); static files
    cached by digest."""
    if request.endpoint == "static" and response.status_code in (200, 304):
        _static_caching(response)
    nonce = _security_headers(response)
    _encode(response, nonce)
    return response


def _encode(response: Response, nonce: str | None) -> None:
    """Put ``nonce`` in the body and gzip a ``200`` HTML/JSON answer that has an ETag (its
    compressed pieces are kept in the app's cache under that ETag)."""
    from webmap.web.caching import get_cache
    from webmap.web.compression import COMPRESSIBLE, GZIP_SUFFIX, MIN_BYTES, gzip_with, splice

    if response.direct_passthrough or response.is_streamed:
        return
    body = response.get_data()
    marker, filler = NONCE_MARKER.encode(), (nonce or "").encode()
    etag = response.get_etag()[0]
    compressible = (
        response.status_code == 200
        and response.mimetype in COMPRESSIBLE
        and len(body) >= MIN_BYTES
        and etag is not None
    )
    if compressible:
        response.vary.add("Accept-Encoding")
    if compressible and request.accept_encodings["gzip"] > 0:
        spliced = get_cache().get_or_compute(("gzip", etag), lambda: splice(body, marker))
        response.set_data(gzip_with(spliced, filler))
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(f"{etag}{GZIP_SUFFIX}")
    elif nonce is not None:
        response.set_data(body.replace(marker, filler))


def _security_headers(response: Response) -> str | None:
    """nosniff everywhere; on HTML pages a CSP whose inline scripts need this response's
    nonce (returned; :mod:`webmap.web.security`).

    ``/embed/`` pages may be framed by the origins in ``EMBED_ORIGINS``; every other page
    only by our own. A ``304`` carries no policy: the browser keeps the one that came with
    the page it holds (whose nonce matches that page).
    """
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.status_code == 304:
        return None
    ancestors = ["'self'"]
    if request.path.startswith("/embed/"):
        ancestors += list(current_app.config["EMBED_ORIGINS"])
    nonce = None
    if response.mimetype == "text/html" and not response.direct_passthrough:
        html = response.get_data()
        etag, weak = response.get_etag()
        nonce = page_nonce(html)
        policy = content_security_policy(
            html,
            nonce=nonce,
            tile_origins=all_tile_origins(),
            frame_ancestors=ancestors,
            etag=None if weak else etag,
        )
    else:
        policy = f"default-src 'none'; frame-ancestors {' '.join(ancestors)}"
    response.headers.setdefault("Content-Security-Policy", policy)
    return nonce


__all__ = ["create_app"]
