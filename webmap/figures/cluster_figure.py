"""The figure of a registry cluster: its map, the source note's claim and the data's source.

Drawn from a :class:`geo.measures.ClusterAnalysis` and its :class:`geo.overlays.Overlays`
(:func:`geo.overlays.cluster_overlays`): nothing is measured again, except Besag's L for
the optional ``ripley`` panel (a few milliseconds on a registry cluster).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from geo.errors import InputDataError
from geo.measures import ClusterAnalysis
from geo.network import OSM_ATTRIBUTION
from geo.overlays import Overlays, cluster_overlays
from geo.ripley import RipleyResult, ripley_for_plot
from webmap.figures.compose import check_layers, draw_map
from webmap.figures.layer_drawers import MapContent, default_layers, figure_layers
from webmap.figures.page import Page, style
from webmap.figures.sheet import new_sheet
from webmap.figures.streets_figure import Streets, cluster_streets
from webmap.i18n import N_, format_day, format_number, gettext

__all__ = ["claim_line", "cluster_figure"]

#: The source note every claim comes from.
NOTE = N_("Ecodev Conseil's benchmark note of 17/10/2016")
#: How the footer names the measures of a caveat (translated where drawn).
CAVEAT_NAMES = {
    "kde": N_("kernel density"),
    "cores": N_("dense cores"),
    "clark_evans": "Clark\u2013Evans R",
}
#: Seed and number of CSR simulations of the Ripley panel: the same figure every time.
RIPLEY_SIMULATIONS, RIPLEY_SEED = 99, 0


def _metres(values: Sequence[float], *, lang: str) -> str:
    return ", ".join(f"{format_number(v, lang=lang)} m" for v in values)


def claim_line(name: Any, claim: dict[str, Any], *, lang: str = "en") -> str:
    """One sentence in ``lang``: what the note claims of an epicentre, and what is
    measured."""
    low, high = claim["range_m"]
    centre = claim["methods"]["centre_to_centre"]
    edge = claim["methods"]["edge_to_edge"]

    def verdict(check: dict[str, Any]) -> str:
        return (
            gettext("holds", lang=lang) if check["holds"] else gettext("does not hold", lang=lang)
        )

    return gettext(
        "%(name)s: %(note)s says « %(text)s » (%(meaning)s, %(low)s\u2013%(high)s m). "
        "Measured on the sites as of %(date)s, centre to centre: %(centre)s, %(centre_in)s "
        "of %(n)s sides in range, so the claim %(centre_verdict)s; edge to edge: %(edge)s, "
        "%(edge_in)s of %(edge_n)s in range (%(edge_verdict)s).",
        lang=lang,
        name=name,
        note=gettext(NOTE, lang=lang),
        text=claim["text"],
        meaning=gettext(claim["meaning"], lang=lang),
        low=format_number(low, lang=lang),
        high=format_number(high, lang=lang),
        date=format_day(claim["as_of"], lang=lang),
        centre=_metres(centre["lengths_m"], lang=lang),
        centre_in=centre["sides_in_range"],
        n=centre["n_sides"],
        centre_verdict=verdict(centre),
        edge=_metres(edge["lengths_m"], lang=lang),
        edge_in=edge["sides_in_range"],
        edge_n=edge["n_sides"],
        edge_verdict=verdict(edge),
    )


def _labels(analysis: ClusterAnalysis) -> list[str]:
    """Each distinct place's name: its sites' names, joined when they share the point."""
    names = analysis.located["name"].astype(str).tolist()
    return [" / ".join(names[j] for j in group) for group in analysis.groups]


def _ripley(analysis: ClusterAnalysis) -> RipleyResult | str:
    if analysis.points is None:
        return N_("no located site: no Ripley's K")
    try:
        return ripley_for_plot(
            analysis.points.points, n_simulations=RIPLEY_SIMULATIONS, seed=RIPLEY_SEED
        )
    except InputDataError as exc:
        return str(exc)


def caution(key: str, reason: str, *, lang: str) -> str:
    """The footer's line on a measure's caveat (its reason as :mod:`geo` gives it)."""
    what = gettext(CAVEAT_NAMES.get(key, key), lang=lang)
    return gettext("Caution, %(what)s: %(reason)s", lang=lang, what=what, reason=reason)


def crs_note(crs: Any, *, lang: str) -> str:
    """`` Map in EPSG:…, metres.`` (with its leading space), or nothing without a CRS."""
    if crs is None:
        return ""
    return " " + gettext("Map in %(crs)s, metres.", lang=lang, crs=crs.to_string())


def _footer(
    analysis: ClusterAnalysis,
    *,
    layers: Sequence[str],
    overlays: Overlays,
    streets: Streets | None,
    registry_version: str,
    lang: str,
) -> list[str]:
    lines = [
        claim_line(epi.name, epi.claim, lang=lang)
        for epi in analysis.epicentres
        if epi.claim is not None
    ]
    lines += [
        caution(key, reason, lang=lang)
        for key, reason in overlays.caveats.items()
        if key in layers or (key == "kde" and "density" in layers)
    ]
    lines.append(
        gettext(
            "Data: clustermap registry, version %(version)s (sites as of %(date)s; %(located)s "
            "of %(total)s sites located); each site's address and position source is in the "
            "registry (data/sites/sites.geojson), its clusters from %(note)s.",
            lang=lang,
            version=registry_version,
            date=format_day(analysis.as_of or analysis.today.isoformat(), lang=lang),
            located=len(analysis.located),
            total=len(analysis.sites),
            note=gettext(NOTE, lang=lang),
        )
        + crs_note(analysis.crs, lang=lang)
    )
    credits = ["clustermap"]
    drawn_sources = " ".join(str(s) for s in analysis.located.get("source", []))
    uses_osm = "OpenStreetMap" in drawn_sources
    if streets is not None and "streets" in layers:
        lines.append(streets.source + ".")
        uses_osm = True
    if uses_osm:
        credits.insert(0, gettext("Map data %(credit)s (ODbL)", lang=lang, credit=OSM_ATTRIBUTION))
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
    lang: str = "en",
) -> Figure:
    """A print-ready figure of an analysed registry cluster.

    Parameters
    ----------
    analysis
        The cluster's analysis (:func:`geo.measures.analyse_cluster`).
    overlays
        Its layers (:func:`geo.overlays.cluster_overlays`).
    registry_version
        The registry's version (:attr:`geo.registry.Registry.version`), named in the footer.
    layers
        Layer keys of :func:`~webmap.figures.layer_drawers.figure_layers` (default
        :func:`~webmap.figures.layer_drawers.default_layers`).
    page
        Paper, orientation and PNG resolution (default A4 portrait).
    streets
        The cluster's streets (:func:`webmap.figures.streets_figure.cluster_streets`), if any.
    title
        The title (default: the cluster's name).
    lang
        The language of the legend ({"en", "fr"}).

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
        when = format_day(analysis.as_of, lang=lang)
        subtitle += " · " + gettext("sites as of %(date)s", lang=lang, date=when)
    footer = _footer(
        analysis, layers=chosen, overlays=overlays, streets=streets,
        registry_version=registry_version, lang=lang,
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
            empty_note=gettext(
                "No site of this cluster is located: there is nothing to map.", lang=lang
            ),
            lang=lang,
        )
    return sheet.figure


def registry_cluster_figure(
    analysis: ClusterAnalysis,
    *,
    registry_version: str,
    page: Page,
    layers: Sequence[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    title: str | None = None,
    lang: str = "en",
) -> Figure:
    """Draw a registry cluster's analysis (:func:`cluster_figure`), its streets drawn when
    it has a cached or bundled network: the command line's and the server's figure alike
    (the server passes the analysis its page and measures share)."""
    streets = None
    if analysis.crs is not None:
        cluster_id = str(analysis.info["id"])
        streets = cluster_streets(cluster_id, crs=analysis.crs, cache_dir=cache_dir)
    return cluster_figure(
        analysis,
        cluster_overlays(analysis),
        registry_version=registry_version,
        layers=layers,
        page=page,
        streets=streets,
        title=title,
        lang=lang,
    )
