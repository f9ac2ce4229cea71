"""``clustermap density``: the density measures of a point file, as a table or the JSON of
``docs/measures.md``, with the KDE surface, its contours, hexagons and location quotients
written on request. Warnings go to stderr; a long run shows a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geo.atomic import atomic_path, write_frame
from geo.column_analysis import analyse_file
from geo.errors import ParameterError, clip, quote
from geo.formats import load, read_vector
from geo.jsonable import json_text
from geo.kde import kde_contours, write_geotiff
from geo.measures import measures as registered_measures
from geo.options import AreaRule, options_from, spec
from webmap.commands.cli_options import analysis_options
from webmap.commands.cli_selection import (
    ReadProgress,
    category_rows,
    selection_of,
    selection_options,
)
from webmap.commands.dask_engine import analyse_on_dask, engine_options, uses_dask
from webmap.commands.file_input import loader_options, read_options
from webmap.commands.text_format import Progress, density_table, reported_warnings


def _parse_area(text: str) -> tuple[AreaRule, float | None, Any]:
    """``hull``, ``bbox``, ``buffer:M`` or a polygon file -> (area, buffer_m, polygons)."""
    lowered = text.lower()
    if lowered == "hull":
        return "hull", None, None
    if lowered == "bbox":
        return "bbox", None, None
    if lowered.startswith("buffer:"):
        try:
            return "buffer", float(lowered.split(":", 1)[1]), None
        except ValueError:
            msg = f"--area buffer:M needs metres, not {quote(text)}"
            raise ParameterError(msg) from None
    path = Path(text)
    if not path.is_file():
        msg = f"--area must be hull, bbox, buffer:M or a polygon file; no file {quote(text)}"
        raise ParameterError(msg)
    name = f"study area {clip(text)}"
    kind, source = load(path, name=name)
    return "hull", None, read_vector(source, kind=kind, name=name)


@click.command()
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@loader_options
@click.option(
    "--area",
    default=spec("area").default,
    show_default=True,
    help="Study area: hull, bbox, buffer:M (hull buffered by M metres) or a polygon file.",
)
@analysis_options("bandwidth", "kernel", "cell_m", "hex_res", "cores", "eps_m", "min_samples")
@click.option("--kde-out", type=click.Path(path_type=Path), default=None, help="KDE GeoTIFF.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="KDE contour polygons as GeoJSON (EPSG:4326).",
)
@click.option(
    "--hex-out", type=click.Path(path_type=Path), default=None, help="Hex bins as GeoJSON."
)
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@engine_options
def density(path: Path, **opts: Any) -> None:
    """Density measures of the points in FILE (CSV, GeoJSON, GPKG, SHP, FGB, Parquet).

    CSV and GeoParquet files are read in chunks as columns (geo.column_analysis), so a
    register of tens of millions of rows fits in memory.
    """
    if opts["hex_out"] is not None and opts["hex_res"] is None:
        msg = "--hex-out needs hexagons: --hex-res none leaves them out"
        raise ParameterError(msg)
    area, buffer_m, polygons = _parse_area(opts["area"])
    options = options_from(opts, area=area, buffer_m=buffer_m)
    selection = selection_of(opts)
    if opts["lq_out"] is not None and (opts["hex_res"] is None or not selection.columns):
        msg = "--lq-out needs --where or --by, and hexagons (--hex-res)"
        raise ParameterError(msg)
    stages = ["reading", "projecting"]
    stages += dict.fromkeys(m.stage for m in registered_measures(options))
    stages += ["categories"] if selection.by is not None else []
    stages += ["writing"]
    progress = Progress(stages)
    reading = ReadProgress()

    def stage(name: str) -> None:
        reading.finish()
        progress(name)

    with reported_warnings():
        if uses_dask(opts):
            progress("reading")
            analysis = analyse_on_dask(
                path, options, read_options(opts), opts, study_area=polygons, selection=selection
            )
        else:
            analysis = analyse_file(
                path,
                options,
                read=read_options(opts),
                selection=selection,
                study_area=polygons,
                crs=opts["metric_crs"],
                on_read=reading,
                progress=stage,
            )
        progress("writing")
        surface = analysis.surface
        if (opts["kde_out"] or opts["out"]) and surface is None:
            msg = "no kernel density surface to write: " + "; ".join(analysis.warnings)
            raise ParameterError(msg)
        if opts["kde_out"] is not None and surface is not None:
            with atomic_path(opts["kde_out"]) as tmp:
                write_geotiff(surface, tmp)
        if opts["out"] is not None and surface is not None:
            write_frame(kde_contours(surface).to_crs(4326), opts["out"])
        if opts["hex_out"] is not None and analysis.hexbins is not None:
            write_frame(analysis.hexbin_frame().reset_index(), opts["hex_out"])
        if opts["lq_out"] is not None:
            write_frame(analysis.lq_frame(), opts["lq_out"])
    progress.finish()
    result = analysis.to_dict()
    for note in result["warnings"]:
        click.echo(f"warning: {note}", err=True)
    if opts["as_json"]:
        click.echo(json_text(result))  # a core a line: 10^7 rows give some 150,000 cores
    else:
        click.echo(density_table(result, category_rows(result)))


COMMANDS: list[click.Command] = [density]
