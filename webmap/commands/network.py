"""Street-network commands: ``network fetch|import|info``, ``isochrones``, ``network-distances``.

Only ``network fetch`` downloads; every other command works offline from the cache
(``--cache-dir``, else ``$CLUSTERMAP_CACHE_DIR``, else ``~/.cache/clustermap``) or a
graph file, and fails with a one-line message saying how to get a network when none is
there.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd

from geo._errors import ParameterError, Problems, UnknownIdError, quote
from geo.network import (
    DEFAULT_SPEED_KMH,
    OSM_ATTRIBUTION,
    ClusterNetwork,
    NetworkInfo,
    centroid_lonlat,
    fetch_cluster_network,
    import_network,
    isochrones,
    load_engine,
    network_info,
    to_geojson,
)
from geo.network.source import NETWORK_TYPES
from geo.registry import load_registry
from webmap.commands.options import CACHE_DIR_OPTION, DATA_OPTION

NETWORK_INFO_SCHEMA = "clustermap.network_info/1"
NETWORK_DISTANCES_SCHEMA = "clustermap.network_distances/1"

SPEED_OPTION = click.option(
    "--speed-kmh",
    type=float,
    default=DEFAULT_SPEED_KMH,
    show_default=True,
    help="Walking speed in km/h.",
)


def _print_info(info: NetworkInfo) -> None:
    west, south, east, north = info.bbox
    click.echo(f"cluster:      {info.cluster}")
    click.echo(f"nodes:        {info.nodes:,}")
    click.echo(f"edges:        {info.edges:,}")
    click.echo(f"bbox:         {west:.5f},{south:.5f},{east:.5f},{north:.5f} (W,S,E,N)")
    where = "bundled with clustermap (read-only)" if info.source == "bundled" else "cache"
    click.echo(f"from:         {where}")
    click.echo(f"source:       {info.source} ({info.origin})")
    click.echo(f"network type: {info.network_type}")
    click.echo(f"date:         {info.created}")
    click.echo(f"file:         {info.path}")
    click.echo(f"data:         {OSM_ATTRIBUTION}")


@click.group(name="network")
def network_group() -> None:
    """Street networks of clusters: fetch, import, info."""


@network_group.command(name="fetch")
@click.argument("cluster_id", metavar="CLUSTER")
@click.option(
    "--network-type",
    type=click.Choice(NETWORK_TYPES),
    default="walk",
    show_default=True,
    help="OSMnx network type.",
)
@click.option(
    "--margin", type=float, default=1000.0, show_default=True, help="Margin around sites, m."
)
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="HTTP timeout, seconds."
)
@click.option("--force", is_flag=True, help="Download again even if a network is cached.")
@CACHE_DIR_OPTION
@DATA_OPTION
def fetch(
    cluster_id: str,
    network_type: str,
    margin: float,
    timeout: float,
    force: bool,
    cache_dir: Path | None,
    data_dir: Path | None,
) -> None:
    """Download CLUSTER's street network with OSMnx (needs internet) and cache it."""
    info = fetch_cluster_network(
        cluster_id,
        registry=load_registry(data_dir),
        cache_dir=cache_dir,
        network_type=network_type,
        margin_m=margin,
        timeout_s=timeout,
        force=force,
    )
    _print_info(info)


@network_group.command(name="import")
@click.argument("cluster_id", metavar="CLUSTER")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--network-type",
    type=click.Choice(NETWORK_TYPES),
    default="walk",
    show_default=True,
    help="Network type (walk keeps only walkable ways of an OSM XML file).",
)
@CACHE_DIR_OPTION
@DATA_OPTION
def import_(
    cluster_id: str,
    file: Path,
    network_type: str,
    cache_dir: Path | None,
    data_dir: Path | None,
) -> None:
    """Cache FILE (OSM XML .osm/.osm.bz2 or OSMnx .graphml) as CLUSTER's street network."""
    load_registry(data_dir).cluster(cluster_id)  # unknown ids fail before any work
    _print_info(import_network(cluster_id, file, cache_dir=cache_dir, network_type=network_type))


@network_group.command(name="info")
@click.argument("cluster_id", metavar="CLUSTER")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@CACHE_DIR_OPTION
def info(cluster_id: str, as_json: bool, cache_dir: Path | None) -> None:
    """Describe CLUSTER's network: where it comes from (cache or bundled), nodes, edges,
    bbox, source, date."""
    found = network_info(cluster_id, cache_dir=cache_dir)
    if as_json:
        document = {
            "schema": NETWORK_INFO_SCHEMA,
            **found.to_dict(),
            "attribution": OSM_ATTRIBUTION,
        }
        click.echo(json.dumps(document, indent=2))
    else:
        _print_info(found)


