"""The coverage table in data/sites/README.md is generated, never edited by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scripts.coverage_table import END, START, coverage_table, main, with_table
from tests.helpers import DATA


def test_the_readme_coverage_table_is_the_generated_one(registry: Any) -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    written = readme.split(START)[1].split(END)[0].strip()
    assert written == coverage_table(registry), "stale: run python scripts/coverage_table.py"


def test_the_table_counts_what_the_registry_holds(registry: Any) -> None:
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in coverage_table(registry).splitlines()[2:]
    }
    assert set(rows) == {f"`{c}`" for c in registry.clusters.index} | {"**all clusters**"}
    for cluster_id in registry.clusters.index:
        listed, located, _, confidence = rows[f"`{cluster_id}`"]
        # every site listed, closed ones too (registered, not today's sites_of)
        sites = registry.registered(cluster_id)
        assert int(listed) == len(sites)
        assert int(located) == int(sites.geometry.notna().sum())
        counts = sites[sites.geometry.notna()]["confidence"].value_counts()
        for level, count in counts.items():
            assert f"{level} {count}" in confidence
    assert rows["`rhone-alpes-eco-energies`"][2:] == ["district 1", "low 1"]


def test_the_script_rewrites_a_stale_table(registry_copy: Path) -> None:
    readme = registry_copy / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(with_table(text, "| edited by hand |"), encoding="utf-8")
    main([str(registry_copy)])
    assert readme.read_text(encoding="utf-8") == text
    with pytest.raises(ValueError, match="coverage:start"):
        with_table("no markers here", "| table |")
