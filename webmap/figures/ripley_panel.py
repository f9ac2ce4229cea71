"""A panel of Besag's L function, drawn as ``L(r) - r`` with its CSR envelope.

Under complete spatial randomness ``L(r) - r`` is 0; above the grey envelope of the
simulations, points have more neighbours within ``r`` than chance gives (clustering at
that scale), below it fewer (regularity). See :mod:`geo.ripley`.
"""

from __future__ import annotations

from matplotlib.axes import Axes

from geo.ripley import RipleyResult
from webmap.figures.sheet import wrap
from webmap.i18n import gettext

__all__ = ["draw_ripley"]


def draw_ripley(ax: Axes, result: RipleyResult | str, *, fontsize: float, lang: str = "en") -> None:
    """Draw ``L(r) - r`` and its envelope on ``ax``, or, for a ``str``, the reason there is
    no curve (e.g. too few located places) in place of the plot; text in ``lang``."""
    title = gettext("How clustered, at which scale: Besag's L(r) \u2212 r", lang=lang)
    ax.set_title(title, fontsize=fontsize * 1.15)
    box = ax.get_position(original=True)
    figure = ax.get_figure(root=True)
    assert figure is not None, "a panel belongs to a figure"
    width_in = box.width * figure.get_size_inches()[0]
    if isinstance(result, str):
        ax.set_axis_off()
        lines = wrap(gettext(result, lang=lang), width_in=width_in * 0.9, fontsize=fontsize)
        ax.text(0.5, 0.5, "\n".join(lines), ha="center", va="center", fontsize=fontsize)
        return
    r = result.distance_m
    if len(result.envelope_low_m):
        ax.fill_between(
            r,
            result.envelope_low_m - r,
            result.envelope_high_m - r,
            color="#d9d9d9",
            label=gettext("CSR envelope (%(n)s simulations)", lang=lang, n=result.n_simulations),
        )
    ax.axhline(0.0, color="#737373", linewidth=0.6, linestyle=":")
    ax.plot(r, result.l_m - r, color="#b2182b", linewidth=1.4, label=gettext("Observed", lang=lang))
    ax.set_xlabel(gettext("distance r (m)", lang=lang), fontsize=fontsize)
    ax.set_ylabel("L(r) \u2212 r (m)", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize * 0.9)
    ax.legend(fontsize=fontsize * 0.9, loc="upper left", frameon=False)
    notes = [
        gettext(
            "%(n)s points, edge correction: %(correction)s; above the envelope: clustered at "
            "that distance",
            lang=lang,
            n=result.n_points,
            correction=result.edge_correction,
        )
    ]
    notes += list(result.warnings)
    lines = [w for note in notes for w in wrap(note, width_in=width_in, fontsize=fontsize * 0.85)]
    ax.annotate(
        "\n".join(lines),
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0.0, -4.4 * fontsize),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=fontsize * 0.85,
        color="#444444",
    )
