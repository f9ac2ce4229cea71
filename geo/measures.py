"""One registry cluster analysed once: its points and its epicentres, as a typed result.

:func:`analyse_cluster` returns a :class:`ClusterAnalysis`: the
:class:`~geo.analysis.PointAnalysis` of the cluster's distinct places and each epicentre's
geometry and claim. Its :meth:`ClusterAnalysis.to_dict` is the JSON of
``clustermap measures --json`` and ``/api/clusters/<id>/measures``; the map layers
(:func:`geo.overlays.cluster_overlays`) are drawn from the same result. The point measures
(:meth:`geo.analysis.PointAnalysis.to_dict`) are those of ``clustermap density --json``
and uploads. Both are plain dicts of str, int, float, bool, None, lists and dicts (NaN and
infinities become ``None``), whose keys are stable and documented in ``docs/measures.md``.

Point measures (``schema: "clustermap.point_measures/1"``)
------------------------------------------------------------
``n_points``, ``crs`` (the metric CRS, e.g. ``"EPSG:32631"``), ``area_method``
(``hull``/``bbox``/``buffer:<m>``/``polygon``), ``area_km2``, ``n_points_in_area``,
``sites_per_km2``, ``mean_nn_distance_m``, ``expected_mean_nn_distance_m``,
``clark_evans_r``, ``clark_evans_z``, ``clark_evans_p``, ``kde`` (``kernel``,
``bandwidth_m``, ``bandwidth_rule``, ``cell_m``, ``rows``, ``cols``,
``peak_sites_per_km2``, ``peak_lon``, ``peak_lat``, ``integral_sites``) or ``None``,
``hexbins`` (``resolution``, ``n_cells``, ``max_count``, ``max_sites_per_km2``) or
``None``, ``cores`` (``method``, ``parameters``, ``n_cores``, ``n_noise``, ``cores``: list
of ``core``, ``n_sites``, ``area_km2``, ``sites_per_km2``, ``centroid_lon``,
``centroid_lat``) or ``None``, ``caveats`` (``{measure: reason}`` for ``clark_evans``,
``kde`` and ``cores`` computed on fewer than :data:`MIN_POINTS` points) and ``warnings``
(list of str).

Cluster measures (``schema: "clustermap.cluster_measures/1"``)
----------------------------------------------------------------
``cluster`` (``id``, ``name``, ``city``, ``country``), ``as_of``, ``n_sites``,
``n_sites_located``, ``n_places`` (distinct located points: sites sharing a point count
once), ``unlocated_sites`` (ids skipped for unknown location), ``n_sites_closed`` and
``closed_sites`` (sites closed by ``as_of``, or by today without it, left out of every
count above but listed:
``id``, ``name``, ``role``, ``located``, ``valid_to``, ``source``), ``density`` (the point
measures of the distinct places, without ``schema``), ``sites`` (list of ``id``, ``name``,
``role``, ``confidence``, ``lon``, ``lat``, ``same_point_as``, ``nearest_site``,
``nn_distance_m``: the nearest other place), ``epicentres`` (list of ``id``, ``name`` and
the fields of :class:`geo.proximity.EpicentreGeometry` — ``shape``, ``distances``,
``sides`` and ``longest_side`` each ``{a, b, centre_m, edge_m, relation, container}``,
``extent_m``, ``perimeter_m``, ``area_km2``, ``min_bounding_radius_m`` … — plus
``absent_at_date``, ``distance_methods`` and ``claim``: ``None`` or ``{text, meaning,
range_m, as_of, sides, methods}``, checked on the sites as of the source's date by each of
:data:`CLAIM_METHODS`), and ``warnings``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import pyproj

from geo.analysis import MIN_POINTS, POINT_SCHEMA, PointAnalysis, analyse_points
from geo.jsonable import to_jsonable
from geo.options import AnalysisOptions
from geo.projection import has_location, metric_crs, site_points, xy_arrays
from geo.proximity import EpicentreGeometry, distinct_places, epicentre_geometry

__all__ = [
    "CLAIMS",
    "CLUSTER_SCHEMA",
    "MIN_POINTS",
    "NOTE_DATE",
    "POINT_SCHEMA",
    "ClusterAnalysis",
    "EpicentreAnalysis",
    "SideClaim",
    "analyse_cluster",
]

CLUSTER_SCHEMA = "clustermap.cluster_measures/1"


@dataclass(frozen=True)
class SideClaim:
    """A source's claim about the side length of an epicentre, as a range in metres.

    ``as_of`` is the source's date: the claim is checked on the sites that existed then,
    whatever date the rest of the measures are for.
    """

    pattern: str
    meaning: str
    min_m: float
    max_m: float
    as_of: str


#: The date of the source note (Ecodev Conseil, 17/10/2016).
NOTE_DATE = "2016-10"

#: Claims recognised in an epicentre's ``evidence`` (or ``description``) text.
#: "A few hundred metres" is read as 100 m to under 1 km.
CLAIMS: tuple[SideClaim, ...] = (
    SideClaim(
        pattern=r"quelques centaines de m[eè]tres|a few hundred met(?:re|er)s",
        meaning="a few hundred metres per side",
        min_m=100.0,
        max_m=1000.0,
        as_of=NOTE_DATE,
    ),
)

#: How each distance of an epicentre is measured (``{crs}``: the metric CRS).
DISTANCE_METHODS = {
    "centre_m": "centre to centre: geodesic distance on the WGS 84 ellipsoid between the "
    "sites' points",
    "edge_m": "edge to edge: shortest distance between footprints in {crs}, 0 with relation "
    "'inside' when one lies within the other's footprint; null when neither has a footprint",
}
#: How a claim is checked: each side's length by one method.
CLAIM_METHODS = {
    "centre_to_centre": "centre_m",
    "edge_to_edge": "edge_m",
}


def _claim(text: str, sides_as_of: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any] | None:
    """Check the first claim found in ``text`` on the epicentre's sides at the claim's date
    (``sides_as_of(date)``), by each method of :data:`CLAIM_METHODS`. Edge to edge, a side
    between two points (no footprint) is their centre distance: a point has no edge."""
    for claim in CLAIMS:
        match = re.search(claim.pattern, text, flags=re.IGNORECASE)
        if match is None:
            continue
        sides = sides_as_of(claim.as_of)
        methods = {}
        for method, key in CLAIM_METHODS.items():
            lengths = [float(s[key]) if s[key] is not None else float(s["centre_m"]) for s in sides]
            inside = sum(claim.min_m <= v < claim.max_m for v in lengths)
            methods[method] = {
                "lengths_m": lengths,
                "n_sides": len(lengths),
                "sides_in_range": inside,
                "holds": bool(lengths) and inside == len(lengths),
            }
        return {
            "text": match.group(0),
            "meaning": claim.meaning,
            "range_m": [claim.min_m, claim.max_m],
            "as_of": claim.as_of,
            "sides": [
                {k: s[k] for k in ("a", "b", "centre_m", "edge_m", "relation")} for s in sides
            ],
            "methods": methods,
        }
    return None


@dataclass(frozen=True)
class EpicentreAnalysis:
    """One epicentre of a cluster: its geometry on the sites of the analysis' date."""

    id: str
    name: Any
    geometry: EpicentreGeometry
    absent_at_date: list[str]
    missing: list[str]
    claim: dict[str, Any] | None


