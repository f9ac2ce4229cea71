"""POST /api/analyze reads each upload in a caged child: past a limit the child is killed,
the answer names the limit, the slot is free at once and the server serves on; a burst of
honest uploads waits in the queue instead of being refused."""

from __future__ import annotations

import json
import multiprocessing
import threading
import urllib.request
from typing import Any

import numpy as np

from tests.api.test_cage import address_space
from tests.helpers import CSV, DATA, served
from webmap import create_app
from webmap.api.cage import Cage, CageLimits
from webmap.web.workpool import POOL_KEY

MIB = 1024 * 1024


def _points_csv(n: int) -> bytes:
    """``n`` honest named points around Delft."""
    rng = np.random.default_rng(5)
    lat = 52.0 + rng.normal(0, 0.05, n)
    lon = 4.35 + rng.normal(0, 0.05, n)
    rows = "".join(
        f"site {i};{a:.6f};{b:.6f}\n" for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    )
    return f"name;lat;lon\n{rows}".encode()


def _no_cage_child_left() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "clustermap-cage"]


def test_a_memory_bomb_answers_413_and_the_server_serves_on() -> None:
    baseline = Cage(CageLimits(memory_bytes=4096 * MIB, cpu_seconds=30, wall_seconds=60)).run(
        address_space
    )
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "WORK_SLOTS": 1,
            "WORK_QUEUE": 0,
            "UPLOAD_MEMORY_BYTES": baseline + 48 * MIB,  # no room for 200,000 points
        }
    )
    client = app.test_client()
    response = client.post("/api/analyze", data=_points_csv(200_000), content_type="text/csv")
    assert response.status_code == 413, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "MemoryLimitExceeded"
    assert "UPLOAD_MEMORY_BYTES" in body["description"]
    assert _no_cage_child_left()
    assert client.get("/healthz").status_code == 200
    assert app.extensions[POOL_KEY].run(lambda: "free") == "free"  # the one slot is free


def test_an_upload_past_the_wall_clock_answers_504_and_frees_its_slot() -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "WORK_SLOTS": 1,
            "WORK_QUEUE": 0,
            "UPLOAD_WALL_SECONDS": 1,
        }
    )
    client = app.test_client()
    response = client.post("/api/analyze", data=_points_csv(300_000), content_type="text/csv")
    assert response.status_code == 504, response.get_data(as_text=True)
    assert response.get_json()["code"] == "TimeLimitExceeded"
    assert _no_cage_child_left()  # killed, not working on in the background
    assert app.extensions[POOL_KEY].run(lambda: "free") == "free"


def test_the_next_upload_succeeds_right_after_a_cpu_overrun() -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "WORK_SLOTS": 1,
            "WORK_QUEUE": 0,
            "UPLOAD_CPU_SECONDS": 1,
        }
    )
    client = app.test_client()
    response = client.post("/api/analyze", data=_points_csv(300_000), content_type="text/csv")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "CpuLimitExceeded"
    small = client.post("/api/analyze", data=CSV, content_type="text/csv")
    assert small.status_code == 201, small.get_data(as_text=True)


def _post(url: str, results: list[Any]) -> None:
    request = urllib.request.Request(
        f"{url}/api/analyze", data=CSV, headers={"Content-Type": "text/csv"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            results.append((response.status, json.load(response)["density"]["n_points"]))
    except urllib.error.HTTPError as exc:
        results.append((exc.code, exc.read()[:200]))


def test_a_burst_of_eight_honest_uploads_on_two_slots_all_succeed() -> None:
    with served(env={"CLUSTERMAP_WORK_SLOTS": "2", "CLUSTERMAP_WORK_QUEUE_SECONDS": "60"}) as url:
        _post(url, [])  # the forkserver starts on the first upload
        results: list[Any] = []
        threads = [threading.Thread(target=_post, args=(url, results)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
    assert results == [(201, 30)] * 8


def test_a_zip_that_lies_about_its_sizes_is_refused_in_the_cage_not_a_500() -> None:
    """The cage caps the files a child writes (``RLIMIT_FSIZE``) and a zipped shapefile is
    extracted to disk, counted: a .dbf declaring 40 MB (over the old 16 MB file limit, under
    the decoded-byte cap) whose stream decodes to 80 MB is read up to what it declares and
    refused as a broken zip (400), not ended by the file-size limit's ``EFBIG`` (a 500 in the
    issue-18 attack run)."""
    from scripts.hostile_files import zip_lying_sizes

    app = create_app({"TESTING": True, "DATA_DIR": str(DATA)})
    client = app.test_client()
    bomb = zip_lying_sizes(declared=40 * MIB, real=80 * MIB)
    response = client.post(
        "/api/analyze", data=bomb, content_type="application/zip", query_string={"format": "csv"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "not a readable zip" in response.get_json()["description"]
    assert _no_cage_child_left()
