"""Untrusted work in a caged child process: memory, CPU and wall-clock limits, no network.

:meth:`Cage.run` calls ``func(*args)`` (a module-level function; arguments and result are
pickled) in a fresh child of a ``multiprocessing`` forkserver and returns its result. The
forkserver is a new interpreter that first sets GDAL's driver allow-list and then imports
the readers and measures (:mod:`webmap.api.cage_preload`), so a child is forked ready to
read, in milliseconds. Before it touches its input the child:

* limits its address space (``RLIMIT_AS``), CPU time (``RLIMIT_CPU``), the bytes it may
  write to a file (``RLIMIT_FSIZE``) and the files it may open (``RLIMIT_NOFILE``), and
  dumps no core;
* leaves the network: it enters a new, empty network namespace where the kernel allows it
  (as root, or through a user namespace), and Python refuses every socket but ``AF_UNIX``;
* dies with the forkserver (``PR_SET_PDEATHSIG``), which dies with the server;
* imports the measure modules its parent registered beyond :mod:`geo.measures`;
* counts one CPU (``os.cpu_count()`` answers 1 from the forkserver's preload on), so
  libraries and geo's kernels compute in its one thread: a thread started with no address
  space left would otherwise hang or abort the child.

The parent waits for the result at most ``wall_seconds``, then kills the child with
``SIGKILL``; a child that hit a limit is dead already. Either way nothing keeps working
after the answer, and the failure is a :class:`webmap.error_table.CageLimitError`: memory
``413``, CPU ``422``, wall clock ``504``, a death by another signal ``422``. A child that
fails with a library's wrapping of a failed allocation (:func:`geo.errors.out_of_memory`),
or fails or stalls after its address space came near the limit, is out of memory. Any
other exception (a bug) is raised again in the parent as :class:`CageCrashError`.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import signal
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from geo.errors import out_of_memory
from geo.measures import load_measures, plugin_modules
from webmap.error_table import (
    CageSignalError,
    CpuLimitError,
    MemoryLimitError,
    TimeLimitError,
)

__all__ = ["PRELOAD", "Cage", "CageCrashError", "CageLimits"]

T = TypeVar("T")

#: The module the forkserver imports before forking any child.
PRELOAD = "webmap.api.cage_preload"
#: A child's exit status after a ``MemoryError``.
EXIT_MEMORY = 75
#: Seconds the parent waits for a child's exit status once its answer came.
_REAP_SECONDS = 5.0
#: Characters of a child's traceback kept in :class:`CageCrashError`.
_TRACEBACK_CHARS = 4000
#: Address space below the limit that counts as reaching it (a failed allocation asked for
#: more than what was left).
_MEMORY_MARGIN = 64 * 1024 * 1024

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1


class CageCrashError(RuntimeError):
    """The caged function raised an unexpected exception (its traceback is the message)."""


@dataclass(frozen=True)
class CageLimits:
    """What a caged child may use.

    Attributes
    ----------
    memory_bytes
        Address space (``RLIMIT_AS``), including the preloaded libraries' mappings.
    cpu_seconds
        CPU time (``RLIMIT_CPU``).
    wall_seconds
        Real time the parent waits before it kills the child.
    file_bytes
        Largest file the child may write (``RLIMIT_FSIZE``).
    open_files
        Files and sockets open at once (``RLIMIT_NOFILE``).
    settings
        The settings of the memory, CPU and wall-clock limits, named by their errors.
    """

    memory_bytes: int
    cpu_seconds: int
    wall_seconds: float
    file_bytes: int = 16 * 1024 * 1024
    open_files: int = 256
    settings: tuple[str, str, str] = (
        "UPLOAD_MEMORY_BYTES",
        "UPLOAD_CPU_SECONDS",
        "UPLOAD_WALL_SECONDS",
    )


class Cage:
    """Runs functions in caged children of one forkserver (started on first use).

    Parameters
    ----------
    limits
        What each child may use.
    """

    def __init__(self, limits: CageLimits) -> None:
        self.limits = limits
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([PRELOAD])

    def start(self) -> None:
        """Start the forkserver now (it takes a second or two) rather than on first use."""
        from multiprocessing import forkserver

        forkserver.ensure_running()

    def run(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in a caged child; its result.

        Raises
        ------
        webmap.error_table.MemoryLimitError, webmap.error_table.CpuLimitError
            The child passed its memory or CPU limit.
        webmap.error_table.TimeLimitError
            No answer within ``wall_seconds``: the child was killed.
        webmap.error_table.CageSignalError
            The child died of another signal.
        CageCrashError
            ``func`` raised an exception.
        """
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=caged,
            args=(send, self.limits, func, args, plugin_modules()),
            name="clustermap-cage",
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            receive.close()
            raise
        finally:
            send.close()  # the child holds its own copy: EOF here once it is gone
        try:
            if not receive.poll(self.limits.wall_seconds):
                stalled = process.pid is not None and near_memory_limit(process.pid, self.limits)
                process.kill()
                if stalled:  # stuck at its memory limit, not merely slow
                    raise MemoryLimitError(
                        self.limits.memory_bytes, setting=self.limits.settings[0]
                    )
                raise TimeLimitError(self.limits.wall_seconds, setting=self.limits.settings[2])
            try:
                kind, value = receive.recv()
            except EOFError:  # the child died without an answer
                kind, value = "died", None
            process.join(_REAP_SECONDS)
        finally:
            if process.exitcode is None:
                process.kill()
                process.join()
            exitcode = process.exitcode
            receive.close()
            process.close()
        if kind == "result":
            result: T = value
            return result
        if kind == "error":
            raise CageCrashError(value)
        raise self._failure(exitcode)

    def _failure(self, code: int | None) -> Exception:
        """The error of a child that died with exit status ``code`` and no answer."""
        if code == EXIT_MEMORY or code == -signal.SIGKILL:
            return MemoryLimitError(self.limits.memory_bytes, setting=self.limits.settings[0])
        if code == -signal.SIGXCPU:
            return CpuLimitError(self.limits.cpu_seconds, setting=self.limits.settings[1])
        if code is not None and code < 0:
            return CageSignalError(signal.Signals(-code).name)
        return CageCrashError(f"the caged process ended with status {code} and no answer")


