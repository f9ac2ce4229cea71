"""Heavy computations run in a bounded pool behind a short queue: a full pool with a full
queue answers 503 with Retry-After at once, a computation that waited its queue time 503, a
slow computation 504, and cached pages and /healthz keep answering meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import DATA
from webmap import create_app
from webmap.api import measures_api
from webmap.web.workpool import POOL_KEY, BusyError, ComputationTimeoutError, WorkPool

DENSITY = "/api/clusters/delft/density"


CALLS: list[int] = []


@pytest.fixture
def blocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Density layers that signal ``started`` and wait for ``release`` (counted in CALLS)."""
    started, release = threading.Event(), threading.Event()
    real = measures_api.density_layers
    CALLS.clear()

    def slow(*args: Any, **kwargs: Any) -> Any:
        CALLS.append(1)
        started.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(measures_api, "density_layers", slow)
    yield started, release
    release.set()


def test_a_full_pool_refuses_heavy_work_but_health_and_cached_pages_answer(
    blocked: tuple[threading.Event, threading.Event],
) -> None:
    started, release = blocked
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "WORK_SLOTS": 1, "WORK_QUEUE": 0})
    client = app.test_client()
    assert client.get("/clusters/delft").status_code == 200  # cached before the pool fills
    first: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: first.update(response=app.test_client().get(DENSITY)), daemon=True
    )
    worker.start()
    assert started.wait(30)

    busy = client.get(f"{DENSITY}?hex_res=8")
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    assert busy.get_json()["code"] == "ServiceUnavailable"
    page = client.get("/clusters/genopole")  # a cold page also needs the pool
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Retry-After" in page.headers
    assert client.get("/healthz").status_code == 200
    assert client.get("/clusters/delft").status_code == 200  # from the cache
    assert client.get("/clusters/delft?utm=x").status_code == 200

    release.set()
    worker.join(30)
    assert first["response"].status_code == 200
    assert client.get(f"{DENSITY}?hex_res=8").status_code == 200  # the slot is free again


def test_a_computation_over_the_time_limit_answers_504(
    blocked: tuple[threading.Event, threading.Event],
) -> None:
    _, release = blocked
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "WORK_SLOTS": 1,
            "WORK_QUEUE": 0,
            "WORK_TIMEOUT_SECONDS": 0.2,
        }
    )
    client = app.test_client()
    response = client.get(DENSITY)
    assert response.status_code == 504
    assert response.get_json()["code"] == "GatewayTimeout"
    # the computation still holds its slot until it ends, then fills the cache
    assert client.get(f"{DENSITY}?hex_res=8").status_code == 503
    release.set()
    deadline = time.monotonic() + 30
    while client.get(DENSITY).status_code != 200:
        assert time.monotonic() < deadline, "the late result never reached the cache"
        time.sleep(0.05)
    assert len(CALLS) == 1  # answered from the late result, not computed again


def test_the_pool_bounds_runs_and_nests_inline() -> None:
    pool = WorkPool(1, 30)
    gate, inside = threading.Event(), threading.Event()

    def hold() -> str:
        inside.set()
        gate.wait(30)
        return pool.run(lambda: "nested runs in the same slot")

    holder: dict[str, str] = {}
    thread = threading.Thread(target=lambda: holder.update(result=pool.run(hold)))
    thread.start()
    assert inside.wait(30)
    with pytest.raises(BusyError):
        pool.run(lambda: "refused")
    gate.set()
    thread.join(30)
    assert holder["result"] == "nested runs in the same slot"
    assert pool.run(lambda: 42) == 42
    slow = WorkPool(1, 0.05)
    done = threading.Event()
    with pytest.raises(ComputationTimeoutError):
        slow.run(lambda: done.wait(30))
    done.set()
    pool.shutdown()
    slow.shutdown()


def _hold(pool: WorkPool) -> tuple[threading.Thread, threading.Event, dict[str, Any]]:
    """A computation holding one of ``pool``'s slots until the returned event is set."""
    gate, inside = threading.Event(), threading.Event()
    result: dict[str, Any] = {}

    def hold() -> str:
        inside.set()
        gate.wait(30)
        return "held"

    thread = threading.Thread(target=lambda: result.update(value=pool.run(hold)))
    thread.start()
    assert inside.wait(30)
    return thread, gate, result


def test_a_computation_waits_in_the_queue_for_a_slot_and_a_full_queue_refuses() -> None:
    pool = WorkPool(1, 30, queue=1, queue_s=30)
    holder, gate, held = _hold(pool)
    waited: dict[str, Any] = {}
    waiter = threading.Thread(target=lambda: waited.update(value=pool.run(lambda: "queued")))
    waiter.start()
    deadline = time.monotonic() + 30
    while pool._waiting != 1:  # the second computation is in the queue
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(BusyError):  # the queue holds one: a third is refused at once
        pool.run(lambda: "refused")
    gate.set()
    holder.join(30)
    waiter.join(30)
    assert held["value"] == "held"
    assert waited["value"] == "queued"
    pool.shutdown()


def test_a_queued_computation_is_refused_once_its_wait_is_over() -> None:
    pool = WorkPool(1, 30, queue=4, queue_s=0.1)
    holder, gate, _ = _hold(pool)
    with pytest.raises(BusyError):
        pool.run(lambda: "never")
    assert pool._waiting == 0
    gate.set()
    holder.join(30)
    assert pool.run(lambda: 7) == 7
    pool.shutdown()


def test_the_queue_defaults_to_four_per_slot_and_follows_the_settings() -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "WORK_SLOTS": 3})
    pool = app.extensions[POOL_KEY]
    assert (pool.queue, pool.queue_s) == (12, 10.0)
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "WORK_QUEUE": 5, "WORK_QUEUE_SECONDS": 2.5}
    )
    pool = app.extensions[POOL_KEY]
    assert (pool.queue, pool.queue_s) == (5, 2.5)
