"""The language of what a person reads: English (the default) or French.

One contract for every layer of :mod:`webmap` (pages, embeds, legends, figures, the command
line's figure): user-facing text is written in English and passed through :func:`gettext`
with the language it is drawn in; text declared ahead of use (a layer's label, a caveat's
template) is marked with :func:`N_` so that Babel's extraction finds it, and translated where
it is drawn. Machine-readable output (JSON keys, CSV headers, the API) stays language-neutral.

Catalogues live in ``webmap/translations/<lang>/LC_MESSAGES/messages.po`` and are compiled to
``.mo`` by the build (never by hand). A language without a compiled catalogue falls back to
English.

Numbers and dates are written the way the language writes them (:func:`format_number`,
:func:`format_day`): ``1,313`` and ``0.121`` in English, ``1 313`` and ``0,121`` in French
(Babel's CLDR data; French groups thousands with a narrow no-break space).

Flask's side (which language a request wants) is :mod:`webmap.web.language`.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal

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


def format_number(value: float, *, lang: str, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals and grouped thousands, as ``lang`` writes it.

    Examples
    --------
    >>> format_number(1313.4, lang="en"), format_number(0.1214, lang="fr", digits=3)
    ('1,313', '0,121')
    >>> format_number(1313.4, lang="fr") == "1\u202f313"
    True
    """
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(value, format=pattern, locale=language_or_default(lang)))


def format_significant(value: float, *, lang: str, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits (a p-value), with ``lang``'s decimal sign.

    Examples
    --------
    >>> format_significant(0.01234, lang="en"), format_significant(0.01234, lang="fr")
    ('0.0123', '0,0123')
    """
    text = f"{value:.{digits}g}"
    return text.replace(".", ",") if language_or_default(lang) == "fr" else text


#: A ``%(name)...`` placeholder of a template, with its conversion.
_SLOT = re.compile(r"%\((\w+)\)[-#0 +]*[0-9]*(?:\.[0-9]+)?[sdifgeEr]")


def _template_pattern(template: str) -> re.Pattern[str]:
    """A pattern matching ``template`` filled, each placeholder a named group."""
    parts, seen, last = [], set(), 0
    for slot in _SLOT.finditer(template):
        parts.append(re.escape(template[last : slot.start()].replace("%%", "%")))
        name = slot.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = slot.end()
    parts.append(re.escape(template[last:].replace("%%", "%")))
    return re.compile("".join(parts), re.DOTALL)


def translate_filled(text: str, templates: Iterable[str], *, lang: str) -> str:
    """English ``text``, filled from one of ``templates`` (a measure's caveat, stored filled
    in the JSON), in ``lang``: the template that matches is translated and filled again with
    the values as written. Text no template matches is returned unchanged.

    Examples
    --------
    >>> translate_filled("3 points", [N_("%(n)s points")], lang="en")
    '3 points'
    """
    if language_or_default(lang) == DEFAULT_LANGUAGE:
        return text
    for template in templates:
        match = _template_pattern(template).fullmatch(text)
        if match is not None:
            return _refill(translations(lang).gettext(template), match.groupdict())
    return text


def _refill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced by its value as written."""
    return _SLOT.sub(lambda slot: values[slot.group(1)], template)


_PRINTF = re.compile(r"%\.([0-9]+)([fg])")


def format_printf(value: float, fmt: str, *, lang: str) -> str:
    """``value`` formatted as the printf-style ``fmt`` of a measure's row (``%.1f``: decimals,
    ``%.3g``: significant digits) says, as ``lang`` writes numbers.

    Examples
    --------
    >>> format_printf(1313.44, "%.1f", lang="en"), format_printf(0.01234, "%.3g", lang="fr")
    ('1,313.4', '0,0123')
    """
    match = _PRINTF.fullmatch(fmt)
    if match is None:
        return fmt % value
    digits = int(match.group(1))
    if match.group(2) == "f":
        return format_number(value, lang=lang, digits=digits)
    return format_significant(value, lang=lang, digits=digits)


_DAY = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def format_day(text: str, *, lang: str) -> str:
    """A registry date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) as ``lang`` writes it.

    English keeps the ISO form the registry uses; French writes the month's name. Text that
    is not such a date is returned unchanged.

    Examples
    --------
    >>> format_day("2016-10", lang="fr"), format_day("2015-01-01", lang="fr")
    ('octobre 2016', '1er janvier 2015')
    >>> format_day("2016-10", lang="en")
    '2016-10'
    """
    found = _DAY.fullmatch(str(text))
    if found is None or language_or_default(lang) == "en":
        return str(text)
    year, month, day = found.groups()
    if month is None:
        return year
    try:
        date = dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        return str(text)
    if day is None:
        return str(format_skeleton("yMMMM", date, locale=lang))
    text = str(format_date(date, format="long", locale=lang))
    return "1er" + text[1:] if text.startswith("1 ") else text  # le 1er janvier


def format_moment(moment: dt.datetime, *, lang: str) -> str:
    """A UTC time to the minute: ``2026-12-07 06:30 UTC``, ``7 décembre 2026 à 06:30 UTC``.

    Examples
    --------
    >>> at = dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)
    >>> format_moment(at, lang="en"), format_moment(at, lang="fr")
    ('2026-12-07 06:30 UTC', '7 décembre 2026 à 06:30 UTC')
    """
    if language_or_default(lang) == "en":
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    pattern = "d MMMM y 'à' HH:mm"
    return f"{format_datetime(moment, pattern, tzinfo=dt.UTC, locale=lang)} UTC"


def localized(record: Mapping[str, object], field: str, *, lang: str) -> object:
    """``record[field + "_" + lang]`` when present and not empty (e.g. ``description_fr``),
    else ``record[field]``: the registry's English text is the fallback."""
    translated = record.get(f"{field}_{language_or_default(lang)}")
    if translated is None or translated != translated or translated == "":  # NaN: absent
        return record.get(field)
    return translated
