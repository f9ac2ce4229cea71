"""``clustermap map``: self-contained HTML files of a cluster or of a point file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from webmap.commands.cli import cli


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_cluster_export_is_self_contained_and_opens_from_disk(
    tmp_path: Path, page: Any, registry: Any
) -> None:
    out = tmp_path / "delft.html"
    result = run("map", "delft", "-o", str(out), "--layers", "sites,epicentres,density")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert not re.findall(r'<script[^>]+src="', html)
    assert not re.findall(r'<link[^>]+href="(?!data:)', html)
    assert "clustermap-inline:" not in html
    page.page.goto(out.as_uri())
    page.page.wait_for_selector("div.cm-site")
    assert page.page.locator("div.cm-site").count() == len(registry.located("delft"))
    assert page.page.locator(".cm-legend-density").count() == 1
    assert page.page.get_by_label("Hexagons (H3 r9)").count() == 0  # not asked for
    assert page.errors == []
    assert all("tile" in url for url in page.blocked)


def test_points_export(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("nom;lat;lon\nA;48,85;2,35\nB;48,86;2,34\n", encoding="utf-8")
    out = tmp_path / "points.html"
    result = run("map", "--points", str(csv), "-o", str(out), "--basemap", "none")
    assert result.exit_code == 0, result.output
    assert "window.clustermapPointCount" in out.read_text(encoding="utf-8")


def test_bad_requests_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    cases = [
        (["map", "atlantis", "-o", str(out)], 2, "unknown cluster id 'atlantis'"),
        (["map", "delft", "-o", str(out), "--layers", "sites,bogus"], 1, "unknown layer 'bogus'"),
        (["map", "-o", str(out)], 1, "give either a CLUSTER id or --points FILE"),
        (["map", "delft", "-o", str(tmp_path / "no" / "x.html")], 1, "does not exist"),
    ]
    for args, code, message in cases:
        result = run(*args)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_kept_when_the_export_fails(tmp_path: Path) -> None:
    out = tmp_path / "keep.html"
    out.write_text("previous map", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("nom;lat;lon\nA;95;2\n", encoding="utf-8")
    result = run("map", "--points", str(bad), "-o", str(out))
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8") == "previous map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "keep.html"]
