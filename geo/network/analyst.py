"""Walking measures on an analyst's own points: isochrones, distances, nearest destination.

Points are a GeoDataFrame (any CRS, converted to EPSG:4326) read from the analyst's file;
each keeps the id of the file's id column (:func:`point_ids`), as an integer or a string
as in the file. Every point snaps to its nearest street node and reports that snap
distance; walking distances are door to door (network distance between the snapped nodes
plus both snap legs), as in :mod:`geo.network.walking_measures`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._geodesy import GEOD
from geo.errors import InputDataError, ParameterError, quote
from geo.network._output import with_attribution
from geo.network.engine import DEFAULT_SPEED_KMH, StreetEngine, metres_per_minute
from geo.network.isochrone import DEFAULT_MINUTES, checked_minutes, reachable_geometry
from geo.projection import has_location

ID_NAMES = ("id", "site_id", "fid", "name")
"""Columns taken as the points' ids when none is named (any case): the first complete and
unique one wins."""

DISTANCE_COLUMNS = [
    "from_id",
    "to_id",
    "distance_m",
    "walk_minutes",
    "network_m",
    "straight_m",
    "detour_index",
    "from_snap_m",
    "to_snap_m",
]
"""Columns of :func:`point_distances`: ``distance_m`` is door to door."""

_BATCH = 64


def _plain(value: Hashable) -> int | str:
    """An id as the file has it: an integer (numpy or integral float) or a string."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return str(value)


def _column_ids(points: pd.DataFrame, column: str) -> list[int | str]:
    """The ids of one column; :class:`InputDataError` if one is empty or repeated."""
    values = points[column]
    if values.isna().any():
        msg = f"id column {quote(column)} has {int(values.isna().sum())} empty values"
        raise InputDataError(msg)
    ids = [_plain(v) for v in values]
    repeated = sorted(str(i) for i, count in Counter(ids).items() if count > 1)
    if repeated:
        msg = f"id column {quote(column)} repeats ids: {', '.join(repeated[:5])}"
        raise InputDataError(msg)
    return ids


def point_ids(points: pd.DataFrame, *, column: str | None = None) -> list[int | str]:
    """Return the points' ids, integers or strings as in the file.

    ``column`` if given (it must be complete and unique); else the first column named as
    in :data:`ID_NAMES` (any case) that is complete and unique; else the row number from 1.

    Raises
    ------
    ParameterError
        ``column`` is not in the file.
    InputDataError
        ``column`` has an empty or a repeated id.
    """
    if column is not None:
        if column not in points.columns:
            columns = ", ".join(str(c) for c in points.columns)
            msg = f"id column {quote(column)} is not in the file (columns: {columns})"
            raise ParameterError(msg)
        return _column_ids(points, column)
    geometry = points.geometry.name if isinstance(points, gpd.GeoDataFrame) else None
    lower = {str(c).lower(): c for c in points.columns if c != geometry}
    for name in ID_NAMES:
        if name in lower:
            try:
                return _column_ids(points, lower[name])
            except InputDataError:
                continue
    return list(range(1, len(points) + 1))


@dataclass(frozen=True)
class SnappedPoints:
    """Points snapped to the street network.

    Attributes
    ----------
    ids
        Each point's id.
    lon, lat
        Coordinates, EPSG:4326.
    node
        Engine index of each point's nearest node.
    snap_m
        Straight distance from each point to its node, metres.
    """

    ids: list[int | str]
    lon: np.ndarray
    lat: np.ndarray
    node: np.ndarray
    snap_m: np.ndarray


def snap_points(
    engine: StreetEngine, points: gpd.GeoDataFrame, *, id_column: str | None = None
) -> SnappedPoints:
    """Snap an analyst's points to the network (every point must have a location).

    Raises
    ------
    InputDataError
        No point, a point without a location, or a geometry that is not a point.
    """
    if len(points) == 0:
        raise InputDataError("the file holds no point")
    ids = point_ids(points, column=id_column)
    geometry = points.geometry
    if geometry.crs is not None and not geometry.crs.equals(4326):
        geometry = geometry.to_crs(4326)
    located = has_location(geometry).to_numpy()
    kinds = geometry.geom_type.to_numpy()
    bad = [str(i) for i, ok, k in zip(ids, located, kinds, strict=True) if not ok or k != "Point"]
    if bad:
        msg = f"{len(bad)} features are not located points (ids {', '.join(bad[:5])})"
        raise InputDataError(msg)
    lon, lat = geometry.x.to_numpy(), geometry.y.to_numpy()
    snap = engine.snap(lon, lat)
    return SnappedPoints(ids=ids, lon=lon, lat=lat, node=snap.node, snap_m=snap.distance_m)


