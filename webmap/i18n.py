"""The language of what a person reads: English (the default) or French.

One contract for every layer of :mod:`webmap` (pages, embeds, legends, figures, the command
line's figure): user-facing text is written in English and passed through :func:`gettext`
with the language it is drawn in; text declared ahead of use (a layer's label, a caveat's
template) is marked with :func:`N_` so that Babel's extraction finds it, and translated where
it is drawn. Machine-readable output (JSON keys, CSV headers, the API) stays language-neutral.

Catalogues live in ``webmap/translations/<lang>/LC_MESSAGES/messages.po`` and are compiled to
``.mo`` by the build (never by hand). A language without a compiled catalogue falls back to
English.

Flask's side (which language a request wants) is :mod:`webmap.web.language`.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("en", "fr")
DEFAULT_LANGUAGE = "en"
CATALOGUES = Path(__file__).with_name("translations")


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for translation without translating it (``gettext_noop``)."""
    return message


def language_or_default(lang: str | None) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else :data:`DEFAULT_LANGUAGE`."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English, or a missing catalogue: identity)."""
    return _gettext.translation(
        "messages", localedir=CATALOGUES, languages=[language_or_default(lang)], fallback=True
    )


def gettext(message: str, *, lang: str, **values: object) -> str:
    """``message`` in ``lang``, with ``%(name)s`` placeholders filled from ``values``."""
    text = translations(lang).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, *, lang: str, **values: object) -> str:
    """The singular or plural form of a message in ``lang``; ``%(num)s`` is ``n``."""
    text = translations(lang).ngettext(singular, plural, n)
    return text % {"num": n, **values}
