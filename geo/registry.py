"""The cluster registry: ``data/sites/`` -> clusters, sites and epicentres.

A registry folder holds three GeoJSON FeatureCollections (RFC 7946, lon/lat order):
``clusters.geojson``, ``sites.geojson`` and ``epicentres.geojson``; their schema is in
``data/sites/README.md``. :func:`load_registry` reads and validates all three and raises
one :class:`geo.errors.RegistryError` listing every problem it found.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry import Point

from geo import schema
from geo._resources import bundled_dir
from geo._validate import (
    check_approximation,
    check_choice,
    check_collection,
    check_fields,
    check_geometry,
    check_near_city,
    feature_label,
)
from geo.errors import ParameterError, Problems, RegistryError, UnknownIdError, quote

if TYPE_CHECKING:  # pandas and geopandas load with the frames, not with this module
    import geopandas as gpd
    import pandas as pd

FILES = ("clusters.geojson", "sites.geojson", "epicentres.geojson")
DATA_ENV = "CLUSTERMAP_DATA"
CRS = "EPSG:4326"
#: Properties of a footprint file's feature kept beside its polygon.
FOOTPRINT_COLUMNS = ["name", "precision", "source", "confidence", "notes"]


def default_data_dir() -> Path:
    """The registry folder: ``$CLUSTERMAP_DATA`` or the bundled ``data/sites``."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return bundled_dir("sites")


@dataclass(frozen=True)
class Registry:
    """A validated registry.

    Attributes
    ----------
    clusters
        One row per cluster, indexed by id; geometry is the reference point of its city.
    sites
        One row per site, indexed by id, in EPSG:4326; geometry is None when the location
        is unknown (``location_precision == "unknown"``).
    epicentres
        One row per epicentre, indexed by id, with ``members`` (a list of site ids).
    footprints
        The footprint polygon of each site that has one (its ``footprint`` file), indexed
        by site id, in EPSG:4326, with the file's ``name``, ``precision``, ``source``,
        ``confidence`` and ``notes``; the site's point lies on it.
    version
        A short hash of the registry files (footprints included), changing whenever any
        of them changes.
    path
        The folder it was read from.
    catalogue
        Each cluster's summary, as :func:`read_catalogue` lists it, keyed by id.
    """

    clusters: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    epicentres: pd.DataFrame
    footprints: gpd.GeoDataFrame
    version: str
    path: Path
    catalogue: dict[str, dict[str, Any]]

    def summary(self, cluster_id: str, *, today: datetime.date | None = None) -> dict[str, Any]:
        """A cluster's id, name, place, practices and site counts (a copy), the counts
        as of ``today`` (default :meth:`datetime.date.today`), as :func:`read_catalogue`."""
        self._check_cluster(cluster_id)
        out = dict(self.catalogue[cluster_id])
        out.update(
            n_sites=len(self.sites_of(cluster_id, today=today)),
            n_located=len(self.located(cluster_id, today=today)),
            n_closed=len(self.closed_before(cluster_id, today=today)),
        )
        return out

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        """One cluster's attributes as a dict (without its city point)."""
        self._check_cluster(cluster_id)
        row = self.clusters.loc[cluster_id]
        out = {"id": cluster_id}
        out.update({k: row[k] for k in self.clusters.columns if k != "geometry"})
        return out

    def registered(self, cluster_id: str) -> gpd.GeoDataFrame:
        """Every site of one cluster the registry lists, open, closed or not yet open (for
        listings that show each site's state, :func:`site_states`)."""
        self._check_cluster(cluster_id)
        return self.sites[self.sites["cluster"] == cluster_id]

    def sites_of(
        self, cluster_id: str, *, as_of: str | None = None, today: datetime.date | None = None
    ) -> gpd.GeoDataFrame:
        """The sites of one cluster that existed at a date, located or not.

        Parameters
        ----------
        as_of
            A date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a year means its 1 January):
            keep only the sites that existed then, by their ``valid_from``/``valid_to``
            (``"2016-10"`` gives the configuration the note of October 2016 saw).
            Default: ``today``.
        today
            The current date, used without ``as_of``; default :meth:`datetime.date.today`.
        """
        return self._in_state(cluster_id, "open", as_of=as_of, today=today)

    def closed_before(
        self, cluster_id: str, *, as_of: str | None = None, today: datetime.date | None = None
    ) -> gpd.GeoDataFrame:
        """The sites of one cluster that had closed by ``as_of`` (default ``today``; their
        ``valid_to`` is on or before it): the ones :meth:`sites_of` leaves out as closed,
        for views to show as closed with their source rather than drop."""
        return self._in_state(cluster_id, "closed", as_of=as_of, today=today)

    def _in_state(
        self, cluster_id: str, state: str, *, as_of: str | None, today: datetime.date | None
    ) -> gpd.GeoDataFrame:
        sites = self.registered(cluster_id)
        states = site_states(sites, as_of=as_of, today=today)
        # rows, even for an empty mask (sites[[]] would select columns)
        return sites.loc[[s == state for s in states]]

    def epicentres_of(self, cluster_id: str) -> pd.DataFrame:
        """The epicentres of one cluster."""
        self._check_cluster(cluster_id)
        return self.epicentres[self.epicentres["cluster"] == cluster_id]

    def located(
        self,
        cluster_id: str | None = None,
        *,
        as_of: str | None = None,
        today: datetime.date | None = None,
    ) -> gpd.GeoDataFrame:
        """Sites with a known location that existed at ``as_of`` (default ``today``, see
        :meth:`sites_of`), of one cluster or of all."""
        if cluster_id is None:
            sites = self.sites
            sites = sites.loc[[s == "open" for s in site_states(sites, as_of=as_of, today=today)]]
        else:
            sites = self.sites_of(cluster_id, as_of=as_of, today=today)
        from geo.projection import has_location  # geopandas is loaded: sites are a frame

        return sites[has_location(sites.geometry)]

    def cluster_locations(self, *, today: datetime.date | None = None) -> gpd.GeoSeries:
        """One point per cluster with a site located and open ``today`` (default
        :meth:`datetime.date.today`): the mean of those sites' points.

        Sites lie within 50 km of their city (validation checks it), so a lon/lat mean is
        a fair marker position for a continental overview map. Clusters with no located
        site are absent.
        """
        import geopandas as gpd
        import pandas as pd

        located = self.located(today=today)
        points = located.geometry.representative_point()
        frame = pd.DataFrame({"cluster": located["cluster"], "x": points.x, "y": points.y})
        means = frame.groupby("cluster", sort=False)[["x", "y"]].mean()
        return gpd.GeoSeries(gpd.points_from_xy(means["x"], means["y"]), index=means.index, crs=CRS)

    def _check_cluster(self, cluster_id: str) -> None:
        if cluster_id not in self.clusters.index:
            raise UnknownIdError("cluster", cluster_id, list(self.clusters.index))