def _parse_minutes(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        msg = f"--minutes must be positive numbers separated by commas, got {quote(text)}"
        raise ParameterError(msg)
    return values


def _check_origin(
    cluster_id: str | None,
    lat: float | None,
    lon: float | None,
    graph: Path | None,
    site: str | None,
    epicentre: str | None,
) -> None:
    """Collect every problem with the chosen origin, then raise once."""
    problems = Problems()
    if (lat is None) != (lon is None):
        problems.add("give --lat and --lon together")
    if lat is not None and not -90 <= lat <= 90:
        problems.add(f"--lat must be within [-90, 90], got {lat}")
    if lon is not None and not -180 <= lon <= 180:
        problems.add(f"--lon must be within [-180, 180], got {lon}")
    if graph is not None and lat is None:
        problems.add("--graph needs --lat and --lon")
    if cluster_id is None and graph is None:
        problems.add("give CLUSTER, or --lat Y --lon X --graph FILE")
    chosen = [
        name
        for name, v in (("--lat/--lon", lat), ("--site", site), ("--epicentre", epicentre))
        if v is not None
    ]
    if len(chosen) > 1:
        problems.add(f"choose one origin, not {' and '.join(chosen)}")
    if cluster_id is None and (site or epicentre):
        problems.add("--site and --epicentre need CLUSTER")
    problems.raise_if_any(ParameterError)


@click.command(name="isochrones")
@click.argument("cluster_id", metavar="[CLUSTER]", required=False)
@click.option("--lat", type=float, default=None, help="Origin latitude (EPSG:4326).")
@click.option("--lon", type=float, default=None, help="Origin longitude (EPSG:4326).")
@click.option(
    "--graph",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Graph file (OSM XML or GraphML) to use instead of a cluster's cached network.",
)
@click.option("--site", default=None, help="Origin: a site of CLUSTER.")
@click.option("--epicentre", default=None, help="Origin: the centroid of an epicentre.")
@click.option("--minutes", default="5,10,15", show_default=True, help="Times, comma-separated.")
@SPEED_OPTION
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write GeoJSON here instead of standard output.",
)
@CACHE_DIR_OPTION
@DATA_OPTION
def isochrones_command(cluster_id: str | None, **opts: Any) -> None:
    """Walking isochrones as GeoJSON (nested polygons with minutes and area_km2).

    From a point (--lat/--lon) on a graph file (--graph) or on CLUSTER's network, from a
    site (--site), an epicentre's centroid (--epicentre), or, with CLUSTER alone, around
    every epicentre of CLUSTER.
    """
    lat, lon, site, epicentre = opts["lat"], opts["lon"], opts["site"], opts["epicentre"]
    graph, speed_kmh, cache_dir = opts["graph"], opts["speed_kmh"], opts["cache_dir"]
    minutes, out, data_dir = opts["minutes"], opts["out"], opts["data_dir"]
    _check_origin(cluster_id, lat, lon, graph, site, epicentre)
    times = _parse_minutes(minutes)
    registry = network = None
    if graph is not None:
        engine = load_engine(graph, cache_dir=cache_dir)
    else:
        registry = load_registry(data_dir)
        network = ClusterNetwork(
            str(cluster_id), registry=registry, cache_dir=cache_dir, speed_kmh=speed_kmh
        )
        engine = network.engine
    if lat is not None and lon is not None:
        frame = isochrones(engine, (lon, lat), minutes=times, speed_kmh=speed_kmh)
    else:
        assert cluster_id is not None and registry is not None and network is not None
        if site is not None:
            sites = registry.registered(cluster_id)  # any site named, closed ones too
            frame = isochrones(
                engine, _site_lonlat(sites, site), minutes=times, speed_kmh=speed_kmh
            )
            frame.insert(0, "site", site)
        elif epicentre is not None:
            if epicentre not in network.members:
                raise UnknownIdError("epicentre", epicentre, list(network.members))
            origin = centroid_lonlat(network.members[epicentre].geometry)
            frame = isochrones(engine, origin, minutes=times, speed_kmh=speed_kmh)
            frame.insert(0, "epicentre", epicentre)
        else:
            frame = network.isochrones(minutes=times)
    text = json.dumps(to_geojson(frame), ensure_ascii=False)
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    areas = ", ".join(
        f"{m:g} min {a:.3f} km2" for m, a in zip(frame["minutes"], frame["area_km2"], strict=True)
    )
    click.echo(f"wrote {len(frame)} isochrones to {out}: {areas}", err=True)


def _site_lonlat(sites: pd.DataFrame, site: str) -> tuple[float, float]:
    if site not in sites.index:
        raise UnknownIdError("site", site, [str(s) for s in sites.index])
    point = sites.geometry.loc[site]
    if point is None or point.is_empty:
        msg = f"site {quote(site)} has no known location"
        raise ParameterError(msg)
    return float(point.x), float(point.y)


@click.command(name="network-distances")
@click.argument("cluster_id", metavar="CLUSTER")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@SPEED_OPTION
@CACHE_DIR_OPTION
@DATA_OPTION
def network_distances(
    cluster_id: str,
    as_json: bool,
    speed_kmh: float,
    cache_dir: Path | None,
    data_dir: Path | None,
) -> None:
    """Network distance, walking time and detour index between each epicentre's members."""
    network = ClusterNetwork(
        cluster_id, registry=load_registry(data_dir), cache_dir=cache_dir, speed_kmh=speed_kmh
    )
    table, skipped = network.distances()
    if as_json:
        payload: dict[str, Any] = {
            "schema": NETWORK_DISTANCES_SCHEMA,
            "cluster": cluster_id,
            "speed_kmh": speed_kmh,
            "pairs": json.loads(table.to_json(orient="records")),
            "skipped_sites": skipped,
            "attribution": OSM_ATTRIBUTION,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    header = ("epicentre", "from", "to", "network m", "min", "straight m", "detour")
    click.echo("{:<16} {:<18} {:<18} {:>9} {:>5} {:>10} {:>6}".format(*header))
    for row in table.itertuples():
        click.echo(
            f"{row.epicentre:<16} {row.from_site:<18} {row.to_site:<18} {row.distance_m:>9.0f} "
            f"{row.walk_minutes:>5.1f} {row.straight_m:>10.0f} {row.detour_index:>6.2f}"
        )
    if skipped:
        click.echo(f"skipped (no location): {', '.join(skipped)}")
    click.echo(f"minutes and detour are door to door at {speed_kmh:g} km/h; data {OSM_ATTRIBUTION}")


COMMANDS: list[click.Command] = [network_group, isochrones_command, network_distances]
