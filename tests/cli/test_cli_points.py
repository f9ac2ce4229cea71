"""clustermap serve --points NAME=FILE: a bad item stops the server before it listens, with
one line naming the option."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import DATA, served
from webmap.commands.cli import cli


@pytest.mark.parametrize(
    ("items", "words"),
    [
        (["shops.csv"], "is not NAME=FILE"),
        (["shops=missing.csv"], "no such file"),
        (["shops=REAL", "shops=REAL"], "'shops' is given twice"),
    ],
)
def test_a_bad_points_item_exits_with_one_line(
    tmp_path: Path, items: list[str], words: str
) -> None:
    real = tmp_path / "real.csv"
    real.write_text("lon,lat\n4.3,52.0\n")
    args = ["serve", "--port", "1"]
    for item in items:
        args += ["--points", item.replace("REAL", str(real))]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --points: "), result.stderr
    assert words in lines[0]


def test_serve_publishes_the_points_and_a_restart_reuses_their_index(tmp_path: Path) -> None:
    """Through the real command (waitress): the tiles answer, and the second start reads
    the index the first one wrote instead of building another."""
    register = tmp_path / "shops.csv"
    register.write_text("lon,lat,name\n4.36,52.01,a\n4.37,52.02,b\n4.38,52.03,c\n")
    cache = tmp_path / "cache"
    args = ("--data", str(DATA), "--cache-dir", str(cache), "--points", f"shops={register}")
    with served(*args) as url:
        with urllib.request.urlopen(f"{url}/points/shops/tiles.json") as response:
            doc = json.load(response)
        assert doc["tiles"] == [f"{url}/points/shops/tiles/{{z}}/{{x}}/{{y}}.mvt"]
        with urllib.request.urlopen(f"{url}/points/shops/tiles/0/0/0.mvt") as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.status == 200
    [index] = (cache / "points").iterdir()
    stamp = index.stat().st_mtime_ns
    with served(*args) as url, urllib.request.urlopen(f"{url}/points/shops") as response:
        assert response.status == 200
    assert [p.stat().st_mtime_ns for p in (cache / "points").iterdir()] == [stamp]
