"""``python -m webmap serve``: uploaded analyses survive a restart, and ``--workers N``
processes share the port and the analyses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers import CSV, DATA, ROOT, free_port, served

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
    assert "a server process stopped (exit status 1)" in proc.stderr
    assert f"registry folder {tmp_path / 'missing'} does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
