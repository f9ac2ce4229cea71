"""clustermap serve --points NAME=FILE: a bad item stops the server before it listens, with
one line naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

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
