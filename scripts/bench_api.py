"""Benchmark the API: an upload of N points through POST /api/analyze, and cached pages.

python scripts/bench_api.py                 # in-process (Flask test client), 100,000 points
python scripts/bench_api.py --url http://127.0.0.1:8000   # against a running server
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def french_csv(n: int, *, seed: int = 0) -> bytes:
    """N points around Lyon as a French spreadsheet writes them (';', decimal commas)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal([45.76, 4.84], 0.05, size=(20, 2))
    which = rng.integers(0, len(centres), n)
    lat = centres[which, 0] + rng.normal(0, 0.01, n)
    lon = centres[which, 1] + rng.normal(0, 0.015, n)
    lines = ["id;latitude;longitude"]
    lines += [
        f"{i};{a:.6f};{b:.6f}".replace(".", ",") for i, a, b in zip(range(n), lat, lon, strict=True)
    ]
    return "\n".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="points uploaded")
    parser.add_argument("--url", default=None, help="a running server (default: in-process)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = french_csv(args.n)
    print(f"upload: {args.n:,} points, {len(data) / 1e6:.1f} MB CSV")

    if args.url:

        def post() -> tuple[int, bytes]:
            request = urllib.request.Request(
                f"{args.url}/api/analyze", data=data, headers={"Content-Type": "text/csv"}
            )
            with urllib.request.urlopen(request) as response:
                return response.status, response.read()

        def get(path: str, etag: str | None = None) -> tuple[int, str | None]:
            headers = {"If-None-Match": etag} if etag else {}
            request = urllib.request.Request(f"{args.url}{path}", headers=headers)
            try:
                with urllib.request.urlopen(request) as response:
                    response.read()
                    return response.status, response.headers.get("ETag")
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers.get("ETag")
    else:
        from webmap import create_app

        client = create_app().test_client()

        def post() -> tuple[int, bytes]:
            response = client.post("/api/analyze", data=data, content_type="text/csv")
            return response.status_code, response.get_data()

        def get(path: str, etag: str | None = None) -> tuple[int, str | None]:
            headers = {"If-None-Match": etag} if etag else {}
            response = client.get(path, headers=headers)
            return response.status_code, response.headers.get("ETag")

    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        status, _body = post()
        timings.append(time.perf_counter() - start)
        assert status == 201, status
    print(
        f"POST /api/analyze: best {min(timings):.2f} s, median {statistics.median(timings):.2f} s"
    )

    status, etag = get("/clusters/delft")
    first = []
    for _ in range(50):
        start = time.perf_counter()
        get("/clusters/delft")
        first.append(time.perf_counter() - start)
    conditional = []
    for _ in range(50):
        start = time.perf_counter()
        status, _ = get("/clusters/delft", etag)
        conditional.append(time.perf_counter() - start)
    assert status == 304, status
    print(
        f"cached /clusters/delft: median {statistics.median(first) * 1000:.2f} ms (200), "
        f"{statistics.median(conditional) * 1000:.2f} ms (304 to If-None-Match)"
    )


if __name__ == "__main__":
    main()
