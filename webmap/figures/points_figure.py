"""The figure of an analyst's point file: the points with their kernel density, hexagons
or dense cores, from a :class:`geo.analysis.PointAnalysis` and its overlays
(:func:`geo.overlays.point_overlays`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
from matplotlib.figure import Figure

from geo.analysis import PointAnalysis
from geo.errors import InputDataError
from geo.overlays import Overlays
from geo.ripley import RipleyResult, ripley_for_plot
from webmap.figures.cluster_figure import RIPLEY_SEED, RIPLEY_SIMULATIONS, caution, crs_note
from webmap.figures.compose import check_layers, draw_map
from webmap.figures.layer_drawers import MapContent, default_layers, figure_layers
from webmap.figures.page import Page, style
from webmap.figures.sheet import new_sheet
from webmap.i18n import format_number, format_significant, gettext

__all__ = ["points_figure"]


def _ripley(analysis: PointAnalysis) -> RipleyResult | str:
    try:
        return ripley_for_plot(analysis.points, n_simulations=RIPLEY_SIMULATIONS, seed=RIPLEY_SEED)
    except InputDataError as exc:
        return str(exc)


def points_figure(
    analysis: PointAnalysis,
    overlays: Overlays,
    *,
    title: str,
    source: str,
    layers: Sequence[str] | None = None,
    page: Page | None = None,
    lq: gpd.GeoDataFrame | None = None,
    lang: str = "en",
) -> Figure:
    """A print-ready figure of an analysed point file.

    Parameters
    ----------
    analysis
        The points' analysis (:func:`geo.analysis.analyse_points`).
    overlays
        Its layers (:func:`geo.overlays.point_overlays`).
    title
        The figure's title.
    source
        Where the points come from and when (a sentence for the footer).
    layers
        Layer keys of :func:`~webmap.figures.layer_drawers.figure_layers` ``("points")``
        (default: the points and their kernel density).
    page
        Paper, orientation and PNG resolution (default A4 portrait).
    lq
        The significant location quotients' hexagons (layer ``lq``;
        :meth:`geo.column_analysis.ColumnAnalysis.lq_frame`).
    lang
        The language of the legend ({"en", "fr"}).

    Raises
    ------
    ParameterError
        For a layer a point file cannot draw.
    """
    page = page or Page()
    chosen = tuple(layers) if layers else default_layers("points")
    check_layers(chosen, available=figure_layers("points"))
    footer = [
        caution(key, reason, lang=lang)
        for key, reason in overlays.caveats.items()
        if key in chosen or (key == "kde" and "density" in chosen)
    ]
    n_points = format_number(analysis.n_points, lang=lang)
    footer += [
        gettext("Data: %(source)s; %(n)s points.", lang=lang, source=source, n=n_points)
        + crs_note(analysis.crs, lang=lang),
        "clustermap",
    ]
    subtitle = gettext("%(n)s points", lang=lang, n=n_points)
    if math.isfinite(analysis.density.sites_per_km2):
        density = analysis.density
        per_km2 = density.sites_per_km2
        shown = (  # a country: 0.037
            format_number(per_km2, lang=lang, digits=1)
            if per_km2 >= 1
            else format_significant(per_km2, lang=lang, digits=2)
        )
        method = gettext(density.area_method, lang=lang)
        subtitle += " · " + gettext(
            "%(density)s per km² (%(method)s area)", lang=lang, density=shown, method=method
        )
    with style():
        sheet = new_sheet(
            page, title=title, subtitle=subtitle, footer=footer, ripley="ripley" in chosen
        )
        content = MapContent(
            crs=analysis.crs,
            points=analysis.points,
            labels=None,
            overlays=overlays,
            fontsize=sheet.fontsize,
            lq=lq,
        )
        draw_map(
            sheet,
            content,
            layers=chosen,
            ripley=_ripley(analysis) if "ripley" in chosen else None,
            lang=lang,
        )
    return sheet.figure
