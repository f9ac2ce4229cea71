"""The ``clustermap`` command line.

Each concern keeps its commands in :mod:`webmap.commands`; this module only assembles them
and makes sure a user never sees a traceback: expected failures
(:class:`geo.errors.ClustermapError`) become a one-line ``error: ...`` message and a
non-zero exit code (:data:`webmap.error_table.ERRORS`: unknown ids exit with code 2).

A command's module is imported only when that command runs, so ``clustermap --help`` or
``clustermap clusters`` do not pay for osmnx, scikit-learn, folium or rasterio.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from geo.errors import ClustermapError
from webmap.error_table import CLI_SPELLING, answer_for

#: Every command: the module of :mod:`webmap.commands` that defines it, and its one-line
#: help for ``clustermap --help`` (a test keeps it equal to the command's own).
COMMANDS: dict[str, tuple[str, str]] = {
    "clusters": ("cmd_registry", "List the registry's clusters."),
    "sites": ("cmd_registry", "Print a cluster's sites as GeoJSON or CSV."),
    "validate": ("cmd_registry", "Check a registry folder and list every problem (exit 1 if any)."),
    "serve": (
        "cmd_registry",
        "Serve the maps and the API with a production WSGI server (waitress).",
    ),
    "measures": ("cmd_measures", "Density and proximity measures of one registry cluster."),
    "density": ("cmd_density", "Density measures of the points in FILE."),
    "proximity": ("cmd_proximity", "The k nearest neighbours of each point in FILE."),
    "ripley": (
        "cmd_ripley",
        "Ripley's K and Besag's L of FILE (or --cluster), with a CSR envelope.",
    ),
    "network": (
        "cmd_network",
        "Street networks of clusters and named areas: fetch, import, info, list.",
    ),
    "isochrones": ("cmd_network", "Walking isochrones as GeoJSON."),
    "network-distances": ("cmd_network", "Walking distances."),
    "map": ("cmd_maps", "Write a self-contained HTML map of CLUSTER, or of a point file."),
    "figure": ("cmd_figure", "Write a print-ready figure of CLUSTER, or of a point file."),
}


class _Group(click.Group):
    """Loads each command's module on demand; turns clustermap errors into one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"webmap.commands.{COMMANDS[cmd_name][0]}")
        return next(c for c in module.COMMANDS if c.name == cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClustermapError as exc:
            # one line per problem, below its summary if any, naming the command's flags
            for line in exc.lines(CLI_SPELLING):
                click.echo(line if line.startswith("  - ") else f"error: {line}", err=True)
            ctx.exit(answer_for(exc).exit_code)
        except BrokenPipeError:
            # the reader went away (``clustermap ... | head``): stop quietly, as Unix tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)
        except (OSError, MemoryError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clustermap")
def cli() -> None:
    """clustermap: map, measure and serve business and innovation clusters."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``clustermap`` console script."""
    try:
        cli.main(args=argv, prog_name="clustermap", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
