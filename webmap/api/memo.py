"""Memory for computed answers: a bounded least-recently-used cache, and how a computation
is run (inline here; in the server's work pool, :func:`webmap.web.workpool.heavy`).

Framework-free, so the API functions can take a cache and a runner as arguments.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from webmap.api.sizing import estimate_bytes

DEFAULT_ENTRIES = 512
DEFAULT_MAX_BYTES = 256 * 1024 * 1024

T = TypeVar("T")


class Runner(Protocol):
    """Something that runs a computation and returns its result (a pool, or inline)."""

    def __call__(self, func: Callable[[], T]) -> T:
        """Run ``func`` and return what it returns."""
        ...


def day_key(as_of: str | None, *, today: datetime.date | None = None) -> str | None:
    """The part of a cache key for the day a view's sites are those of: ``None`` with
    ``as_of`` (the key holds the date already), else ``today``'s ISO date (default the
    current date). "Today" shows the sites open on the current date
    (:func:`geo.registry.site_states`), so an answer cached before a site's ``valid_to``
    must not be served after it by a server that runs across that date."""
    if as_of is not None:
        return None
    return (today or datetime.date.today()).isoformat()


def run_inline(func: Callable[[], T]) -> T:
    """Run ``func`` in the calling thread (the :class:`Runner` of tests and the CLI)."""
    return func()


class LruCache:
    """A thread-safe least-recently-used mapping with at most ``max_entries`` items holding
    at most ``max_bytes`` (estimated); a value larger than ``max_bytes`` is not kept."""

    def __init__(
        self, max_entries: int = DEFAULT_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.max_entries = max(1, int(max_entries))
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        """The value stored under ``key`` (marked as recently used), or None."""
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key][0]

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value``, evicting the least recently used items beyond the bounds."""
        size = estimate_bytes(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    @property
    def total_bytes(self) -> int:
        """The estimated size of everything kept."""
        with self._lock:
            return self._bytes

    def get_or_compute(
        self, key: Hashable, compute: Callable[[], T], *, run: Runner = run_inline
    ) -> T:
        """The cached value of ``key``, computing and storing it on a miss.

        ``run`` runs the computation and the storing (the app's work pool,
        :func:`webmap.web.workpool.heavy`; a result that comes too late for its request is
        still stored). Two threads missing at once may both compute; the result is the same.
        """
        found = self.get(key)
        if found is not None:
            return found

        def compute_and_store() -> T:
            value = compute()
            self.put(key, value)
            return value

        return run(compute_and_store)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)
