"""Kernels split across the machine's cores, in threads of one process.

numpy's loops, pyproj's transforms, h3ronpy, scipy's k-d trees and pyarrow's CSV parser
release the GIL, so a kernel cut into contiguous parts runs on every core without copying
its arrays to other processes. At most :data:`THREADS` threads; arrays shorter than a
kernel's ``min_part`` rows per part are not cut (the threads cost more than they save).
A forked child (the server's workers) makes its own pool: its parent's threads are not in it.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
T = TypeVar("T")

#: Threads of the shared pool: the machine's cores, at most 4.
THREADS = max(1, min(4, os.cpu_count() or 1))
_PREFIX = "geo-kernel"
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """The process's shared pool of :data:`THREADS` threads (made on first use)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(THREADS, thread_name_prefix=_PREFIX)
        return _pool


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads are not there; make a new pool."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def parts(n: int, *, min_part: int) -> list[slice]:
    """``0 .. n`` cut into at most :data:`THREADS` contiguous slices of at least
    ``min_part`` rows (one slice when ``n`` is small)."""
    count = max(1, min(THREADS, n // max(1, min_part)))
    edges = [n * k // count for k in range(count + 1)]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def pool_map(func: Callable[[A], T], items: Sequence[A]) -> list[T]:
    """``[func(item) for item in items]``, the items run in the shared pool (the first in
    the calling thread), in order."""
    if len(items) <= 1 or threading.current_thread().name.startswith(_PREFIX):
        return [func(item) for item in items]  # one item, or called from the pool itself
    futures: list[Future[T]] = [pool().submit(func, item) for item in items[1:]]
    first = func(items[0])
    return [first, *(f.result() for f in futures)]


def map_parts(func: Callable[[slice], T], n: int, *, min_part: int) -> list[T]:
    """``[func(part) for part in parts(n)]``, run as :func:`pool_map` does."""
    return pool_map(func, parts(n, min_part=min_part))
