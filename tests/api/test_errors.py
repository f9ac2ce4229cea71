"""One table answers every failure: the API's status and code, the CLI's exit status; and
every error carries its problems as a list, which the API returns and the CLI prints one
per line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geo.errors import (
    ClustermapError,
    InputDataError,
    NetworkUnavailableError,
    ParameterError,
    Problems,
    RegistryError,
    TooLargeError,
    UnknownIdError,
)
from webmap import create_app
from webmap.api.response import from_exception
from webmap.commands.cli import cli
from webmap.error_table import ERRORS, answer_for


@pytest.mark.parametrize(
    ("error", "status", "code", "exit_code"),
    [
        (UnknownIdError("cluster", "x", ["a"]), 404, "NotFound", 2),
        (NetworkUnavailableError("no network"), 404, "NetworkUnavailable", 1),
        (TooLargeError("too big"), 413, "RequestEntityTooLarge", 1),
        (InputDataError("bad file"), 400, "InvalidParameterValue", 1),
        (ParameterError("bad value"), 400, "InvalidParameterValue", 1),
        (RegistryError("bad registry", ["a", "b"]), 400, "InvalidParameterValue", 1),
    ],
)
def test_each_error_has_one_answer(
    error: ClustermapError, status: int, code: str, exit_code: int
) -> None:
    answer = answer_for(error)
    assert (answer.status, answer.code, answer.exit_code) == (status, code, exit_code)
    response = from_exception(error)
    assert response.status == status
    assert response.body == {"code": code, "description": str(error), "problems": error.problems}


def test_the_table_lists_the_specific_before_the_general() -> None:
    kinds = [kind for kind, _ in ERRORS]
    for i, kind in enumerate(kinds):
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind
    assert kinds[-1] is ClustermapError


def test_the_collector_keeps_every_problem_as_a_list() -> None:
    found = Problems()
    found.raise_if_any(ParameterError)  # nothing found: nothing raised
    found.add("radius must be > 0")
    found.add("no such column", where="points.csv")
    with pytest.raises(ParameterError) as info:
        found.raise_if_any(ParameterError)
    assert info.value.problems == ["radius must be > 0", "points.csv: no such column"]
    assert str(info.value) == "radius must be > 0; points.csv: no such column"


def test_the_api_answers_every_problem_as_a_list() -> None:
    client = create_app({"TESTING": True}).test_client()
    response = client.get("/api/clusters/delft/density?bandwidth=-1&cell=0&hex_res=99")
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"code", "description", "problems"}
    assert len(body["problems"]) == 3
    assert [p.split()[0] for p in body["problems"]] == ["bandwidth", "cell", "hex_res"]
    missing = client.get("/api/clusters/nowhere").get_json()
    assert missing["code"] == "NotFound"
    assert missing["problems"] == [missing["description"]]


def test_the_cli_prints_one_line_per_problem() -> None:
    result = CliRunner().invoke(cli, ["isochrones", "--lat", "100", "--lon", "200"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("error: ") for line in lines)
    assert any("--lat must be within [-90, 90]" in line for line in lines)
    assert any("--lon must be within [-180, 180]" in line for line in lines)


def test_the_cli_prints_a_registry_error_with_its_problems_below(tmp_path) -> None:
    for name in ("clusters.geojson", "sites.geojson", "epicentres.geojson"):
        (tmp_path / name).write_text("{not json")
    result = CliRunner().invoke(cli, ["clusters", "--data", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("error: invalid registry")
    assert len(lines) == 4
    assert all(line.startswith("  - ") and "not valid JSON" in line for line in lines[1:])
