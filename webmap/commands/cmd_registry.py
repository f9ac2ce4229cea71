"""Registry commands: ``clusters``, ``sites``, ``validate`` and ``serve``."""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from geo.errors import ParameterError, RegistryError
from geo.registry import default_data_dir, load_registry, read_catalogue
from webmap.api.registry_api import site_listing
from webmap.api.tables import sites_csv
from webmap.commands.cli_options import CACHE_DIR_OPTION, DATA_OPTION

CLUSTERS_SCHEMA = "clustermap.clusters/1"


@click.command()
@DATA_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def clusters(data_dir: Path | None, as_json: bool) -> None:
    """List the registry's clusters, with their sites open today (located/all) and the
    number closed by today."""
    items = read_catalogue(data_dir)
    if as_json:
        document = {"schema": CLUSTERS_SCHEMA, "clusters": items}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    width = max(len(c["id"]) for c in items)
    click.echo(f"{'id':<{width}}  located/sites  closed  name")
    for c in items:
        click.echo(
            f"{c['id']:<{width}}  {c['n_located']:>7}/{c['n_sites']:<5}  {c['n_closed']:>6}  "
            f"{c['name']}"
        )


@click.command()
@click.argument("cluster_id", metavar="CLUSTER")
@DATA_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "csv"]),
    default="geojson",
    show_default=True,
    help="Output format.",
)
def sites(cluster_id: str, data_dir: Path | None, fmt: str) -> None:
    """Print a cluster's sites as GeoJSON or CSV: every site listed, each with its state
    today (open, closed or not_yet), so a closed site is listed and marked closed."""
    registry = load_registry(data_dir)
    if fmt == "geojson":
        collection = site_listing(registry, cluster_id)
        click.echo(json.dumps(collection, ensure_ascii=False, indent=1))
        return
    click.echo(sites_csv(registry, cluster_id), nl=False)


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
def validate(path: Path | None) -> None:
    """Check a registry folder and list every problem (exit 1 if any)."""
    folder = path if path is not None else default_data_dir()
    try:
        registry = load_registry(folder)
    except RegistryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    n_sites = len(registry.sites)
    n_located = int(registry.sites.geometry.notna().sum())
    click.echo(
        f"ok: {folder}: {len(registry.clusters)} clusters, {n_sites} sites "
        f"({n_located} located), {len(registry.epicentres)} epicentres"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@DATA_OPTION
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads (per process).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port and the analyses' store (one that dies is replaced).",
)
@CACHE_DIR_OPTION
@click.option(
    "--points",
    "point_specs",
    multiple=True,
    metavar="NAME=FILE[@CRS]",
    help="Serve a point file as vector tiles at /points/NAME (repeatable; @CRS when the "
    "file does not say, e.g. @EPSG:2154). Its index is built once, then cached.",
)
def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    threads: int,
    workers: int,
    cache_dir: Path | None,
    point_specs: tuple[str, ...],
) -> None:
    """Serve the maps and the API with a production WSGI server (waitress)."""
    from waitress import create_server

    from webmap import create_app
    from webmap.config import point_files
    from webmap.web.workers import listen, run_workers

    config: dict[str, Any] = {}
    if data_dir is not None:
        config["DATA_DIR"] = str(data_dir)
    if cache_dir is not None:
        config["NETWORK_CACHE_DIR"] = str(cache_dir)
    if point_specs:
        try:
            config["POINTS"] = point_files(list(point_specs))
        except ValueError as exc:
            raise ParameterError(f"--points: {exc}") from None
        if workers > 1:  # index once here: each worker then reads the cached index
            from geo.paths import resolve_cache_dir
            from geo.tiles import index_files

            index_files(config["POINTS"], cache_dir=resolve_cache_dir(cache_dir))

    def serve_on(sock: socket.socket, app: Any = None) -> None:  # a Flask app, or None
        app = create_app(config) if app is None else app
        options = waitress_options(app.config, host, port, threads)
        del options["host"], options["port"]  # the socket is bound already
        create_server(app, sockets=[sock], **options).run()

    app = create_app(config) if workers == 1 else None  # else one app in each process
    try:
        sock = listen(host, port)
    except OSError as exc:
        msg = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise click.ClickException(msg) from exc
    what = f"{workers} processes" if app is None else app.config["DATA_DIR"]
    click.echo(f"clustermap: serving {what} at http://{host}:{port}/ (Ctrl+C to stop)")
    if app is not None:
        serve_on(sock, app)
        return
    outcome = run_workers(serve_on, sock, workers)
    if outcome.status:
        raise click.ClickException(outcome.reason)


#: How often waitress looks for connections idle longer than ``SERVER_CHANNEL_TIMEOUT``.
CLEANUP_INTERVAL_S = 1


def waitress_options(
    config: Mapping[str, Any], host: str, port: int, threads: int
) -> dict[str, Any]:
    """waitress's settings for an app's configuration.

    * ``server_name`` is the listening address (the host name on a wildcard address): it
      is the host of absolute links unless ``PUBLIC_URL`` or a trusted proxy says
      otherwise (:mod:`webmap.web.origin`), never the client's ``Host`` header.
    * With ``PROXY_COUNT`` set, waitress keeps the ``X-Forwarded-*`` headers it would
      otherwise strip, for the app's ProxyFix to apply and check.
    * ``channel_timeout`` (``SERVER_CHANNEL_TIMEOUT``, seconds) closes idle or half-sent
      connections, looked for every second (``cleanup_interval``; waitress's default of
      30 s let them live up to twice the documented time); ``connection_limit``
      (``SERVER_CONNECTION_LIMIT``) bounds open ones; the per-request "task queue depth"
      warnings of waitress are silenced.
    """
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    wildcard = host in ("", "0.0.0.0", "::")
    return {
        "host": host,
        "port": port,
        "threads": threads,
        "ident": "clustermap",
        "server_name": socket.gethostname() if wildcard else host,
        "clear_untrusted_proxy_headers": not int(config["PROXY_COUNT"]),
        "channel_timeout": int(config["SERVER_CHANNEL_TIMEOUT"]),
        "cleanup_interval": CLEANUP_INTERVAL_S,
        "connection_limit": int(config["SERVER_CONNECTION_LIMIT"]),
    }


COMMANDS: list[click.Command] = [clusters, sites, validate, serve]
