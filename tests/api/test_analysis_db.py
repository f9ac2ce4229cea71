"""The on-disk store of uploaded analyses: shared by app instances on one cache folder,
bounded by age and by the bytes it stores, and recovering from a corrupt file."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CSV, DATA, without_nonce
from webmap import create_app
from webmap.api.analysis_db import (
    DATABASE_NAME,
    ORPHAN_SECONDS,
    Analysis,
    AnalysisStore,
    AnalysisStoreError,
)


class Clock:
    """A settable wall clock."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _analysis(n: int = 100, name: str = "x") -> Analysis:
    points = [[0.5, float(i)] for i in range(n)]
    return Analysis(
        measures={"name": name, "n": n, "nan": None},
        points=points,
        labels=[f"{name}{i}" for i in range(n)],
        layers={"kde_contours": {"type": "FeatureCollection", "features": []}},
        bounds=[[0.5, 0.0], [0.5, float(n - 1)]],
    )


def _app(cache: Path, **config: Any) -> Any:
    return create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(cache), **config}
    )


def _same_ids(html: bytes) -> bytes:
    """``html`` with Folium's random element ids (one per drawing) made equal."""
    return re.sub(rb"_[0-9a-f]{32}(?![0-9a-f])", b"_ID", html)


def test_an_analysis_stored_by_one_app_is_served_by_another(tmp_path: Path) -> None:
    first, second = _app(tmp_path).test_client(), _app(tmp_path).test_client()
    body = first.post("/api/analyze", data=CSV, content_type="text/csv").get_json()
    measures = second.get(f"/api/analyses/{body['token']}")
    assert measures.status_code == 200
    assert measures.get_json()["density"] == body["density"]
    page = second.get(f"/analyses/{body['token']}")  # each app draws its own page
    assert page.status_code == 200 and b"clustermap.pointLayer(" in page.get_data()
    again = first.get(f"/analyses/{body['token']}")
    assert _same_ids(without_nonce(again)) == _same_ids(without_nonce(page))
    assert (tmp_path / DATABASE_NAME).is_file()
    with sqlite3.connect(tmp_path / DATABASE_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [row[1] for row in db.execute("PRAGMA table_info(analyses)")]
        assert db.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 1
    assert "html" not in columns  # no page of one process is kept for the others


def test_a_stored_analysis_reads_back_equal(tmp_path: Path) -> None:
    store = AnalysisStore(tmp_path / "a.sqlite3")
    original = _analysis()
    token = store.put(original)
    assert token is not None and len(token) >= 24
    found = store.get(token)
    assert found is not None
    assert (found.measures, found.points, found.labels) == (
        original.measures, original.points, original.labels,
    )  # fmt: skip
    assert (found.layers, found.bounds) == (original.layers, original.bounds)
    assert store.measures(token) == original.measures
    assert found.size == original.size == store.total_bytes
    assert token in store and "A" * 24 not in store and "../../etc/passwd" not in store
    assert store.get("../../etc/passwd") is None and store.get("A" * 24) is None
    assert store.measures("A" * 24) is None


def test_analyses_expire_after_the_ttl(tmp_path: Path) -> None:
    clock = Clock()
    store = AnalysisStore(tmp_path / "a.sqlite3", ttl_seconds=60, clock=clock)
    token = str(store.put(_analysis()))
    clock.now += 30
    later = str(store.put(_analysis()))
    assert store.expires_in(token) == pytest.approx(30)
    clock.now += 29
    assert store.get(token) is not None and len(store) == 2
    clock.now += 2
    assert store.get(token) is None and store.get(later) is not None and len(store) == 1
    assert store.measures(token) is None
    before = store.total_bytes
    store.expire()
    assert store.total_bytes == before // 2
    assert store.expires_in(token) is None


def test_the_bytes_stored_stay_under_the_cap_dropping_the_oldest(tmp_path: Path) -> None:
    one = _analysis()
    probe = AnalysisStore(tmp_path / "probe.sqlite3")
    probe.put(one)
    store = AnalysisStore(
        tmp_path / "a.sqlite3", max_bytes=3 * one.size, max_entry_bytes=2 * one.size, clock=Clock()
    )
    tokens = [str(store.put(_analysis())) for _ in range(5)]
    assert store.total_bytes == 3 * one.size
    assert [store.get(t) is not None for t in tokens] == [False, False, True, True, True]
    bigger = _analysis(150)  # between one and two: the two oldest left go
    tokens.append(str(store.put(bigger)))
    assert one.size < bigger.size <= 2 * one.size
    assert [store.get(t) is not None for t in tokens] == [False] * 4 + [True, True]
    assert store.total_bytes == one.size + bigger.size <= 3 * one.size


def test_an_analysis_too_large_for_the_store_is_refused_and_evicts_nothing(
    tmp_path: Path,
) -> None:
    one = _analysis()
    AnalysisStore(tmp_path / "probe.sqlite3").put(one)
    store = AnalysisStore(tmp_path / "a.sqlite3", max_bytes=8 * one.size, clock=Clock())
    assert store.max_entry_bytes == 2 * one.size  # a quarter of the cap
    tokens = [str(store.put(_analysis())) for _ in range(8)]  # the store is full
    assert store.total_bytes == 8 * one.size
    for n in (100_000, 300):  # larger than the cap; larger than a quarter of it
        assert store.put(_analysis(n)) is None
        assert [t in store for t in tokens] == [True] * 8
    assert store.total_bytes == 8 * one.size
    largest = _analysis(180)  # within a quarter: it evicts two, never the store
    assert store.put(largest) is not None and one.size < largest.size <= 2 * one.size
    assert [t in store for t in tokens] == [False, False] + [True] * 6
    assert store.total_bytes == 6 * one.size + largest.size


def test_the_cap_and_ttl_hold_across_instances_on_one_file(tmp_path: Path) -> None:
    clock, path, one = Clock(), tmp_path / "a.sqlite3", _analysis()
    AnalysisStore(tmp_path / "probe.sqlite3").put(one)
    first, second = (
        AnalysisStore(
            path, max_bytes=2 * one.size, max_entry_bytes=one.size, ttl_seconds=60, clock=clock
        )
        for _ in "12"
    )
    a, b, c = (str(store.put(_analysis())) for store in (first, second, first))
    assert first.total_bytes == second.total_bytes == 2 * one.size
    assert [second.get(t) is not None for t in (a, b, c)] == [False, True, True]
    clock.now += 61
    assert first.get(b) is None and second.get(c) is None


@pytest.mark.parametrize(
    "damage", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 8000]
)
def test_a_corrupt_database_is_moved_aside_and_recreated(tmp_path: Path, damage: bytes) -> None:
    (tmp_path / DATABASE_NAME).write_bytes(damage)
    client = _app(tmp_path).test_client()
    body = client.post("/api/analyze", data=CSV, content_type="text/csv").get_json()
    assert client.get(f"/api/analyses/{body['token']}").status_code == 200
    aside = list(tmp_path.glob(f"{DATABASE_NAME}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damage


def test_a_database_corrupted_while_serving_is_recreated(tmp_path: Path) -> None:
    client = _app(tmp_path).test_client()
    body = client.post("/api/analyze", data=CSV, content_type="text/csv").get_json()
    (tmp_path / DATABASE_NAME).write_bytes(b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        (tmp_path / (DATABASE_NAME + suffix)).unlink(missing_ok=True)
    for _ in range(3):  # a 404 every time, never a 500
        assert client.get(f"/api/analyses/{body['token']}").status_code == 404
    again = client.post("/api/analyze", data=CSV, content_type="text/csv").get_json()
    assert client.get(f"/api/analyses/{again['token']}").status_code == 200


def test_a_place_where_no_database_can_live_stops_the_app(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(AnalysisStoreError, match="cannot open the analyses' database"):
        _app(tmp_path / "file")
    (tmp_path / DATABASE_NAME).mkdir()
    with pytest.raises(AnalysisStoreError, match="cannot open the analyses' database"):
        _app(tmp_path)


def test_a_store_of_the_first_version_loses_its_pages_and_keeps_its_analyses(
    tmp_path: Path,
) -> None:
    """Version 1 kept the page drawn by one process (its nonce marker inside): the page
    goes, the analysis stays, its size counting its JSON alone."""
    path, one = tmp_path / "a.sqlite3", _analysis()
    AnalysisStore(tmp_path / "probe.sqlite3").put(one)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute(
            "CREATE TABLE analyses (seq INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE,"
            " created REAL NOT NULL, size INTEGER NOT NULL, measures TEXT NOT NULL,"
            " view TEXT NOT NULL, html BLOB)"
        )
        store = AnalysisStore(tmp_path / "probe2.sqlite3")
        token = str(store.put(one))
        with contextlib.closing(sqlite3.connect(store.path)) as probe:
            row = probe.execute("SELECT * FROM analyses").fetchone()
        page = b"<script nonce='cmnonce0123'>map</script>"
        db.execute(
            "INSERT INTO analyses VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*row[:3], row[3] + len(page), *row[4:6], page),
        )
        db.execute("PRAGMA user_version = 1")
    migrated = AnalysisStore(path, clock=lambda: row[2] + 1)
    found = migrated.get(token)
    assert found is not None and (found.points, found.measures) == (one.points, one.measures)
    assert found.size == one.size == migrated.total_bytes
    with sqlite3.connect(path) as db:
        columns = [c[1] for c in db.execute("PRAGMA table_info(analyses)")]
        assert "html" not in columns and "files" in columns
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3


def _owning(store: AnalysisStore, folder: str) -> Analysis:
    """An analysis owning ``files_dir/folder`` (a spooled upload's tile index)."""
    index = store.files_dir / folder / "points" / "index.arrow"
    index.parent.mkdir(parents=True)
    index.write_bytes(b"tiles")
    owning = _analysis(5)
    owning.files = f"{folder}/points/index.arrow"
    return owning


def test_an_expired_or_dropped_analysis_deletes_the_files_it_owns(tmp_path: Path) -> None:
    clock = Clock()
    one = _analysis(5)
    AnalysisStore(tmp_path / "probe.sqlite3").put(one)  # sets its size
    store = AnalysisStore(
        tmp_path / "a.sqlite3",
        ttl_seconds=60,
        max_bytes=3 * one.size + 3,
        max_entry_bytes=one.size,
        clock=clock,
    )
    first = store.put(_owning(store, "first"))
    assert first is not None
    assert store.files_of(first) == store.files_dir / "first" / "points" / "index.arrow"
    clock.now += 61
    store.put(_owning(store, "second"))
    store.expire()
    assert not (store.files_dir / "first").exists() and store.files_of(first) is None
    assert (store.files_dir / "second").exists()  # younger: kept
    for i in range(3):  # more than the cap holds: the oldest is dropped with its files
        assert store.put(_analysis(5)) is not None, i
    assert not (store.files_dir / "second").exists()


def test_an_old_folder_no_analysis_owns_is_swept(tmp_path: Path) -> None:
    store = AnalysisStore(tmp_path / "a.sqlite3")
    owned = store.put(_owning(store, "owned"))
    orphan, young = store.files_dir / "orphan", store.files_dir / "young"
    orphan.mkdir()
    young.mkdir()
    long_ago = time.time() - 2 * ORPHAN_SECONDS
    os.utime(orphan, (long_ago, long_ago))
    os.utime(store.files_dir / "owned", (long_ago, long_ago))
    store.expire()
    assert not orphan.exists()  # left by an upload that never finished
    assert young.exists()  # may be an upload being measured
    assert owned is not None and store.files_of(owned) is not None
    assert (store.files_dir / "owned").exists()
