"""Text a person reads, declared in ``geo`` and translated where it is drawn.

``geo`` never imports :mod:`webmap`, so it marks such text with :func:`N_` (gettext's
``gettext_noop``): a measure's label or caveat is an English ``%(name)s`` template whose
values are kept apart, and the page (``webmap.i18n.gettext``) or the command line fills it.
Babel's extraction finds ``N_`` by its name.
"""

from __future__ import annotations

__all__ = ["N_", "fill"]


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for translation without translating it (``gettext_noop``)."""
    return message


def fill(template: str, values: dict[str, object] | None = None) -> str:
    """A template filled in English (the JSON and the command line): ``template % values``.

    >>> fill(N_("%(n)s points"), {"n": 3})
    '3 points'
    """
    return template % values if values else template
