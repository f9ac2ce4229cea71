"""Networks of registry clusters: what the map and the command line ask for.

:class:`ClusterNetwork` loads a cluster's cached network once and gives the distances,
paths and isochrones of its epicentres, as plain tables or GeoDataFrames in EPSG:4326. Nothing here
downloads, except :func:`fetch_cluster_network`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.errors import NetworkUnavailableError
from geo.network._output import with_attribution
from geo.network.engine import DEFAULT_SPEED_KMH, StreetEngine, load_engine
from geo.network.isochrone import DEFAULT_MINUTES, isochrones
from geo.network.source import NetworkInfo, fetch_network, has_network, network_info
from geo.network.walking_measures import PAIR_COLUMNS, network_paths, pair_distances
from geo.projection import has_location, metric_crs
from geo.registry import Registry, load_registry

CacheDir = str | os.PathLike[str] | None


def cluster_engine(cluster_id: str, *, cache_dir: CacheDir = None) -> StreetEngine:
    """Return the street engine of a cluster's cached network.

    Raises
    ------
    NetworkUnavailableError
        No network is cached or bundled; the message says how to fetch or import one.
    """
    info = network_info(cluster_id, cache_dir=cache_dir)
    return load_engine(info.path, cache_dir=cache_dir)


def fetch_cluster_network(
    cluster_id: str,
    *,
    registry: Registry | None = None,
    cache_dir: CacheDir = None,
    network_type: str = "walk",
    margin_m: float = 1000.0,
    timeout_s: float = 60.0,
    force: bool = False,
) -> NetworkInfo:
    """Download (or reuse the cached) network around a cluster's located sites.

    With ``force=False`` an already cached network is returned as it is. A bundled network
    does not count: fetching replaces it with a download of the cluster's own area.
    """
    registry = registry or load_registry()
    sites = registry.located(cluster_id)
    if has_network(cluster_id, cache_dir=cache_dir, bundled=False) and not force:
        return network_info(cluster_id, cache_dir=cache_dir)
    return fetch_network(
        cluster_id,
        sites.geometry,
        cache_dir=cache_dir,
        network_type=network_type,
        margin_m=margin_m,
        timeout_s=timeout_s,
    )


def epicentre_members(
    registry: Registry, cluster_id: str, *, as_of: str | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Return each epicentre's member sites (located or not), keyed by epicentre id: those
    that existed at ``as_of`` (default: today, :meth:`~geo.registry.Registry.sites_of`)."""
    sites = registry.sites_of(cluster_id, as_of=as_of)
    out = {}
    for epicentre, row in registry.epicentres_of(cluster_id).iterrows():
        members = [m for m in row["members"] if m in sites.index]
        out[str(epicentre)] = sites.loc[members]
    return out


def centroid_lonlat(points: gpd.GeoSeries) -> tuple[float, float]:
    """Return the centroid of located points, computed in their metric CRS, as (lon, lat)."""
    located = points[has_location(points)]
    if located.empty:
        msg = "no located point to take a centroid of"
        raise NetworkUnavailableError(msg)
    metric = located.to_crs(metric_crs(located))
    centre = gpd.GeoSeries([metric.union_all().centroid], crs=metric.crs).to_crs(4326).iloc[0]
    return float(centre.x), float(centre.y)


@dataclass(frozen=True)
class NetworkLayers:
    """Walking isochrones and member-to-member paths of a cluster (EPSG:4326), and its
    streets for the offline basemap: a GeoJSON MultiLineString
    (:func:`geo.network.streets.street_lines`), or the URL a page fetches it from."""

    isochrones: gpd.GeoDataFrame
    paths: gpd.GeoDataFrame
    streets: dict[str, Any] | str | None = None


class ClusterNetwork:
    """A registry cluster's walking network, loaded once: distances, paths and isochrones
    between and around its epicentres' members.

    Parameters
    ----------
    cluster_id
        The cluster's id.
    registry
        The registry (default: the bundled one).
    cache_dir
        Network cache folder.
    speed_kmh
        Walking speed of every time.
    as_of
        Only the members that existed at that date (``YYYY[-MM[-DD]]``; default: today,
        :meth:`geo.registry.Registry.sites_of`).

    Raises
    ------
    NetworkUnavailableError
        No network is cached or bundled for the cluster.
    """

    def __init__(
        self,
        cluster_id: str,
        *,
        registry: Registry | None = None,
        cache_dir: CacheDir = None,
        speed_kmh: float = DEFAULT_SPEED_KMH,
        as_of: str | None = None,
    ) -> None:
        registry = registry or load_registry()
        self.cluster_id = cluster_id
        self.speed_kmh = speed_kmh
        self.engine = cluster_engine(cluster_id, cache_dir=cache_dir)
        self.members = epicentre_members(registry, cluster_id, as_of=as_of)

    def distances(self) -> tuple[pd.DataFrame, list[str]]:
        """Pair distances between the members of each epicentre.

        Returns
        -------
        table, skipped
            ``table`` has an ``epicentre`` column then :data:`geo.network.PAIR_COLUMNS`;
            ``skipped`` lists member sites without a location.
        """
        tables, skipped = [], []
        for epicentre, sites in self.members.items():
            result = pair_distances(self.engine, sites, speed_kmh=self.speed_kmh)
            tables.append(result.table.assign(epicentre=epicentre))
            skipped.extend(result.skipped)
        columns = ["epicentre", *PAIR_COLUMNS]
        table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)
        return table[columns], skipped

    def paths(self) -> gpd.GeoDataFrame:
        """Network paths between the members of each epicentre, for the map.

        Returns
        -------
        GeoDataFrame
            EPSG:4326 LineStrings with ``epicentre``, ``from_site``, ``to_site``,
            ``distance_m``, ``walk_minutes``, ``detour_index`` (and the other pair columns);
            ``attrs["attribution"]`` credits OpenStreetMap, ``attrs["skipped"]`` lists
            members without a location.
        """
        frames, skipped = [], []
        for epicentre, sites in self.members.items():
            paths = network_paths(self.engine, sites, speed_kmh=self.speed_kmh)
            frames.append(paths.assign(epicentre=epicentre))
            skipped.extend(paths.attrs.get("skipped", []))
        columns = ["epicentre", *PAIR_COLUMNS, "geometry"]
        if frames:
            frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)[columns]
        else:
            frame = gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
        frame.attrs["skipped"] = skipped
        return with_attribution(frame)

    def isochrones(self, *, minutes: Sequence[float] = DEFAULT_MINUTES) -> gpd.GeoDataFrame:
        """Nested isochrones around the centroid of each epicentre's located members.

        Returns
        -------
        GeoDataFrame
            EPSG:4326, one row per epicentre and time: ``epicentre``, ``minutes``,
            ``area_km2``, ``distance_m``, ``snap_m``, ``origin_lon``, ``origin_lat``,
            ``geometry``; ``attrs["attribution"]`` credits OpenStreetMap. Epicentres
            without a located member are left out.
        """
        frames = []
        for epicentre, sites in self.members.items():
            geometry = sites.geometry
            if not has_location(geometry).any():
                continue
            lon, lat = centroid_lonlat(geometry)
            iso = isochrones(self.engine, (lon, lat), minutes=minutes, speed_kmh=self.speed_kmh)
            frames.append(iso.assign(epicentre=epicentre, origin_lon=lon, origin_lat=lat))
        columns = ["epicentre", "minutes", "area_km2", "distance_m", "snap_m", "origin_lon"]
        columns += ["origin_lat", "geometry"]
        if frames:
            frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)[columns]
        else:
            frame = gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=4326)
        return with_attribution(frame)
