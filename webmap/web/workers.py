"""Several server processes on one listening socket (``clustermap serve --workers N``),
supervised.

The parent binds the socket, then forks the workers; each builds its own app (the factory
runs once per process, after the fork) and serves the inherited socket, the kernel handing
each new connection to one of them. The parent keeps the socket and supervises:

* a worker that dies (a crash, the kernel's OOM killer, ``kill -9``) is replaced after a
  back-off (a quarter of a second, doubling up to 5 s while deaths keep coming); more than
  :attr:`RestartPolicy.max_restarts` deaths within :attr:`RestartPolicy.window_s` stop the
  server with a message saying so (a worker that dies at once, forever, is a fault to
  fix, not to hide);
* a worker that cannot start (an expected failure such as a bad registry: it exits with
  :data:`EXIT_CANNOT_START`) stops the server at once: the others would fail alike;
* SIGTERM or SIGINT stop every worker, then the parent;
* workers die with their parent: each asks the kernel for SIGTERM when its parent dies
  (``PR_SET_PDEATHSIG``, Linux) and also watches its parent's id, so a ``kill -9`` of the
  parent frees the port within a second or so and a new server can bind it. A service
  manager should still stop the whole process group (systemd's default
  ``KillMode=control-group`` does).

POSIX only.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from geo.errors import ClustermapError

__all__ = ["EXIT_CANNOT_START", "Outcome", "RestartPolicy", "listen", "run_workers"]

#: A worker's exit status when it cannot start (``EX_CONFIG`` of sysexits.h): not restarted.
EXIT_CANNOT_START = 78
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_INTERVAL_S = 0.5


@dataclass(frozen=True)
class RestartPolicy:
    """How dead workers are replaced.

    Attributes
    ----------
    max_restarts
        Deaths within ``window_s`` that are still replaced; one more stops the server.
    window_s
        The window, in seconds.
    first_delay_s
        The wait before replacing a worker after a first death; it doubles with each death
        within the window, up to ``max_delay_s``.
    max_delay_s
        The longest wait, in seconds.
    """

    max_restarts: int = 5
    window_s: float = 60.0
    first_delay_s: float = 0.25
    max_delay_s: float = 5.0

    def delay_s(self, deaths: int) -> float:
        """The wait before replacing a worker, after ``deaths`` deaths within the window."""
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** max(0, deaths - 1)))


@dataclass(frozen=True)
class Outcome:
    """How the workers stopped: ``status`` 0 when asked to (a signal), else 1 with the
    ``reason``."""

    status: int
    reason: str


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (IPv6 when ``host`` is an IPv6 address).

    Raises
    ------
    OSError
        When the address is taken or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def _die_with_parent(parent: int) -> None:
    """SIGTERM to this process when ``parent`` dies: the kernel's ``PR_SET_PDEATHSIG``
    where there is one, and a thread that checks the parent's id every half second."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the thread alone
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_INTERVAL_S)
        os.kill(os.getpid(), signal.SIGTERM)

    if os.getppid() != parent:  # it died before the kernel was told
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="clustermap-parent-watch", daemon=True).start()


def _child(serve: Callable[[socket.socket], None], sock: socket.socket, parent: int) -> None:
    """Run ``serve`` in a forked worker and leave the process with its outcome."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    try:
        _die_with_parent(parent)
        serve(sock)
    except KeyboardInterrupt:
        pass
    except ClustermapError as exc:  # an expected failure (a bad registry): one line
        print(f"error: worker {os.getpid()}: {exc}", file=sys.stderr)
        code = EXIT_CANNOT_START
    except BaseException:  # a bug: reported here, the worker leaves without unwinding
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _describe(code: int) -> str:
    """An exit code of :func:`os.waitstatus_to_exitcode` in words."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"


def run_workers(
    serve: Callable[[socket.socket], None],
    sock: socket.socket,
    workers: int,
    *,
    policy: RestartPolicy | None = None,
) -> Outcome:
    """Fork ``workers`` processes running ``serve(sock)``, replace those that die, and
    return when stopped.

    Parameters
    ----------
    serve
        Builds the app and serves ``sock`` until stopped (called in each worker).
    sock
        The listening socket, shared by the workers (closed on return).
    workers
        How many processes.
    policy
        How dead workers are replaced (default :class:`RestartPolicy`).

    Returns
    -------
    Outcome
        Status 0 when stopped by SIGTERM or SIGINT; 1 when a worker could not start or
        workers died more often than ``policy`` allows.
    """
    policy = policy or RestartPolicy()
    parent = os.getpid()
    pids: set[int] = set()
    deaths: collections.deque[float] = collections.deque()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(pids):
            _kill(pid)

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            _child(serve, sock, parent)
        pids.add(pid)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    outcome = Outcome(0, "stopped")
    try:
        for _ in range(workers):
            if not stopping:  # a signal may come while forking
                start()
        while pids and not stopping:
            pid, status = os.wait()
            pids.discard(pid)
            if stopping:
                break
            code = os.waitstatus_to_exitcode(status)
            verdict = _verdict(code, deaths, policy)
            if verdict is not None:
                outcome = verdict
                break
            delay = policy.delay_s(len(deaths))
            print(
                f"clustermap: server process {pid} died ({_describe(code)}); "
                f"a new one starts in {delay:g} s",
                file=sys.stderr,
                flush=True,
            )
            _pause(delay, lambda: stopping)
            if not stopping:
                start()
        for pid in pids:
            _kill(pid)
        _reap()
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return outcome


def _verdict(code: int, deaths: collections.deque[float], policy: RestartPolicy) -> Outcome | None:
    """Whether a worker that left with ``code`` is replaced (None) or stops the server (the
    outcome), counting its death in ``deaths`` (the times of those within the window)."""
    if code == EXIT_CANNOT_START:
        return Outcome(1, f"a server process could not start ({_describe(code)})")
    now = time.monotonic()
    deaths.append(now)
    while deaths[0] < now - policy.window_s:
        deaths.popleft()
    if len(deaths) > policy.max_restarts:
        return Outcome(
            1,
            f"server processes died {len(deaths)} times in {policy.window_s:g} s "
            f"(the last: {_describe(code)}): stopping",
        )
    return None


def _pause(seconds: float, stopped: Callable[[], bool]) -> None:
    """Sleep ``seconds``, in short steps, unless ``stopped()`` turns true."""
    deadline = time.monotonic() + seconds
    while not stopped() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(0.05, left))


def _reap() -> None:
    """Wait for every child to exit."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def _kill(pid: int) -> None:
    """SIGTERM to a worker that may already be gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
