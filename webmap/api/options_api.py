"""API query parameters built from :class:`geo.options.AnalysisOptions`.

Each analysis option is declared once, in :mod:`geo.options`; :func:`api_param` reads its
default, range and doc from there (as :func:`webmap.commands.cli_options.analysis_options` does for
the command line), so the command line, the API and its OpenAPI document cannot disagree.
"""

from __future__ import annotations

from geo.options import spec
from webmap.api.params import Param, ParamKind


def api_param(name: str) -> Param:
    """The API query parameter of the analysis option ``name``, named by its ``param``
    (``eps_m`` is ``eps``; ``none`` is not offered: an option left out takes its default).
    :func:`geo.options.options_from` builds the options of the parsed values."""
    option = spec(name)
    kind: ParamKind = "integer" if option.kind is int else "number"
    if option.minimum is None:
        kind = "string"
    return Param(
        option.param,
        kind,
        option.doc,
        default=option.default,
        minimum=option.minimum,
        maximum=option.maximum,
        choices=option.choices,
    )
