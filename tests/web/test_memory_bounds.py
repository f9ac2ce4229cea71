"""Caches are bounded in bytes, counting everything they hold; the upload store in the bytes
it stores, and expired uploads are freed by time alone."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from tests.helpers import DATA
from webmap import create_app
from webmap.api.memo import LruCache
from webmap.api.sizing import estimate_bytes
from webmap.web.caching import CACHE_KEY
from webmap.web.upload_store import STORE_KEY, Analysis, AnalysisStore


def test_the_cache_keeps_under_its_byte_bound() -> None:
    cache = LruCache(max_entries=100, max_bytes=1_000_000)
    for i in range(5):
        cache.put(i, b"x" * 300_000)
    assert cache.total_bytes <= 1_000_000
    assert len(cache) == 3
    assert cache.get(0) is None and cache.get(4) is not None
    cache.put("huge", b"x" * 2_000_000)  # larger than the bound: not kept
    assert cache.get("huge") is None
    assert len(cache) == 3
    cache.put(4, b"small")  # replacing an entry replaces its size
    assert cache.total_bytes < 700_000
    cache.clear()
    assert cache.total_bytes == 0


def test_estimates_count_what_values_hold() -> None:
    body = b"x" * 100_000
    assert 100_000 <= estimate_bytes(body) < 100_200
    labels = [f"site number {i} " * 5 for i in range(10_000)]
    assert estimate_bytes({"labels": labels}) >= sum(len(s) for s in labels)
    # geometries count their coordinates, not only the Python wrapper
    ring = shapely.Point(4.36, 52.0).buffer(0.01, quad_segs=256)
    frame = gpd.GeoDataFrame({"name": ["a"] * 100}, geometry=[ring] * 100, crs=4326)
    coords = 100 * len(ring.exterior.coords)
    assert estimate_bytes(frame) >= 16 * coords
    assert estimate_bytes(np.zeros(1000)) >= 8000
    shared = "y" * 50_000
    assert estimate_bytes([shared, shared]) < 2 * sys.getsizeof(shared)


def test_the_upload_store_counts_labels(tmp_path: Path) -> None:
    def analysis(labels: list[str] | None) -> Analysis:
        points = [[52.0 + i / 1e5, 4.3] for i in range(10_000)]
        return Analysis(measures={}, points=points, labels=labels, layers={}, bounds=[])

    plain, named = analysis(None), analysis([f"Entreprise {i} " * 8 for i in range(10_000)])
    store = AnalysisStore(tmp_path / "a.sqlite3", max_bytes=10 * 1024 * 1024)
    store.put(plain)
    store.put(named)
    assert named.size - plain.size >= sum(len(s) for s in named.labels or [])
    assert store.total_bytes == plain.size + named.size


def test_the_app_cache_respects_cache_max_bytes() -> None:
    limit = 600_000
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "CACHE_MAX_BYTES": limit})
    client = app.test_client()
    for path in ("/clusters/delft", "/clusters/genopole", "/api/clusters/delft/density"):
        assert client.get(path).status_code == 200
    cache = app.extensions[CACHE_KEY]
    assert 0 < cache.total_bytes <= limit


def test_expired_uploads_are_freed_without_another_request(tmp_path: Path) -> None:
    config = {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)}
    app = create_app({**config, "ANALYSIS_TTL_SECONDS": 0.3})
    rows = "".join(f"{52 + i / 1000};{4.35 + (i * 7 % 11) / 1000}\n" for i in range(30))
    response = app.test_client().post(
        "/api/analyze", data="lat;lon\n" + rows, content_type="text/csv"
    )
    assert response.status_code == 201
    store = app.extensions[STORE_KEY]
    assert store.total_bytes > 0
    deadline = time.monotonic() + 20
    while store.total_bytes:  # total_bytes itself expires nothing: only the sweeper does
        assert time.monotonic() < deadline, "the expired upload was never freed"
        time.sleep(0.05)
