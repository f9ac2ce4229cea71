"""clustermap density on a business register: --where, --by, --lq-out, the read progress."""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import h3
import pytest
import shapely
from click.testing import CliRunner

from scripts.make_register import write_register
from webmap.commands.cli import cli
from webmap.commands.cli_selection import ReadProgress

NAF = "activitePrincipaleEtablissement"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-register") / "sirene.csv"
    write_register(path, 20_000, seed=5)
    return path


def _density(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["density", *args])
    return result.exit_code, result.stdout, result.stderr


def test_where_and_by_in_the_json(register: Path, tmp_path: Path) -> None:
    lq_out = tmp_path / "lq.geojson"
    code, out, err = _density(
        str(register), "--crs", "EPSG:2154", "--metric-crs", "EPSG:2154", "--cores", "none",
        "--hex-res", "7", "--where", f"{NAF}^=62,63", "--by", f"{NAF}:2",
        "--lq-out", str(lq_out), "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["schema"] == "clustermap.point_measures/1"
    assert data["where"] == [f"{NAF}^=62,63"]
    assert data["n_rows"] == 20_000
    assert data["crs"] == "EPSG:2154"
    by = data["by"]
    assert (by["column"], by["prefix_length"]) == (NAF, 2)
    assert [c["category"] for c in by["categories"]] == ["62", "63"]
    assert sum(c["n_points"] for c in by["categories"]) == data["n_points"]
    assert all(c["kde"] is None for c in by["categories"])
    quotients = data["location_quotients"]
    assert quotients["resolution"] == 7 and quotients["alpha"] == 0.05
    assert [c["category"] for c in quotients["categories"]] == ["62", "63"]
    written = gpd.read_file(lq_out)
    assert set(written.columns) >= {"h3_cell", "category", "count", "cell_total", "lq", "p_value"}
    assert len(written) == sum(c["n_cells"] for c in quotients["categories"])
    top = quotients["categories"][0]["top_cells"][0]
    row = written[(written["h3_cell"] == top["h3_cell"]) & (written["category"] == "62")]
    assert row["lq"].iloc[0] == pytest.approx(top["lq"])
    # each polygon is its cell's hexagon
    first = written.iloc[0]
    lat, lon = h3.cell_to_latlng(first["h3_cell"])
    assert first.geometry.contains(shapely.Point(lon, lat))
    assert len(first.geometry.exterior.coords) == 7


def test_the_table_lists_the_categories(register: Path) -> None:
    code, out, err = _density(
        str(register), "--crs", "EPSG:2154", "--cores", "none", "--by", f"{NAF}:2"
    )
    assert code == 0, err
    assert f"categories of {NAF}" in out
    assert "  68  " in out and "cells LQ>1 (p<0.05)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "naf"], "error: --where must be COLUMN=VALUE[,VALUE...] or COLUMN^=PREFIX"),
        (["--where", "nope^=62"], "error: no column named 'nope' for --where/--by; columns:"),
        (["--by", "nope:2"], "error: no column named 'nope' for --where/--by"),
        (["--lq-out", "x.geojson"], "error: --lq-out needs --where or --by"),
        (["--by-kde"], "error: --by-kde needs --by"),
        (["--where", f"{NAF}=99.99Z"], "no row passes --where"),
    ],
)
def test_bad_selections_are_one_line_errors(register: Path, args: list[str], message: str) -> None:
    code, _, err = _density(str(register), "--crs", "EPSG:2154", "--cores", "none", *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_read_progress_shows_rows_and_bytes_on_a_terminal() -> None:
    stream = _Terminal()
    progress = ReadProgress(stream=stream, delay=0.0)
    progress(1_048_576, 50_000_000, 200_000_000)
    progress.finish()
    text = stream.getvalue()
    assert "reading: 1,048,576 rows, 50 of 200 MB" in text
    assert "[#######-----------------------]" in text and text.endswith("\n")
    quiet = io.StringIO()
    ReadProgress(stream=quiet, delay=0.0)(10, 5, 10)
    assert quiet.getvalue() == ""
