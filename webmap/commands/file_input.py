"""How the file commands read a point file: the loader options shared by ``density``,
``proximity``, ``ripley``, ``map`` and ``figure``, and the read itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from geo.points import ReadOptions, read_points
from webmap.commands.cli_options import apply_options

__all__ = ["loader_options", "read_input", "read_options"]


def loader_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say how to read a point file (shared by every file command)."""
    options = [
        click.option("--lat", default=None, help="Latitude column of a CSV (default: detected)."),
        click.option("--lon", default=None, help="Longitude column of a CSV (default: detected)."),
        click.option(
            "--x", "x_col", default=None, help="Projected x column of a CSV (with --crs)."
        ),
        click.option(
            "--y", "y_col", default=None, help="Projected y column of a CSV (with --crs)."
        ),
        click.option(
            "--crs", default=None, help="CRS of --x/--y, or of a file that declares none."
        ),
        click.option(
            "--drop-invalid",
            is_flag=True,
            help="Drop rows with missing or out-of-range coordinates instead of failing.",
        ),
        click.option(
            "--max-points",
            type=click.IntRange(min=1),
            default=None,
            help="Refuse a file of more points than this (default: no limit).",
        ),
        click.option(
            "--metric-crs",
            default=None,
            help=(
                "Projected CRS in metres for distances (default: the data's own projected CRS "
                "where it stretches them less than their UTM zone, else that zone)."
            ),
        ),
    ]
    return apply_options(func, options)


def read_options(opts: dict[str, Any]) -> ReadOptions:
    """The :class:`~geo.points.ReadOptions` of the options of :func:`loader_options`."""
    return {
        "lat": opts["lat"],
        "lon": opts["lon"],
        "x": opts["x_col"],
        "y": opts["y_col"],
        "crs": opts["crs"],
        "drop_invalid": opts["drop_invalid"],
        "max_points": opts["max_points"],
    }


def read_input(path: Path, opts: dict[str, Any]) -> Any:
    """Read a point file with the options of :func:`loader_options`."""
    return read_points(path, **read_options(opts))
