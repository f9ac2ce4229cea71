"""Write the registry's coverage table into ``data/sites/README.md``.

Usage: ``python scripts/coverage_table.py [FOLDER]`` (default: the bundled ``data/sites``).
The table goes between the ``<!-- coverage:start -->`` and ``<!-- coverage:end -->``
comments of the folder's ``README.md``: per cluster, the sites listed and located, and the
located ones by ``location_precision`` and ``confidence``. A test fails when the README's
table differs from what this script writes, so it is never edited by hand.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geo.projection import has_location
from geo.registry import Registry, default_data_dir, load_registry
from geo.schema import CONFIDENCES, PRECISIONS

START = "<!-- coverage:start -->"
END = "<!-- coverage:end -->"


def _counts(values: list[str], order: tuple[str, ...]) -> str:
    counts = Counter(values)
    return ", ".join(f"{key} {counts[key]}" for key in order if counts[key]) or "none"


def coverage_table(registry: Registry) -> str:
    """The coverage table of a registry as Markdown, one row per cluster and a total."""
    rows = [
        "| cluster | sites listed | located | located, by precision | located, by confidence |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for cluster_id in [*registry.clusters.index, None]:
        # every site listed, closed ones too: the table is the registry's coverage
        sites = registry.sites if cluster_id is None else registry.registered(cluster_id)
        located = sites[has_location(sites.geometry)]
        name = "**all clusters**" if cluster_id is None else f"`{cluster_id}`"
        precision = _counts(list(located["location_precision"]), PRECISIONS)
        confidence = _counts(list(located["confidence"]), CONFIDENCES)
        rows.append(f"| {name} | {len(sites)} | {len(located)} | {precision} | {confidence} |")
    return "\n".join(rows)


def with_table(readme: str, table: str) -> str:
    """``readme`` with ``table`` between the coverage markers (which it must hold once)."""
    if (
        readme.count(START) != 1
        or readme.count(END) != 1
        or readme.index(START) > readme.index(END)
    ):
        msg = f"the README needs one {START} line followed by one {END} line"
        raise ValueError(msg)
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> None:
    """Rewrite the coverage table of the registry folder ``argv[0]`` (default: bundled)."""
    folder = Path(argv[0]) if argv else default_data_dir()
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = with_table(text, coverage_table(load_registry(folder)))
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    print(f"{readme}: coverage table {'updated' if updated != text else 'up to date'}")


if __name__ == "__main__":
    main(sys.argv[1:])
