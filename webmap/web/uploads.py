"""Analyses of uploaded points, kept on disk for a while under a total size cap.

``POST /api/analyze`` stores one :class:`Analysis` (measures, a sample of the points, the
density contours) under a random token; ``/analyses/<token>`` draws it and
``/api/analyses/<token>`` returns its measures. An analysis is never written into
the registry. It lives in an SQLite file, ``analyses.sqlite3`` in the server's cache folder
(``NETWORK_CACHE_DIR``, else ``$CLUSTERMAP_CACHE_DIR``, else ``~/.cache/clustermap``), so
it survives restarts and every server process sharing that folder sees it. It is gone
(``404``) once it is older than ``ANALYSIS_TTL_SECONDS`` (default one hour) or dropped,
oldest first, to keep the bytes stored under ``ANALYSIS_MAX_BYTES`` (default 256 MB).

The store itself is :mod:`webmap.api.analysis_db`. Expired analyses are deleted by a
background sweep in every process, not only when the next request comes.

The store keeps data, never a drawn page: a page carries secrets of the process that drew
it (the nonce marker of :mod:`webmap.web.security`, which each response of that process
turns into its nonce), so a page kept for everyone would draw on no other worker and after
no restart. Each process draws an analysis's page (per ``basemap``) on its first view (a
fraction of the analysis's own cost) and keeps it in its memory cache like the cluster
pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref

from flask import Flask, current_app

from geo._paths import resolve_cache_dir
from webmap.api.analysis_db import (
    DATABASE_NAME,
    DEFAULT_MAX_BYTES,
    DEFAULT_TTL_SECONDS,
    Analysis,
    AnalysisStore,
    AnalysisStoreError,
    is_token,
)
from webmap.api.cage import Cage, CageLimits
from webmap.maps.basemaps import DEFAULT_BASEMAP

__all__ = [
    "STORE_KEY",
    "Analysis",
    "AnalysisStore",
    "AnalysisStoreError",
    "get_cage",
    "get_store",
    "init_app",
    "init_cage",
    "is_token",
]

STORE_KEY = "clustermap.analyses"
CAGE_KEY = "clustermap.cage"
SPOOL_CAGE_KEY = "clustermap.spool_cage"
log = logging.getLogger(__name__)


def _sweep(store_ref: weakref.ref[AnalysisStore], interval_s: float, stop: threading.Event) -> None:
    """Expire old analyses every ``interval_s`` until ``stop`` is set or the store is gone."""
    while not stop.wait(interval_s):
        store = store_ref()
        if store is None:
            return
        try:
            store.expire()
        except sqlite3.Error as exc:  # a busy database: the next sweep will do
            log.warning("sweeping expired analyses failed: %s", exc)
        del store


def start_sweeper(store: AnalysisStore) -> threading.Event:
    """Delete ``store``'s expired analyses in a daemon thread, every quarter of the age limit
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
    """Give ``app`` its store, in the cache folder (``NETWORK_CACHE_DIR``), from
    ``ANALYSIS_TTL_SECONDS`` and ``ANALYSIS_MAX_BYTES``, and a sweeper that deletes expired
    analyses (stopped when the app is collected)."""
    folder = resolve_cache_dir(app.config.get("NETWORK_CACHE_DIR"))
    store = AnalysisStore(
        folder / DATABASE_NAME,
        ttl_seconds=float(app.config.get("ANALYSIS_TTL_SECONDS", DEFAULT_TTL_SECONDS)),
        max_bytes=int(app.config.get("ANALYSIS_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )
    app.extensions[STORE_KEY] = store
    weakref.finalize(app, start_sweeper(store).set)
    return store


def init_cage(app: Flask) -> Cage:
    """Give ``app`` the cage that reads uploads (:mod:`webmap.api.cage`), with the limits
    ``UPLOAD_MEMORY_BYTES``, ``UPLOAD_CPU_SECONDS`` and ``UPLOAD_WALL_SECONDS``, and the
    cage of spooled uploads (:mod:`webmap.api.spool`); outside tests their forkserver
    starts now, in the background, not on the first upload."""
    cage = Cage(
        CageLimits(
            memory_bytes=int(app.config["UPLOAD_MEMORY_BYTES"]),
            cpu_seconds=int(app.config["UPLOAD_CPU_SECONDS"]),
            wall_seconds=float(app.config["UPLOAD_WALL_SECONDS"]),
        )
    )
    app.extensions[CAGE_KEY] = cage
    spool_seconds = int(app.config["UPLOAD_SPOOL_SECONDS"])
    app.extensions[SPOOL_CAGE_KEY] = Cage(
        CageLimits(
            memory_bytes=int(app.config["UPLOAD_SPOOL_MEMORY_BYTES"]),
            cpu_seconds=spool_seconds,
            wall_seconds=float(spool_seconds),
            # the tile index it writes: 48 bytes a point, and text (labels, categories)
            # no longer than the upload's
            file_bytes=48 * int(app.config["MAX_SPOOLED_POINTS"])
            + 2 * int(app.config["UPLOAD_SPOOL_BYTES"])
            + 64 * 1024 * 1024,
            settings=("UPLOAD_SPOOL_MEMORY_BYTES", "UPLOAD_SPOOL_SECONDS", "UPLOAD_SPOOL_SECONDS"),
        )
    )
    if not app.config.get("TESTING"):
        threading.Thread(target=cage.start, name="clustermap-cage-start", daemon=True).start()
    return cage


def get_cage(*, spooled: bool = False) -> Cage:
    """The current app's upload cage; with ``spooled``, the cage of spooled uploads
    (``UPLOAD_SPOOL_MEMORY_BYTES``, ``UPLOAD_SPOOL_SECONDS``; the same forkserver)."""
    cage: Cage = current_app.extensions[SPOOL_CAGE_KEY if spooled else CAGE_KEY]
    return cage


def get_store() -> AnalysisStore:
    """The current app's store (created on first use if :func:`init_app` was not called)."""
    store = current_app.extensions.get(STORE_KEY)
    if store is None:
        store = init_app(current_app)
    return store


def render_analysis(
    analysis: Analysis, *, basemap: str = DEFAULT_BASEMAP, tiles_url: str | None = None
) -> str:
    """The map page of an upload: its points (named in popups) and density contours, over
    ``basemap`` (a key of :data:`~webmap.maps.basemaps.BASEMAPS`); a spooled upload's
    points are drawn from its vector tiles at ``tiles_url``, every one of them."""
    import folium
    import numpy as np
    from flask import render_template, request

    from webmap.maps import cluster as maps
    from webmap.maps.lq_layer import add_lq_layer
    from webmap.maps.points import PointLayer

    fmap = maps.base_map(basemap=basemap)
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
    add_lq_layer(fmap, analysis.layers.get("lq_cells"))
    if analysis.files is not None and tiles_url is not None:
        from webmap.maps.point_tiles import PointTilesLayer

        PointTilesLayer(tiles_url, name="Points").add_to(fmap)
    elif analysis.points:
        lat, lon = np.asarray(analysis.points, dtype=float).T
        PointLayer(lon, lat, analysis.labels, name="Points").add_to(fmap)
    fmap.fit_bounds(analysis.bounds)
    folium.LayerControl().add_to(fmap)
    density = analysis.measures.get("density", {})
    return render_template(
        "analysis.html",
        map=maps.render_parts(fmap, static_root=request.script_root),
        density=density,
        proximity=analysis.measures.get("proximity", {}),
    )
