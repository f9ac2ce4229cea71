"""``clustermap figure``: a print-ready map of a cluster or of a point file, as PNG, SVG or
PDF (the format is the output file's extension), on A4 or A3 paper."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
from matplotlib.figure import Figure

from geo.analysis import analyse_points
from geo.atomic import atomic_write
from geo.column_analysis import analyse_frame
from geo.errors import ParameterError, listing, quote
from geo.options import AnalysisOptions, options_from, spec
from geo.overlays import point_overlays
from geo.registry import date_key, load_registry
from webmap.api.cluster_analysis import cluster_analysis
from webmap.commands.cli_options import DATA_OPTION, analysis_options
from webmap.commands.cli_selection import filter_options, selection_of
from webmap.commands.file_input import loader_options, read_input
from webmap.figures import (
    DEFAULT_DPI,
    MAX_DPI,
    MIN_DPI,
    PAPERS,
    Page,
    default_layers,
    figure_bytes,
    figure_layers,
    format_of,
    points_figure,
    registry_cluster_figure,
)
from webmap.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_day, gettext
from webmap.maps.view import parse_layers


def _source_of(path: Path, *, lang: str) -> str:
    """A point file's name and modification date, for the figure's footer."""
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date().isoformat()
    when = format_day(stamp, lang=lang)
    return gettext("%(name)s (file of %(date)s)", lang=lang, name=path.name, date=when)


@click.command("figure")
@click.argument("cluster_id", metavar="[CLUSTER]", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The file to write: .png, .svg or .pdf.",
)
@click.option(
    "--points",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Draw this point file instead of a registry cluster.",
)
@click.option(
    "--layers",
    default=None,
    help="Comma list of layers, e.g. sites,epicentres,density,ripley "
    "(default: sites, epicentres and streets; points and density for --points).",
)
@click.option(
    "--paper", type=click.Choice(list(PAPERS)), default="a4", show_default=True, help="Paper."
)
@click.option("--landscape", is_flag=True, help="Landscape instead of portrait.")
@click.option(
    "--dpi",
    type=click.IntRange(MIN_DPI, MAX_DPI),
    default=DEFAULT_DPI,
    show_default=True,
    help="Resolution of a PNG (dots per inch).",
)
@click.option(
    "--as-of",
    default=None,
    metavar="DATE",
    help="Only the sites that existed at this date (YYYY[-MM[-DD]]), e.g. 2016-10.",
)
@click.option("--title", default=None, help="Title (default: the cluster's or the file's name).")
@click.option(
    "--lang",
    type=click.Choice(list(LANGUAGES)),
    default=DEFAULT_LANGUAGE,
    show_default=True,
    help="Language of the figure's text: English or French.",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Network cache folder (default: $CLUSTERMAP_CACHE_DIR or ~/.cache/clustermap).",
)
@click.option(
    "--lq-category",
    default=None,
    metavar="CATEGORY",
    help="The category the lq layer draws (default: the one with most significant hexagons).",
)
@analysis_options("bandwidth", "hex_res", "eps_m", "min_samples")
@DATA_OPTION
@loader_options
@filter_options
def figure_command(cluster_id: str | None, output: Path, **opts: Any) -> None:
    """Write a print-ready figure of CLUSTER, or of a point file with --points."""
    if (cluster_id is None) == (opts["points"] is None):
        msg = "give either a CLUSTER id or --points FILE"
        raise ParameterError(msg)
    fmt = format_of(output)
    if not output.parent.resolve().is_dir():
        msg = f"cannot write {output}: folder {output.parent} does not exist"
        raise ParameterError(msg)
    page = Page(paper=opts["paper"], landscape=opts["landscape"], dpi=opts["dpi"])
    if cluster_id is not None:
        figure = _cluster(cluster_id, _options(opts), page=page, opts=opts)
    else:
        figure = _points(Path(opts["points"]), page=page, opts=opts)
    data = figure_bytes(figure, fmt, dpi=page.dpi)
    atomic_write(output.resolve(), lambda handle: handle.write(data))
    click.echo(f"wrote {output} ({len(data) / 1e3:,.0f} kB, {page.paper.upper()} {fmt.upper()})")


def _options(opts: dict[str, Any], *, layers: tuple[str, ...] | None = None) -> AnalysisOptions:
    """The analysis options; with ``layers``, hexagons and dense cores only when drawn (they
    are the costly part of a large file's analysis)."""
    options = options_from(opts)
    if layers is not None and "hexbins" not in layers:
        options = replace(options, hex_res=None)
    if layers is not None and "cores" not in layers:
        options = replace(options, cores=None)
    return options


def _points(path: Path, *, page: Page, opts: dict[str, Any]) -> Figure:
    """The figure of a point file: only the layers drawn are computed."""
    if opts["as_of"] is not None:
        msg = "--as-of applies to registry clusters, not to --points files"
        raise ParameterError(msg)
    available = figure_layers("points")
    layers = default_layers("points")
    if opts["layers"] is not None:
        layers = parse_layers(opts["layers"], available=available)
    points = read_input(path, opts)
    options = _options(opts, layers=layers)
    analysis = analyse_points(points, options, crs=opts["metric_crs"])
    return points_figure(
        analysis,
        point_overlays(analysis),
        title=opts["title"] or gettext("Points of %(name)s", lang=opts["lang"], name=path.name),
        source=_source_of(path, lang=opts["lang"]),
        layers=layers,
        page=page,
        lq=_significant_lq(points, options, opts=opts) if "lq" in layers else None,
        lang=opts["lang"],
    )


def _significant_lq(
    points: gpd.GeoDataFrame, options: AnalysisOptions, *, opts: dict[str, Any]
) -> gpd.GeoDataFrame:
    """The hexagons where one ``--where``/``--by`` category's location quotient is
    significant (:mod:`geo.lq`): ``--lq-category``, else the category with the most such
    hexagons (the others are named on stderr); a one-line error without categories."""
    selection = selection_of({**opts, "by_kde": False})
    if not selection.columns:
        msg = "the lq layer needs --by COLUMN (or --where): location quotients are of categories"
        raise ParameterError(msg)
    if options.hex_res is None:  # hexagons left out of the map are still the lq's cells
        options = replace(options, hex_res=opts["hex_res"] or spec("hex_res").default)
    analysis = analyse_frame(
        points, options, selection=selection, crs=opts["metric_crs"], name=str(opts["points"])
    )
    cells = analysis.lq_frame()
    cells = cells[cells["significant"]]
    counts = cells["category"].astype(str).value_counts()
    ranked = sorted(counts.index, key=lambda c: (-counts[c], c))
    chosen = opts["lq_category"]
    if chosen is None:
        if not ranked:
            return cells
        chosen = ranked[0]
        if len(ranked) > 1:
            click.echo(
                f"note: the lq layer draws {quote(chosen)}; {len(ranked) - 1} other "
                f"categories have significant hexagons ({listing(ranked[1:])}): "
                "choose one with --lq-category",
                err=True,
            )
    elif chosen not in counts.index:
        msg = (
            f"--lq-category {quote(chosen)} has no significant hexagon; "
            f"categories that have: {listing(ranked)}"
        )
        raise ParameterError(msg)
    return cells[cells["category"].astype(str) == chosen]


def _cluster(
    cluster_id: str, options: AnalysisOptions, *, page: Page, opts: dict[str, Any]
) -> Figure:
    """The figure of a registry cluster, its streets drawn when it has a network."""
    registry = load_registry(opts["data_dir"])
    registry.cluster(cluster_id)  # unknown id: exit 2 before any work
    if opts["as_of"] is not None:
        date_key(opts["as_of"], field="--as-of")
    layers = opts["layers"]
    analysis = cluster_analysis(registry, cluster_id, options, as_of=opts["as_of"])
    return registry_cluster_figure(
        analysis,
        registry_version=registry.version,
        page=page,
        layers=None
        if layers is None
        else parse_layers(layers, available=figure_layers("cluster", has_streets=True)),
        cache_dir=opts["cache_dir"],
        title=opts["title"],
        lang=opts["lang"],
    )


COMMANDS: list[click.Command] = [figure_command]
