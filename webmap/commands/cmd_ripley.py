"""``clustermap ripley``: Ripley's K and Besag's L of a point file or a registry cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from geo.errors import ParameterError
from geo.registry import load_registry
from geo.ripley import EDGE_CORRECTIONS, RipleyResult, ripley
from webmap.commands.cli_options import DATA_OPTION
from webmap.commands.file_input import loader_options, read_input


def _verdict(result: RipleyResult, i: int) -> str:
    if not len(result.envelope_low_m):
        return ""
    if result.l_m[i] > result.envelope_high_m[i]:
        return "clustered"
    if result.l_m[i] < result.envelope_low_m[i]:
        return "regular"
    return "as random"


@click.command("ripley")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--cluster", "cluster_id", default=None, help="A registry cluster instead of FILE.")
@click.option("--as-of", default=None, help="With --cluster: the sites as of YYYY[-MM[-DD]].")
@click.option(
    "--distances",
    "n_distances",
    type=click.IntRange(2, 1000),
    default=50,
    show_default=True,
    help="How many distances, from 0 to --max-distance.",
)
@click.option(
    "--max-distance",
    type=float,
    default=None,
    help="Largest distance in metres (default: a quarter of the window's shorter side).",
)
@click.option(
    "--edge-correction",
    type=click.Choice(EDGE_CORRECTIONS),
    default="translation",
    show_default=True,
    help="Pair weights for the window's edge ('none' matches pointpats).",
)
@click.option(
    "--simulations",
    type=click.IntRange(0, 9999),
    default=99,
    show_default=True,
    help="CSR patterns for the envelope (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulations.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@DATA_OPTION
@loader_options
def ripley_command(file: Path | None, cluster_id: str | None, **opts: Any) -> None:
    """Ripley's K and Besag's L of FILE (or --cluster), with a CSR envelope: at which
    distances points are clustered."""
    if (file is None) == (cluster_id is None):
        msg = "give a point FILE or --cluster ID (one of them)"
        raise ParameterError(msg)
    if cluster_id is not None:
        points = load_registry(opts["data_dir"]).located(cluster_id, as_of=opts["as_of"])
    else:
        points = read_input(Path(str(file)), opts)
    distances = None
    if opts["max_distance"] is not None:
        if not opts["max_distance"] > 0:
            msg = f"--max-distance must be a positive number of metres, not {opts['max_distance']}"
            raise ParameterError(msg)
        distances = np.linspace(0.0, opts["max_distance"], opts["n_distances"])
    result = ripley(
        points,
        distances=distances,
        n_distances=opts["n_distances"],
        edge_correction=opts["edge_correction"],
        n_simulations=opts["simulations"],
        seed=opts["seed"],
    )
    for note in result.warnings:
        click.echo(f"warning: {note}", err=True)
    if opts["as_json"]:
        click.echo(json.dumps(result.to_dict(), indent=1))
    else:
        _print_table(result)


def _print_table(result: RipleyResult) -> None:
    click.echo(
        f"{result.n_points} points, window {result.area_km2:.3f} km², "
        f"edge correction {result.edge_correction}, {result.n_simulations} CSR simulations"
    )
    click.echo(f"{'r (m)':>9} {'L(r) (m)':>9} {'CSR low':>9} {'CSR high':>9}  reading")
    has_envelope = bool(len(result.envelope_low_m))
    for i, r in enumerate(result.distance_m):
        low = f"{result.envelope_low_m[i]:9.1f}" if has_envelope else f"{'':>9}"
        high = f"{result.envelope_high_m[i]:9.1f}" if has_envelope else f"{'':>9}"
        click.echo(f"{r:9.1f} {result.l_m[i]:9.1f} {low} {high}  {_verdict(result, i)}")


COMMANDS: list[click.Command] = [ripley_command]
