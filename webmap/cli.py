"""The ``clustermap`` command line.

Each concern keeps its commands in :mod:`webmap.commands`; this module only assembles them
and makes sure a user never sees a traceback: expected failures
(:class:`geo._errors.ClustermapError`) become a one-line ``error: ...`` message and a
non-zero exit code, unknown ids exit with code 2.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from geo._errors import ClustermapError, UnknownIdError
from webmap.commands import analysis, maps, network, registry


class _Group(click.Group):
    """A click group that turns clustermap errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnknownIdError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except ClustermapError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except (OSError, MemoryError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clustermap")
def cli() -> None:
    """clustermap: map, measure and serve business and innovation clusters."""


for _module in (registry, analysis, network, maps):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``clustermap`` console script."""
    try:
        cli.main(args=argv, prog_name="clustermap", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