def _network_rows(
    engine: StreetEngine, sources: np.ndarray, targets: np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, block)``: network metres from batches of ``sources`` to ``targets``
    (node indices), so memory stays at one batch of full rows."""
    for start in range(0, len(sources), _BATCH):
        dist = engine.distances_m(sources[start : start + _BATCH])
        yield start, dist[:, targets]


def point_isochrones(
    engine: StreetEngine,
    points: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    union: bool = False,
    id_column: str | None = None,
    buffer_m: float = 25.0,
    fill_holes_m2: float = 10_000.0,
) -> gpd.GeoDataFrame:
    """Nested walking isochrones around each point, or around all of them at once.

    Times count from each point's nearest node (as :func:`geo.network.isochrones`).

    Parameters
    ----------
    engine
        The street engine.
    points
        Origins.
    minutes
        Walking times, minutes.
    speed_kmh
        Walking speed, km/h.
    union
        One polygon per time: the area within that time of *any* origin (a multi-source
        search), instead of one per origin and time.
    id_column
        Column of the origins' ids (see :func:`point_ids`).
    buffer_m, fill_holes_m2
        As in :func:`geo.network.isochrones`.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per origin (``origin_id``, ``snap_m``; absent with ``union``) and
        time: ``minutes``, ``distance_m``, ``area_km2``, ``geometry``.
    """
    times = checked_minutes(minutes, buffer_m, fill_holes_m2)
    budgets = [t * metres_per_minute(speed_kmh) for t in times]
    snapped = snap_points(engine, points, id_column=id_column)
    groups: list[tuple[dict[str, object], np.ndarray]] = []
    if union:
        nodes = np.unique(snapped.node)
        dist = np.full(engine.n_nodes, np.inf)
        for start in range(0, len(nodes), _BATCH):
            block = engine.distances_m(nodes[start : start + _BATCH], limit_m=max(budgets))
            dist = np.minimum(dist, block.min(axis=0))
        groups.append(({}, dist))
    else:
        for k, origin in enumerate(snapped.ids):
            dist = engine.distances_m([snapped.node[k]], limit_m=max(budgets))[0]
            groups.append(({"origin_id": origin, "snap_m": float(snapped.snap_m[k])}, dist))
    rows, polygons = [], []
    for extra, dist in groups:
        previous = None
        for minute, budget in zip(times, budgets, strict=True):
            area = reachable_geometry(
                engine, dist, budget, buffer_m=buffer_m, fill_holes_m2=fill_holes_m2
            )
            previous = area if previous is None else shapely.union(area, previous)
            polygons.append(previous)
            rows.append({**extra, "minutes": minute, "distance_m": budget})
    metric = gpd.GeoSeries(polygons, crs=engine.crs)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows).assign(area_km2=metric.area.to_numpy() / 1e6),
        geometry=metric.to_crs(4326).to_numpy(),
        crs=4326,
    )
    return with_attribution(frame)


def point_distances(
    engine: StreetEngine,
    points: gpd.GeoDataFrame,
    *,
    nearest: int | None = None,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    id_column: str | None = None,
) -> pd.DataFrame:
    """Walking distances between an analyst's points.

    Parameters
    ----------
    engine
        The street engine.
    points
        The points.
    nearest
        For each point, its ``nearest`` closest others on foot (ordered pairs, nearest
        first); default every unordered pair once (the upper triangle of the matrix).
    speed_kmh
        Walking speed, km/h.
    id_column
        Column of the points' ids (see :func:`point_ids`).

    Returns
    -------
    DataFrame
        Columns :data:`DISTANCE_COLUMNS`: ``distance_m`` door to door (``network_m`` plus
        both snap legs; ``inf`` when unreachable), ``walk_minutes`` at ``speed_kmh``,
        ``straight_m`` geodesic, ``detour_index`` = ``distance_m / straight_m``.
    """
    if nearest is not None and nearest < 1:
        raise ParameterError(f"nearest must be an integer >= 1, got {nearest}")
    per_minute = metres_per_minute(speed_kmh)
    snapped = snap_points(engine, points, id_column=id_column)
    n = len(snapped.ids)
    pairs_i: list[np.ndarray] = []
    pairs_j: list[np.ndarray] = []
    network: list[np.ndarray] = []
    for start, block in _network_rows(engine, snapped.node, snapped.node):
        rows = np.arange(start, start + len(block))
        if nearest is None:
            i, j = np.nonzero(np.arange(n)[None, :] > rows[:, None])
        else:
            door = block + snapped.snap_m[rows, None] + snapped.snap_m[None, :]
            door[np.arange(len(rows)), rows] = np.inf  # never a point's own neighbour
            order = np.argsort(door, axis=1, kind="stable")[:, : min(nearest, n - 1)]
            i = np.repeat(np.arange(len(rows)), order.shape[1])
            j = order.ravel()
        pairs_i.append(rows[i])
        pairs_j.append(j)
        network.append(block[i, j])
    i = np.concatenate(pairs_i) if pairs_i else np.empty(0, int)
    j = np.concatenate(pairs_j) if pairs_j else np.empty(0, int)
    net = np.concatenate(network) if network else np.empty(0)
    door = net + snapped.snap_m[i] + snapped.snap_m[j]
    _, _, straight = GEOD.inv(snapped.lon[i], snapped.lat[i], snapped.lon[j], snapped.lat[j])
    straight = np.asarray(straight, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        detour = np.where(straight > 0, door / straight, np.nan)
    ids = np.asarray(snapped.ids, dtype=object)
    return pd.DataFrame(
        {
            "from_id": ids[i],
            "to_id": ids[j],
            "distance_m": door,
            "walk_minutes": door / per_minute,
            "network_m": net,
            "straight_m": straight,
            "detour_index": detour,
            "from_snap_m": snapped.snap_m[i],
            "to_snap_m": snapped.snap_m[j],
        },
        columns=DISTANCE_COLUMNS,
    )


def destination_access(
    engine: StreetEngine,
    points: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    id_column: str | None = None,
    destination_id_column: str | None = None,
) -> pd.DataFrame:
    """For each origin, the nearest destination on foot and how many lie within each time.

    Parameters
    ----------
    engine
        The street engine.
    points
        Origins.
    destinations
        Destinations (e.g. schools, shops).
    minutes
        Times for the counts, minutes.
    speed_kmh
        Walking speed, km/h.
    id_column, destination_id_column
        Id columns of the two files (see :func:`point_ids`).

    Returns
    -------
    DataFrame
        One row per origin: ``id``, ``snap_m``, ``nearest_id`` (None when no destination
        is reachable), ``distance_m`` (door to door), ``walk_minutes``,
        ``nearest_snap_m``, and ``within_<T>_min`` (destinations within T minutes, door
        to door) for each time.
    """
    times = checked_minutes(minutes, 25.0, 0.0)
    per_minute = metres_per_minute(speed_kmh)
    origins = snap_points(engine, points, id_column=id_column)
    dest = snap_points(engine, destinations, id_column=destination_id_column)
    dest_ids = np.asarray(dest.ids, dtype=object)
    best_j, best = [], []
    counts: dict[float, list[np.ndarray]] = {t: [] for t in times}
    for start, block in _network_rows(engine, origins.node, dest.node):
        rows = np.arange(start, start + len(block))
        door = block + origins.snap_m[rows, None] + dest.snap_m[None, :]
        j = np.argmin(door, axis=1)
        best_j.append(j)
        best.append(door[np.arange(len(rows)), j])
        for t in times:
            counts[t].append((door <= t * per_minute).sum(axis=1))
    j = np.concatenate(best_j)
    distance = np.concatenate(best)
    reached = np.isfinite(distance)
    table = pd.DataFrame(
        {
            "id": np.asarray(origins.ids, dtype=object),
            "snap_m": origins.snap_m,
            "nearest_id": np.where(reached, dest_ids[j], None),
            "distance_m": distance,
            "walk_minutes": distance / per_minute,
            "nearest_snap_m": np.where(reached, dest.snap_m[j], np.nan),
        }
    )
    for t in times:
        table[f"within_{t:g}_min"] = np.concatenate(counts[t]).astype(np.int64)
    return table
