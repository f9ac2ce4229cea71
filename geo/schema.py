"""The registry's fields, declared once: every property of a cluster, a site and an
epicentre, with its kind, whether it is required, its allowed values and whether the flat
tables list it.

Everything else iterates these lists, so a new field is one :class:`Field` here plus its
data and documentation:

- validation (:func:`geo._validate.check_fields`) checks each field by its kind;
- :func:`geo.registry.load_registry` keeps the stored fields as the frames' columns, so the
  GeoJSON answers and the OGC ``sites`` collection carry them;
- the sites CSV (:func:`webmap.api.tables.sites_csv`) and the OGC ``clusters`` collection
  take their columns from :func:`table_columns`.

Consumers read the lists when they run (``schema.SITE_FIELDS``), not when they are
imported, so a test can add a field and see it everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CLUSTER_FIELDS",
    "CONFIDENCES",
    "EPICENTRE_FIELDS",
    "PRACTICES",
    "PRECISIONS",
    "ROLES",
    "SITE_FIELDS",
    "Field",
    "Kind",
    "columns",
    "required",
    "table_columns",
]

#: How a field's value is checked (:func:`geo._validate.check_fields`): a ``slug``
#: (``a-z``, ``0-9``, ``-``), any ``text``, one of the field's ``choices``, a ``date``
#: (``YYYY[-MM[-DD]]``), a positive number of ``metres``; ``path``, ``practices`` and
#: ``members`` have their own checks in :mod:`geo.registry`. A ``derived`` field is not in
#: the registry files: a view computes it (a site's ``lon``/``lat``, its ``state``).
Kind = Literal[
    "slug", "text", "choice", "date", "metres", "path", "practices", "members", "derived"
]


@dataclass(frozen=True)
class Field:
    """One property of a registry feature.

    Attributes
    ----------
    name
        The GeoJSON property, also the frame column and the CSV header.
    kind
        How its value is checked (:data:`Kind`).
    required
        A feature without it (or with it empty) is refused.
    choices
        The allowed values of a ``choice`` field (of each item of ``practices``).
    in_table
        Listed by the flat tables: a column of the sites CSV, a property of the OGC
        ``clusters`` collection.
    doc
        What it holds, in one line (``data/sites/README.md`` says more).
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    in_table: bool = True
    doc: str = ""


ROLES = (
    "flagship",
    "university",
    "research",
    "incubator",
    "science_park",
    "platform",
    "demonstrator",
    "hospital",
    "cluster_office",
    "company",
    "venue",
)
PRECISIONS = ("building", "street", "site", "district", "town", "unknown")
CONFIDENCES = ("high", "medium", "low")
PRACTICES = (
    "business_services",
    "rd_links",
    "demonstrators",
    "creative_ecosystem",
    "industry_governance",
    "branding",
    "emblematic_place",
    "human_resources",
)

CLUSTER_FIELDS: tuple[Field, ...] = (
    Field("id", "slug", required=True, doc="unique slug"),
    Field("name", required=True, doc="display name"),
    Field("country", required=True, doc="ISO 3166-1 alpha-2"),
    Field("city", required=True, doc="the city the cluster belongs to"),
    Field("domain", required=True, doc="what the cluster works on"),
    Field("website", doc="official website"),
    Field("description", required=True, doc="one or two sentences"),
    Field("description_fr", doc="the description in French; pages in French fall back to it"),
    Field(
        "practices",
        "practices",
        required=True,
        choices=PRACTICES,
        doc="list of {practice, evidence}",
    ),
    Field("city_source", in_table=False, doc="where the city point comes from"),
)

#: In CSV order: the derived columns sit where the sites CSV has always shown them.
SITE_FIELDS: tuple[Field, ...] = (
    Field("id", "slug", required=True, doc="slug, unique across sites"),
    Field("cluster", "slug", required=True, doc="a cluster id"),
    Field("name", required=True, doc="display name"),
    Field("role", "choice", required=True, choices=ROLES, doc="what the site is"),
    Field("lon", "derived", doc="longitude of a representative point"),
    Field("lat", "derived", doc="latitude of a representative point"),
    Field("geometry_type", "derived", doc="Point, Polygon or MultiPolygon"),
    Field("address", required=True, doc="postal address, or what is known of it"),
    Field(
        "location_precision",
        "choice",
        required=True,
        choices=PRECISIONS,
        doc="how precise the point is",
    ),
    Field(
        "confidence",
        "choice",
        required=True,
        choices=CONFIDENCES,
        doc="how sure the drawn position is",
    ),
    Field("approximates", doc="what a proxy point stands for"),
    Field("uncertainty_m", "metres", doc="how far the real place may be from the point"),
    Field("footprint", "path", doc="file of the site's area, relative to the registry"),
    Field("source", required=True, doc="citable reference(s)"),
    Field("valid_from", "date", doc="when the site opened or moved in"),
    Field("valid_to", "date", doc="the first date it is no longer there"),
    Field("state", "derived", doc="open, closed or not_yet at the date of the view"),
    Field("notes", doc="caveats"),
)

EPICENTRE_FIELDS: tuple[Field, ...] = (
    Field("id", "slug", required=True, doc="slug"),
    Field("cluster", "slug", required=True, doc="a cluster id"),
    Field("name", required=True, doc="display name"),
    Field("members", "members", required=True, doc="at least two site ids of the cluster"),
    Field("description", doc="what the group is"),
    Field("evidence", doc="the note's words"),
)


def columns(fields: Iterable[Field]) -> list[str]:
    """The stored fields but ``id``: the columns of a registry frame (indexed by id).

    Examples
    --------
    >>> columns(EPICENTRE_FIELDS)
    ['cluster', 'name', 'members', 'description', 'evidence']
    """
    return [f.name for f in fields if f.kind != "derived" and f.name != "id"]


def required(fields: Iterable[Field]) -> list[str]:
    """The names of the required fields.

    Examples
    --------
    >>> required(EPICENTRE_FIELDS)
    ['id', 'cluster', 'name', 'members']
    """
    return [f.name for f in fields if f.required]


def table_columns(fields: Iterable[Field]) -> list[str]:
    """The columns of a flat table (the sites CSV, the OGC ``clusters`` properties), in
    order, derived fields included.

    Examples
    --------
    >>> table_columns(CLUSTER_FIELDS)[-3:]
    ['description', 'description_fr', 'practices']
    """
    return [f.name for f in fields if f.in_table]
