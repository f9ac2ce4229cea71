"""A bounded pool for heavy computations, apart from the threads that serve requests.

Density layers, isochrones, measures, uploads and the first rendering of a page take from
a tenth of a second to many seconds. Run in waitress's request threads, a few of them
would take every thread and leave cached pages and ``/healthz`` waiting. Instead they run
in a :class:`WorkPool` of ``WORK_SLOTS`` threads (default: the number of CPU cores):

* a computation arriving when every slot is taken waits in a short queue: at most
  ``WORK_QUEUE`` computations (default: four per slot) wait, each at most
  ``WORK_QUEUE_SECONDS`` for a slot. Beyond either bound it is refused with
  :class:`BusyError` (``503`` with ``Retry-After``), so a burst of honest requests is
  served and a flood is not;
* the request waits at most ``WORK_TIMEOUT_SECONDS`` for its result, then answers
  :class:`ComputationTimeoutError` (``504``). A computation in a thread cannot be stopped:
  it finishes in the background (its result still fills the cache) and keeps its slot
  until then, so the bound holds. Uploads are read in a child process instead
  (:mod:`webmap.api.cage`), killed at its own limits, so their slot is freed at once;
* a computation started from inside the pool (a page rendering that needs map data) runs
  inline, in the slot it already holds.

Cached answers never go through the pool: only the computation (and storing) of a missing
cache entry does (``cache.get_or_compute(key, compute, run=heavy)``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from flask import Flask, copy_current_request_context, current_app, has_request_context
from werkzeug.exceptions import GatewayTimeout, ServiceUnavailable

__all__ = [
    "POOL_KEY",
    "QUEUE_PER_SLOT",
    "RETRY_AFTER_SECONDS",
    "BusyError",
    "ComputationTimeoutError",
    "WorkPool",
    "get_pool",
    "heavy",
    "init_app",
]

POOL_KEY = "clustermap.workpool"
RETRY_AFTER_SECONDS = 5
#: Computations that may wait per slot when ``WORK_QUEUE`` is not set.
QUEUE_PER_SLOT = 4

T = TypeVar("T")


class BusyError(ServiceUnavailable):
    """Every computing slot is taken: ``503`` with ``Retry-After``."""

    description = "The server is busy computing; retry in a few seconds."

    def __init__(self) -> None:
        super().__init__(retry_after=RETRY_AFTER_SECONDS)


class ComputationTimeoutError(GatewayTimeout):
    """A computation took longer than ``WORK_TIMEOUT_SECONDS``: ``504``."""

    description = "The computation took too long; it may be cached if you retry later."


class WorkPool:
    """``slots`` worker threads behind a short queue; a computation is refused when the
    queue is full or its wait is over.

    Parameters
    ----------
    slots
        How many computations run at once.
    timeout_s
        How long a caller waits for a result.
    queue
        How many computations may wait for a slot at once (``0``: none wait).
    queue_s
        How long a computation waits for a slot.
    """

    def __init__(self, slots: int, timeout_s: float, *, queue: int = 0, queue_s: float = 0) -> None:
        self.slots = max(1, int(slots))
        self.timeout_s = float(timeout_s)
        self.queue = max(0, int(queue))
        self.queue_s = float(queue_s)
        self._waiting = 0
        self._lock = threading.Lock()
        self._free = threading.BoundedSemaphore(self.slots)
        self._local = threading.local()
        self._executor = ThreadPoolExecutor(
            max_workers=self.slots,
            thread_name_prefix="clustermap-work",
            initializer=self._mark_worker,
        )

    def _mark_worker(self) -> None:
        self._local.worker = True

    def _take_slot(self) -> None:
        """Take a free slot, waiting in the queue for one if there is room; else
        :class:`BusyError`."""
        if self._free.acquire(blocking=False):
            return
        with self._lock:
            if self._waiting >= self.queue:
                raise BusyError()
            self._waiting += 1
        try:
            if not self._free.acquire(timeout=self.queue_s):
                raise BusyError()
        finally:
            with self._lock:
                self._waiting -= 1

    def run(self, func: Callable[[], T], *, timeout_s: float | None = None) -> T:
        """Run ``func`` in a free slot and return its result.

        ``timeout_s`` replaces the pool's wait for the result (for work that bounds its own
        time, as the upload cage does).

        Raises
        ------
        BusyError
            When every slot is taken and the queue is full, or no slot freed in time.
        ComputationTimeoutError
            When the result is not ready within ``timeout_s``.
        """
        if getattr(self._local, "worker", False):
            return func()
        self._take_slot()
        try:
            future: Future[T] = self._executor.submit(func)
        except BaseException:
            self._free.release()
            raise
        future.add_done_callback(lambda _done: self._free.release())
        try:
            return future.result(timeout=self.timeout_s if timeout_s is None else timeout_s)
        except FutureTimeout:
            raise ComputationTimeoutError() from None

    __call__ = run

    def shutdown(self) -> None:
        """Stop the worker threads once their computations end."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def init_app(app: Flask) -> WorkPool:
    """Give ``app`` its pool: ``WORK_SLOTS`` (default: CPU cores), ``WORK_TIMEOUT_SECONDS``,
    ``WORK_QUEUE`` (default: four per slot) and ``WORK_QUEUE_SECONDS``."""
    slots = int(app.config.get("WORK_SLOTS") or os.cpu_count() or 1)
    queue = app.config.get("WORK_QUEUE")
    pool = WorkPool(
        slots,
        float(app.config["WORK_TIMEOUT_SECONDS"]),
        queue=QUEUE_PER_SLOT * slots if queue is None else int(queue),
        queue_s=float(app.config.get("WORK_QUEUE_SECONDS", 10)),
    )
    app.extensions[POOL_KEY] = pool
    return pool


def get_pool() -> WorkPool:
    """The current app's pool."""
    pool: WorkPool = current_app.extensions[POOL_KEY]
    return pool


def heavy(func: Callable[[], T]) -> T:
    """Run ``func`` in the current app's pool, inside a copy of the request's context (so
    it may read ``request``, ``current_app`` and render templates)."""
    if has_request_context():
        func = copy_current_request_context(func)
    return get_pool().run(func)