@dataclass(frozen=True)
class ClusterAnalysis:
    """Everything measured on one registry cluster (see :func:`analyse_cluster`).

    ``located`` are the sites with a location, ``places``/``groups`` their distinct places
    (:func:`geo.proximity.distinct_places`, positions in ``located``), ``points`` the
    analysis of the distinct places (``None`` when no site is located) and ``crs`` its
    metric CRS. ``closed`` are the sites that had closed by ``as_of``, or by ``today``
    without it (:meth:`geo.registry.Registry.closed_before`): not measured, but shown as
    closed. ``today`` is the current date the analysis took for "today".
    """

    info: dict[str, Any]
    as_of: str | None
    today: datetime.date
    sites: gpd.GeoDataFrame
    located: gpd.GeoDataFrame
    places: list[int]
    groups: list[list[int]]
    crs: pyproj.CRS | None
    points: PointAnalysis | None
    epicentres: list[EpicentreAnalysis]
    closed: gpd.GeoDataFrame
    warnings: list[str] = field(default_factory=list)

    def _closed_rows(self) -> list[dict[str, Any]]:
        located = has_location(self.closed.geometry)
        return [
            {
                "id": str(site_id),
                "name": row.get("name"),
                "role": row.get("role"),
                "located": bool(here),
                "valid_to": row.get("valid_to"),
                "source": row.get("source"),
            }
            for (site_id, row), here in zip(self.closed.iterrows(), located, strict=True)
        ]

    def _site_rows(self) -> list[dict[str, Any]]:
        if self.points is None:
            return []
        located = self.located
        nn = self.points.neighbours
        lonlat = site_points(located, crs=self.crs).to_crs(4326)
        place_of = {j: (place, group) for place, group in zip(self.places, self.groups, strict=True)
                    for j in group}  # fmt: skip
        rows = []
        for j, (site_id, row) in enumerate(located.iterrows()):
            place, group = place_of[j]
            first = located.index[place]
            rows.append(
                {
                    "id": str(site_id),
                    "name": row.get("name"),
                    "role": row.get("role"),
                    "confidence": row.get("confidence"),
                    "lon": float(lonlat.loc[site_id].x),
                    "lat": float(lonlat.loc[site_id].y),
                    "same_point_as": [str(located.index[k]) for k in group if k != j],
                    "nearest_site": None if nn is None else str(nn.loc[first, "neighbour_1"]),
                    "nn_distance_m": None if nn is None else float(nn.loc[first, "distance_1_m"]),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able measures (``schema: "clustermap.cluster_measures/1"``, see the
        module doc for the keys)."""
        notes = list(self.warnings)
        density = None
        if self.points is not None:
            density = self.points.to_dict()
            density.pop("schema")
            notes += density.pop("warnings")
        crs_name = self.crs.to_string() if self.crs is not None else "the UTM zone"
        epicentres = []
        for epi in self.epicentres:
            entry = {"id": epi.id, "name": epi.name, **epi.geometry.to_dict()}
            entry["absent_at_date"] = epi.absent_at_date
            entry["missing"] = epi.missing
            entry["distance_methods"] = {
                key: text.format(crs=crs_name) for key, text in DISTANCE_METHODS.items()
            }
            entry["claim"] = epi.claim
            epicentres.append(entry)
            if epi.missing:
                notes.append(
                    f"epicentre {epi.id}: members without location: {', '.join(epi.missing)}"
                )
        return to_jsonable(
            {
                "schema": CLUSTER_SCHEMA,
                "cluster": {k: self.info.get(k) for k in ("id", "name", "city", "country")},
                "as_of": self.as_of,
                "n_sites": len(self.sites),
                "n_sites_located": len(self.located),
                "n_places": len(self.places),
                "unlocated_sites": [
                    str(i) for i in self.sites.index if i not in self.located.index
                ],
                "n_sites_closed": len(self.closed),
                "closed_sites": self._closed_rows(),
                "density": density,
                "sites": self._site_rows(),
                "epicentres": epicentres,
                "warnings": notes,
            }
        )


def _epicentres(
    registry: Any, cluster_id: str, sites: gpd.GeoDataFrame, crs: pyproj.CRS | None
) -> list[EpicentreAnalysis]:
    """Each epicentre's geometry on ``sites``, its claim checked at the claim's date."""
    footprints = registry.footprints.geometry
    out = []
    for epi_id, row in registry.epicentres_of(cluster_id).iterrows():
        members = [str(m) for m in row["members"]]
        geometry = epicentre_geometry(sites, members, footprints=footprints, crs=crs)

        def sides_as_of(date: str, members: list[str] = members) -> list[dict[str, Any]]:
            then = registry.sites_of(cluster_id, as_of=date)
            found = epicentre_geometry(then, members, footprints=footprints, crs=crs)
            return [asdict(side) for side in found.sides]

        text = " ".join(str(row.get(k) or "") for k in ("evidence", "description"))
        out.append(
            EpicentreAnalysis(
                id=str(epi_id),
                name=row.get("name"),
                geometry=geometry,
                absent_at_date=[m for m in members if m not in sites.index],
                missing=[m for m in geometry.missing if m in sites.index],
                claim=_claim(text, sides_as_of),
            )
        )
    return out


def analyse_cluster(
    registry: Any,
    cluster_id: str,
    options: AnalysisOptions | None = None,
    *,
    as_of: str | None = None,
    today: datetime.date | None = None,
) -> ClusterAnalysis:
    """Every measure of one registry cluster and its epicentres, computed once.

    Sites of unknown location are skipped (``unlocated_sites`` of the JSON); sites sharing
    one point count as one place; sites closed by ``as_of`` are not measured but listed
    (``closed_sites``). Never raises for a small or partly located cluster.

    Parameters
    ----------
    registry
        A :class:`geo.registry.Registry`.
    cluster_id
        The cluster's id.
    options
        The analysis options (default :class:`~geo.options.AnalysisOptions`).
    as_of
        Only the sites that existed at this date (``YYYY[-MM[-DD]]``), e.g. ``"2016-10"``
        for the note's configuration; default ``today``.
    today
        The current date, used without ``as_of``: the sites open today, those whose
        ``valid_to`` has passed listed as closed; default :meth:`datetime.date.today`.

    Raises
    ------
    UnknownIdError
        For an unknown cluster id.
    """
    info = registry.cluster(cluster_id)
    today = today or datetime.date.today()  # one date for the open and the closed sites
    sites = registry.sites_of(cluster_id, as_of=as_of, today=today)
    located = sites[has_location(sites.geometry)]
    notes: list[str] = []
    places: list[int] = []
    groups: list[list[int]] = []
    metric = points = None
    if len(located):
        metric = metric_crs(located)
        places, groups = distinct_places(xy_arrays(site_points(located, crs=metric)))
        if len(places) < len(located):
            notes.append(
                f"{len(located) - len(places)} located site(s) share a point with another "
                f"site: density and nearest neighbours count {len(places)} distinct places"
            )
        points = analyse_points(located.iloc[places], options, crs=metric)
    else:
        notes.append("no site of this cluster is located: no measures")
    epicentres = _epicentres(registry, cluster_id, sites, metric)
    return ClusterAnalysis(
        info=dict(info),
        as_of=as_of,
        today=today,
        sites=sites,
        located=located,
        places=places,
        groups=groups,
        crs=metric,
        points=points,
        epicentres=epicentres,
        closed=registry.closed_before(cluster_id, as_of=as_of, today=today),
        warnings=notes,
    )
