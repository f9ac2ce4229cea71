"""``clustermap measures``: the density and proximity measures of one registry cluster and
its epicentres, as a table or the JSON of ``docs/measures.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from geo.options import options_from
from webmap.api.cluster_analysis import cluster_analysis
from webmap.commands.cli_options import DATA_OPTION, analysis_options
from webmap.commands.text_format import density_table, reported_warnings, text_table, value_text

#: How the command line names each epicentre shape (:data:`geo.proximity.EpicentreShape`).
SHAPE_WORDS = {
    "none": "no located member: listed, not drawn",
    "point": "one located place",
    "segment": "a segment",
    "polygon": "a polygon",
}


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
@analysis_options("eps_m", "min_samples", "hex_res")
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

    options = options_from(opts)
    as_json = opts["as_json"]
    with reported_warnings():
        result = cluster_analysis(
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
        click.echo(density_table(result["density"]))
    if result["sites"]:
        click.echo("")
        width = max(len(s["id"]) for s in result["sites"])
        click.echo(f"{'site':<{width}}  nearest site (m)")
        for site in result["sites"]:
            click.echo(
                f"{site['id']:<{width}}  {site['nearest_site'] or '-'} "
                f"({value_text(site['nn_distance_m'])})"
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
                edge = f", edge to edge {value_text(side['edge_m'], 'm')} ({side['relation']})"
            centre = value_text(side["centre_m"], "m")
            click.echo(f"  {side['a']} - {side['b']}: centre to centre {centre}{edge}")
        click.echo(
            text_table(
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


COMMANDS: list[click.Command] = [measures]
