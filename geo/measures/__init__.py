"""The measures of a point set, one module each, declared once (:class:`Measure`).

Every module of this package registers its measures when imported; :func:`measures`
imports them all (and the modules named by ``CLUSTERMAP_MEASURES``), in recipe order. The
engines, the command line's table, the pages and the equivalence tests iterate it.
``CONTRIBUTING.md`` ("Adding a measure") shows a new one.
"""

from geo.measures.measure_registry import (
    ENV_MEASURES,
    AllPoints,
    Chunks,
    Measure,
    Points,
    Primitive,
    Row,
    SummaryKey,
    load_measures,
    measure,
    measures,
    plugin_modules,
    register,
    registered,
    rows_of,
)

__all__ = [
    "ENV_MEASURES",
    "AllPoints",
    "Chunks",
    "Measure",
    "Points",
    "Primitive",
    "Row",
    "SummaryKey",
    "load_measures",
    "measure",
    "measures",
    "plugin_modules",
    "register",
    "registered",
    "rows_of",
]
