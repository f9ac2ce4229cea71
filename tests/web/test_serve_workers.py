"""``python -m webmap serve``: uploaded analyses survive a restart, and ``--workers N``
processes share the port and the analyses, are replaced when they die (within limits), and
die with their parent."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.helpers import CSV, DATA, ROOT, free_port, served
from webmap.web.workers import listen

WORKER_HEADER = {"CLUSTERMAP_TESTING": "true", "CLUSTERMAP_TEST_WORKER_HEADER": "true"}


def _upload(url: str) -> dict[str, str]:
    request = urllib.request.Request(
        f"{url}/api/analyze", data=CSV, headers={"Content-Type": "text/csv"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        body: dict[str, str] = json.loads(response.read())
        return body


def _get(url: str) -> tuple[int, str | None, bytes]:
    """Status, answering worker and body of ``url`` (on a new connection)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers.get("X-Clustermap-Worker"), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("X-Clustermap-Worker"), exc.read()


def test_an_analysis_survives_a_restart(tmp_path: Path) -> None:
    args = ("--data", str(DATA), "--cache-dir", str(tmp_path))
    with served(*args) as url:
        body = _upload(url)
    with served(*args) as url:
        status, _, measures = _get(f"{url}/api/analyses/{body['token']}")
        assert status == 200
        assert json.loads(measures)["density"] == body["density"]
        status, _, page = _get(f"{url}/analyses/{body['token']}")
        assert status == 200 and b"clustermap.pointLayer(" in page
        assert _get(f"{url}/api/analyses/{'A' * 24}")[0] == 404


def test_workers_share_the_port_and_the_analyses(tmp_path: Path) -> None:
    args = ("--data", str(DATA), "--cache-dir", str(tmp_path), "--workers", "2")
    with served(*args, env=WORKER_HEADER) as url:
        tokens = [_upload(url)["token"] for _ in range(4)]
        workers: set[str | None] = set()
        for i in range(200):  # each request on a new connection; stop once both answered
            status, worker, _ = _get(f"{url}/api/analyses/{tokens[i % len(tokens)]}")
            assert status == 200, f"request {i} answered {status}"
            workers.add(worker)
            if len(workers) == 2 and i >= 2 * len(tokens):
                break
        assert len(workers) == 2 and None not in workers
        assert str(os.getpid()) not in workers
    for pid in workers:  # stopping the server stopped its workers
        assert not Path(f"/proc/{pid}").exists()


def test_a_worker_that_cannot_start_stops_the_server(tmp_path: Path) -> None:
    port = str(free_port())
    proc = subprocess.run(
        [sys.executable, "-m", "webmap", "serve", "--port", port, "--workers", "2",
         "--data", str(tmp_path / "missing"), "--cache-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "a server process could not start (exit status 78)" in proc.stderr
    assert f"registry folder {tmp_path / 'missing'} does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


@contextlib.contextmanager
def _supervisor(cache: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``serve --workers 2`` on ``port``, once it answers; its stderr is piped (read it
    after stopping it)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "webmap", "serve", "--port", str(port), "--workers", "2",
         "--data", str(DATA), "--cache-dir", str(cache)],
        cwd=ROOT, env={**os.environ, **WORKER_HEADER},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(lambda: _answers(port) or process.poll() is not None, "the server to start")
        assert process.poll() is None, process.communicate()[1].decode(errors="replace")
        _wait_for(lambda: len(_children(process.pid)) == 2, "two workers")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def _answers(port: int) -> bool:
    try:
        return _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    except OSError:
        return False


def _wait_for(condition: Callable[[], object], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout_s} s for {what}"
        time.sleep(0.1)


def _children(parent: int) -> set[int]:
    """The live (not zombie) processes whose parent is ``parent``, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent and fields[0] != "Z":
                found.add(int(stat.parent.name))
    return found


def _bindable(port: int) -> bool:
    try:
        listen("127.0.0.1", port).close()
    except OSError:
        return False
    return True


def _listeners(port: int) -> str:
    """Who listens on ``port`` (``ss``), to name the holder when the port stays taken."""
    found = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    return found.stdout.strip() or "no listener named by ss"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_worker_is_replaced_and_the_port_still_serves(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with _supervisor(tmp_path, port) as server:
        token = _upload(url)["token"]
        first = _children(server.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: len(_children(server.pid) - {victim}) == 2, "a new worker")
        now = _children(server.pid)
        assert victim not in now and len(now & first) == 1
        answered: set[int] = set()

        def both_answered() -> bool:  # new connections, each served, by both workers
            status, worker, _ = _get(f"{url}/api/analyses/{token}")
            assert status == 200
            answered.add(int(worker or 0))
            return answered == now

        _wait_for(both_answered, "the new worker to answer")
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert f"server process {victim} died (killed by SIGKILL)" in err.decode()
    assert not any(_alive(pid) for pid in now)


def test_killing_the_parent_takes_its_workers_and_frees_the_port(tmp_path: Path) -> None:
    port = free_port()
    with _supervisor(tmp_path, port) as server:
        workers = _children(server.pid)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        _wait_for(lambda: not any(_alive(pid) for pid in workers), "the workers to exit", 10)
    # the port is free: a new server can start (the kernel releases a dead process's
    # listening socket as it reaps it, so allow it a moment)
    deadline = time.monotonic() + 10
    while not _bindable(port):
        assert time.monotonic() < deadline, f"port {port} still taken: {_listeners(port)}"
        time.sleep(0.1)
    with _supervisor(tmp_path, port) as again:
        assert _answers(port) and _children(again.pid).isdisjoint(workers)


_CRASHING = """
import os, sys
from webmap.web.workers import RestartPolicy, listen, run_workers

def serve(sock):
    with open(sys.argv[1], "a") as log:
        log.write(f"{os.getpid()}\\n")
    os._exit(3)

policy = RestartPolicy(max_restarts=3, window_s=600, first_delay_s=0.01, max_delay_s=0.03)
outcome = run_workers(serve, listen("127.0.0.1", 0), 2, policy=policy)
print(outcome.status, outcome.reason)
"""


def test_workers_dying_too_often_stop_the_server_with_a_message(tmp_path: Path) -> None:
    log = tmp_path / "starts.txt"
    proc = subprocess.run(
        [sys.executable, "-c", _CRASHING, str(log)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.stdout.strip() == (
        "1 server processes died 4 times in 600 s (the last: exit status 3): stopping"
    )
    assert len(log.read_text().split()) == 2 + 3  # the first two, then three replacements
    waits = [line.rsplit(" in ", 1)[1] for line in proc.stderr.splitlines() if "starts in" in line]
    assert waits == ["0.01 s", "0.02 s", "0.03 s"]  # doubling, up to the longest wait
