"""Several server processes on one listening socket (``clustermap serve --workers N``).

The parent binds the socket, then forks the workers; each builds its own app (the factory
runs once per process, after the fork) and serves the inherited socket, the kernel handing
each new connection to one of them. The parent only waits: SIGTERM or SIGINT stop every
worker, and a worker that exits stops the others (the server is down, not half up).
POSIX only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from types import FrameType

from geo._errors import ClustermapError

__all__ = ["listen", "run_workers"]


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (IPv6 when ``host`` is an IPv6 address).

    Raises
    ------
    OSError
        When the address is taken or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=1024)


def _child(serve: Callable[[socket.socket], None], sock: socket.socket) -> None:
    """Run ``serve`` in a forked worker and leave the process with its outcome."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    try:
        serve(sock)
    except KeyboardInterrupt:
        pass
    except ClustermapError as exc:  # an expected failure (a bad registry): one line
        print(f"error: worker {os.getpid()}: {exc}", file=sys.stderr)
        code = 1
    except BaseException:  # a bug: reported here, the worker leaves without unwinding
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run_workers(serve: Callable[[socket.socket], None], sock: socket.socket, workers: int) -> int:
    """Fork ``workers`` processes running ``serve(sock)`` and wait for them.

    Parameters
    ----------
    serve
        Builds the app and serves ``sock`` until stopped (called in each worker).
    sock
        The listening socket, shared by the workers.
    workers
        How many processes.

    Returns
    -------
    int
        0 when stopped by a signal, else the exit status of the first worker that left.
    """
    pids: list[int] = []
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in pids:
            _kill(pid)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                _child(serve, sock)
            pids.append(pid)
        sock.close()
        if stopping:  # a signal came while forking: stop the late ones too
            stop(signal.SIGTERM, None)
        status = os.waitstatus_to_exitcode(os.wait()[1])
        for pid in pids:
            _kill(pid)
        while True:
            try:
                os.wait()
            except ChildProcessError:
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopping else abs(status) or 1


def _kill(pid: int) -> None:
    """SIGTERM to a worker that may already be gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
