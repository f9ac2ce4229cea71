"""A bounded pool for heavy computations, apart from the threads that serve requests.

Density layers, isochrones, measures, uploads and the first rendering of a page take from
a tenth of a second to many seconds. Run in waitress's request threads, a few of them
would take every thread and leave cached pages and ``/healthz`` waiting. Instead they run
in a :class:`WorkPool` of ``WORK_SLOTS`` threads (default: the number of CPU cores):

* a computation arriving when every slot is taken is refused at once with
  :class:`BusyError` (``503`` with ``Retry-After``), never queued;
* the request waits at most ``WORK_TIMEOUT_SECONDS`` for its result, then answers
  :class:`ComputationTimeoutError` (``504``). The computation itself cannot be stopped: it
  finishes in the background (its result still fills the cache) and keeps its slot until
  then, so the bound holds;
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
    """``slots`` worker threads; a computation is refused when all of them are busy.

    Parameters
    ----------
    slots
        How many computations run at once.
    timeout_s
        How long a caller waits for a result.
    """

    def __init__(self, slots: int, timeout_s: float) -> None:
        self.slots = max(1, int(slots))
        self.timeout_s = float(timeout_s)
        self._free = threading.BoundedSemaphore(self.slots)
        self._local = threading.local()
        self._executor = ThreadPoolExecutor(
            max_workers=self.slots,
            thread_name_prefix="clustermap-work",
            initializer=self._mark_worker,
        )

    def _mark_worker(self) -> None:
        self._local.worker = True

    def run(self, func: Callable[[], T]) -> T:
        """Run ``func`` in a free slot and return its result.

        Raises
        ------
        BusyError
            When every slot is taken.
        ComputationTimeoutError
            When the result is not ready within ``timeout_s``.
        """
        if getattr(self._local, "worker", False):
            return func()
        if not self._free.acquire(blocking=False):
            raise BusyError()
        try:
            future: Future[T] = self._executor.submit(func)
        except BaseException:
            self._free.release()
            raise
        future.add_done_callback(lambda _done: self._free.release())
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            raise ComputationTimeoutError() from None

    __call__ = run

    def shutdown(self) -> None:
        """Stop the worker threads once their computations end."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def init_app(app: Flask) -> WorkPool:
    """Give ``app`` its pool: ``WORK_SLOTS`` (default: CPU cores) and
    ``WORK_TIMEOUT_SECONDS``."""
    slots = app.config.get("WORK_SLOTS") or os.cpu_count() or 1
    pool = WorkPool(int(slots), float(app.config["WORK_TIMEOUT_SECONDS"]))
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
