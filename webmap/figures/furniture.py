"""Map furniture: a scale bar in metres and a north arrow.

Maps are drawn in the metric CRS of the analysis (by default a UTM zone, or the data's own
national grid where it is truer), one data unit being one metre of that projection. The
scale bar's length is a round number of metres measured in that unit; the projection's own
scale error (below 0.1 % within a UTM zone, 0.31 % for Lambert-93 over all of France) is
far below what a printed bar can show.
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from webmap.i18n import format_significant

__all__ = ["north_arrow", "round_length_m", "scale_bar", "scale_label"]

#: Mantissas of round lengths: 1, 2 and 5 times a power of ten.
_STEPS = (1.0, 2.0, 5.0)


def round_length_m(at_most_m: float) -> float:
    """The largest round length in metres (1, 2 or 5 times a power of ten) not longer
    than ``at_most_m``.

    Examples
    --------
    >>> round_length_m(740.0), round_length_m(2000.0), round_length_m(0.3)
    (500.0, 2000.0, 0.2)
    """
    if not at_most_m > 0 or not math.isfinite(at_most_m):
        msg = f"a scale bar needs a positive length, not {at_most_m}"
        raise ValueError(msg)
    power = 10.0 ** math.floor(math.log10(at_most_m))
    best = power
    for step in _STEPS:
        if step * power <= at_most_m * (1 + 1e-9):
            best = step * power
    return best


def scale_label(length_m: float, *, lang: str = "en") -> str:
    """``"500 m"`` below a kilometre, ``"2 km"`` from one, with ``lang``'s decimal sign.

    Examples
    --------
    >>> scale_label(500.0), scale_label(2000.0), scale_label(0.5)
    ('500 m', '2 km', '0.5 m')
    >>> scale_label(0.5, lang="fr")
    '0,5 m'
    """
    if length_m >= 1000:
        return f"{format_significant(length_m / 1000, lang=lang, digits=6)} km"
    return f"{format_significant(length_m, lang=lang, digits=6)} m"


def scale_bar(ax: Axes, *, fontsize: float, fraction: float = 0.25, lang: str = "en") -> float:
    """Draw a scale bar at the lower left of a map in metres; return its length (m).

    The bar is the longest round length (:func:`round_length_m`) within ``fraction`` of
    the map's width; call it once the map's limits are final. Its artists have the ids
    ``scale-bar`` (the bar) and ``scale-bar-label`` (its text) in SVG output.
    """
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    length = round_length_m(width * fraction)
    left, bottom = x0 + 0.04 * width, y0 + 0.04 * height
    thickness = 0.012 * height
    half = length / 2
    for i, colour in enumerate(("black", "white")):
        part = Rectangle(
            (left + i * half, bottom),
            half,
            thickness,
            facecolor=colour,
            edgecolor="black",
            linewidth=0.6,
            zorder=20,
        )
        ax.add_patch(part)
    outline = Rectangle(
        (left, bottom), length, thickness, fill=False, edgecolor="black", linewidth=0.8, zorder=21
    )
    outline.set_gid("scale-bar")
    ax.add_patch(outline)
    label = ax.text(
        left + length / 2,
        bottom + thickness * 1.6,
        scale_label(length, lang=lang),
        ha="center",
        va="bottom",
        fontsize=fontsize,
        zorder=21,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1.0},
    )
    label.set_gid("scale-bar-label")
    return length


def north_arrow(ax: Axes, *, fontsize: float) -> None:
    """Draw a north arrow at the upper right of a map (id ``north-arrow`` in SVG).

    It points to grid north, the +y axis of the metric CRS the map is drawn in. In a UTM
    zone grid north differs from true north by the meridian convergence, about
    ``Δλ · sin φ`` (near 1° at Delft, 1.4° from the central meridian of zone 31 at 52° N),
    which a printed arrow cannot show.
    """
    arrow = ax.annotate(
        "",
        xy=(0.95, 0.91),
        xytext=(0.95, 0.82),
        xycoords="axes fraction",
        textcoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2},
        zorder=21,
    )
    arrow.set_gid("north-arrow")
    letter = ax.text(
        0.95,
        0.92,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        fontweight="bold",
        zorder=21,
    )
    letter.set_gid("north-arrow-label")