def site_states(
    sites: pd.DataFrame, *, as_of: str | None = None, today: datetime.date | None = None
) -> list[str]:
    """Each site's state at ``as_of`` (``YYYY[-MM[-DD]]``, a year meaning its 1 January;
    default ``today``, itself defaulting to :meth:`datetime.date.today`) from its
    ``valid_from``/``valid_to``: ``"open"``, ``"closed"`` (``valid_to`` on or before the
    date: ``valid_to`` is the first day it is gone) or ``"not_yet"`` (``valid_from`` after
    the date).

    The one rule deciding which sites a view shows: "today" is the current date, so a
    site whose ``valid_to`` has passed is closed today too, not counted as existing.

    Raises :class:`~geo.errors.ParameterError` for a malformed ``as_of``.
    """
    when = _day(as_of, today=today)
    return [
        _state(start, end, when)
        for start, end in zip(sites["valid_from"], sites["valid_to"], strict=True)
    ]


def _day(as_of: str | None, *, today: datetime.date | None) -> tuple[int, ...]:
    """``as_of`` as (year, month, day), or ``today`` (default: the current date)."""
    if as_of is not None:
        return date_key(as_of, field="as_of")
    day = today or datetime.date.today()
    return (day.year, day.month, day.day)


def _state(start: str | None, end: str | None, when: tuple[int, ...]) -> str:
    if end is not None and date_key(end) <= when:
        return "closed"
    if start is not None and when < date_key(start):
        return "not_yet"
    return "open"


_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


