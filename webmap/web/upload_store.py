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

from geo.paths import resolve_cache_dir
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
            # a zipped shapefile is extracted to disk, counted, up to the decoded-byte cap
            file_bytes=int(app.config["MAX_UPLOAD_DECODED_BYTES"]) + 16 * 1024 * 1024,
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


def render_analysis(analysis: Analysis, *, token: str, basemap: str = DEFAULT_BASEMAP) -> str:
    """The page of an upload: every measure with its caveats, the categories and the dense
    cores, the map (points named in popups; kernel density, hexagons, cores, links and
    location quotients with their legends) over ``basemap`` (a key of
    :data:`~webmap.maps.basemaps.BASEMAPS`), the downloads and when it expires."""
    import datetime

    import folium
    import numpy as np
    from flask import render_template, request

    from webmap.api.workbench_api import DOWNLOADS, available_downloads
    from webmap.i18n import format_moment, gettext
    from webmap.maps.analysis_map import add_analysis_layers
    from webmap.maps.cluster_map import base_map, render_parts
    from webmap.maps.point_layer import PointLayer
    from webmap.web.language import page_language

    lang = page_language()
    density = analysis.measures.get("density", {})
    fmap = base_map(basemap=basemap)
    hexbins = density.get("hexbins") or {}
    add_analysis_layers(
        fmap,
        analysis.layers,
        caveats=density.get("caveats") or {},
        hex_resolution=hexbins.get("resolution"),
        lang=lang,
    )
    if analysis.files is not None:  # a spooled upload: every point, through its tiles
        from webmap.maps.point_tiles import PointTilesLayer

        tiles = f"{request.script_root}/analyses/{token}/tiles/{{z}}/{{x}}/{{y}}.mvt"
        PointTilesLayer(tiles, name=gettext("Points", lang=lang)).add_to(fmap)
    elif analysis.points:
        lat, lon = np.asarray(analysis.points, dtype=float).T
        PointLayer(lon, lat, analysis.labels, name=gettext("Points", lang=lang)).add_to(fmap)
    fmap.fit_bounds(analysis.bounds)
    folium.LayerControl().add_to(fmap)
    store = get_store()
    expires = datetime.datetime.fromtimestamp(analysis.created + store.ttl_seconds, tz=datetime.UTC)
    cores = (density.get("cores") or {}).get("cores") or []
    return render_template(
        "analysis.html",
        map=render_parts(fmap, static_root=request.script_root),
        density=density,
        proximity=analysis.measures.get("proximity", {}),
        cores=sorted(cores, key=lambda c: (-c["n_sites"], c["core"])),
        token=token,
        downloads=[(key, DOWNLOADS[key][0]) for key in available_downloads(analysis)],
        sampled=bool(analysis.extras.get("sampled")),
        n_drawn=len(analysis.points) if analysis.files is None else density.get("n_points"),
        expires_at=format_moment(expires, lang=lang),
        ttl_minutes=round(store.ttl_seconds / 60),
        basemap=basemap,
    )
