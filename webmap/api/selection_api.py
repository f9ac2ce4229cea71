"""``POST /api/analyze`` on a business register: the ``where``, ``by`` and ``lq``
parameters, and the location-quotient layer of the upload's map.

The filters and groupings are those of ``clustermap density --where/--by``
(:mod:`geo.selection`); several ``where`` filters are separated by ``;``. The measures come
from :func:`geo.column_analysis.analyse_frame`. The ``lq`` layer holds the cells where a
category is significantly over-represented (:mod:`geo.lq`), at most :data:`MAX_LQ_CELLS`
of them, highest quotient first. A ``by`` grouping makes at most :data:`MAX_CATEGORIES`
categories (``400`` above it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geo.errors import ParameterError
from geo.jsonable import feature_collection
from geo.selection import Selection, parse_by, parse_where
from webmap.api.params import Param

#: Significant (cell, category) hexagons drawn at most on an upload's map.
MAX_LQ_CELLS = 5_000
#: Most categories a ``by`` grouping of an upload may make.
MAX_CATEGORIES = 1_000

SELECTION_PARAMS = (
    Param(
        "where",
        "string",
        "Measure only rows whose column equals one of the values (COLUMN=V1,V2) or starts "
        "with one of the prefixes (COLUMN^=P1,P2); several filters separated by ';' must all "
        "hold.",
    ),
    Param(
        "by",
        "string",
        "Measure each category of a column too (COLUMN), or of its first N characters "
        "(COLUMN:N, N at most 1,000), with location quotients per H3 cell; at most 1,000 "
        "categories.",
    ),
    Param(
        "lq",
        "boolean",
        "Draw the cells where a category is significantly over-represented (location "
        "quotient > 1, binomial p < 0.05) on the map; needs where or by, and hex_res.",
        default=False,
    ),
)


def selection_of_params(opts: Mapping[str, Any]) -> Selection:
    """The selection of parsed :data:`SELECTION_PARAMS`.

    Raises
    ------
    ParameterError
        For a malformed filter or grouping, or ``lq`` without one or without hexagons.
    """
    specs = [w for w in (opts["where"] or "").split(";") if w.strip()]
    selection = Selection(
        where=tuple(parse_where(w) for w in specs),
        by=parse_by(opts["by"]) if opts["by"] else None,
        max_categories=MAX_CATEGORIES,
    )
    if opts["lq"] and (not selection.columns or opts.get("hex_res") is None):
        msg = "lq needs where or by, and hexagons (hex_res)"
        raise ParameterError(msg)
    return selection


def lq_layer(analysis: Any) -> dict[str, Any]:
    """The significant location quotients of a :class:`geo.column_analysis.ColumnAnalysis`
    as a GeoJSON FeatureCollection (EPSG:4326), highest quotient first."""
    frame = analysis.lq_frame()
    frame = frame[frame["significant"]].sort_values("lq", ascending=False, kind="stable")
    shown = frame.head(MAX_LQ_CELLS)[["h3_cell", "category", "count", "cell_total", "lq",
                                      "p_value", "geometry"]]  # fmt: skip
    layer = feature_collection(shown)
    layer["n_significant"] = len(frame)
    return layer
