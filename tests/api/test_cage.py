"""The upload cage: a child past its memory, CPU or wall-clock limit is killed and named; it
has no network and only the GDAL drivers uploads need; its failures reach the parent."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from geo._gdal import PROCESS_DRIVERS
from webmap.api.cage import Cage, CageCrashError, CageLimits
from webmap.error_table import (
    CageSignalError,
    CpuLimitError,
    MemoryLimitError,
    TimeLimitError,
    answer_for,
)

MIB = 1024 * 1024
LIMITS = CageLimits(memory_bytes=1024 * MIB, cpu_seconds=30, wall_seconds=60)


# ---------------------------------------------------------------- run in the child


def address_space() -> int:
    """Bytes of address space the child maps before it does anything."""
    with Path("/proc/self/status").open() as status:
        line = next(row for row in status if row.startswith("VmSize:"))
    return int(line.split()[1]) * 1024


def allocate(n_bytes: int) -> int:
    """Touch ``n_bytes`` of memory."""
    block = bytearray(n_bytes)
    return len(block)


def exhaust_then_fail() -> None:
    """Fill the address space, then fail as a library that wraps the MemoryError does."""
    blocks = []
    try:
        while True:
            blocks.append(bytearray(32 * MIB))
    except MemoryError:
        raise ValueError("Unknown error: Wrapping a MemoryError") from None


def one_huge_allocation_wrapped() -> None:
    """Fail one allocation far beyond the limit (the address space never comes near it),
    then report it as GEOS does: a C++ ``std::bad_alloc`` in the library's own exception."""
    try:
        bytearray(8 * 1024 * MIB)
    except MemoryError:
        raise RuntimeError("std::bad_alloc") from None


def spin() -> None:
    """Burn CPU forever."""
    n = 0
    while True:
        n += 1


def sleep_forever() -> None:
    threading.Event().wait()


def connect(port: int) -> list[str]:
    """Try to reach a loopback listener through Python's socket module and, beneath it,
    the C socket type; what each attempt met."""
    import _socket

    met = []
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        met.append("connected")
    except OSError as exc:
        met.append(type(exc).__name__)
    raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    raw.settimeout(2)
    try:
        raw.connect(("127.0.0.1", port))
        met.append("connected")
    except OSError as exc:
        met.append(type(exc).__name__)
    finally:
        raw.close()
    return met


def drivers() -> list[str]:
    import pyogrio

    return sorted(pyogrio.list_drivers())


def fail() -> None:
    raise ValueError("a bug in the caged function")


def segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def child_ids() -> tuple[int, int]:
    return os.getpid(), os.getppid()


def cores_seen() -> tuple[int | None, int, list[str]]:
    """The CPUs the child counts, geo's kernel threads, and the threads running."""
    import geo._threads

    return os.cpu_count(), geo._threads.THREADS, [t.name for t in threading.enumerate()]


# ---------------------------------------------------------------------- the tests


def test_the_result_comes_back_from_a_fresh_child() -> None:
    cage = Cage(LIMITS)
    first, second = cage.run(child_ids), cage.run(child_ids)
    assert first[0] != second[0] != os.getpid()  # one child each
    assert first[1] == second[1]  # both forked by the one forkserver
    assert cage.run(allocate, 10 * MIB) == 10 * MIB


def test_a_memory_bomb_is_stopped_at_the_address_space_limit() -> None:
    cage = Cage(LIMITS)
    with pytest.raises(MemoryLimitError) as caught:
        cage.run(allocate, 2048 * MIB)
    assert "1024 MB" in str(caught.value) and "UPLOAD_MEMORY_BYTES" in str(caught.value)
    assert answer_for(caught.value).status == 413
    assert cage.run(allocate, MIB) == MIB  # the next child starts afresh


def test_a_failure_at_the_memory_limit_counts_as_the_memory_limit() -> None:
    with pytest.raises(MemoryLimitError):
        Cage(LIMITS).run(exhaust_then_fail)


def test_a_wrapped_failed_allocation_far_below_the_limit_counts_as_the_memory_limit() -> None:
    with pytest.raises(MemoryLimitError):
        Cage(LIMITS).run(one_huge_allocation_wrapped)


def test_a_cpu_overrun_is_killed_at_the_cpu_limit() -> None:
    cage = Cage(CageLimits(memory_bytes=1024 * MIB, cpu_seconds=1, wall_seconds=60))
    with pytest.raises(CpuLimitError) as caught:
        cage.run(spin)
    assert "UPLOAD_CPU_SECONDS" in str(caught.value)
    assert answer_for(caught.value).status == 422


def test_a_child_past_the_wall_clock_is_killed() -> None:
    import multiprocessing

    cage = Cage(CageLimits(memory_bytes=1024 * MIB, cpu_seconds=30, wall_seconds=1))
    with pytest.raises(TimeLimitError) as caught:
        cage.run(sleep_forever)
    assert "UPLOAD_WALL_SECONDS" in str(caught.value)
    assert answer_for(caught.value).status == 504
    assert not [p for p in multiprocessing.active_children() if p.name == "clustermap-cage"]


def test_the_child_cannot_open_a_tcp_connection_to_a_loopback_listener() -> None:
    accepted: list[Any] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        met = Cage(LIMITS).run(connect, port)
        with contextlib.suppress(TimeoutError):
            accepted.append(server.accept())
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the listener itself is reachable from the parent
    assert met == ["PermissionError", "OSError"]  # refused by Python, then by the kernel
    assert not accepted


def test_the_child_has_only_the_gdal_drivers_uploads_need() -> None:
    found = Cage(LIMITS).run(drivers)
    assert {"GPKG", "ESRI Shapefile", "FlatGeobuf"} <= set(found)
    assert not {"GDALG", "OGR_VRT", "HTTP", "CSV", "WFS", "OAPIF", "SQLite"} & set(found)
    assert len(found) <= len(PROCESS_DRIVERS)  # of some 60 in the build


def test_the_child_counts_one_core_and_geo_starts_no_kernel_thread() -> None:
    cpus, threads, running = Cage(LIMITS).run(cores_seen)
    assert cpus == 1 and threads == 1
    assert running == ["MainThread"]


def test_an_exception_in_the_child_is_raised_with_its_traceback() -> None:
    with pytest.raises(CageCrashError, match="a bug in the caged function"):
        Cage(LIMITS).run(fail)


def test_a_child_killed_by_another_signal_is_named() -> None:
    with pytest.raises(CageSignalError, match="SIGSEGV") as caught:
        Cage(LIMITS).run(segfault)
    assert answer_for(caught.value).status == 422
