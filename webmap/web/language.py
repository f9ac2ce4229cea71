"""Which language a request is answered in, the switcher that remembers a choice, and the
templates' ``_()``, number and date filters.

The order: ``?lang=fr|en``, then the ``lang`` cookie (the switcher's remembered choice), then
``Accept-Language``; English by default (:mod:`webmap.i18n`). ``?lang`` is the address's
own choice (a shared link, an embed): it is not remembered. ``/language/<lang>?next=PATH``
(the switcher's links) sets the cookie for a year and answers ``303`` to ``PATH``, a path
of this site only.

A response whose language came from the cookie or ``Accept-Language`` says so in
``Vary: Cookie, Accept-Language``; every response in a chosen language has
``Content-Language``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    has_request_context,
    redirect,
    request,
    url_for,
)
from werkzeug.wrappers.response import Response as WerkzeugResponse

from geo.errors import quote
from webmap.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    format_day,
    format_number,
    format_printf,
    format_significant,
    localized,
    translate_filled,
    translations,
)

LANG_COOKIE = "lang"
#: How long the switcher's choice is remembered (seconds): a year.
COOKIE_SECONDS = 365 * 24 * 3600
#: Each language's name, in itself (the switcher's labels).
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
#: The request's environ key of the query parameters a switcher link keeps, when a cached
#: page named them (:func:`webmap.web.caching.cached_page` sets it; the environ, not ``g``:
#: a page renders in the work pool, in a copy of the request's context with its own ``g``);
#: otherwise every parameter is kept.
PAGE_PARAMS = "clustermap.page_params"

bp = Blueprint("language", __name__)


def page_language() -> str:
    """The language of the page being answered (English outside a request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "lang" not in g:
        g.lang = _choose()
    return str(g.lang)


def _choose() -> str:
    for asked in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if asked in LANGUAGES:
            return str(asked)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path of this site (not ``//host`` nor a full URL), else ``/``;
    without a ``lang`` parameter, which would override the choice just made."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + ("?" + urlencode(query) if query else "")


@bp.get("/language/<lang>")
def choose(lang: str) -> WerkzeugResponse:
    """Remember ``lang`` in the cookie and go back to ``next`` (a path of this site)."""
    if lang not in LANGUAGES:
        abort(404, description=f"There is no language {quote(lang)}: {', '.join(LANGUAGES)}.")
    target = request.script_root + _safe_next(request.args.get("next"))
    response = redirect(target, code=303)
    response.set_cookie(
        LANG_COOKIE, lang, max_age=COOKIE_SECONDS, samesite="Lax", path=request.script_root or "/"
    )
    return response


def switch_url(lang: str) -> str:
    """The switcher's link to ``lang``: back to this page (its path and, on a cached page,
    only the parameters the page reads; never ``lang``)."""
    kept = request.environ.get(PAGE_PARAMS)
    here = request.path
    if request.method in ("GET", "HEAD"):
        query = [
            (k, v)
            for k, v in request.args.items(multi=True)
            if k != "lang" and (kept is None or k in kept)
        ]
        if query:
            here += "?" + urlencode(query)
    return url_for("language.choose", lang=lang, next=here)


def _vary(response: Response) -> Response:
    """``Vary`` and ``Content-Language`` on answers whose language was chosen."""
    if "lang" in g:
        if request.args.get("lang") not in LANGUAGES:
            response.vary.add("Cookie")
            response.vary.add("Accept-Language")
        response.headers.setdefault("Content-Language", str(g.lang))
    return response


def _word(value: object) -> str:
    """A word of the data (a role, a confidence: :mod:`webmap.vocabulary`) in the page's
    language; an empty value stays empty (``gettext("")`` is the catalogue's header)."""
    text = "" if value is None else str(value)
    return translations(page_language()).gettext(text) if text else text


def _caveat(text: object) -> str:
    """A measure's caveat, stored filled in English, in the page's language (its template
    found among the registered measures' caveats, :func:`webmap.i18n.translate_filled`)."""
    from geo.measures import measures

    templates = [m.caveat for m in measures() if m.caveat]
    return translate_filled("" if text is None else str(text), templates, lang=page_language())


def init_app(app: Flask) -> None:
    """Give templates ``_()``/``ngettext()`` in the page's language, ``page_lang``,
    ``switch_url`` and the filters ``tr`` (a word of the data), ``number(digits)``,
    ``significant(digits)``, ``day`` and ``localized(field)``; register the switcher's
    route."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # newstyle: Jinja fills the placeholders itself, escaping the values (never here)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(page_language()).gettext(message),
        lambda singular, plural, n: translations(page_language()).ngettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals["page_lang"] = page_language
    app.jinja_env.globals["switch_url"] = switch_url
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.filters["number"] = lambda value, digits=0: format_number(
        value, lang=page_language(), digits=digits
    )
    app.jinja_env.filters["significant"] = lambda value, digits=3: format_significant(
        value, lang=page_language(), digits=digits
    )
    app.jinja_env.filters["printf"] = lambda value, fmt: format_printf(
        value, fmt, lang=page_language()
    )
    app.jinja_env.filters["tr"] = _word
    app.jinja_env.filters["caveat"] = _caveat
    app.jinja_env.filters["day"] = lambda text: format_day(text, lang=page_language())
    app.jinja_env.filters["localized"] = lambda record, field: localized(
        record, field, lang=page_language()
    )
    app.register_blueprint(bp)
    app.after_request(_vary)
