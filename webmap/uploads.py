"""Analyses of uploaded points, kept in memory for a while under a total size cap.

``POST /api/analyze`` stores one :class:`Analysis` (measures, a sample of the points, the
density contours) under a random token; ``/analyses/<token>`` draws it and
``/api/analyses/<token>`` returns its measures. An analysis is never written into the
registry and is gone (``404``) once it is older than ``ANALYSIS_TTL_SECONDS`` (default one
hour) or evicted, oldest first, to keep the total under ``ANALYSIS_MAX_BYTES`` (default
256 MB). Every byte an analysis holds is counted (measures, points, labels, layers, the
drawn page: :func:`webmap.sizing.estimate_bytes`), and expired analyses are freed by a
background sweep, not only when the next request comes.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from webmap.sizing import estimate_bytes

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TTL_SECONDS",
    "STORE_KEY",
    "Analysis",
    "AnalysisStore",
    "get_store",
    "init_app",
    "is_token",
]

STORE_KEY = "clustermap.analyses"
DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_token(text: str) -> bool:
    """Whether ``text`` has the shape of a token (checked before any lookup)."""
    return bool(_TOKEN.match(text))


@dataclass
class Analysis:
    """One upload's results.

    Attributes
    ----------
    measures
        The JSON body returned to the uploader (density and proximity measures).
    points
        ``[lat, lon]`` pairs of the upload (a sample above ``MAP_POINTS``), for the map.
    labels
        The points' names (escaped when drawn), or None when the upload has no name column.
    layers
        GeoJSON FeatureCollections (EPSG:4326) drawn on the map, by name.
    bounds
        ``[[south, west], [north, east]]`` of the upload.
    size
        Approximate memory held, bytes (set by the store).
    html
        The rendered map page, once drawn.
    """

    measures: dict[str, Any]
    points: list[list[float]]
    labels: list[str] | None
    layers: dict[str, dict[str, Any]]
    bounds: list[list[float]]
    size: int = 0
    html: bytes | None = None
    created: float = field(default=0.0)


class AnalysisStore:
    """A thread-safe token -> :class:`Analysis` map with an age limit and a size cap.

    Parameters
    ----------
    ttl_seconds
        Analyses older than this are gone.
    max_bytes
        The approximate total size kept; the oldest analyses are dropped beyond it.
    clock
        Seconds (monotonic); tests pass a fake one.
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = float(ttl_seconds)
        self.max_bytes = int(max_bytes)
        self._clock = clock
        self._items: OrderedDict[str, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        """The approximate size of everything kept."""
        with self._lock:
            return sum(a.size for a in self._items.values())

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def put(self, analysis: Analysis) -> str | None:
        """Keep ``analysis`` and return its new token (None if it alone exceeds the cap)."""
        analysis.size = estimate_bytes(analysis)
        if analysis.size > self.max_bytes:
            return None
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._expire()
            analysis.created = self._clock()
            self._items[token] = analysis
            self._shrink()
        return token

    def get(self, token: str) -> Analysis | None:
        """The analysis of ``token``, or None when unknown, expired or evicted."""
        if not is_token(token):
            return None
        with self._lock:
            self._expire()
            return self._items.get(token)

    def attach_html(self, token: str, html: bytes) -> None:
        """Keep the rendered page of an analysis (counted in its size)."""
        with self._lock:
            analysis = self._items.get(token)
            if analysis is None or analysis.html is not None:
                return
            analysis.html = html
            analysis.size += estimate_bytes(html)
            self._shrink()

    def expires_in(self, token: str) -> float | None:
        """Seconds left before ``token`` expires, or None."""
        with self._lock:
            analysis = self._items.get(token)
            if analysis is None:
                return None
            return max(0.0, analysis.created + self.ttl_seconds - self._clock())

    def expire(self) -> None:
        """Free the analyses older than the age limit."""
        with self._lock:
            self._expire()

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            token, oldest = next(iter(self._items.items()))
            if now - oldest.created < self.ttl_seconds:
                break
            del self._items[token]

    def _shrink(self) -> None:
        total = sum(a.size for a in self._items.values())
        while total > self.max_bytes and self._items:
            _, dropped = self._items.popitem(last=False)
            total -= dropped.size


def _sweep(store_ref: weakref.ref[AnalysisStore], interval_s: float, stop: threading.Event) -> None:
    """Expire old analyses every ``interval_s`` until ``stop`` is set or the store is gone."""
    while not stop.wait(interval_s):
        store = store_ref()
        if store is None:
            return
        store.expire()
        del store


def start_sweeper(store: AnalysisStore) -> threading.Event:
    """Free ``store``'s expired analyses in a daemon thread, every quarter of the age limit
    (at least every minute); set the returned event to stop it."""
    stop = threading.Event()
    interval = min(60.0, max(0.05, store.ttl_seconds / 4))
    thread = threading.Thread(
        target=_sweep,
        args=(weakref.ref(store), interval, stop),
        name="clustermap-analysis-sweep",
        daemon=True,
    )
    thread.start()
    return stop


def init_app(app: Flask) -> AnalysisStore:
    """Give ``app`` its store, from ``ANALYSIS_TTL_SECONDS`` and ``ANALYSIS_MAX_BYTES``, and
    a sweeper that frees expired analyses (stopped when the app is collected)."""
    store = AnalysisStore(
        ttl_seconds=float(app.config.get("ANALYSIS_TTL_SECONDS", DEFAULT_TTL_SECONDS)),
        max_bytes=int(app.config.get("ANALYSIS_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )
    app.extensions[STORE_KEY] = store
    weakref.finalize(app, start_sweeper(store).set)
    return store


def get_store() -> AnalysisStore:
    """The current app's store (created on first use if :func:`init_app` was not called)."""
    store = current_app.extensions.get(STORE_KEY)
    if store is None:
        store = init_app(current_app)
    return store


def render_analysis(analysis: Analysis) -> str:
    """The map page of an upload: its points (named in popups) and density contours."""
    import folium
    import numpy as np
    from flask import render_template

    from webmap import maps
    from webmap.pointmap import PointLayer

    fmap = maps.base_map()
    contours = analysis.layers.get("kde_contours")
    if contours and contours.get("features"):
        folium.GeoJson(
            contours,
            name="Kernel density (sites/km²)",
            style_function=lambda _feature: {
                "color": "#b2182b",
                "weight": 1,
                "fillColor": "#ef8a62",
                "fillOpacity": 0.15,
            },
        ).add_to(fmap)
    if analysis.points:
        lat, lon = np.asarray(analysis.points, dtype=float).T
        PointLayer(lon, lat, analysis.labels, name="Points").add_to(fmap)
    fmap.fit_bounds(analysis.bounds)
    folium.LayerControl().add_to(fmap)
    density = analysis.measures.get("density", {})
    return render_template(
        "analysis.html", map=maps.render_parts(fmap), density=density,
        proximity=analysis.measures.get("proximity", {}),
    )  # fmt: skip
