"""The figure of a registry cluster: its map, the source note's claim and the data's source.

Drawn from a :class:`geo.clusters.ClusterAnalysis` and its :class:`geo.overlays.Overlays`
(:func:`geo.overlays.cluster_overlays`): nothing is measured again, except Besag's L for
the optional ``ripley`` panel (a few milliseconds on a registry cluster).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from geo._errors import InputDataError
from geo.clusters import ClusterAnalysis, analyse_cluster
from geo.network import OSM_ATTRIBUTION
from geo.options import AnalysisOptions
from geo.overlays import Overlays, cluster_overlays
from geo.registry import Registry
from geo.ripley import RipleyResult, ripley_for_plot
from webmap.figures.compose import check_layers, draw_map
from webmap.figures.layers import MapContent, default_layers, figure_layers
from webmap.figures.page import Page, style
from webmap.figures.sheet import new_sheet
from webmap.figures.streets import Streets, cluster_streets

__all__ = ["claim_line", "cluster_figure"]

#: The source note every claim comes from.
NOTE = "Ecodev Conseil's benchmark note of 17/10/2016"
#: How the footer names the measures of a caveat.
CAVEAT_NAMES = {
    "kde": "kernel density",
    "cores": "dense cores",
    "clark_evans": "Clark\u2013Evans R",
}
#: Seed and number of CSR simulations of the Ripley panel: the same figure every time.
RIPLEY_SIMULATIONS, RIPLEY_SEED = 99, 0


def _metres(values: Sequence[float]) -> str:
    return ", ".join(f"{v:,.0f} m" for v in values)


def claim_line(name: Any, claim: dict[str, Any]) -> str:
    """One sentence: what the note claims of an epicentre, and what is measured."""
    low, high = claim["range_m"]
    centre = claim["methods"]["centre_to_centre"]
    edge = claim["methods"]["edge_to_edge"]
    return (
        f"{name}: {NOTE} says « {claim['text']} » ({claim['meaning']}, {low:,.0f}\u2013{high:,.0f} "
        f"m). Measured on the sites as of {claim['as_of']}, centre to centre: "
        f"{_metres(centre['lengths_m'])}, {centre['sides_in_range']} of {centre['n_sides']} "
        f"sides in range, so the claim {'holds' if centre['holds'] else 'does not hold'}; "
        f"edge to edge: {_metres(edge['lengths_m'])}, {edge['sides_in_range']} of "
        f"{edge['n_sides']} in range ({'holds' if edge['holds'] else 'does not hold'})."
    )


def _labels(analysis: ClusterAnalysis) -> list[str]:
    """Each distinct place's name: its sites' names, joined when they share the point."""
    names = analysis.located["name"].astype(str).tolist()
    return [" / ".join(names[j] for j in group) for group in analysis.groups]


def _ripley(analysis: ClusterAnalysis) -> RipleyResult | str:
    if analysis.points is None:
        return "no located site: no Ripley's K"
    try:
        return ripley_for_plot(
            analysis.points.points, n_simulations=RIPLEY_SIMULATIONS, seed=RIPLEY_SEED
        )
    except InputDataError as exc:
        return str(exc)


def _footer(
    analysis: ClusterAnalysis,
    *,
    layers: Sequence[str],
    overlays: Overlays,
    streets: Streets | None,
    registry_version: str,
) -> list[str]:
    lines = [
        claim_line(epi.name, epi.claim) for epi in analysis.epicentres if epi.claim is not None
    ]
    lines += [
        f"Caution, {CAVEAT_NAMES.get(key, key)}: {reason}"
        for key, reason in overlays.caveats.items()
        if key in layers or (key == "kde" and "density" in layers)
    ]
    when = f"sites as of {analysis.as_of or analysis.today.isoformat()}"
    crs = f" Map in {analysis.crs.to_string()}, metres." if analysis.crs is not None else ""
    lines.append(
        f"Data: clustermap registry, version {registry_version} ({when}; "
        f"{len(analysis.located)} of {len(analysis.sites)} sites located); each site's "
        f"address and position source is in the registry (data/sites/sites.geojson), its "
        f"clusters from {NOTE}.{crs}"
    )
    credits = ["clustermap"]
    drawn_sources = " ".join(str(s) for s in analysis.located.get("source", []))
    uses_osm = "OpenStreetMap" in drawn_sources
    if streets is not None and "streets" in layers:
        lines.append(streets.source + ".")
        uses_osm = True
    if uses_osm:
        credits.insert(0, f"Map data {OSM_ATTRIBUTION} (ODbL)")
    lines.append(" · ".join(credits))
    return lines


def cluster_figure(
    analysis: ClusterAnalysis,
    overlays: Overlays,
    *,
    registry_version: str,
    layers: Sequence[str] | None = None,
    page: Page | None = None,
    streets: Streets | None = None,
    title: str | None = None,
) -> Figure:
    """A print-ready figure of an analysed registry cluster.

    Parameters
    ----------
    analysis
        The cluster's analysis (:func:`geo.clusters.analyse_cluster`).
    overlays
        Its layers (:func:`geo.overlays.cluster_overlays`).
    registry_version
        The registry's version (:attr:`geo.registry.Registry.version`), named in the footer.
    layers
        Layer keys of :func:`~webmap.figures.layers.figure_layers` (default
        :func:`~webmap.figures.layers.default_layers`).
    page
        Paper, orientation and PNG resolution (default A4 portrait).
    streets
        The cluster's streets (:func:`webmap.figures.streets.cluster_streets`), if any.
    title
        The title (default: the cluster's name).

    Raises
    ------
    ParameterError
        For a layer the cluster cannot draw.
    """
    page = page or Page()
    has_streets = streets is not None
    chosen = tuple(layers) if layers else default_layers("cluster", has_streets=has_streets)
    check_layers(chosen, available=figure_layers("cluster", has_streets=has_streets))
    info = analysis.info
    subtitle = f"{info.get('city')}, {info.get('country')} · {info.get('domain')}"
    if analysis.as_of:
        subtitle += f" · sites as of {analysis.as_of}"
    footer = _footer(
        analysis, layers=chosen, overlays=overlays, streets=streets,
        registry_version=registry_version,
    )  # fmt: skip
    with style():
        sheet = new_sheet(
            page,
            title=title or str(info.get("name")),
            subtitle=subtitle,
            footer=footer,
            ripley="ripley" in chosen,
        )
        content = None
        if analysis.points is not None and analysis.crs is not None:
            content = MapContent(
                crs=analysis.crs,
                points=analysis.points.points,
                labels=_labels(analysis),
                overlays=overlays,
                streets=streets.lines if streets is not None else None,
                fontsize=sheet.fontsize,
            )
        draw_map(
            sheet,
            content,
            layers=chosen,
            ripley=_ripley(analysis) if "ripley" in chosen else None,
            empty_note="No site of this cluster is located: there is nothing to map.",
        )
    return sheet.figure


def registry_cluster_figure(
    registry: Registry,
    cluster_id: str,
    *,
    page: Page,
    layers: Sequence[str] | None = None,
    options: AnalysisOptions | None = None,
    as_of: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Analyse a registry cluster once and draw its figure (:func:`cluster_figure`), its
    streets drawn when it has a cached or bundled network: the command line's and the
    server's figure alike."""
    analysis = analyse_cluster(registry, cluster_id, options, as_of=as_of)
    streets = None
    if analysis.crs is not None:
        streets = cluster_streets(cluster_id, crs=analysis.crs, cache_dir=cache_dir)
    return cluster_figure(
        analysis,
        cluster_overlays(analysis),
        registry_version=registry.version,
        layers=layers,
        page=page,
        streets=streets,
        title=title,
    )
