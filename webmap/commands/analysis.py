"""Measure commands: ``measures`` (a registry cluster), ``density`` and ``proximity`` (any file).

Each prints a readable table by default and the documented JSON (``docs/measures.md``) with
``--json``. Warnings (dropped rows, reduced geometries, coarse grids) go to stderr. Runs
longer than about two seconds show a progress bar on stderr when it is a terminal.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click
import geopandas as gpd
import numpy as np
import pandas as pd

from geo._atomic import atomic_path, write_frame
from geo._errors import ParameterError, clip, listing, quote
from geo._formats import load, read_vector
from geo._json import json_text, to_jsonable
from geo.column_analysis import analyse_file
from geo.kde import kde_contours, write_geotiff
from geo.measures import analyse_cluster
from geo.options import AnalysisOptions, AreaRule, spec
from geo.points import ReadOptions, id_column_of, read_points
from geo.projection import metric_crs
from geo.proximity import NN_METHOD, nearest_neighbours
from webmap.commands.dask_engine import analyse_on_dask, engine_options, uses_dask
from webmap.commands.options import DATA_OPTION, apply_options, click_option
from webmap.commands.selection import ReadProgress, category_rows, selection_of, selection_options

PROXIMITY_SCHEMA = "clustermap.proximity/1"
#: Above this many points ``proximity --json`` gives the summary only (use ``--out``).
MAX_JSON_NEIGHBOURS = 10_000


class _Progress:
    """A stage progress bar on stderr, shown on a terminal once a run passes ``delay`` s."""

    def __init__(self, stages: list[str], *, stream: TextIO | None = None, delay: float = 2.0):
        self.stages = stages
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.delay = delay
        self.start = time.monotonic()
        self.done = 0
        self.shown = False

    def __call__(self, stage: str) -> None:
        self.done = self.stages.index(stage) if stage in self.stages else self.done + 1
        self._draw(stage)

    def _draw(self, label: str) -> None:
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        width = 30
        filled = int(width * self.done / max(1, len(self.stages)))
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{len(self.stages)} {label:<24}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.done = len(self.stages)
            self._draw("done")
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def _reported_warnings() -> Iterator[None]:
    """Print warnings raised inside as ``warning: ...`` lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)


#: How the command line names each epicentre shape (:data:`geo.proximity.EpicentreShape`).
SHAPE_WORDS = {
    "none": "no located member: listed, not drawn",
    "point": "one located place",
    "segment": "a segment",
    "polygon": "a polygon",
}


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
            help="Projected CRS in metres for distances (default: the data's UTM zone).",
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


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:,.3f}"
        text = text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    else:
        text = str(value)
    return f"{text} {unit}".rstrip()


def _table(rows: list[tuple[str, Any, str]]) -> str:
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{label:<{width}}  {_fmt(value, unit)}" for label, value, unit in rows)


def _in_area(m: dict[str, Any]) -> str:
    """``n`` or, with points left outside a polygon, ``n of N (M outside, left out)``."""
    inside, outside = m["n_points_in_area"], m.get("n_outside_area", 0)
    if not outside:
        return str(inside)
    return f"{inside:,} of {inside + outside:,} ({outside:,} outside, left out of every measure)"


