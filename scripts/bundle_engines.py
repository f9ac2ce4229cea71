"""Write the engine of every bundled street network into data/networks/engines/.

Usage: ``python scripts/bundle_engines.py``. Run it after changing a graph in
``data/networks/`` (or the engine format) and commit the result: a fresh install then reads
the engine instead of converting the GraphML on its first page (about 0.45 s for Delft).
The files are named as in the user's cache (graph hash, kind, format), so an engine never
stands for another graph; ``tests/geo/test_network_engine.py`` checks each one.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geo.network.engine import (
    build_engine,
    bundled_engines_dir,
    engine_cache_path,
    save_engine,
)
from geo.network.source import read_graph_file

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Convert each ``data/networks/*.graphml`` and replace the folder's engines."""
    target = ROOT / "data" / "networks" / "engines"
    target.mkdir(exist_ok=True)
    for old in target.glob("engine-*.npz"):
        old.unlink()
    for graph in sorted((ROOT / "data" / "networks").glob("*.graphml")):
        name = engine_cache_path(graph).name
        engine = build_engine(read_graph_file(graph), key=Path(name).stem)
        save_engine(engine, target / name)
        print(f"{graph.name} -> {(target / name).relative_to(ROOT)}")
    assert bundled_engines_dir().resolve() == target.resolve()


if __name__ == "__main__":
    main()
