"""Draw the chosen layers on a sheet's map, then its legend, scale bar and north arrow."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from geo.errors import ParameterError, quote
from geo.ripley import RipleyResult
from webmap.figures.furniture import north_arrow, scale_bar
from webmap.figures.layer_drawers import Legend, MapContent
from webmap.figures.ripley_panel import draw_ripley
from webmap.figures.sheet import Sheet, fit_extent
from webmap.layer_registry import LAYERS

__all__ = ["check_layers", "draw_map"]


def check_layers(layers: Sequence[str], *, available: Sequence[str]) -> None:
    """ParameterError naming the first of ``layers`` that is not ``available``."""
    unknown = [key for key in layers if key not in available]
    if unknown:
        msg = f"unknown layer {quote(unknown[0])}; layers: {', '.join(available)}"
        raise ParameterError(msg)


def _bounds(frames: Sequence[gpd.GeoSeries]) -> tuple[float, float, float, float]:
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    return (
        float(boxes[:, 0].min()),
        float(boxes[:, 1].min()),
        float(boxes[:, 2].max()),
        float(boxes[:, 3].max()),
    )


def _name_drawn(ax: Axes, before: set[Artist], key: str) -> None:
    """Name what layer ``key`` just drew on ``ax`` (``id="layer-<key>-<n>"`` in an SVG), so
    that a reader or a test finds each layer; an artist that has a name keeps it."""
    drawn = [a for a in ax.get_children() if a not in before and a.get_gid() is None]
    for n, artist in enumerate(drawn):
        artist.set_gid(f"layer-{key}-{n}")


def draw_map(
    sheet: Sheet,
    content: MapContent | None,
    *,
    layers: Sequence[str],
    ripley: RipleyResult | str | None = None,
    empty_note: str = "",
    lang: str = "en",
) -> float | None:
    """Draw ``layers`` (bottom first, in :data:`webmap.layer_registry.LAYERS` order) of
    ``content`` on the sheet's map, with a legend (in ``lang``), a scale bar and a north
    arrow, and the Ripley panel when the sheet has one. ``content`` ``None`` (nothing
    located) leaves ``empty_note`` in the frame. Returns the scale bar's length in metres
    (``None`` without a map)."""
    ax = sheet.map_ax
    if sheet.ripley_ax is not None and ripley is not None:
        draw_ripley(sheet.ripley_ax, ripley, fontsize=sheet.fontsize, lang=lang)
        sheet.ripley_ax.set_gid("layer-ripley")
    if content is None or content.points.empty:
        ax.text(0.5, 0.5, empty_note, ha="center", va="center", transform=ax.transAxes,
                fontsize=sheet.fontsize * 1.3, color="#555555")  # fmt: skip
        return None
    overlays = content.overlays
    framed = [content.points]
    if "epicentres" in layers:
        framed.append(overlays.epicentre_circles.geometry.to_crs(content.crs))
    for key, frame in (("hexbins", overlays.hexbins), ("cores", overlays.cores)):
        if key in layers and len(frame):
            framed.append(frame.geometry.to_crs(content.crs))
    fit_extent(ax, _bounds(framed))
    legend: Legend = []
    for key, layer in LAYERS.items():
        if key in layers and layer.draw is not None:
            before = set(ax.get_children())
            legend += layer.drawer()(ax, content, lang=lang)
            _name_drawn(ax, before, key)
    if legend:
        handles, labels = zip(*legend, strict=True)
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncols=3,
                  fontsize=sheet.fontsize, frameon=False)  # fmt: skip
    length = scale_bar(ax, fontsize=sheet.fontsize * 1.05, lang=lang)
    north_arrow(ax, fontsize=sheet.fontsize * 1.4)
    return length