def _density_rows(m: dict[str, Any]) -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = [
        ("points", m["n_points"], ""),
        ("metric CRS", m["crs"], ""),
        ("study area", m["area_method"], ""),
        ("area", m["area_km2"], "km²"),
        ("points in area", _in_area(m), ""),
        ("density", m["sites_per_km2"], "sites/km²"),
        (f"mean NN distance ({m['nn_method']})", m["mean_nn_distance_m"], "m"),
        ("expected (random)", m["expected_mean_nn_distance_m"], "m"),
        ("Clark-Evans R", m["clark_evans_r"], ""),
        ("Clark-Evans z", m["clark_evans_z"], ""),
        ("Clark-Evans p", m["clark_evans_p"], ""),
    ]
    kde = m.get("kde")
    if kde:
        rows += [
            ("KDE kernel", f"{kde['kernel']} ({kde['bandwidth_rule']})", ""),
            ("KDE bandwidth", kde["bandwidth_m"], "m"),
            ("KDE cell", kde["cell_m"], "m"),
            ("KDE peak", kde["peak_sites_per_km2"], "sites/km²"),
            ("KDE peak at", f"{kde['peak_lat']:.5f} N {kde['peak_lon']:.5f} E", ""),
        ]
    hexbins = m.get("hexbins")
    if hexbins:
        rows += [
            (f"H3 r{hexbins['resolution']} cells", hexbins["n_cells"], ""),
            ("H3 max count", hexbins["max_count"], ""),
            ("H3 max density", hexbins["max_sites_per_km2"], "sites/km²"),
        ]
    cores = m.get("cores")
    if cores:
        params = cores["parameters"]
        rule = ", ".join(
            f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
            for key, value in params.items()
            if key != "min_samples_rule"
        )
        if params.get("min_samples_rule") == "auto":
            rule += " (auto)"
        rows += [
            (f"{cores['method']} cores (largest first)", f"{cores['n_cores']}; {rule}", ""),
            ("noise points", cores["n_noise"], ""),
        ]
        for core in cores["cores"][:10]:
            rows.append(
                (
                    f"  core {core['core']}",
                    f"{core['n_sites']} sites, {_fmt(core['area_km2'], 'km²')}, "
                    f"{_fmt(core['sites_per_km2'], 'sites/km²')}",
                    "",
                )
            )
        if cores["n_cores"] > 10:
            rows.append((f"  {cores['n_cores'] - 10} smaller cores", "in --json", ""))
    return rows


@click.command()
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@loader_options
@click.option(
    "--area",
    default=spec("area").default,
    show_default=True,
    help="Study area: hull, bbox, buffer:M (hull buffered by M metres) or a polygon file.",
)
@click_option("bandwidth", "--bandwidth")
@click_option("kernel", "--kernel")
@click_option("cell_m", "--cell")
@click_option("hex_res", "--hex-res")
@click_option("cores", "--cores")
@click_option("eps_m", "--eps")
@click_option("min_samples", "--min-samples")
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
    options = AnalysisOptions(
        area=area,
        buffer_m=buffer_m,
        bandwidth=opts["bandwidth"],
        kernel=opts["kernel"],
        cell_m=opts["cell_m"],
        hex_res=opts["hex_res"],
        cores=opts["cores"],
        eps_m=opts["eps_m"],
        min_samples=opts["min_samples"],
    )
    selection = selection_of(opts)
    if opts["lq_out"] is not None and (opts["hex_res"] is None or not selection.columns):
        msg = "--lq-out needs --where or --by, and hexagons (--hex-res)"
        raise ParameterError(msg)
    stages = ["reading", "projecting", "study area", "nearest neighbours", "kernel density"]
    stages += ["hexagonal bins"] if opts["hex_res"] is not None else []
    stages += ["dense cores"] if opts["cores"] else []
    stages += ["categories"] if selection.by is not None else []
    stages += ["writing"]
    progress = _Progress(stages)
    reading = ReadProgress()

    def stage(name: str) -> None:
        reading.finish()
        progress(name)

    with _reported_warnings():
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
        click.echo(_table(_density_rows(result) + category_rows(result)))


def _identified(gdf: gpd.GeoDataFrame, column: str | None) -> tuple[gpd.GeoDataFrame, str | None]:
    """The points indexed by their id column: ``column`` if named, else the one
    :func:`geo.points.id_column_of` finds (an id, else a unique name), else row numbers."""
    if column is None:
        found = id_column_of(gdf)
        return (gdf, None) if found is None else (gdf.set_index(found, drop=False), found)
    if column not in gdf.columns:
        msg = f"--id: no column {quote(column)}; columns: {listing(gdf.columns, limit=8)}"
        raise ParameterError(msg)
    values = gdf[column]
    if not (values.notna().all() and values.is_unique):
        msg = f"--id: column {quote(column)} has missing or repeated values"
        raise ParameterError(msg)
    return gdf.set_index(column, drop=False), column


