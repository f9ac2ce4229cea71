"""Network measures between sites: pair distances, detour indices, paths, accessibility.

Sites are points in a GeoDataFrame (EPSG:4326, indexed by site id); those without a
location are skipped and listed in the result's ``skipped``. Each site is snapped to its
nearest street node; ``distance_m`` is the network distance between the snapped nodes
(what networkx finds on the same graph), while ``walk_minutes`` and ``detour_index`` are
door to door: the straight snap legs are added, and the detour index divides that by the
geodesic distance between the two sites (so it is at least 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._geodesy import GEOD
from geo.errors import ParameterError
from geo.network._output import with_attribution
from geo.network.engine import DEFAULT_SPEED_KMH, Snap, StreetEngine, metres_per_minute
from geo.projection import has_location

PAIR_COLUMNS = [
    "from_site",
    "to_site",
    "distance_m",
    "door_to_door_m",
    "walk_minutes",
    "straight_m",
    "detour_index",
    "from_snap_m",
    "to_snap_m",
    "from_node",
    "to_node",
]


@dataclass(frozen=True)
class LocatedSites:
    """Sites with a location, snapped to the network; ``skipped`` lists the others."""

    ids: list[str]
    lon: np.ndarray
    lat: np.ndarray
    snap: Snap
    skipped: list[str] = field(default_factory=list)


def locate_sites(engine: StreetEngine, sites: gpd.GeoDataFrame | gpd.GeoSeries) -> LocatedSites:
    """Snap located sites to the network; list those without a point location in ``skipped``.

    Parameters
    ----------
    engine
        The street engine.
    sites
        Points indexed by site id, in any CRS (converted to EPSG:4326).
    """
    geometry = sites.geometry if isinstance(sites, gpd.GeoDataFrame) else sites
    if geometry.crs is not None and not geometry.crs.equals(4326):
        geometry = geometry.to_crs(4326)
    located = has_location(geometry)
    not_points = [str(i) for i, g in geometry[located].items() if g.geom_type != "Point"]
    if not_points:
        msg = f"sites must be points; not points: {', '.join(not_points)}"
        raise ParameterError(msg)
    coords = shapely.get_coordinates(geometry[located].to_numpy())
    located[located] = np.isfinite(coords).all(axis=1)
    skipped = [str(i) for i in geometry.index[~located]]
    points = geometry[located]
    lon, lat = points.x.to_numpy(), points.y.to_numpy()
    return LocatedSites(
        ids=[str(i) for i in points.index],
        lon=lon,
        lat=lat,
        snap=engine.snap(lon, lat),
        skipped=skipped,
    )


@dataclass(frozen=True)
class PairDistances:
    """Network distance between every pair of sites.

    Attributes
    ----------
    table
        One row per unordered pair, columns :data:`PAIR_COLUMNS`; ``distance_m`` is the
        network distance between snapped nodes; ``door_to_door_m`` adds the snap legs;
        ``walk_minutes`` is door to door; ``detour_index`` = door to door / ``straight_m``.
    skipped
        Site ids without a location.
    """

    table: pd.DataFrame
    skipped: list[str]


def pair_distances(
    engine: StreetEngine,
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    speed_kmh: float = DEFAULT_SPEED_KMH,
) -> PairDistances:
    """Network distance, walking time and detour index between every pair of sites.

    Parameters
    ----------
    engine
        The street engine.
    sites
        Points indexed by site id (e.g. an epicentre's members).
    speed_kmh
        Walking speed, km/h.
    """
    per_minute = metres_per_minute(speed_kmh)
    located = locate_sites(engine, sites)
    snap = located.snap
    dist = engine.distances_m(snap.node) if located.ids else np.empty((0, 0))
    rows = []
    for i, j in combinations(range(len(located.ids)), 2):
        network = float(dist[i, snap.node[j]])
        door = network + snap.distance_m[i] + snap.distance_m[j]
        _, _, straight = GEOD.inv(located.lon[i], located.lat[i], located.lon[j], located.lat[j])
        rows.append(
            {
                "from_site": located.ids[i],
                "to_site": located.ids[j],
                "distance_m": network,
                "door_to_door_m": door,
                "walk_minutes": door / per_minute,
                "straight_m": float(straight),
                "detour_index": door / straight if straight > 0 else np.nan,
                "from_snap_m": float(snap.distance_m[i]),
                "to_snap_m": float(snap.distance_m[j]),
                "from_node": int(snap.node_id[i]),
                "to_node": int(snap.node_id[j]),
            }
        )
    return PairDistances(table=pd.DataFrame(rows, columns=PAIR_COLUMNS), skipped=located.skipped)


def network_paths(
    engine: StreetEngine,
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    speed_kmh: float = DEFAULT_SPEED_KMH,
) -> gpd.GeoDataFrame:
    """The shortest network path between every pair of sites, as lines for a map.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one LineString per pair (site, snap leg, streets, snap leg, site) with
        the columns of :func:`pair_distances`; ``attrs["skipped"]`` lists sites without a
        location and ``attrs["attribution"]`` credits OpenStreetMap.
    """
    pairs = pair_distances(engine, sites, speed_kmh=speed_kmh)
    located = locate_sites(engine, sites)
    position = {site: k for k, site in enumerate(located.ids)}
    x, y = engine.project(located.lon, located.lat)
    lines = []
    for row in pairs.table.itertuples():
        i, j = position[str(row.from_site)], position[str(row.to_site)]
        _, path = engine.shortest_path(int(located.snap.node[i]), int(located.snap.node[j]))
        coords = [(x[i], y[i])]
        if path:
            coords.extend(shapely.get_coordinates(engine.path_geometry(path)).tolist())
        coords.append((x[j], y[j]))
        lines.append(shapely.LineString(coords))
    metric = gpd.GeoSeries(lines, crs=engine.crs, index=pairs.table.index)
    frame = gpd.GeoDataFrame(pairs.table, geometry=metric.to_crs(4326))
    frame.attrs["skipped"] = pairs.skipped
    return with_attribution(frame)


@dataclass(frozen=True)
class Accessibility:
    """How many sites each site reaches on foot within a time.

    Attributes
    ----------
    table
        Indexed by located site id: ``reachable_count`` (other sites reachable door to
        door within ``minutes``) and ``reachable_sites`` (their ids, nearest first).
    minutes
        The time limit.
    skipped
        Site ids without a location.
    """

    table: pd.DataFrame
    minutes: float
    skipped: list[str]


def accessibility(
    engine: StreetEngine,
    sites: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    minutes: float = 15.0,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    targets: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> Accessibility:
    """For each site, the sites reachable on foot (door to door) within ``minutes``.

    Parameters
    ----------
    engine
        The street engine.
    sites
        Origins: points indexed by site id.
    minutes
        Time limit, minutes.
    speed_kmh
        Walking speed, km/h.
    targets
        Destinations (default: the origins themselves; a site never counts itself).
    """
    if not (np.isfinite(minutes) and minutes > 0):
        msg = f"minutes must be finite and > 0, got {minutes}"
        raise ParameterError(msg)
    budget = minutes * metres_per_minute(speed_kmh)
    origins = locate_sites(engine, sites)
    dest = origins if targets is None else locate_sites(engine, targets)
    counts: list[int] = []
    reached: list[list[str]] = []
    dest_ids = np.asarray(dest.ids, dtype=object)
    batch = 64
    for start in range(0, len(origins.ids), batch):
        stop = min(start + batch, len(origins.ids))
        legs = origins.snap.distance_m[start:stop]
        limit = max(float(budget - legs.min()), 0.0)
        dist = engine.distances_m(origins.snap.node[start:stop], limit_m=limit)
        door = dist[:, dest.snap.node] + legs[:, None] + dest.snap.distance_m[None, :]
        for row, origin in enumerate(origins.ids[start:stop]):
            within = np.flatnonzero(door[row] <= budget)
            within = within[np.argsort(door[row, within], kind="stable")]
            ids = [str(s) for s in dest_ids[within] if s != origin]
            counts.append(len(ids))
            reached.append(ids)
    table = pd.DataFrame(
        {"reachable_count": counts, "reachable_sites": reached},
        index=pd.Index(origins.ids, name="site"),
    )
    return Accessibility(table=table, minutes=float(minutes), skipped=origins.skipped)
