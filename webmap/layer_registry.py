"""Every layer a cluster map or a figure can draw, declared once: :data:`LAYERS`.

A :class:`Layer` record holds a layer's key, its label (the layer control, the figure's
layer list), its legend title, whether it is on by default, its Folium builder (drawn on
the web map) and its figure drawer (drawn on the print figure), and which figures it
applies to. :mod:`webmap.maps` and :mod:`webmap.figures` both iterate :data:`LAYERS`; they
never import each other, so the builder and the drawer are named here by import path
(``"module:function"``, as pygeoapi names its providers) and loaded by the side that draws
them: :meth:`Layer.builder` only loads from :mod:`webmap.maps`, :meth:`Layer.drawer` only
from :mod:`webmap.figures` (``tests/test_layout.py`` checks every record).

The order of :data:`LAYERS` is the drawing order, bottom first, on the map and the figure
alike. Labels and legends are English, marked with :func:`webmap.i18n.N_` and translated
where they are drawn.

A builder is called as ``build(fmap, data, layer, *, show, lang)`` (``data``: a
:class:`webmap.maps.layer_builders.LayerData`); a drawer as ``draw(ax, content, *, lang)``
(``content``: a :class:`webmap.figures.layer_drawers.MapContent`), returning its legend entries.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from webmap.i18n import N_

__all__ = ["LAYERS", "NETWORK_LAYERS", "Layer", "map_layers"]

#: The figures a layer applies to.
FigureKind = Literal["cluster", "points"]
#: What a layer needs beyond the analysis: the walking network (map) or streets (figure).
Needs = Literal["network", "streets"]


@dataclass(frozen=True)
class Layer:
    """One layer of the map and the figure.

    Attributes
    ----------
    key
        The layer's key in ``layers=`` lists, the layer control and the legend's CSS class
        (``cm-legend-<key>``).
    label
        Its name in the layer control and the figure's layer list (marked with ``N_``).
    legend
        Its legend's title on the web map (marked with ``N_``).
    default
        Whether it is on when no layer is named.
    build
        ``"module:function"`` of its Folium builder in :mod:`webmap.maps`; ``None``: not
        on the web map.
    draw
        ``"module:function"`` of its figure drawer in :mod:`webmap.figures`; ``None``: not
        drawn on the figure's map (a panel, or web only).
    figures
        The figures that offer it (``{"cluster", "points"}``); empty: web map only.
    needs
        ``"network"``: drawn from the walking network (map); ``"streets"``: from the
        cluster's streets (figure); ``None``: from the analysis alone.
    """

    key: str
    label: str
    legend: str
    default: bool
    build: str | None = None
    draw: str | None = None
    figures: frozenset[FigureKind] = frozenset()
    needs: Needs | None = None

    def builder(self) -> Callable[..., Any]:
        """The Folium builder (:attr:`build`), loaded from :mod:`webmap.maps`."""
        return _load(self.build, "webmap.maps")

    def drawer(self) -> Callable[..., Any]:
        """The figure drawer (:attr:`draw`), loaded from :mod:`webmap.figures`."""
        return _load(self.draw, "webmap.figures")


@cache
def _load(path: str | None, package: str) -> Callable[..., Any]:
    if path is None or not path.startswith(package + "."):
        msg = f"{path!r} is not a function of {package}"
        raise LookupError(msg)
    module, _, name = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


_CLUSTER: frozenset[FigureKind] = frozenset({"cluster"})
_POINTS: frozenset[FigureKind] = frozenset({"points"})
_BOTH: frozenset[FigureKind] = frozenset({"cluster", "points"})
_MAP = "webmap.maps.layer_builders"
_FIGURE = "webmap.figures.layer_drawers"

LAYERS: dict[str, Layer] = {
    layer.key: layer
    for layer in (
        Layer("streets", N_("Streets"), N_("Streets"), True,
              draw=f"{_FIGURE}:draw_streets", figures=_CLUSTER, needs="streets"),
        Layer("density", N_("Kernel density"), N_("Kernel density (sites per km²)"), False,
              build=f"{_MAP}:add_density", draw=f"{_FIGURE}:draw_density", figures=_BOTH),
        Layer("hexbins", N_("Hexagons"), N_("Sites per km² (hexagon)"), False,
              build=f"{_MAP}:add_hexbins", draw=f"{_FIGURE}:draw_hexbins", figures=_BOTH),
        Layer("lq", N_("Location quotients"), N_("Location quotients"), False,
              draw=f"{_FIGURE}:draw_lq", figures=_POINTS),
        Layer("cores", N_("Dense cores"), N_("Dense cores (DBSCAN)"), False,
              build=f"{_MAP}:add_cores", draw=f"{_FIGURE}:draw_cores", figures=_BOTH),
        Layer("nn", N_("Nearest neighbours"), N_("Nearest neighbours"), False,
              build=f"{_MAP}:add_nn_links", draw=f"{_FIGURE}:draw_nn", figures=_BOTH),
        Layer("isochrones", N_("Walking isochrones"), N_("Walking isochrones"), True,
              build=f"{_MAP}:add_isochrones", needs="network"),
        Layer("paths", N_("Walking paths"), N_("Walking paths"), True,
              build=f"{_MAP}:add_paths", needs="network"),
        Layer("epicentres", N_("Epicentres"), N_("Epicentres"), True,
              build=f"{_MAP}:add_epicentres", draw=f"{_FIGURE}:draw_epicentres",
              figures=_CLUSTER),
        Layer("sites", N_("Sites"), N_("Site role"), True,
              build="webmap.maps.cluster_map:add_sites", draw=f"{_FIGURE}:draw_sites",
              figures=_BOTH),
        Layer("ripley", N_("Ripley's L panel"), N_("Ripley's L panel"), False, figures=_BOTH),
    )
}  # fmt: skip
#: The web map's layers drawn from the walking network.
NETWORK_LAYERS = tuple(key for key, layer in LAYERS.items() if layer.needs == "network")


def map_layers(*, has_network: bool, defaults: bool = False) -> tuple[str, ...]:
    """The keys of the layers a cluster's web map can draw (``defaults``: those on by
    default), bottom first."""
    return tuple(
        key
        for key, layer in LAYERS.items()
        if layer.build is not None
        and (has_network or layer.needs != "network")
        and (layer.default or not defaults)
    )
