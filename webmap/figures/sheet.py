"""The layout of a figure on its page: title, map, optional Ripley panel, footer.

Every length is in inches of A4 multiplied by :attr:`Page.scale`, so an A3 sheet is the
A4 layout enlarged, text included; landscape sheets put the Ripley panel beside the map
instead of under it. The map keeps one metre the same length along both axes: its limits
are widened to the shape of its frame (:func:`fit_extent`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from webmap.figures.page import Page

__all__ = ["Sheet", "fit_extent", "new_sheet", "wrap"]

MARGIN_IN = 0.55
#: Room under the map for its legend (three columns of up to four entries).
LEGEND_IN = 0.75
#: Font sizes on A4, in points.
TITLE_PT, SUBTITLE_PT, TEXT_PT, FOOTER_PT = 15.0, 9.0, 7.0, 6.8
#: The smallest width or height a map shows, in metres (a single site has no extent).
MIN_EXTENT_M = 600.0


@dataclass(frozen=True)
class Sheet:
    """A figure laid out on a page: the map's axes, the Ripley panel's (or ``None``) and
    the size of body text in points."""

    figure: Figure
    map_ax: Axes
    ripley_ax: Axes | None
    fontsize: float


def wrap(text: str, *, width_in: float, fontsize: float) -> list[str]:
    """``text`` broken into lines that fit ``width_in`` inches at ``fontsize`` points
    (DejaVu Sans averages about 0.55 em per character)."""
    chars = max(20, int(width_in * 72 / (fontsize * 0.55)))
    return textwrap.wrap(text, width=chars) or [""]


def _line_in(fontsize: float) -> float:
    return fontsize * 1.35 / 72


def new_sheet(
    page: Page, *, title: str, subtitle: str, footer: Sequence[str], ripley: bool
) -> Sheet:
    """A figure of ``page``'s size with its title, subtitle and footer lines written, and
    empty axes for the map (and the Ripley panel when ``ripley``)."""
    width, height = page.size_in
    s = page.scale
    margin = MARGIN_IN * s
    inner = width - 2 * margin
    figure = Figure(figsize=(width, height))
    figure.set_label(title)  # the SVG's <title> and the PDF's Title (page.figure_bytes)
    inches = figure.dpi_scale_trans
    top = height - margin
    for line in wrap(title, width_in=inner, fontsize=TITLE_PT * s):
        figure.text(margin, top, line, transform=inches, va="top", fontsize=TITLE_PT * s,
                    fontweight="bold", gid="title")  # fmt: skip
        top -= _line_in(TITLE_PT * s)
    for line in wrap(subtitle, width_in=inner, fontsize=SUBTITLE_PT * s):
        figure.text(margin, top, line, transform=inches, va="top", fontsize=SUBTITLE_PT * s,
                    color="#444444")  # fmt: skip
        top -= _line_in(SUBTITLE_PT * s)
    lines = [w for text in footer for w in wrap(text, width_in=inner, fontsize=FOOTER_PT * s)]
    bottom = margin
    for line in reversed(lines):
        figure.text(margin, bottom, line, transform=inches, va="bottom",
                    fontsize=FOOTER_PT * s, color="#333333")  # fmt: skip
        bottom += _line_in(FOOTER_PT * s)
    top -= 0.15 * s
    bottom += 0.2 * s
    ripley_ax = None
    map_box = [margin, bottom + LEGEND_IN * s, inner, top - bottom - LEGEND_IN * s]
    if ripley and page.landscape:  # a column on the right, the map on the left
        panel_w = 3.0 * s
        map_box[2] -= panel_w + 0.5 * s
        panel = [width - margin - panel_w, bottom + 0.9 * s, panel_w, (top - bottom) * 0.5]
        ripley_ax = figure.add_axes(_fraction(panel, width, height))
    elif ripley:  # a band under the map, room below it for its axis label and notes
        panel_h = 2.0 * s
        panel = [margin + 0.6 * s, bottom + 0.9 * s, inner - 0.6 * s, panel_h]
        ripley_ax = figure.add_axes(_fraction(panel, width, height))
        raised = 0.9 * s + panel_h + 0.35 * s
        map_box[1] += raised
        map_box[3] -= raised
    map_ax = figure.add_axes(_fraction(map_box, width, height))
    map_ax.set_xticks([])
    map_ax.set_yticks([])
    map_ax.set_aspect("equal", adjustable="box")
    return Sheet(figure=figure, map_ax=map_ax, ripley_ax=ripley_ax, fontsize=TEXT_PT * s)


def _fraction(box: list[float], width: float, height: float) -> tuple[float, float, float, float]:
    left, bottom, w, h = box
    return left / width, bottom / height, w / width, h / height


def fit_extent(ax: Axes, bounds: tuple[float, float, float, float], *, pad: float = 0.12) -> None:
    """Set the map's limits to ``bounds`` (metres) with a ``pad`` share around, at least
    :data:`MIN_EXTENT_M` across, widened to the frame's shape (equal scale on x and y)."""
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w = max((maxx - minx) * (1 + 2 * pad), MIN_EXTENT_M)
    h = max((maxy - miny) * (1 + 2 * pad), MIN_EXTENT_M)
    box = ax.get_position(original=True)
    figure = ax.get_figure(root=True)
    assert figure is not None, "a map axes belongs to a figure"
    fig_w, fig_h = figure.get_size_inches()
    frame_ratio = (box.height * fig_h) / (box.width * fig_w)
    if h / w > frame_ratio:
        w = h / frame_ratio
    else:
        h = w * frame_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
