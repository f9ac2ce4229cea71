"""API query parameters built from :class:`geo.options.AnalysisOptions`.

Each analysis option is declared once, in :mod:`geo.options`; :func:`api_param` reads its
default, range and doc from there (as :func:`webmap.commands.options.click_option` does for
the command line), so the command line, the API and its OpenAPI document cannot disagree.
"""

from __future__ import annotations

from geo.options import spec
from webmap.api.params import Param, ParamKind


def api_param(name: str, query: str) -> Param:
    """The API query parameter ``query`` of the analysis option ``name`` (``none`` is not
    offered: an option left out takes its default)."""
    option = spec(name)
    kind: ParamKind = "integer" if option.kind is int else "number"
    if option.minimum is None:
        kind = "string"
    return Param(
        query,
        kind,
        option.doc,
        default=option.default,
        minimum=option.minimum,
        maximum=option.maximum,
        choices=option.choices,
    )
