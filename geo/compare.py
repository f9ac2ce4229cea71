"""The clusters side by side: one row of measures per cluster, and every epicentre drawn
at one common scale.

:func:`compare_clusters` analyses each cluster once (:func:`geo.measures.analyse_cluster`)
and derives from it both the benchmark table (plus walking minutes where a street network
exists) and, for each epicentre, its members and footprints in metres around the
epicentre's centre, in a local azimuthal equidistant projection, so that every frame
shares one scale.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyproj
import shapely

from geo.errors import NetworkUnavailableError
from geo.measures import ClusterAnalysis, EpicentreAnalysis, analyse_cluster
from geo.registry import Registry

__all__ = ["COLUMNS", "Analyse", "Comparison", "EpicentreFrame", "compare_clusters"]


class Analyse(Protocol):
    """How :func:`compare_clusters` analyses one cluster (as
    :func:`geo.measures.analyse_cluster` does, with its default options)."""

    def __call__(
        self, registry: Registry, cluster_id: str, *, as_of: str | None, today: datetime.date
    ) -> ClusterAnalysis:
        """The analysis of ``cluster_id``, its sites as of ``as_of`` (else ``today``)."""
        ...


#: The table's columns, in order: (key, label, unit).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", "Cluster", ""),
    ("n_sites", "Sites listed", ""),
    ("n_located", "Sites located", ""),
    ("n_closed", "Sites closed", ""),
    ("area_km2", "Study area", "km²"),
    ("sites_per_km2", "Sites per km²", ""),
    ("mean_nn_distance_m", "Mean nearest-neighbour distance", "m"),
    ("clark_evans_r", "Clark-Evans R", ""),
    ("clark_evans_p", "Clark-Evans p", ""),
    ("epicentre", "Epicentre", ""),
    ("longest_side_m", "Longest side", "m"),
    ("bounding_radius_m", "Bounding-circle radius", "m"),
    ("walk_minutes_max", "Walk between members (longest)", "min"),
)


def _row(
    analysis: ClusterAnalysis,
    registry: Registry,
    *,
    cache_dir: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """A cluster's row: the keys of :data:`COLUMNS` plus ``id``, ``caveats``,
    ``epicentre_id`` and ``closed_sites`` (the sites closed by the analysis' date, its
    ``as_of`` or today, as in the measures); None where a measure does not exist for the
    cluster."""
    measures = analysis.to_dict()
    density = measures.get("density") or {}
    epicentres = measures.get("epicentres") or []
    first = epicentres[0] if epicentres else {}
    longest = first.get("longest_side") or {}
    cluster_id = measures["cluster"]["id"]
    return {
        "id": cluster_id,
        "name": measures["cluster"]["name"],
        "n_sites": measures["n_sites"],
        "n_located": measures["n_sites_located"],
        "n_closed": measures["n_sites_closed"],
        "closed_sites": measures["closed_sites"],
        # one site or sites on a line enclose no area: undefined, not 0
        "area_km2": density.get("area_km2") or None,
        "sites_per_km2": density.get("sites_per_km2"),
        "mean_nn_distance_m": density.get("mean_nn_distance_m"),
        "clark_evans_r": density.get("clark_evans_r"),
        "clark_evans_p": density.get("clark_evans_p"),
        "caveats": density.get("caveats") or {},
        "epicentre_id": first.get("id"),
        "epicentre": first.get("name"),
        "longest_side_m": longest.get("centre_m"),
        "bounding_radius_m": first.get("min_bounding_radius_m"),
        "walk_minutes_max": _walk_minutes(
            registry, cluster_id, first.get("id"), cache_dir=cache_dir, as_of=analysis.as_of
        ),
    }


def _walk_minutes(
    registry: Registry,
    cluster_id: str,
    epicentre_id: str | None,
    *,
    cache_dir: str | os.PathLike[str] | None,
    as_of: str | None,
) -> float | None:
    from geo.network import ClusterNetwork, has_network

    if epicentre_id is None or not has_network(cluster_id, cache_dir=cache_dir):
        return None
    try:
        network = ClusterNetwork(cluster_id, registry=registry, cache_dir=cache_dir, as_of=as_of)
        table, _ = network.distances()
    except NetworkUnavailableError:
        return None
    minutes = table.loc[table["epicentre"] == epicentre_id, "walk_minutes"].dropna()
    return float(minutes.max()) if len(minutes) else None


@dataclass(frozen=True)
class EpicentreFrame:
    """One epicentre in metres around its centre (x east, y north).

    Attributes
    ----------
    epicentre_id, cluster_id, name, cluster_name
        What it is.
    members
        ``(site id, site name, x_m, y_m)`` of each located member.
    sides
        The sides of the epicentre's shape, each ``((x_m, y_m), (x_m, y_m))``: the very
        sides :func:`geo.proximity.epicentre_geometry` measures (none for a single place).
    footprints
        Rings ``[(x_m, y_m), ...]`` of the members' footprints, clipped to the frame.
    missing
        Names of members that are not located (listed, not drawn).
    """

    epicentre_id: str
    cluster_id: str
    name: str
    cluster_name: str
    members: list[tuple[str, str, float, float]]
    sides: list[tuple[tuple[float, float], tuple[float, float]]]
    footprints: list[list[tuple[float, float]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """The clusters side by side: one table row per cluster (:data:`COLUMNS`, plus ``id``,
    ``caveats``, ``epicentre_id`` and ``closed_sites``) and one frame per epicentre."""

    rows: list[dict[str, Any]]
    frames: list[EpicentreFrame]


def compare_clusters(
    registry: Registry,
    *,
    as_of: str | None = None,
    today: datetime.date | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    side_m: float = 3000.0,
    analyse: Analyse | None = None,
) -> Comparison:
    """Analyse every cluster once (its sites as of ``as_of``, default ``today``: the
    current date unless given) and derive its table row and its epicentres' frames, each
    a ``side_m`` square around the epicentre's centre.

    ``walk_minutes_max`` is the longest walk between two members of the cluster's first
    epicentre on its street network (cached or bundled). A frame's centre is the mean of
    its located members' points (their footprints do not move it); each frame uses an
    azimuthal equidistant projection centred there, so distances from the centre are true
    and every frame has the same scale.

    ``analyse(registry, cluster_id, as_of=..., today=...)`` analyses one cluster with the
    default options (default :func:`geo.measures.analyse_cluster`; a server passes one that
    keeps each analysis for the cluster's other views).
    """
    rows, frames = [], []
    today = today or datetime.date.today()  # one date for every cluster
    analyse = analyse or analyse_cluster
    for cluster_id in registry.clusters.index:
        analysis = analyse(registry, str(cluster_id), as_of=as_of, today=today)
        rows.append(_row(analysis, registry, cache_dir=cache_dir))
        frames += [_frame(analysis, epi, registry, side_m=side_m) for epi in analysis.epicentres]
    return Comparison(rows=rows, frames=frames)


def _frame(
    analysis: ClusterAnalysis, epi: EpicentreAnalysis, registry: Registry, *, side_m: float
) -> EpicentreFrame:
    """One epicentre of an analysis, in metres around its members' centre."""
    half = side_m / 2.0
    window = shapely.box(-half, -half, half, half)
    sites = analysis.sites
    located = epi.geometry.located
    points = [sites.loc[m].geometry.representative_point() for m in located]
    to_local = _local_projection(points)
    where = {m: to_local(p.x, p.y) for m, p in zip(located, points, strict=True)}
    footprints = []
    for member in located:
        if member in registry.footprints.index:
            local = _project(registry.footprints.geometry[member], to_local)
            clipped = local.intersection(window)
            footprints += [_ring(part) for part in getattr(clipped, "geoms", [clipped])]
    return EpicentreFrame(
        epicentre_id=epi.id,
        cluster_id=str(analysis.info["id"]),
        name=str(epi.name),
        cluster_name=str(analysis.info["name"]),
        members=[(m, str(sites.loc[m, "name"]), *where[m]) for m in located],
        sides=[(where[side.a], where[side.b]) for side in epi.geometry.sides],
        footprints=[ring for ring in footprints if ring],
        missing=[str(sites.loc[m, "name"]) for m in epi.missing],
    )


def _local_projection(points: list[Any]) -> Any:
    """(lon, lat) -> (x, y) metres in an azimuthal equidistant projection at the points'
    mean (or anywhere, for no point: nothing will be projected)."""
    lon = float(np.mean([p.x for p in points])) if points else 0.0
    lat = float(np.mean([p.y for p in points])) if points else 0.0
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    transformer = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    return transformer.transform


def _project(geometry: Any, transform: Any) -> Any:
    """``geometry`` with its coordinates passed through ``transform(xs, ys)``."""
    return shapely.transform(
        geometry, lambda coords: np.column_stack(transform(coords[:, 0], coords[:, 1]))
    )


def _ring(geometry: Any) -> list[tuple[float, float]]:
    if geometry.is_empty or geometry.geom_type != "Polygon":
        return []
    return [(float(x), float(y)) for x, y in geometry.exterior.coords]
