"""``clustermap density --engine dask``: the options that choose the engine and the call
that runs the analysis on a Dask cluster (:func:`geo.distributed.analyse_dask`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from geo.column_analysis import ColumnAnalysis
from geo.errors import ParameterError
from geo.options import AnalysisOptions
from geo.points import ReadOptions
from geo.selection import Selection
from webmap.commands.cli_options import apply_options

ENGINES = ("inprocess", "dask")


def engine_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--engine``, ``--scheduler`` and ``--workers``."""
    options = [
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="inprocess",
            show_default=True,
            help="Where to compute: in this process, or on a Dask cluster (FILE may then be "
            "a partitioned GeoParquet folder or a glob of CSV/Parquet files).",
        ),
        click.option(
            "--scheduler",
            default=None,
            metavar="tcp://HOST:PORT",
            help="With --engine dask: the address of a running Dask scheduler.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="With --engine dask: worker processes of a local cluster (default 2).",
        ),
    ]
    return apply_options(func, options)


def uses_dask(opts: dict[str, Any]) -> bool:
    """Whether the options ask for the Dask engine (and are consistent)."""
    if opts["engine"] != "dask" and (opts["scheduler"] or opts["workers"]):
        msg = "--scheduler and --workers go with --engine dask"
        raise ParameterError(msg)
    return bool(opts["engine"] == "dask")


def analyse_on_dask(
    path: Path,
    options: AnalysisOptions,
    read: ReadOptions,
    opts: dict[str, Any],
    *,
    study_area: Any,
    selection: Selection,
) -> ColumnAnalysis:
    """Run :func:`geo.distributed.analyse_dask` with the command's options. Dense cores
    stay in process: asked for with ``--cores``, they are refused; by default, left out
    with a warning."""
    from geo.distributed import analyse_dask

    cores_given = options.cores is not None and click.get_current_context().get_parameter_source(
        "cores"
    ) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    unsupported = [
        ("dense cores (--cores; they run in process: --engine inprocess)", cores_given),
        ("a polygon file for --area", study_area is not None),
        ("--max-points", read.get("max_points") is not None),
        ("--where or --by", bool(selection.where) or selection.by is not None),
    ]
    refused = [name for name, given in unsupported if given]
    if refused:
        msg = f"--engine dask does not take {', '.join(refused)}"
        raise ParameterError(msg)
    analysis = analyse_dask(
        path,
        dataclasses.replace(options, cores=None),
        scheduler=opts["scheduler"],
        workers=opts["workers"],
        read=read,
        crs=opts["metric_crs"],
    )
    if options.cores is not None:
        analysis.warnings.append(
            "dense cores are left out by the dask engine (--engine inprocess computes them)"
        )
    return analysis
