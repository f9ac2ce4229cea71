"""The layers a figure can draw, each from what :mod:`geo` already computed.

Each layer is a record of :data:`webmap.layer_registry.LAYERS`, shared with the web map
(``sites``, ``epicentres``, ``density``, ``hexbins``, ``cores``, ``nn``); ``streets`` draws
the cluster's street network, ``lq`` an analyst's location quotients, and ``ripley`` adds a
panel of Besag's L function beside the map. A record names its drawer here (a ``draw_<key>``
function) and the figures it applies to; a new layer is one more record and its drawer.
Legend text is drawn in ``lang`` (:func:`webmap.i18n.gettext`).

Everything is drawn in the metric CRS of the analysis: the overlays of
:func:`geo.overlays.cluster_overlays` (EPSG:4326) are only reprojected, never recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pyproj
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from shapely.geometry.polygon import orient

from geo.errors import ParameterError, clip, listing
from geo.overlays import Overlays, class_breaks
from webmap.i18n import gettext
from webmap.layer_registry import LAYERS

__all__ = ["MapContent", "default_layers", "figure_layers"]

#: Legend entries: (handle, label).
Legend = list[tuple[Artist, str]]
#: Up to this many points, markers are large and outlined; beyond, small dots.
FEW_POINTS = 200
#: Above this many points, markers are drawn as an image inside SVG and PDF files.
RASTER_POINTS = 5000
#: Longest site label drawn; longer names are cut with "…".
LABEL_CHARS = 42
SITE_COLOUR = "#b2182b"
EPICENTRE_COLOUR = "#2166ac"


@dataclass(frozen=True)
class MapContent:
    """What a map figure draws, in the metric CRS ``crs``.

    ``points`` are the located points (a cluster's distinct places, or a file's points)
    and ``labels`` their names (``None``: unlabelled); ``overlays`` the layers of
    :mod:`geo.overlays` (EPSG:4326); ``streets`` the street segments, when there are any;
    ``lq`` the H3 cells where one category's location quotient is significant
    (``category``, ``lq``; :meth:`geo.column_analysis.ColumnAnalysis.lq_frame`), when asked
    for: one category at a time, never several stacked on one scale.
    """

    crs: pyproj.CRS
    points: gpd.GeoSeries
    labels: Sequence[str] | None
    overlays: Overlays
    streets: gpd.GeoSeries | None = None
    fontsize: float = 7.0
    lq: gpd.GeoDataFrame | None = None


def _metric(frame: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    return frame.to_crs(crs) if len(frame) else frame


def _path(geometry: Any) -> Path:
    """A (multi)polygon as one matplotlib path, holes included (exteriors counter-clockwise,
    holes clockwise, filled by the non-zero rule)."""
    parts = getattr(geometry, "geoms", [geometry])
    rings = []
    for polygon in parts:
        polygon = orient(polygon, 1.0)
        for ring in [polygon.exterior, *polygon.interiors]:
            rings.append(Path(np.asarray(ring.coords)[:, :2], closed=True))
    return Path.make_compound_path(*rings)


def _polygons(geometries: Any) -> list[PathPatch]:
    return [PathPatch(_path(g)) for g in geometries if g is not None and not g.is_empty]


def _segments(geometries: Any) -> list[np.ndarray]:
    out = []
    for geometry in geometries:
        for line in getattr(geometry, "geoms", [geometry]):
            out.append(shapely.get_coordinates(line))
    return out


def _middle(line: Any) -> tuple[float, float]:
    middle = line.interpolate(0.5, normalized=True)
    return middle.x, middle.y


def _away(line: Any, centre: Any, *, points: float) -> tuple[float, float]:
    """An offset of ``points`` perpendicular to ``line``, on the side away from ``centre``
    (the epicentre's centroid): the labels of two nearly parallel sides part."""
    (ax_, ay), (bx, by) = shapely.get_coordinates(line)[[0, -1]]
    nx, ny = ay - by, bx - ax_
    norm = np.hypot(nx, ny)
    if norm == 0:
        return 0.0, points
    mx, my = _middle(line)
    if (mx - centre.x) * nx + (my - centre.y) * ny < 0:
        nx, ny = -nx, -ny
    return points * nx / norm, points * ny / norm


#: The ColorBrewer ramp of each classed layer, distinct so that a kernel density drawn
#: under hexagons is never read as the same scale.
PALETTES = {"density": "YlOrRd", "hexbins": "PuBu"}
#: Unit of the classed layers, on every class of their legends.
UNIT = "sites/km²"


def _ramp(n: int, *, palette: str = "YlOrRd") -> list[Any]:
    """``n`` colours of a ColorBrewer ramp (:data:`PALETTES`), light to dark."""
    cmap = mpl.colormaps[palette]
    return [cmap(v) for v in np.linspace(0.15, 0.95, max(n, 1))][:n]


def plain_numbers(values: Sequence[float]) -> list[str]:
    """Legend numbers: plain (never scientific), grouped by thousands, rounded to the
    fewest significant digits (three or more) that keep distinct values distinct.

    Examples
    --------
    >>> plain_numbers([894.2, 1789.6, 178768.0])
    ['894', '1,790', '178,768']
    >>> plain_numbers([11.31, 11.34, 0.0123])
    ['11.31', '11.34', '0.0123']
    """

    def text(value: float, digits: int) -> str:
        if value == 0 or not np.isfinite(value):
            return f"{value:g}"
        decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
        out = f"{round(value, decimals):,.{decimals}f}"
        return out.rstrip("0").rstrip(".") if "." in out else out

    distinct = len(set(values))
    for digits in range(3, 10):
        texts = [text(v, digits) for v in values]
        if len(set(texts)) == distinct:
            return texts
    return texts


def draw_sites(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """The located points, labelled with their names when they have some."""
    xy = shapely.get_coordinates(content.points.values)
    few = len(xy) <= FEW_POINTS
    markers = ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=28 if few else 4,
        color=SITE_COLOUR,
        edgecolors="white",
        linewidths=0.8 if few else 0,
        alpha=1.0 if few else 0.6,
        zorder=10,
        rasterized=len(xy) > RASTER_POINTS,
    )
    markers.set_gid("sites")
    (x0, x1) = ax.get_xlim()
    for (x, y), text in zip(xy, content.labels or [], strict=False):
        right = x > (x0 + x1) / 2  # labels of the right half go left, inside the frame
        ax.annotate(
            text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…",
            (x, y),
            xytext=(-4 if right else 4, 4),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=content.fontsize,
            zorder=11,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.6, "pad": 0.5},
        )
    name = "Sites" if content.labels is not None else "Points"
    return [(markers, gettext(name, lang=lang))]


