"""``clustermap map``: a cluster's map, or an analyst's points, as one self-contained HTML
file that opens from disk with no server and no internet (basemap tiles aside).

A cluster map needs the registry and the street-network stack (osmnx, scikit-learn); a
points map needs neither, so they are imported only for a cluster map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geo.atomic import write_text
from geo.errors import ParameterError
from webmap.commands.cli_options import CACHE_DIR_OPTION, DATA_OPTION
from webmap.commands.file_input import loader_options, read_input
from webmap.maps.basemaps import BASEMAPS, DEFAULT_BASEMAP
from webmap.maps.export import standalone_html
from webmap.maps.point_layer import points_map


@click.command("map")
@click.argument("cluster_id", metavar="[CLUSTER]", required=False)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="The HTML file to write."
)
@click.option(
    "--points",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Map this point file instead of a registry cluster.",
)
@click.option(
    "--layers",
    default=None,
    help="Comma list of layers (cluster maps), e.g. sites,epicentres,density.",
)
@click.option(
    "--basemap",
    type=click.Choice(list(BASEMAPS)),
    default=DEFAULT_BASEMAP,
    show_default=True,
    help="Basemap shown first.",
)
@click.option(
    "--label",
    "label_column",
    default=None,
    help="Column shown in point popups (--points; default: detected).",
)
@CACHE_DIR_OPTION
@DATA_OPTION
@loader_options
def map_command(
    cluster_id: str | None,
    output: Path,
    points: Path | None,
    layers: str | None,
    basemap: str,
    label_column: str | None,
    cache_dir: Path | None,
    data_dir: Path | None,
    **loader: Any,
) -> None:
    """Write a self-contained HTML map of CLUSTER, or of a point file with --points."""
    if (cluster_id is None) == (points is None):
        msg = "give either a CLUSTER id or --points FILE"
        raise ParameterError(msg)
    if not output.parent.resolve().is_dir():
        msg = f"cannot write {output}: folder {output.parent} does not exist"
        raise ParameterError(msg)
    if points is not None:
        if layers is not None:
            msg = "--layers applies to cluster maps; a --points map draws the points"
            raise ParameterError(msg)
        fmap = points_map(read_input(points, loader), label_column=label_column, basemap=basemap)
    else:
        assert cluster_id is not None
        fmap = _cluster_map(
            cluster_id, layers=layers, basemap=basemap, cache_dir=cache_dir, data_dir=data_dir
        )
    html = standalone_html(fmap)
    write_text(output.resolve(), html)
    click.echo(f"wrote {output} ({len(html.encode('utf-8')) / 1e6:.2f} MB)")


def _cluster_map(
    cluster_id: str,
    *,
    layers: str | None,
    basemap: str,
    cache_dir: Path | None,
    data_dir: Path | None,
) -> Any:
    """The map of a registry cluster, with its street network when one is cached."""
    from geo.registry import load_registry
    from webmap.api.mapdata_api import compute
    from webmap.layer_registry import map_layers
    from webmap.maps.cluster_map import available_layers, cluster_map
    from webmap.maps.view import MapView, parse_layers

    registry = load_registry(data_dir)
    registry.cluster(cluster_id)  # unknown id: exit 2 before any work
    data = compute(
        registry,
        cluster_id,
        cache_dir=str(cache_dir) if cache_dir else None,
        with_streets=True,  # the export carries its offline basemap
    )
    available = available_layers(has_network=data.network is not None)
    chosen = (
        parse_layers(layers, available=available)
        if layers
        else map_layers(has_network=data.network is not None, defaults=True)
    )
    view = MapView(layers=chosen, basemap=basemap)
    return cluster_map(
        registry, cluster_id, overlays=data.overlays, network=data.network, view=view
    )


COMMANDS: list[click.Command] = [map_command]