# ------------------------------------------------------------------------ in the child


def caged(
    send: Connection,
    limits: CageLimits,
    func: Callable[..., Any],
    args: tuple,
    measure_modules: tuple[str, ...] = (),
) -> None:
    """The child's body: limits, no network, the parent's extra measure modules
    (:func:`geo.measures.plugin_modules`: the forkserver may predate them), then
    ``func(*args)``; its result or error is sent to the parent. A ``MemoryError``, or any
    failure once the address space came near its limit, ends the child with
    :data:`EXIT_MEMORY`."""
    _die_with_parent()
    _apply_limits(limits)
    leave_network()
    try:
        load_measures(measure_modules)
        send.send(("result", func(*args)))
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except BaseException as exc:  # any failure is the parent's to answer
        try:  # a library's wrapping of a failed allocation, or one near the limit
            exhausted = out_of_memory(exc) or near_memory_limit(os.getpid(), limits)
        except MemoryError:  # not even /proc can be read: the limit's
            exhausted = True
        if exhausted:
            os._exit(EXIT_MEMORY)
        _report(send)


def near_memory_limit(pid: int, limits: CageLimits) -> bool:
    """Whether process ``pid`` has come within :data:`_MEMORY_MARGIN` of its address-space
    limit: a failure after that is the limit's (libraries wrap a ``MemoryError`` in their
    own exceptions, or start a thread that cannot get its stack)."""
    try:
        with Path(f"/proc/{pid}/status").open() as status:
            line = next((row for row in status if row.startswith("VmPeak:")), "VmPeak: 0 kB")
    except OSError:
        return False
    return int(line.split()[1]) * 1024 >= limits.memory_bytes - _MEMORY_MARGIN


def _report(send: Connection) -> None:
    """Send the current exception's traceback to the parent."""
    try:
        send.send(("error", traceback.format_exc()[-_TRACEBACK_CHARS:]))
    except MemoryError:
        os._exit(EXIT_MEMORY)


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _apply_limits(limits: CageLimits) -> None:
    def cap(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        top = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (top, top))

    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    cap(resource.RLIMIT_AS, limits.memory_bytes)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(limits.cpu_seconds)
    resource.setrlimit(
        resource.RLIMIT_CPU, (soft, soft + 1 if hard == resource.RLIM_INFINITY else hard)
    )


class _LocalSocket(socket.socket):
    """A socket of the ``AF_UNIX`` family only: the cage has no network."""

    def __init__(self, family: int = -1, *args: Any, **kwargs: Any) -> None:
        if family != socket.AF_UNIX:
            raise PermissionError("the upload cage has no network")
        super().__init__(family, *args, **kwargs)


def _refused_connection(*_args: Any, **_kwargs: Any) -> socket.socket:
    raise PermissionError("the upload cage has no network")


def leave_network() -> bool:
    """Cut this process off the network; whether the kernel did it (a new network namespace).

    Python refuses every socket but ``AF_UNIX`` either way. The namespace is tried as root
    (``CLONE_NEWNET``), then through a new user namespace (which needs a process with one
    thread, as a freshly forked child is); where neither is permitted only Python's
    refusal holds.
    """
    socket.socket = _LocalSocket  # type: ignore[misc]
    socket.create_connection = _refused_connection
    libc = _libc()
    return any(
        libc.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET)
    )