def date_key(text: str, *, field: str = "date") -> tuple[int, ...]:
    """``"2016"``, ``"2016-05"`` or ``"2016-05-09"`` (ASCII digits) as a comparable
    (year, month, day).

    Raises :class:`~geo.errors.ParameterError` naming ``field`` for any other text, or a
    month or day that does not exist.

    Examples
    --------
    >>> date_key("2016-10")
    (2016, 10, 1)
    >>> date_key("2016-13", field="as_of")
    Traceback (most recent call last):
    ...
    geo.errors.ParameterError: as_of must be a real date, not '2016-13'
    """
    if not _DATE.fullmatch(str(text)):
        msg = f"{field} must be a date YYYY, YYYY-MM or YYYY-MM-DD, not {quote(text)}"
        raise ParameterError(msg)
    year, month, day = ([int(p) for p in str(text).split("-")] + [1, 1])[:3]
    try:
        datetime.date(max(year, 1), month, day)
    except ValueError:
        msg = f"{field} must be a real date, not {quote(text)}"
        raise ParameterError(msg) from None
    return (year, month, day)


def load_registry(path: str | os.PathLike[str] | None = None) -> Registry:
    """Read and validate a registry folder.

    Parameters
    ----------
    path
        A folder with ``clusters.geojson``, ``sites.geojson`` and ``epicentres.geojson``;
        by default :func:`default_data_dir`.

    Raises
    ------
    RegistryError
        With every problem found: missing folder or files, invalid JSON, wrong GeoJSON
        type, missing fields, duplicate or unknown ids, bad geometry, coordinates out of
        range or far from the cluster's city (the usual sign of swapped lat/lon).
    """
    import pandas as pd

    folder = Path(path) if path is not None else default_data_dir()
    clusters, sites, epicentres, footprints, digest = _validated(folder)
    epicentre_columns = schema.columns(schema.EPICENTRE_FIELDS)
    return Registry(
        clusters=_frame(clusters, schema.columns(schema.CLUSTER_FIELDS)),
        sites=_frame(sites, schema.columns(schema.SITE_FIELDS)),
        epicentres=pd.DataFrame(
            [
                {"id": fid, **{c: props.get(c) for c in epicentre_columns}}
                for fid, (props, _) in epicentres.items()
            ],
            columns=["id", *epicentre_columns],
            dtype=object,
        ).set_index("id"),
        footprints=_frame(
            {site: (props, geom) for site, (props, geom, _) in footprints.items()},
            FOOTPRINT_COLUMNS,
        ),
        version=digest,
        path=folder,
        catalogue={cid: _summary(cid, props, sites) for cid, (props, _) in clusters.items()},
    )


def read_catalogue(
    path: str | os.PathLike[str] | None = None, *, today: datetime.date | None = None
) -> list[dict[str, Any]]:
    """Validate a registry folder as :func:`load_registry` does and list its clusters.

    A light read for listings (``clustermap clusters``): no GeoDataFrame is built.

    Returns
    -------
    list of dict
        Per cluster, in file order: ``id``, ``name``, ``country``, ``city``, ``domain``,
        ``website``, ``practices`` (sorted practice names), ``n_sites`` and ``n_located``
        (the sites open ``today``, default the current date, :func:`site_states`) and
        ``n_closed`` (closed by then).

    Raises
    ------
    RegistryError
        As :func:`load_registry`.
    """
    folder = Path(path) if path is not None else default_data_dir()
    clusters, sites, *_ = _validated(folder)
    return [_summary(cid, props, sites, today=today) for cid, (props, _) in clusters.items()]


Raw = dict[str, tuple[Any, bytes]]
Rows = dict[str, tuple[dict[str, Any], Any]]
Footprints = dict[str, tuple[dict[str, Any], Any, bytes]]


def _validated(folder: Path) -> tuple[Rows, Rows, Rows, Footprints, str]:
    """Clusters, sites, epicentres and footprints of a folder, checked, and a short hash
    of every file read."""
    raw = _read_files(folder)
    problems = Problems()
    clusters = _clusters(raw["clusters.geojson"], problems)
    footprints: Footprints = {}
    sites = _sites(raw["sites.geojson"], clusters, problems, folder=folder, footprints=footprints)
    epicentres = _epicentres(raw["epicentres.geojson"], clusters, sites, problems)
    problems.raise_if_any(
        RegistryError, f"invalid registry {folder}: {len(problems.lines)} problem(s)"
    )
    parts = [raw[name][1] for name in FILES] + [data for *_, data in footprints.values()]
    digest = hashlib.sha256(b"".join(parts)).hexdigest()[:16]
    return clusters, sites, epicentres, footprints, digest


