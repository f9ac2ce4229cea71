"""Maps of many points (an analyst's file, up to millions of sites).

One Folium marker per point costs a Leaflet object, a popup and several lines of
JavaScript each: about 40 s and 22 MB for 100,000 sites. :class:`PointLayer` instead embeds
the points once and draws them in one of two ways:

* up to :data:`WEBGL_THRESHOLD` points, as one compact JSON object (longitudes and latitudes
  rounded to 6 decimals, about 0.1 m, and a label array) drawn with ``L.circleMarker`` on one
  shared ``L.canvas()`` renderer (``static/pointlayer.js``), inside an
  ``L.markerClusterGroup`` with chunked loading above :data:`CLUSTER_THRESHOLD` points;
* above it, with WebGL: deck.gl's ScatterplotLayer in a Leaflet layer (deck.gl-leaflet,
  ``static/glpointlayer.js``), fed by a binary payload of quantised coordinates and labels
  (:mod:`webmap.maps.pointdata`); a click picks the point under the cursor.

A label reaches the page only through :func:`webmap.maps.escape.escape_text` and is shown by
a popup opened on click.

For tests and scripts, a loaded page exposes:

* ``window.clustermapPointCount``: the number of points loaded by all point layers of the
  page, set (and increased) once a layer has finished loading: at once for a plain layer;
  for a clustered one, when the chunked clustering that starts once the layer is first on
  the map is complete; for a WebGL one, once the first frame holding its points is drawn
  (the GPU finished). Undefined before;
* ``window.clustermapPointLayers``: the Leaflet layers (cluster or feature groups, or the
  WebGL layers), in the order they were loaded; each canvas marker carries its row number as
  ``options.cmIndex``; a WebGL layer answers ``clustermapLabel(i)`` and
  ``clustermapLatLng(i)`` of its ``i``-th point in the payload's (spatial) order.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo.errors import InputDataError, ParameterError, Problems, listing, quote
from geo.points import label_column_of
from geo.projection import lonlat_arrays
from webmap.maps.basemaps import BASEMAPS, DEFAULT_BASEMAP, add_basemaps
from webmap.maps.escape import escape_text
from webmap.maps.pointdata import encode_points
from webmap.maps.view import MAX_ZOOM

__all__ = [
    "CLUSTER_THRESHOLD",
    "DRAWINGS",
    "WEBGL_RADIUS",
    "WEBGL_THRESHOLD",
    "PointLayer",
    "add_points",
    "points_map",
]

#: Above this many points, markers are clustered (Leaflet.markercluster, chunked loading).
CLUSTER_THRESHOLD = 1000
#: Above this many points, a layer is drawn with WebGL. Below it the canvas markers are
#: drawn in about a second in headless Chromium (``scripts/bench_maps.py``); above it they
#: take seconds to tens of seconds, while WebGL draws 10^6 points in a few.
WEBGL_THRESHOLD = 20_000
#: The default radius of WebGL points, in pixels.
WEBGL_RADIUS = 3.0
#: The ways of drawing a :class:`PointLayer` (``"auto"`` chooses by size).
DRAWINGS = ("auto", "markers", "clusters", "webgl")
DEFAULT_COLOUR = "#3388ff"
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}")
_DECIMALS = 6
# characters that could end a <script> block or start an HTML comment in it, and the two
# line separators older JavaScript engines refuse inside string literals
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


#: The script defining ``clustermap.pointLayer`` (``static/pointlayer.js``).
POINT_LAYER_JS = "clustermap_pointlayer_js"
#: The scripts a WebGL layer needs, in order: deck.gl (with luma.gl), deck.gl-leaflet and
#: ``clustermap.glPointLayer`` (``static/glpointlayer.js``).
WEBGL_JS = ("deckgl_core_js", "deckgl_leaflet_js", "clustermap_glpoints_js")


class PointLayer(JSCSSMixin, Layer):
    """A Leaflet layer of points: circle markers on a canvas, clustered or not, or WebGL.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees (WGS 84), one per point.
    labels
        One label per point (any objects, shown as plain text in a popup), or None for no
        popups.
    name
        The layer's name in the layer control (plain text).
    colour
        Fill colour: ``#rgb``/``#rrggbb``(``aa``) or a CSS colour name.
    drawing : {"auto", "markers", "clusters", "webgl"}
        How the points are drawn: canvas markers, clustered canvas markers, or WebGL;
        ``"auto"``: WebGL above :data:`WEBGL_THRESHOLD` points, else clusters above
        :data:`CLUSTER_THRESHOLD`, else markers.
    radius
        Marker radius in pixels; default 5 for canvas markers, :data:`WEBGL_RADIUS` for WebGL
        points (a dense layer's dots stay apart, and software WebGL draws them sooner).
    show
        Whether the layer is shown when the map opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.webgl %}
        var {{ this.get_name() }} = clustermap.glPointLayer(
            {{ this.config_json }}, {{ this.get_name() }}_payload
        );
        {%- else %}
        var {{ this.get_name() }} = clustermap.pointLayer(
            {{ this.data_json }}, {{ this.style_json }}, {{ this.cluster|tojson }}
        );
        {%- endif %}
        {% endmacro %}
        """
    )

    # replaced by use_local_assets (webmap.maps.assets), like Folium's own classes' links; lists,
    # as Folium's JSCSSMixin declares them
    default_js = [  # noqa: RUF012
        ("markerclusterjs", "/static/vendor/leaflet.markercluster/dist/leaflet.markercluster.js"),
        (POINT_LAYER_JS, "/static/pointlayer.js"),
        (WEBGL_JS[0], "/static/vendor/@deck.gl/core/dist.min.js"),
        (WEBGL_JS[1], "/static/vendor/deck.gl-leaflet/dist/deck.gl-leaflet.umd.min.js"),
        (WEBGL_JS[2], "/static/glpointlayer.js"),
    ]
    default_css = [  # noqa: RUF012
        ("markerclustercss", "/static/vendor/leaflet.markercluster/dist/MarkerCluster.css"),
        (
            "markerclusterdefaultcss",
            "/static/vendor/leaflet.markercluster/dist/MarkerCluster.Default.css",
        ),
    ]

    def __init__(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        labels: list[Any] | None = None,
        *,
        name: str = "Points",
        colour: str = DEFAULT_COLOUR,
        drawing: str = "auto",
        radius: float | None = None,
        show: bool = True,
    ) -> None:
        super().__init__(name=escape_text(name), overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.n_points = len(lon)
        if drawing == "auto":
            drawing = _automatic_drawing(self.n_points)
        self.webgl = drawing == "webgl"
        #: whether the canvas markers are clustered
        self.cluster = drawing == "clusters"
        if radius is None:
            radius = WEBGL_RADIUS if self.webgl else 5.0
        problems = Problems()
        if drawing not in DRAWINGS:
            problems.add(f"drawing must be one of {', '.join(DRAWINGS)}, not {quote(drawing)}")
        if len(lon) != len(lat) or (labels is not None and len(labels) != len(lon)):
            problems.add("lon, lat and labels must have the same length")
        if not _COLOUR.fullmatch(colour):
            problems.add(f"colour must be #rgb, #rrggbb or a CSS colour name, not {quote(colour)}")
        if not 0 < radius <= 50:
            problems.add(f"radius must be in (0, 50] pixels, not {radius}")
        problems.raise_if_any(ParameterError)
        #: ``[[south, west], [north, east]]`` of the points, None when there are none
        self.bounds = (
            [[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]]
            if self.n_points
            else None
        )
        texts = None if labels is None else _escaped(labels)
        if self.webgl:
            payload = encode_points(lon, lat, texts)
            self.payload = payload.base64  # base64: nothing to escape inside a JS string
            self.config_json = script_json(
                {
                    "n": payload.n,
                    "west": payload.west,
                    "south": payload.south,
                    "step": payload.step,
                    "labels": payload.labels,
                    "radius": radius,
                    "colour": colour,
                }
            )
            return
        data: dict[str, list[Any]] = {"lon": _rounded(lon), "lat": _rounded(lat)}
        if texts is not None:
            data["label"] = texts
        self.data_json = script_json(data)
        self.style_json = script_json(
            {
                "radius": radius,
                "color": "#222222",
                "weight": 1,
                "fillColor": colour,
                "fillOpacity": 0.8,
            }
        )

    def render(self, **kwargs: Any) -> str:
        """Render, linking only the scripts of the way the points are drawn: deck.gl for
        WebGL, the clustering plugin for clustered markers (the links are read at render
        time: an export inlines them, :mod:`webmap.maps.export`)."""
        if self.webgl:
            # megabytes of base64 that Jinja need not parse as a template (as Folium does
            # with every script it collects): written as it is, before the layer's script
            self.get_root().script.add_child(  # type: ignore[attr-defined]
                _Verbatim(f'var {self.get_name()}_payload = "{self.payload}";'),
                name=f"{self.get_name()}_payload",
            )
        names = set(WEBGL_JS) if self.webgl else {POINT_LAYER_JS}
        if not self.cluster:  # instance attributes win over the class's
            self.default_js = [(n, p) for n, p in type(self).default_js if n in names]
            self.default_css = []
        else:
            self.default_js = [(n, p) for n, p in type(self).default_js if n not in WEBGL_JS]
        return super().render(**kwargs)


class _Verbatim(Element):
    """Text rendered as it is (an :class:`~branca.element.Element` compiles its text as a
    Jinja template first)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def script_json(value: Any) -> str:
    """Compact JSON that is also safe as a JavaScript expression inside ``<script>``.

    ``<`` and ``>`` are written as ``\\u003c``/``\\u003e``, so neither ``</script>`` nor
    ``<!--`` can appear, whatever the strings hold.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.translate(_SCRIPT_SAFE)


def add_points(
    fmap: folium.Map | folium.FeatureGroup,
    gdf: gpd.GeoDataFrame,
    *,
    label_column: str | None = None,
    name: str = "Points",
    colour: str = DEFAULT_COLOUR,
    drawing: str = "auto",
) -> PointLayer:
    """Draw every point of ``gdf`` on ``fmap`` as one :class:`PointLayer`.

    Parameters
    ----------
    fmap
        The map (or a feature group of it).
    gdf
        Points in any CRS (reprojected to EPSG:4326 here). Other geometries are drawn at a
        representative point; rows without geometry or with non-finite coordinates are left
        out with a :class:`UserWarning`.
    label_column
        Column shown in a point's popup; default the first of
        :data:`geo.points.LABEL_NAMES` present,
        else no popups.
    name
        The layer's name in the layer control.
    colour
        Fill colour of the markers.
    drawing : {"auto", "markers", "clusters", "webgl"}
        How the points are drawn (:class:`PointLayer`); default by their number.

    Returns
    -------
    PointLayer
        The layer added.

    Raises
    ------
    ParameterError
        If ``label_column`` is not a column of ``gdf``, or ``colour`` is not a colour.
    InputDataError
        If ``gdf`` has no CRS.
    """
    if label_column is not None and label_column not in gdf.columns:
        msg = f"label column {quote(label_column)} not found; columns: {listing(gdf.columns)}"
        raise ParameterError(msg)
    label_column = label_column if label_column is not None else label_column_of(gdf)
    lon, lat, keep = _lonlat(gdf)
    labels = None if label_column is None else list(gdf[label_column].to_numpy()[keep])
    layer = PointLayer(lon, lat, labels, name=name, colour=colour, drawing=drawing)
    layer.add_to(fmap)
    return layer


def points_map(
    gdf: gpd.GeoDataFrame,
    *,
    label_column: str | None = None,
    basemap: str = DEFAULT_BASEMAP,
    drawing: str = "auto",
) -> folium.Map:
    """A map of every point of ``gdf``, fitted to their extent, with a layer control.

    Parameters
    ----------
    gdf
        Points in any CRS (see :func:`add_points`).
    label_column
        Column shown in a point's popup; default detected by name (:data:`geo.points.LABEL_NAMES`).
    basemap : {"osm", "positron", "none", "offline"}
        The basemap shown first; the others are offered in the layer control.
    drawing : {"auto", "markers", "clusters", "webgl"}
        How the points are drawn (:class:`PointLayer`); default by their number.

    Raises
    ------
    ParameterError
        If ``basemap`` or ``label_column`` is unknown.
    InputDataError
        If ``gdf`` has no CRS.
    """
    if basemap not in BASEMAPS:
        msg = f"unknown basemap {quote(basemap)}; choose one of {', '.join(BASEMAPS)}"
        raise ParameterError(msg)
    # the map's own zoom limit: with no tile layer shown (basemap "offline" or "none"),
    # Leaflet.markercluster finds none on its layers and refuses to start
    # (Folium hands its max_zoom to its default tiles only, not to the map)
    fmap = folium.Map(location=[50.0, 7.0], zoom_start=4, tiles=None, control_scale=True)
    fmap.options["max_zoom"] = MAX_ZOOM
    add_basemaps(fmap, selected=basemap)
    layer = add_points(fmap, gdf, label_column=label_column, drawing=drawing)
    folium.LayerControl(collapsed=True).add_to(fmap)
    if layer.bounds is not None:
        fmap.fit_bounds(layer.bounds, padding=(20, 20), max_zoom=16)
    return fmap


def _automatic_drawing(n_points: int) -> str:
    if n_points > WEBGL_THRESHOLD:
        return "webgl"
    return "clusters" if n_points > CLUSTER_THRESHOLD else "markers"


def _lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longitudes, latitudes (WGS 84) of the kept rows, and the boolean mask of those rows."""
    if gdf.crs is None:
        msg = "the points have no CRS; give one (e.g. --crs EPSG:4326)"
        raise InputDataError(msg)
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = geoms[present]
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    series = gpd.GeoSeries(geoms, crs=gdf.crs)
    lon = np.full(len(gdf), np.nan)
    lat = np.full(len(gdf), np.nan)
    if present.any():
        lon[present], lat[present] = lonlat_arrays(series)
    keep = present & np.isfinite(lon) & np.isfinite(lat)
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(
            f"{dropped} row(s) without geometry or valid coordinates are not drawn",
            UserWarning,
            stacklevel=3,
        )
    return lon[keep], lat[keep], keep


def _rounded(values: np.ndarray) -> list[float]:
    rounded: list[float] = np.round(np.asarray(values, dtype=float), _DECIMALS).tolist()
    return rounded


# the characters that escape_text changes (HTML's five, and the JavaScript ones)
_NEEDS_ESCAPE = r"[&<>\"'`\\$\{\}]"


def _escaped(labels: list[Any]) -> list[str]:
    """``escape_text`` of each label, missing values as "" (a label without any character
    that it changes is kept as it is, without the call: most of a million labels)."""
    values = pd.Series(labels, dtype=object)
    texts = values.where(~values.isna(), "").astype(str)  # NaN, None, NA: empty text
    changed = np.flatnonzero(texts.str.contains(_NEEDS_ESCAPE, regex=True).to_numpy())
    escaped: list[str] = texts.tolist()
    for row in changed.tolist():
        escaped[row] = escape_text(escaped[row])
    return escaped
