"""``clustermap proximity``: the k nearest neighbours of each point of a file, with
geodesic distances in metres, as a table, JSON or a CSV of every point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.atomic import atomic_path
from geo.errors import ParameterError, listing, quote
from geo.jsonable import to_jsonable
from geo.points import id_column_of
from geo.projection import metric_crs
from geo.proximity import NN_METHOD, nearest_neighbours
from webmap.commands.cli_options import analysis_options
from webmap.commands.file_input import loader_options, read_input
from webmap.commands.text_format import Progress, reported_warnings, text_table, value_text

PROXIMITY_SCHEMA = "clustermap.proximity/1"
#: Above this many points ``proximity --json`` gives the summary only (use ``--out``).
MAX_JSON_NEIGHBOURS = 10_000


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
@analysis_options("k")
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
    progress = Progress(["reading", "neighbours", "writing"])
    with reported_warnings():
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
        text_table(
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
        cells = [f"{near[i]} ({value_text(far[i])})" for near, far in columns]
        click.echo(f"{ids[i]}  " + "  ".join(cells))
    if len(ids) > shown:
        click.echo(f"... {len(ids) - shown} more (use --out FILE.csv)")


COMMANDS: list[click.Command] = [proximity]