def _summary(
    cluster_id: str, props: dict[str, Any], sites: Rows, *, today: datetime.date | None = None
) -> dict[str, Any]:
    """A cluster's id, name, place, practices and site counts ``today`` (one home for that
    rule)."""
    when = _day(None, today=today)
    states = [
        (_state(site.get("valid_from"), site.get("valid_to"), when), geom)
        for site, geom in sites.values()
        if site.get("cluster") == cluster_id
    ]
    own = [geom for state, geom in states if state == "open"]
    return {
        "id": cluster_id,
        "name": props.get("name"),
        "country": props.get("country"),
        "city": props.get("city"),
        "domain": props.get("domain"),
        "website": props.get("website"),
        "practices": sorted({p["practice"] for p in props.get("practices") or []}),
        "n_sites": len(own),
        "n_located": sum(geom is not None for geom in own),
        "n_closed": sum(state == "closed" for state, _ in states),
    }


def _read_files(folder: Path) -> Raw:
    if not folder.is_dir():
        raise RegistryError(f"registry folder {folder} does not exist or is not a folder")
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise RegistryError(
            f"registry folder {folder} is incomplete", [f"{m}: file is missing" for m in missing]
        )
    raw: Raw = {}
    problems = Problems()
    for name in FILES:
        data = (folder / name).read_bytes()
        try:
            raw[name] = (json.loads(data.decode("utf-8")), data)
        except UnicodeDecodeError as exc:
            problems.add(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        except json.JSONDecodeError as exc:
            problems.add(
                f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            )
    problems.raise_if_any(
        RegistryError, f"invalid registry {folder}: {len(problems.lines)} problem(s)"
    )
    return raw


def _features(
    name: str, raw: tuple[Any, bytes], problems: Problems
) -> list[tuple[str, dict[str, Any], Any]]:
    """(label, properties, geojson geometry) of each feature, ids checked for duplicates."""
    out = []
    seen: dict[str, str] = {}
    for n, feature in enumerate(check_collection(name, raw[0], problems), start=1):
        label = feature_label(name, n, feature)
        props = feature["properties"]
        fid = props.get("id")
        if isinstance(fid, str) and fid in seen:
            problems.add(f"id: duplicate id {fid!r} (first used by {seen[fid]})", where=label)
            continue
        if isinstance(fid, str):
            seen[fid] = label
        out.append((label, props, feature.get("geometry")))
    return out


def _clusters(raw: tuple[Any, bytes], problems: Problems) -> Rows:
    rows: Rows = {}
    for label, props, geometry in _features("clusters.geojson", raw, problems):
        check_fields(label, props, schema.CLUSTER_FIELDS, problems)
        practices = props.get("practices")
        if practices is not None and not isinstance(practices, list):
            problems.add("practices: must be a list of {practice, evidence}", where=label)
        for item in practices if isinstance(practices, list) else []:
            if not isinstance(item, dict) or not item.get("evidence"):
                problems.add("practices: each item needs 'practice' and 'evidence'", where=label)
            else:
                check_choice(label, "practices", item.get("practice"), schema.PRACTICES, problems)
        if geometry is None:
            problems.add("geometry: the city's reference point is required", where=label)
        geom = check_geometry(label, geometry, problems, allowed=("Point",))
        if isinstance(props.get("id"), str):
            rows[props["id"]] = (props, geom)
    return rows


def _sites(
    raw: tuple[Any, bytes],
    clusters: Rows,
    problems: Problems,
    *,
    folder: Path,
    footprints: Footprints,
) -> Rows:
    """Sites by id; the footprint of each site that names one goes into ``footprints``."""
    rows: Rows = {}
    for label, props, geometry in _features("sites.geojson", raw, problems):
        check_fields(label, props, schema.SITE_FIELDS, problems)
        precision = props.get("location_precision")
        check_approximation(label, props, problems)
        geom = check_geometry(
            label, geometry, problems, allowed=("Point", "Polygon", "MultiPolygon")
        )
        if props.get("footprint") is not None and (geom is not None or geometry is None):
            found = _footprint(folder, label, props["footprint"], geom, problems)
            if found is not None and isinstance(props.get("id"), str):
                footprints[props["id"]] = found
        if precision == "unknown" and geometry is not None:
            problems.add("geometry: must be null when location_precision is 'unknown'", where=label)
        if precision not in (None, "unknown") and geometry is None:
            problems.add(
                f"geometry: missing although location_precision is "
                f"{precision!r} (use 'unknown' for an unlocated site)",
                where=label,
            )
        cluster = props.get("cluster")
        if isinstance(cluster, str) and cluster and cluster not in clusters:
            problems.add(f"cluster: unknown cluster id {cluster!r}", where=label)
        elif geom is not None and cluster in clusters:
            cprops, city = clusters[cluster]
            if isinstance(city, Point):
                check_near_city(label, geom, str(cprops.get("city")), city, problems)
        if isinstance(props.get("id"), str):
            rows[props["id"]] = (props, geom)
    return rows


def _footprint(
    folder: Path, label: str, ref: Any, point: Any, problems: Problems
) -> tuple[dict[str, Any], Any, bytes] | None:
    """Read a site's footprint file: one Polygon or MultiPolygon feature under ``folder``
    on which the site's point lies. Returns (properties, polygon, file bytes)."""
    where = f"{label}: footprint"
    path = folder / ref if isinstance(ref, str) and ref else None
    if path is None or Path(ref).is_absolute() or ".." in Path(ref).parts:
        problems.add(f"footprint: {ref!r} is not a relative path inside the registry", where=label)
        return None
    if not path.is_file():
        problems.add(f"footprint: file {ref!r} is missing", where=label)
        return None
    data = path.read_bytes()
    try:
        collection = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.add(f"{ref}: not valid UTF-8 JSON ({exc})", where=where)
        return None
    features = check_collection(f"{where} {ref}", collection, problems)
    if len(features) != 1:
        problems.add(f"{ref}: must hold exactly one feature, not {len(features)}", where=where)
        return None
    polygon = check_geometry(
        f"{where} {ref}",
        features[0].get("geometry"),
        problems,
        allowed=("Polygon", "MultiPolygon"),
    )
    if polygon is None:
        return None
    if point is None or not polygon.covers(point.representative_point()):
        problems.add(
            f"footprint: the site's point does not lie on its footprint {ref}", where=label
        )
        return None
    return features[0]["properties"], polygon, data


def _epicentres(raw: tuple[Any, bytes], clusters: Rows, sites: Rows, problems: Problems) -> Rows:
    rows: Rows = {}
    for label, props, _geometry in _features("epicentres.geojson", raw, problems):
        check_fields(label, props, schema.EPICENTRE_FIELDS, problems)
        cluster = props.get("cluster")
        if isinstance(cluster, str) and cluster and cluster not in clusters:
            problems.add(f"cluster: unknown cluster id {cluster!r}", where=label)
        members = props.get("members")
        if members is not None and not (isinstance(members, list) and len(members) >= 2):
            problems.add("members: must be a list of at least two site ids", where=label)
            members = []
        for member in members or []:
            if member not in sites:
                problems.add(f"members: unknown site id {member!r}", where=label)
            elif sites[member][0].get("cluster") != cluster:
                problems.add(
                    f"members: site {member!r} belongs to cluster "
                    f"{sites[member][0].get('cluster')!r}, not {cluster!r}",
                    where=label,
                )
        if isinstance(props.get("id"), str):
            rows[props["id"]] = (props, None)
    return rows


def _frame(rows: Rows, columns: list[str]) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    records = [
        {"id": fid, **{c: props.get(c) for c in columns}} for fid, (props, _) in rows.items()
    ]
    # object dtype keeps missing values as None (not NaN) for JSON and templates
    frame = pd.DataFrame(records, columns=["id", *columns], dtype=object).set_index("id")
    geometry = gpd.GeoSeries([geom for _, geom in rows.values()], index=frame.index, crs=CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)
