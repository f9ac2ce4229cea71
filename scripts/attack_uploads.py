"""Post each hostile upload of issue 18 to a running ``clustermap serve`` and measure it.

python scripts/attack_uploads.py http://127.0.0.1:8000 --pid 12345 [--scale 0.1] [--only gdalg]

The files are made in memory by :mod:`scripts.hostile_files`
(never committed), at the issue's sizes times ``--scale``. For each attack the script
prints its HTTP status(es), its seconds, the peak memory of the server's process tree
(``--pid`` and every descendant, sampled from ``/proc`` every 0.1 s: the sum of RSS, which
counts pages shared after a fork once per process, and the sum of PSS, which shares them
out) and the slowest ``/healthz`` answer meanwhile (another request must be served). The
burst attack posts 8 honest uploads at once and lists every status.

Every request has a time limit (``--timeout``), and the attacks stop once ``--budget``
seconds are spent. Exits 1 if an attack answered 5xx other than a limit's ``504``, took
longer than 60 s, or the GDALG file's secret came back.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024
SECRET = "clustermap-attack-secret"


@dataclass(frozen=True)
class Upload:
    """One request: the body, how it is sent, and its query."""

    data: bytes
    filename: str | None = None
    content_type: str = "text/csv"
    query: str = ""


@dataclass
class Outcome:
    """What one attack met."""

    statuses: list[int] = field(default_factory=list)
    seconds: float = 0.0
    leaked: bool = False
    codes: list[str] = field(default_factory=list)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo and len(found) < 10_000:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _kb(path: str, key: str) -> int:
    try:
        with Path(path).open() as text:
            for line in text:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """Peak RSS and PSS sums (MB) of a process tree, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = 0.0
        self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            pids = _tree(self.pid)
            rss = sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids) / 1024
            pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) / 1024
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


class Prober:
    """``GET /healthz`` every half second in a thread: the slowest answer (s)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.slowest = 0.0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            start = time.monotonic()
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=30) as answer:
                    answer.read()
            except OSError:
                self.failed += 1
            self.slowest = max(self.slowest, time.monotonic() - start)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(35)


def post(base: str, upload: Upload, *, timeout: float) -> tuple[int, bytes]:
    """POST ``upload`` to ``/api/analyze``: (status, body); status 0 if no answer came."""
    body, content_type = upload.data, upload.content_type
    if upload.filename is not None:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{upload.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + upload.data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        content_type = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(
        f"{base}/api/analyze{upload.query}",
        data=body,
        headers={"Content-Type": content_type},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:
        return 0, str(exc).encode()


def _code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", "-"))
    except (ValueError, AttributeError):
        return "-"


def _honest_csv() -> bytes:
    rows = "".join(f"{52 + i / 1000:.4f};{4.35 + (i * 7 % 11) / 1000:.4f}\n" for i in range(30))
    return f"lat;lon\n{rows}".encode()


def attacks(scale: float, secret: Path) -> dict[str, Callable[[], list[Upload]]]:
    """Each attack's name and the maker of its request(s)."""
    from scripts import hostile_files

    def n(count: float) -> int:
        return max(1, int(count * scale))

    def part(data: bytes, name: str) -> Upload:
        return Upload(data, filename=name)

    return {
        "gdalg-nul-key": lambda: [
            Upload(hostile_files.gdalg_json(secret), content_type="application/geo+json")
        ],
        "zip-lying-sizes": lambda: [
            part(hostile_files.zip_lying_sizes(declared=100 * MB, real=n(1940 * MB)), "a.zip")
        ],
        "honest-big-dbf": lambda: [
            part(hostile_files.shapefile_zip(n(1_000_000), fields=25, width=10), "a.zip")
        ],
        "gpkg-zeroblob-view": lambda: [
            part(hostile_files.gpkg_zeroblob_view(n(60_000_000)), "a.gpkg")
        ],
        "gpkg-points-view": lambda: [part(hostile_files.gpkg_points_view(n(2_000_000)), "a.gpkg")],
        "parquet-long-labels": lambda: [
            part(hostile_files.parquet_long_labels(n(200_000), chars=2000), "a.parquet")
        ],
        "parquet-geometry-dictionary": lambda: [
            part(hostile_files.parquet_bomb(n(20_000_000)), "a.parquet")
        ],
        "csv-1.5M-columns": lambda: [Upload(hostile_files.wide_csv(n(1_500_000)))],
        "csv-300k-columns": lambda: [Upload(hostile_files.wide_csv(n(300_000)))],
        "by-200k-categories": lambda: [
            Upload(hostile_files.categories_csv(n(200_000)), query="?by=cat")
        ],
        "by-cat-2**63": lambda: [
            Upload(hostile_files.categories_csv(30), query="?by=cat:9223372036854775808")
        ],
        "burst-8-honest": lambda: [Upload(_honest_csv()) for _ in range(8)],
    }


def run_attack(base: str, uploads: list[Upload], *, timeout: float) -> Outcome:
    """Post ``uploads`` at once; their statuses and the seconds until the last answer."""
    outcome = Outcome()
    answers: list[tuple[int, bytes]] = []
    start = time.monotonic()
    threads = [
        threading.Thread(target=lambda u=u: answers.append(post(base, u, timeout=timeout)))
        for u in uploads
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 5)
    outcome.seconds = time.monotonic() - start
    outcome.statuses = sorted(status for status, _ in answers)
    outcome.codes = sorted({_code(body) for status, body in answers if status >= 400})
    outcome.leaked = any(SECRET.encode() in body for _, body in answers)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (default 1)")
    parser.add_argument("--only", nargs="*", help="run only these attacks")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--budget", type=float, default=1800, help="seconds for every attack")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    bad = 0
    deadline = time.monotonic() + args.budget
    with tempfile.TemporaryDirectory() as folder:
        secret = Path(folder) / "secret.csv"
        secret.write_text(f"name,lat,lon\n{SECRET},52,4\n")
        chosen = attacks(args.scale, secret)
        unknown = set(args.only or ()) - set(chosen)
        if unknown:
            parser.error(f"unknown attack(s): {', '.join(sorted(unknown))}")
        print(f"{'attack':30} {'statuses':22} {'codes':38} {'s':>6} {'RSS MB':>7} "
              f"{'PSS MB':>7} {'healthz s':>9}")  # fmt: skip
        for name, make in chosen.items():
            if args.only and name not in args.only:
                continue
            if time.monotonic() > deadline:
                print(f"{name:30} skipped: --budget spent")
                bad += 1
                continue
            uploads = make()
            with Sampler(args.pid) as memory, Prober(base) as probe:
                outcome = run_attack(base, uploads, timeout=args.timeout)
            statuses = ",".join(map(str, outcome.statuses))
            print(
                f"{name:30} {statuses:22} {','.join(outcome.codes)[:38]:38} "
                f"{outcome.seconds:6.1f} {memory.peak_rss:7.0f} {memory.peak_pss:7.0f} "
                f"{probe.slowest:9.2f}" + ("  SECRET LEAKED" if outcome.leaked else ""),
                flush=True,
            )
            failed = any(s == 0 or (s >= 500 and s != 504) for s in outcome.statuses)
            bad += int(failed or outcome.leaked or outcome.seconds > 60 or probe.failed > 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