def _plain(values: pd.Series) -> list[Any]:
    """A column's values as JSON-ready Python values (integers stay integers)."""
    return [None if pd.isna(v) else to_jsonable(v) for v in values.astype(object)]


@click.command()
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@loader_options
@click_option("k", "--k")
@click.option(
    "--id",
    "id_col",
    default=None,
    metavar="COLUMN",
    help="Column naming each point (default: id, siret ... or a unique name; else row numbers).",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Neighbours of every site as CSV."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def proximity(path: Path, **opts: Any) -> None:
    """The k nearest neighbours of each point in FILE, with geodesic distances in metres."""
    k = opts["k"]
    progress = _Progress(["reading", "neighbours", "writing"])
    with _reported_warnings():
        progress("reading")
        gdf, id_column = _identified(read_input(path, opts), opts["id_col"])
        progress("neighbours")
        crs = metric_crs(gdf, crs=opts["metric_crs"])
        table = nearest_neighbours(gdf, k=k, crs=crs)
        progress("writing")
        if opts["out"] is not None:
            with atomic_path(opts["out"]) as tmp:
                table.rename_axis(id_column or "row").to_csv(tmp)
    progress.finish()
    first = table["distance_1_m"].to_numpy(dtype=float)
    kth = table[f"distance_{k}_m"].to_numpy(dtype=float)
    summary = {
        "schema": PROXIMITY_SCHEMA,
        "n_points": len(table),
        "k": k,
        "crs": crs.to_string(),
        "id_column": id_column,
        "nn_method": NN_METHOD,
        "mean_nn_distance_m": float(np.nanmean(first)),
        "median_nn_distance_m": float(np.nanmedian(first)),
        "min_nn_distance_m": float(np.nanmin(first)),
        "max_nn_distance_m": float(np.nanmax(first)),
        "mean_kth_distance_m": float(np.nanmean(kth)),
        "neighbours": None,
    }
    ids = _plain(table.index.to_series())
    columns = [
        (_plain(table[f"neighbour_{j}"]), _plain(table[f"distance_{j}_m"])) for j in range(1, k + 1)
    ]
    if opts["as_json"]:
        if len(table) <= MAX_JSON_NEIGHBOURS:
            summary["neighbours"] = [
                {
                    "id": site,
                    "neighbours": [{"id": near[i], "distance_m": far[i]} for near, far in columns],
                }
                for i, site in enumerate(ids)
            ]
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(
        _table(
            [
                ("points", summary["n_points"], ""),
                ("metric CRS", summary["crs"], ""),
                ("distances", NN_METHOD, ""),
                ("mean NN distance", summary["mean_nn_distance_m"], "m"),
                ("median NN distance", summary["median_nn_distance_m"], "m"),
                ("min NN distance", summary["min_nn_distance_m"], "m"),
                ("max NN distance", summary["max_nn_distance_m"], "m"),
                (f"mean distance to neighbour {k}", summary["mean_kth_distance_m"], "m"),
            ]
        )
    )
    shown = min(len(ids), 20)
    click.echo("")
    click.echo(f"{id_column or 'row'}  " + "  ".join(f"neighbour_{j} (m)" for j in range(1, k + 1)))
    for i in range(shown):
        cells = [f"{near[i]} ({_fmt(far[i])})" for near, far in columns]
        click.echo(f"{ids[i]}  " + "  ".join(cells))
    if len(ids) > shown:
        click.echo(f"... {len(ids) - shown} more (use --out FILE.csv)")


def _site_counts(result: dict[str, Any]) -> list[str]:
    """The measures' site counts as text: located of listed, the unlocated ids skipped, and
    each site closed by the date with its source (shown as closed, never dropped)."""
    skipped = result["unlocated_sites"]
    lines = [
        f"{result['n_sites_located']} of {result['n_sites']} sites located"
        + (f"; skipped: {', '.join(skipped)}" if skipped else "")
    ]
    when = result["as_of"] or "today"
    lines += [
        f"closed by {when}: {site['id']} (gone from {site['valid_to']}; source: {site['source']})"
        for site in result["closed_sites"]
    ]
    return lines


@click.command()
@click.argument("cluster_id", metavar="CLUSTER")
@DATA_OPTION
@click_option("eps_m", "--eps")
@click_option("min_samples", "--min-samples")
@click_option("hex_res", "--hex-res")
@click.option(
    "--as-of",
    default=None,
    metavar="DATE",
    help="Only sites that existed at this date (YYYY[-MM[-DD]]), e.g. 2016-10 for the note's; "
    "default today (sites closed by now are listed as closed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def measures(cluster_id: str, data_dir: Path | None, **opts: Any) -> None:
    """Density and proximity measures of one registry cluster and its epicentres."""
    from geo.registry import load_registry

    options = AnalysisOptions(
        eps_m=opts["eps_m"], min_samples=opts["min_samples"], hex_res=opts["hex_res"]
    )
    as_json = opts["as_json"]
    with _reported_warnings():
        result = analyse_cluster(
            load_registry(data_dir), cluster_id, options, as_of=opts["as_of"]
        ).to_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    info = result["cluster"]
    click.echo(f"{info['name']} ({info['id']}, {info['city']}, {info['country']})")
    click.echo("\n".join(_site_counts(result)))
    if result["density"]:
        click.echo("")
        click.echo(_table(_density_rows(result["density"])))
    if result["sites"]:
        click.echo("")
        width = max(len(s["id"]) for s in result["sites"])
        click.echo(f"{'site':<{width}}  nearest site (m)")
        for site in result["sites"]:
            click.echo(
                f"{site['id']:<{width}}  {site['nearest_site'] or '-'} "
                f"({_fmt(site['nn_distance_m'])})"
            )
    for epi in result["epicentres"]:
        click.echo("")
        click.echo(f"epicentre {epi['id']}: {epi['name']} ({SHAPE_WORDS[epi['shape']]})")
        for group in epi["shared_points"]:
            click.echo(f"  one place, one point: {', '.join(group)}")
        if epi["missing"]:
            click.echo(f"  members without location: {', '.join(epi['missing'])}")
        if epi["absent_at_date"]:
            click.echo(f"  members not there at that date: {', '.join(epi['absent_at_date'])}")
        for side in epi["sides"] or epi["distances"]:
            edge = ""
            if side["edge_m"] is not None:
                edge = f", edge to edge {_fmt(side['edge_m'], 'm')} ({side['relation']})"
            click.echo(
                f"  {side['a']} - {side['b']}: centre to centre {_fmt(side['centre_m'], 'm')}{edge}"
            )
        click.echo(
            _table(
                [
                    ("  perimeter", epi["perimeter_m"], "m"),
                    ("  area", epi["area_km2"], "km²"),
                    ("  extent (centre to centre)", epi["extent_m"], "m"),
                    ("  bounding circle radius", epi["min_bounding_radius_m"], "m"),
                    (
                        "  longest side",
                        epi["longest_side"]["centre_m"] if epi["longest_side"] else None,
                        "m",
                    ),
                ]
            )
        )
        claim = epi["claim"]
        if claim:
            click.echo(
                f"  source claim '{claim['text']}' ({claim['meaning']}, "
                f"{claim['range_m'][0]:g}-{claim['range_m'][1]:g} m), checked on the sites "
                f"as of {claim['as_of']}:"
            )
            for method, check in claim["methods"].items():
                verdict = "holds" if check["holds"] else "does not hold"
                click.echo(
                    f"    {method.replace('_', ' ')}: {verdict}, "
                    f"{check['sides_in_range']} of {check['n_sides']} sides in range"
                )
    for note in result["warnings"]:
        click.echo(f"warning: {note}", err=True)


COMMANDS: list[click.Command] = [measures, density, proximity]
