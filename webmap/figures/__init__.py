"""Print-ready figures of a cluster or an analyst's points, drawn with matplotlib.

A figure is a sheet of A4 or A3 paper (:class:`~webmap.figures.page.Page`) with a title,
the map in the analysis' metric CRS (the chosen layers of
:data:`~webmap.layer_registry.LAYERS`, a legend, a scale bar in metres, a north
arrow), an optional panel of Besag's L function, and a footer with the source note's claim
next to the measured value, the source and date of the data and the attribution. It is
written as PNG, SVG or PDF with its text as text (:func:`~webmap.figures.page.figure_bytes`).

This package draws what :mod:`geo` computed; it imports nothing from Flask, Folium or the
rest of :mod:`webmap` but the shared layer records (:mod:`webmap.layer_registry`) and
:mod:`webmap.i18n`, and never touches pyplot's global state (plain
:class:`matplotlib.figure.Figure` objects, settings through ``rc_context``).
"""

from webmap.figures.cluster_figure import cluster_figure, registry_cluster_figure
from webmap.figures.layer_drawers import default_layers, figure_layers
from webmap.figures.page import (
    DEFAULT_DPI,
    FORMATS,
    MAX_DPI,
    MIN_DPI,
    PAPERS,
    Page,
    figure_bytes,
    format_of,
)
from webmap.figures.points_figure import points_figure
from webmap.figures.streets_figure import Streets, cluster_streets

__all__ = [
    "DEFAULT_DPI",
    "FORMATS",
    "MAX_DPI",
    "MIN_DPI",
    "PAPERS",
    "Page",
    "Streets",
    "cluster_figure",
    "cluster_streets",
    "default_layers",
    "figure_bytes",
    "figure_layers",
    "format_of",
    "points_figure",
    "registry_cluster_figure",
]
