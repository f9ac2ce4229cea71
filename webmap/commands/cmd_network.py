"""Street-network commands: ``network fetch|import|info|list``, ``isochrones``,
``network-distances``.

A network is a registry cluster's, or a named area's: an analyst's own street graph
imported with ``network import GRAPH --name AREA`` and used with ``--network AREA``.

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

from geo.atomic import write_text
from geo.errors import NetworkUnavailableError, ParameterError, Problems, UnknownIdError, quote
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
from geo.network.analyst import destination_access, point_distances, point_isochrones
from geo.network.areas import (
    AreaInfo,
    area_engine,
    area_info,
    check_area_name,
    has_area,
    import_area,
    list_areas,
)
from geo.network.source import NETWORK_TYPES
from geo.points import read_points
from geo.registry import load_registry
from webmap.commands.cli_options import CACHE_DIR_OPTION, DATA_OPTION

NETWORK_INFO_SCHEMA = "clustermap.network_info/1"
NETWORK_LIST_SCHEMA = "clustermap.network_areas/1"
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


def _print_area(area: AreaInfo) -> None:
    west, south, east, north = area.bbox
    click.echo(f"area:         {area.name}")
    click.echo(f"nodes:        {area.nodes:,}")
    click.echo(f"edges:        {area.edges:,}")
    click.echo(f"bbox:         {west:.5f},{south:.5f},{east:.5f},{north:.5f} (W,S,E,N)")
    click.echo(f"crs:          {area.crs}")
    click.echo(f"source file:  {area.source_file}")
    click.echo(f"imported:     {area.imported}")
    click.echo(f"file:         {area.path}")


@click.group(name="network")
def network_group() -> None:
    """Street networks of clusters and named areas: fetch, import, info, list."""


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
@click.argument("first", metavar="[CLUSTER] FILE")
@click.argument(
    "second", required=False, metavar="", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--name", default=None, help="Register FILE as a named area (your own street graph).")
@click.option("--crs", default=None, help="CRS of a GraphML file that does not declare one.")
@click.option(
    "--network-type",
    type=click.Choice(NETWORK_TYPES),
    default="walk",
    show_default=True,
    help="Network type (walk keeps only walkable ways of an OSM XML file).",
)
@CACHE_DIR_OPTION
@DATA_OPTION
def import_(first: str, second: Path | None, **opts: Any) -> None:
    """Cache a street graph: FILE as CLUSTER's network, or FILE --name AREA as a named area.

    FILE is OSMnx/pyrosm GraphML (any GraphML whose nodes have x/y and whose graph has a
    crs, or give --crs), or OSM XML (.osm/.osm.bz2). An area is then used with
    --network AREA by isochrones and network-distances.
    """
    name, cache_dir, data_dir = opts["name"], opts["cache_dir"], opts["data_dir"]
    if name is not None:
        if second is not None:
            raise ParameterError("give one FILE with --name AREA, not CLUSTER FILE")
        check_area_name(name)
        if name in load_registry(data_dir).clusters.index:
            msg = f"--name {quote(name)} is a registry cluster id; choose another area name"
            raise ParameterError(msg)
        _print_area(import_area(Path(first), name=name, crs=opts["crs"], cache_dir=cache_dir))
        return
    if second is None:
        raise ParameterError("give CLUSTER FILE, or FILE --name AREA for your own area")
    if opts["crs"] is not None:
        raise ParameterError("--crs applies to a named area (--name)")
    load_registry(data_dir).cluster(first)  # unknown ids fail before any work
    network_type = opts["network_type"]
    _print_info(import_network(first, second, cache_dir=cache_dir, network_type=network_type))


@network_group.command(name="info")
@click.argument("cluster_id", metavar="CLUSTER|AREA")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@CACHE_DIR_OPTION
def info(cluster_id: str, as_json: bool, cache_dir: Path | None) -> None:
    """Describe a named area's or CLUSTER's network: where it comes from (cache, bundled,
    file), nodes, edges, bbox, source, date."""
    if has_area(cluster_id, cache_dir=cache_dir):
        area = area_info(cluster_id, cache_dir=cache_dir)
        if as_json:
            click.echo(json.dumps({**area.to_dict(), "kind": "area"}, indent=2))
        else:
            _print_area(area)
        return
    try:
        found = network_info(cluster_id, cache_dir=cache_dir)
    except NetworkUnavailableError as exc:
        hint = "; no named area either (see 'clustermap network list')"
        raise NetworkUnavailableError(f"{exc}{hint}") from exc
    if as_json:
        document = {
            "schema": NETWORK_INFO_SCHEMA,
            **found.to_dict(),
            "attribution": OSM_ATTRIBUTION,
        }
        click.echo(json.dumps(document, indent=2))
    else:
        _print_info(found)


@network_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@CACHE_DIR_OPTION
def list_(as_json: bool, cache_dir: Path | None) -> None:
    """List the named areas (your own street graphs) in the cache."""
    areas = list_areas(cache_dir=cache_dir)
    if as_json:
        body = {"schema": NETWORK_LIST_SCHEMA, "areas": [a.to_dict() for a in areas]}
        click.echo(json.dumps(body, indent=2))
        return
    if not areas:
        click.echo("no named area: add one with 'clustermap network import GRAPH --name AREA'")
    for area in areas:
        west, south, east, north = area.bbox
        click.echo(
            f"{area.name:<24} {area.nodes:>9,} nodes {area.edges:>9,} edges  "
            f"{west:.5f},{south:.5f},{east:.5f},{north:.5f}  {area.source_file}"
        )


def _parse_minutes(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        msg = f"--minutes must be positive numbers separated by commas, got {quote(text)}"
        raise ParameterError(msg)
    return values


def _check_origin(cluster_id: str | None, **opts: Any) -> None:
    """Collect every problem with the chosen origin, then raise once."""
    lat, lon, graph, area, points = (opts[k] for k in ("lat", "lon", "graph", "network", "points"))
    site, epicentre = opts["site"], opts["epicentre"]
    problems = Problems()
    if (lat is None) != (lon is None):
        problems.add("give --lat and --lon together")
    if lat is not None and not -90 <= lat <= 90:
        problems.add(f"--lat must be within [-90, 90], got {lat}")
    if lon is not None and not -180 <= lon <= 180:
        problems.add(f"--lon must be within [-180, 180], got {lon}")
    sources = [
        name
        for name, v in (("CLUSTER", cluster_id), ("--graph", graph), ("--network", area))
        if v is not None
    ]
    if len(sources) > 1:
        problems.add(f"choose one network, not {' and '.join(sources)}")
    if not sources:
        problems.add("give CLUSTER, --network AREA, or --graph FILE")
    if (graph is not None or area is not None) and lat is None and points is None:
        problems.add(f"{sources[-1]} needs --lat and --lon, or --points FILE")
    chosen = [
        name
        for name, v in (
            ("--lat/--lon", lat),
            ("--site", site),
            ("--epicentre", epicentre),
            ("--points", points),
        )
        if v is not None
    ]
    if len(chosen) > 1:
        problems.add(f"choose one origin, not {' and '.join(chosen)}")
    if cluster_id is None and (site or epicentre):
        problems.add("--site and --epicentre need CLUSTER")
    if points is not None and area is None and graph is None:
        problems.add("--points needs --network AREA (or --graph FILE)")
    if (opts["union"] or opts["id_column"]) and points is None:
        problems.add("--union and --id apply to --points")
    problems.raise_if_any(ParameterError)


NETWORK_OPTION = click.option(
    "--network",
    "network",
    metavar="AREA",
    default=None,
    help="A named area (see 'clustermap network import GRAPH --name AREA').",
)
ID_OPTION = click.option(
    "--id",
    "id_column",
    default=None,
    help="Id column of --points (default: a column named id, site_id, fid or name, else "
    "the row number from 1).",
)


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
@NETWORK_OPTION
@click.option(
    "--points",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Origins: a point file (CSV, GeoJSON, GeoPackage...), one set of isochrones each.",
)
@ID_OPTION
@click.option("--union", is_flag=True, help="With --points: one polygon per time, from any origin.")
@click.option("--site", default=None, help="Origin: a site of CLUSTER.")
@click.option("--epicentre", default=None, help="Origin: the centroid of an epicentre.")
@click.option("--minutes", default="5,10,15", show_default=True, help="Times, comma-separated.")
@SPEED_OPTION
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write GeoJSON here instead of standard output.",
)
@CACHE_DIR_OPTION
@DATA_OPTION
def isochrones_command(cluster_id: str | None, **opts: Any) -> None:
    """Walking isochrones as GeoJSON (nested polygons with minutes and area_km2).

    From a point (--lat/--lon) or every point of a file (--points, with --union for the
    area reachable from any of them) on a named area (--network AREA), a graph file
    (--graph) or CLUSTER's network; from a site (--site), an epicentre's centroid
    (--epicentre), or, with CLUSTER alone, around every epicentre of CLUSTER.
    """
    lat, lon, site, epicentre = opts["lat"], opts["lon"], opts["site"], opts["epicentre"]
    graph, speed_kmh, cache_dir = opts["graph"], opts["speed_kmh"], opts["cache_dir"]
    minutes, out, data_dir = opts["minutes"], opts["out"], opts["data_dir"]
    _check_origin(cluster_id, **opts)
    times = _parse_minutes(minutes)
    registry = network = None
    if opts["network"] is not None:
        engine = area_engine(opts["network"], cache_dir=cache_dir)
    elif graph is not None:
        engine = load_engine(graph, cache_dir=cache_dir)
    else:
        registry = load_registry(data_dir)
        network = ClusterNetwork(
            str(cluster_id), registry=registry, cache_dir=cache_dir, speed_kmh=speed_kmh
        )
        engine = network.engine
    if opts["points"] is not None:
        frame = point_isochrones(
            engine,
            read_points(opts["points"]),
            minutes=times,
            speed_kmh=speed_kmh,
            union=opts["union"],
            id_column=opts["id_column"],
        )
    elif lat is not None and lon is not None:
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
    write_text(out, text + "\n")
    if "origin_id" in frame.columns:
        origins = frame["origin_id"].nunique()
        click.echo(f"wrote {len(frame)} isochrones of {origins} origins to {out}", err=True)
        return
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
@click.argument("cluster_id", metavar="[CLUSTER]", required=False)
@NETWORK_OPTION
@click.option(
    "--points",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --network: the points to measure between (or from, with --to).",
)
@ID_OPTION
@click.option(
    "--nearest",
    type=click.IntRange(min=1),
    default=None,
    help="Each point's K nearest others on foot, instead of every pair.",
)
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Destinations file: for each point, the nearest one on foot and counts within --minutes.",
)
@click.option("--to-id", default=None, help="Id column of --to (default as --id).")
@click.option(
    "--minutes",
    default="5,10,15",
    show_default=True,
    help="With --to: count times, comma-separated.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --points: write the table here (.csv, else JSON).",
)
@SPEED_OPTION
@CACHE_DIR_OPTION
@DATA_OPTION
def network_distances(cluster_id: str | None, **opts: Any) -> None:
    """Walking distances: between each epicentre's members of CLUSTER, or between your
    points (--network AREA --points FILE, every pair or --nearest K), or from your points
    to the nearest destination (--to FILE).

    Distances are door to door: the network distance between the points' nearest street
    nodes plus each point's snap distance (snap_m), at --speed-kmh for minutes; the detour
    index divides it by the straight (geodesic) distance.
    """
    speed_kmh, cache_dir = opts["speed_kmh"], opts["cache_dir"]
    if opts["network"] is not None or opts["points"] is not None:
        _area_distances(cluster_id, **opts)
        return
    extra = [f for f in ("to", "to_id", "nearest", "id_column", "out") if opts[f] is not None]
    if cluster_id is None or extra:
        msg = "give CLUSTER, or --network AREA --points FILE (for --to, --nearest, --id, --out)"
        raise ParameterError(msg)
    network = ClusterNetwork(
        cluster_id,
        registry=load_registry(opts["data_dir"]),
        cache_dir=cache_dir,
        speed_kmh=speed_kmh,
    )
    table, skipped = network.distances()
    if opts["as_json"]:
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


def _area_distances(cluster_id: str | None, **opts: Any) -> None:
    """``network-distances --network AREA --points FILE [--nearest K | --to FILE]``."""
    problems = Problems()
    if cluster_id is not None:
        problems.add("give CLUSTER or --network AREA, not both")
    if opts["network"] is None or opts["points"] is None:
        problems.add("give --network AREA and --points FILE together")
    if opts["to"] is not None and opts["nearest"] is not None:
        problems.add("choose --to or --nearest, not both")
    if opts["to_id"] is not None and opts["to"] is None:
        problems.add("--to-id applies to --to")
    problems.raise_if_any(ParameterError)
    engine = area_engine(opts["network"], cache_dir=opts["cache_dir"])
    points = read_points(opts["points"])
    speed_kmh = opts["speed_kmh"]
    if opts["to"] is not None:
        table = destination_access(
            engine,
            points,
            read_points(opts["to"]),
            minutes=_parse_minutes(opts["minutes"]),
            speed_kmh=speed_kmh,
            id_column=opts["id_column"],
            destination_id_column=opts["to_id"],
        )
        key = "origins"
    else:
        table = point_distances(
            engine,
            points,
            nearest=opts["nearest"],
            speed_kmh=speed_kmh,
            id_column=opts["id_column"],
        )
        key = "pairs"
    out: Path | None = opts["out"]
    if out is not None and out.suffix.lower() == ".csv":
        write_text(out, table.to_csv(index=False))
        click.echo(f"wrote {len(table)} rows to {out}", err=True)
        return
    if opts["as_json"] or out is not None:
        payload = {
            "network": opts["network"],
            "speed_kmh": speed_kmh,
            key: json.loads(table.to_json(orient="records")),
            "attribution": OSM_ATTRIBUTION,
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2)
        if out is None:
            click.echo(text)
        else:
            write_text(out, text + "\n")
            click.echo(f"wrote {len(table)} rows to {out}", err=True)
        return
    with pd.option_context("display.max_rows", None, "display.width", 200):
        click.echo(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    click.echo(f"door to door at {speed_kmh:g} km/h; data {OSM_ATTRIBUTION}")


COMMANDS: list[click.Command] = [network_group, isochrones_command, network_distances]