def draw_epicentres(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """Epicentre areas (or single places), their sides labelled in metres, and their
    smallest enclosing circles."""
    overlays = content.overlays
    shapes = _metric(overlays.epicentres, content.crs)
    if shapes.empty:
        return []
    legend: Legend = []
    areas = [g for g in shapes.geometry if g.geom_type in ("Polygon", "MultiPolygon")]
    if areas:
        patches = PatchCollection(
            _polygons(areas),
            facecolor=EPICENTRE_COLOUR,
            edgecolor=EPICENTRE_COLOUR,
            alpha=0.15,
            zorder=6,
        )
        ax.add_collection(patches)
        legend.append(
            (Patch(facecolor=EPICENTRE_COLOUR, alpha=0.3), gettext("Epicentre", lang=lang))
        )
    for point in (g for g in shapes.geometry if g.geom_type == "Point"):
        star = ax.scatter([point.x], [point.y], marker="*", s=160, color=EPICENTRE_COLOUR, zorder=9)
        legend.append((star, gettext("Epicentre (one place)", lang=lang)))
    sides = _metric(overlays.epicentre_sides, content.crs)
    if len(sides):
        lines = LineCollection(
            _segments(sides.geometry), colors=EPICENTRE_COLOUR, linewidths=1.4, zorder=7
        )
        ax.add_collection(lines)
        side = gettext("Side (centre to centre)", lang=lang)
        legend.append((Line2D([], [], color=EPICENTRE_COLOUR, lw=1.4), side))
        centre = shapes.geometry.union_all().centroid
        for line, length in zip(sides.geometry, sides["length_m"], strict=True):
            ax.annotate(
                f"{length:,.0f} m",
                _middle(line),
                xytext=_away(line, centre, points=2.2 * content.fontsize),
                textcoords="offset points",
                ha="center",
                va="center",
                fontsize=content.fontsize,
                color=EPICENTRE_COLOUR,
                zorder=12,
                bbox={"facecolor": "white", "edgecolor": EPICENTRE_COLOUR, "pad": 1.0, "lw": 0.5},
            )
    circles = _metric(overlays.epicentre_circles, content.crs)
    if len(circles):
        ring = PatchCollection(
            _polygons(circles.geometry),
            facecolor="none",
            edgecolor=EPICENTRE_COLOUR,
            linestyle="--",
            linewidth=0.8,
            zorder=6,
        )
        ax.add_collection(ring)
        circle = gettext("Smallest enclosing circle", lang=lang)
        legend.append((Line2D([], [], color=EPICENTRE_COLOUR, ls="--", lw=0.8), circle))
    return legend


def _classed(
    ax: Axes,
    frame: gpd.GeoDataFrame,
    lows: list[float],
    highs: list[float],
    *,
    name: str,
    palette: str,
) -> Legend:
    """Polygons coloured by class (``highs``: each row's class upper bound, ``lows`` its
    lower value), one legend entry per class drawn, each with its unit. Classes are
    contiguous: each runs from the bound below it (the first from its lowest value) to its
    bound; a first class whose values are all equal shows that one value."""
    bounds = sorted(set(highs))
    colours = _ramp(len(bounds), palette=palette)
    rows_of = [[i for i, high in enumerate(highs) if high == bound] for bound in bounds]
    floors = [min(lows[i] for i in rows_of[0]), *bounds[:-1]]
    texts = plain_numbers([*floors, *bounds])
    legend: Legend = []
    for k, (rows, colour) in enumerate(zip(rows_of, colours, strict=True)):
        patches = PatchCollection(
            _polygons(frame.geometry.iloc[rows]),
            facecolor=colour,
            edgecolor="none",
            alpha=0.75,
            zorder=2,
        )
        ax.add_collection(patches)
        low, high = texts[k], texts[len(bounds) + k]
        span = high if low == high else f"{low}\u2013{high}"
        legend.append((Patch(facecolor=colour, alpha=0.75), f"{name} {span} {UNIT}"))
    return legend


def draw_density(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """Kernel density bands, classed by sites per km²."""
    bands = _metric(content.overlays.density_bands, content.crs)
    if bands.empty:
        return []
    return _classed(
        ax,
        bands,
        [float(v) for v in bands["density_min_per_km2"]],
        [float(v) for v in bands["density_max_per_km2"]],
        name=gettext("Kernel density", lang=lang),
        palette=PALETTES["density"],
    )


def draw_hexbins(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """H3 hexagons, classed by sites per km²."""
    cells = _metric(content.overlays.hexbins, content.crs)
    if cells.empty:
        return []
    values = [float(v) for v in cells["sites_per_km2"]]
    breaks = class_breaks(values)
    highs = [next(b for b in breaks if v <= b) for v in values]
    resolution = content.overlays.hex_resolution
    return _classed(
        ax,
        cells,
        values,
        highs,
        name=gettext("Hexagons (H3 r%(resolution)s)", lang=lang, resolution=resolution),
        palette=PALETTES["hexbins"],
    )


#: Location-quotient classes: (lowest quotient, colour), highest first.
LQ_CLASSES = ((4.0, "#7a0177"), (2.0, "#c51b8a"), (1.0, "#f768a1"))


def draw_lq(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """The hexagons where one category is significantly over-represented, darker as LQ
    grows, with a legend of its classes naming the category. ``content.lq`` holds one
    category: quotients of several categories are never stacked on one scale."""
    if content.lq is None or content.lq.empty:
        return []
    cells = _metric(content.lq, content.crs)
    categories = sorted({str(c) for c in cells["category"]})
    if len(categories) != 1:
        msg = f"the lq layer draws one category at a time, not {listing(categories, limit=3)}"
        raise ParameterError(msg)
    legend: Legend = []
    upper = np.inf
    for floor, colour in LQ_CLASSES:
        chosen = cells[(cells["lq"] >= floor) & (cells["lq"] < upper)]
        ax.add_collection(
            PatchCollection(
                _polygons(chosen.geometry),
                facecolor=colour,
                edgecolor=colour,
                alpha=0.45,
                linewidth=0.6,
                zorder=3,
            )
        )
        span = (
            gettext("%(low)s or more", lang=lang, low=f"{floor:g}")
            if upper == np.inf
            else gettext("%(low)s to %(high)s", lang=lang, low=f"{floor:g}", high=f"{upper:g}")
        )
        category = repr(clip(categories[0], limit=LABEL_CHARS))
        label = gettext("LQ of %(category)s: %(span)s", lang=lang, category=category, span=span)
        legend.append((Patch(facecolor=colour, alpha=0.45), label))
        upper = floor
    note = gettext("significant: LQ > 1, p < 0.05, 3 or more sites", lang=lang)
    return [*legend, (Patch(facecolor="none", edgecolor="none"), note)]


def draw_cores(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """DBSCAN dense cores as shaded polygons."""
    cores = _metric(content.overlays.cores, content.crs)
    if cores.empty:
        return []
    ax.add_collection(
        PatchCollection(
            _polygons(cores.geometry),
            facecolor="#762a83",
            edgecolor="#762a83",
            alpha=0.25,
            linewidth=1.0,
            zorder=4,
        )
    )
    return [(Patch(facecolor="#762a83", alpha=0.35), gettext("Dense core", lang=lang))]


def draw_nn(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """A line from each point to its nearest neighbour."""
    links = _metric(content.overlays.nn_links, content.crs)
    if links.empty:
        return []
    ax.add_collection(
        LineCollection(_segments(links.geometry), colors="#555555", linewidths=0.7, zorder=5)
    )
    return [(Line2D([], [], color="#555555", lw=0.7), gettext("Nearest neighbour", lang=lang))]


def draw_streets(ax: Axes, content: MapContent, *, lang: str = "en") -> Legend:
    """The cluster's streets inside the frame, under every other layer."""
    if content.streets is None or content.streets.empty:
        return []
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    shown = content.streets[content.streets.intersects(shapely.box(x0, y0, x1, y1))]
    streets = LineCollection(_segments(shown.values), colors="#bdbdbd", linewidths=0.5, zorder=1)
    streets.set_gid("streets")
    ax.add_collection(streets)
    return [(Line2D([], [], color="#bdbdbd", lw=0.8), gettext("Streets", lang=lang))]


def figure_layers(kind: str, *, has_streets: bool = False) -> tuple[str, ...]:
    """The layer keys a ``kind`` of figure ({"cluster", "points"}) can draw, bottom first."""
    return tuple(
        key
        for key, layer in LAYERS.items()
        if kind in layer.figures and (layer.needs != "streets" or has_streets)
    )


def default_layers(kind: str, *, has_streets: bool = False) -> tuple[str, ...]:
    """The layers drawn when none are named: sites, epicentres and streets for a cluster;
    the points and their kernel density for a file."""
    if kind == "points":
        return ("density", "sites")
    available = figure_layers(kind, has_streets=has_streets)
    return tuple(key for key in available if LAYERS[key].default)
