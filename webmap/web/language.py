"""Which language a request is answered in, and the templates' ``_()``.

The order: ``?lang=fr|en``, then the ``lang`` cookie (the switcher's remembered choice), then
``Accept-Language``; English by default (:mod:`webmap.i18n`).
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request

from webmap.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext, ngettext

LANG_COOKIE = "lang"


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


def init_app(app: Flask) -> None:
    """Give templates ``_()``/``ngettext()`` in the page's language and ``page_lang``."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message, **values: gettext(message, lang=page_language(), **values),
        lambda singular, plural, n, **values: ngettext(
            singular, plural, n, lang=page_language(), **values
        ),
        newstyle=True,
    )
    app.jinja_env.globals["page_lang"] = page_language
