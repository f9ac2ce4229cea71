"""Errors name the parameters of the interface in use: the API's in the API, flags on the
command line, both from the one table (webmap.error_table.PARAMETERS); POST /api/analyze takes
x, y and crs as the command line does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
from click.testing import CliRunner

from webmap.commands.cli import cli
from webmap.error_table import PARAMETERS

GEO = Path(__file__).resolve().parents[2] / "geo"


def _lambert_csv(n: int = 50) -> str:
    """Points in Paris as Lambert-93 x/y columns (EPSG:2154), as SIRENE gives them."""
    rng = np.random.default_rng(8)
    lon, lat = 2.35 + rng.normal(0, 0.01, n), 48.85 + rng.normal(0, 0.01, n)
    x, y = pyproj.Transformer.from_crs(4326, 2154, always_xy=True).transform(lon, lat)
    rows = [
        f"{i},{a:.2f},{b:.2f},{'62' if i % 2 else '47'}"
        for i, (a, b) in enumerate(zip(x, y, strict=True))
    ]
    return "id,x,y,naf\n" + "\n".join(rows) + "\n"


def _post(client: Any, text: str, **params: str) -> Any:
    return client.post(
        "/api/analyze", data=text.encode(), content_type="text/csv", query_string=params
    )


def test_every_parameter_a_message_names_has_a_spelling_in_each_interface() -> None:
    named = set()
    for path in GEO.rglob("*.py"):
        named |= set(re.findall(r"param\('([a-z_]+)'\)", path.read_text(encoding="utf-8")))
    assert named, "no message names a parameter"
    assert named <= set(PARAMETERS)
    for key, spelling in PARAMETERS.items():
        assert spelling.cli.startswith("--")
        assert spelling.api is None or "-" not in spelling.api, key


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"where": "naf"}, "where must be COLUMN=VALUE"),
        ({"by": "nope", "crs": "EPSG:2154"}, "no column named 'nope' for where/by"),
        ({}, "give their CRS with crs (or name lat/lon columns with lat/lon)"),
        ({"x": "x"}, "give both x and y"),
    ],
)
def test_api_errors_name_the_apis_parameters_never_a_flag(
    client: Any, params: dict[str, str], words: str
) -> None:
    response = _post(client, _lambert_csv(), **params)
    assert response.status_code == 400
    body = response.get_json()
    assert words in body["description"]
    assert "--" not in body["description"]
    assert not any("--" in problem for problem in body["problems"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--where", "naf"], "--where must be COLUMN=VALUE"),
        (["--by", "nope", "--crs", "EPSG:2154"], "no column named 'nope' for --where/--by"),
        ([], "give their CRS with --crs (or name lat/lon columns with --lat/--lon)"),
        (["--x", "x"], "give both --x and --y"),
    ],
)
def test_command_line_errors_name_its_flags(tmp_path: Path, args: list[str], words: str) -> None:
    path = tmp_path / "lambert.csv"
    path.write_text(_lambert_csv(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["density", str(path), *args])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert words in result.stderr


def test_the_api_reads_projected_columns_with_x_y_and_crs_as_the_cli_does(
    client: Any, tmp_path: Path
) -> None:
    text = _lambert_csv()
    response = _post(client, text, x="x", y="y", crs="EPSG:2154")
    assert response.status_code == 201, response.get_data(as_text=True)
    api = response.get_json()["density"]
    path = tmp_path / "lambert.csv"
    path.write_text(text, encoding="utf-8")
    args = ["density", str(path), "--x", "x", "--y", "y", "--crs", "EPSG:2154", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    cli_measures = json.loads(result.stdout)
    assert api["n_points"] == cli_measures["n_points"] == 50
    assert api["clark_evans_r"] == pytest.approx(cli_measures["clark_evans_r"], rel=1e-9)
    spec = next(p for p in client.get("/openapi.json").get_json()["paths"]["/api/analyze"]
                ["post"]["parameters"] if p["name"] == "crs")  # fmt: skip
    assert spec["in"] == "query"
