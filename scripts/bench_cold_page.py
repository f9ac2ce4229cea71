"""Benchmark a cold cluster page: ``GET /clusters/delft`` on a fresh app, this tree against a
baseline commit.

Each tree is measured the same way, in its own Python process with that tree first on
``sys.path``: one cold page on a throwaway app first (so lazy imports are not counted), then
``--repeat`` cold pages, each on a fresh app (``create_app``, so an empty page and data
cache) through Flask's test client. Only the request is timed, in two settings:

* ``restart``: the network cache folder is kept between apps, as on a server that restarts;
* ``first``: every app has an empty network cache folder, as on a fresh install.

This tree converts no GraphML in either setting: the engines of the bundled networks ship in
``data/networks/engines/`` (``scripts/bundle_engines.py``) and the page reads its ``.npz``
(:func:`geo.network.engine.load_engine`), so the two settings measure the same work. A
baseline older than the bundled engines (the default, ``c9242ca``) converts the GraphML on
its ``first`` pages and reads the engine it cached on its ``restart`` pages: the ``first``
ratio includes that conversion.

The baseline commit is checked out with ``git worktree add --detach`` in a temporary
folder, removed afterwards.

Usage: ``python scripts/bench_cold_page.py [--baseline c9242ca] [--repeat 5]
[--cluster delft]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    "restart": "fresh app, engine already converted",
    "first": "fresh app and network cache",
}

#: Run in a child process: argv = [tree, repeat, cluster]; prints one JSON line.
CHILD = r"""
import json, sys, tempfile, time, warnings
from pathlib import Path
tree, repeat, cluster = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, str(tree))
warnings.simplefilter("ignore")
import geo
from webmap import create_app
assert Path(geo.__file__).resolve().is_relative_to(tree.resolve()), geo.__file__

def cold_page(kept: str | None) -> float:
    with tempfile.TemporaryDirectory() as empty:
        cache = kept or empty
        app = create_app({"TESTING": True, "DATA_DIR": str(tree / "data" / "sites"),
                          "NETWORK_CACHE_DIR": cache})
        client = app.test_client()
        start = time.perf_counter()
        response = client.get(f"/clusters/{cluster}")
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        return elapsed

with tempfile.TemporaryDirectory() as kept:
    cold_page(kept)  # lazy imports; converts the engine into the kept network cache
    restart = [cold_page(kept) for _ in range(repeat)]
first = [cold_page(None) for _ in range(repeat)]
print(json.dumps({"geo": geo.__file__, "restart": restart, "first": first}))
"""


def measure(tree: Path, *, repeat: int, cluster: str) -> dict[str, list[float]]:
    """Cold page times (seconds) of ``cluster`` with the code of ``tree``, per setting."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(repeat), cluster],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {setting: result[setting] for setting in SETTINGS}


def main() -> None:
    """Print the cold page times of the baseline and of this tree, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="c9242ca", help="Commit to compare with.")
    parser.add_argument("--repeat", type=int, default=5, help="Cold pages per tree.")
    parser.add_argument("--cluster", default="delft", help="Cluster of the page.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base_tree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            before = measure(base_tree, repeat=args.repeat, cluster=args.cluster)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=True
            )
    after = measure(ROOT, repeat=args.repeat, cluster=args.cluster)
    print(f"cold /clusters/{args.cluster}, median of {args.repeat} runs (best):")
    for setting, label in SETTINGS.items():
        old, new = statistics.median(before[setting]), statistics.median(after[setting])
        print(f"{setting} ({label}):")
        print(f"  {args.baseline:<10} {old * 1000:8.0f} ms  ({min(before[setting]) * 1000:.0f})")
        print(f"  {'this tree':<10} {new * 1000:8.0f} ms  ({min(after[setting]) * 1000:.0f})")
        print(f"  {old / new:.2f}x faster")


if __name__ == "__main__":
    main()
