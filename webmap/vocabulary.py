"""The registry's and the measures' own words, as pages and figures show them, marked for
translation (:func:`webmap.i18n.N_`).

A site's role, location precision and confidence, an epicentre's shape, a study area's
method, the claim's and distances' method names and the compare table's headings are
values in the data or declared in :mod:`geo` (which imports nothing of ours), not text of
ours: templates translate them where they are drawn (``{{ s.confidence|tr }}``), and this
module is where Babel's extraction finds them. ``tests/web/test_catalogue.py`` checks that
every value :mod:`geo` can produce is listed here.
"""

from __future__ import annotations

from webmap.i18n import N_

#: A site's ``role`` (underscores read as spaces), from :data:`geo.schema.ROLES`.
ROLES = (
    N_("flagship"),
    N_("university"),
    N_("research"),
    N_("incubator"),
    N_("science park"),
    N_("platform"),
    N_("demonstrator"),
    N_("hospital"),
    N_("cluster office"),
    N_("company"),
    N_("venue"),
)
#: A site's ``location_precision``, from :data:`geo.schema.PRECISIONS`.
PRECISIONS = (
    N_("building"),
    N_("street"),
    N_("site"),
    N_("district"),
    N_("town"),
    N_("unknown"),
)
#: A site's ``confidence``, from :data:`geo.schema.CONFIDENCES`.
CONFIDENCES = (N_("high"), N_("medium"), N_("low"))
#: What an epicentre's located members draw (:data:`geo.proximity.EpicentreShape`).
SHAPES = (N_("none"), N_("point"), N_("segment"), N_("polygon"))
#: How a study area is drawn (:func:`geo.density.study_area`).
AREA_METHODS = (N_("hull"), N_("bbox"), N_("buffer"), N_("polygon"))
#: The distance methods of a claim check (underscores read as spaces).
DISTANCE_METHODS = (N_("centre to centre"), N_("edge to edge"))
#: What a claim of the source note means (:data:`geo.measures.CLAIMS`).
CLAIM_MEANINGS = (N_("a few hundred metres per side"),)
#: The headings of ``/compare``'s table (:data:`geo.compare.COLUMNS`' labels).
COMPARE_COLUMNS = (
    N_("Cluster"),
    N_("Sites listed"),
    N_("Sites located"),
    N_("Sites closed"),
    N_("Study area"),
    N_("Sites per km²"),
    N_("Mean nearest-neighbour distance"),
    N_("Clark-Evans R"),
    N_("Clark-Evans p"),
    N_("Epicentre"),
    N_("Longest side"),
    N_("Bounding-circle radius"),
    N_("Walk between members (longest)"),
)
#: The titles of the HTML error pages (werkzeug's names of the statuses we answer).
HTTP_ERRORS = (
    N_("Error"),
    N_("Bad Request"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
)

__all__ = [
    "AREA_METHODS",
    "CLAIM_MEANINGS",
    "COMPARE_COLUMNS",
    "CONFIDENCES",
    "DISTANCE_METHODS",
    "HTTP_ERRORS",
    "PRECISIONS",
    "ROLES",
    "SHAPES",
]
