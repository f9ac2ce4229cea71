"""A measure is one declaration: a toy measure registered once (``tests/toy_measure.py``,
as ``CONTRIBUTING.md`` describes a new one) is in the command line's JSON and table, on
an upload's analysis page (measured in the upload cage's child process), and in the
in-process, columnar and Dask results, with no engine or view edited for it."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyproj
import pytest
from click.testing import CliRunner

import geo.measures
from geo import AnalysisOptions, analyse_file, analyse_points
from geo.measures import ENV_MEASURES, measures, plugin_modules, register, registered
from geo.points import read_points
from tests.equivalence import assert_same_measures
from tests.helpers import DATA, ROOT
from webmap import create_app
from webmap.commands.cli import cli

TOY = "tests.toy_measure"
OPTIONS = AnalysisOptions(cores=None, hex_res=8)


@pytest.fixture
def toy() -> Iterator[ModuleType]:
    """The toy measure, registered for one test (the registry is restored after)."""
    with registered():
        module = importlib.import_module(TOY)
        register(module.TOY)  # again, when an earlier test imported the module
        yield module


@pytest.fixture
def lyon(tmp_path: Path) -> Path:
    rng = np.random.default_rng(19)
    frame = pd.DataFrame({"lat": rng.normal(45.76, 0.02, 800), "lon": rng.normal(4.84, 0.03, 800)})
    path = tmp_path / "lyon.csv"
    frame.to_csv(path, index=False, sep=";")
    return path


def _centre(path: Path, crs: str) -> tuple[float, float]:
    """The reference: the mean of the points projected with pyproj alone."""
    frame = pd.read_csv(path, sep=";")
    to_metric = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = to_metric.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    return float(np.mean(x)), float(np.mean(y))


def _assert_centre(measured: dict[str, object], path: Path) -> None:
    centre = measured["toy_centre"]
    assert isinstance(centre, dict) and isinstance(measured["crs"], str)
    x, y = _centre(path, measured["crs"])
    assert centre["x_m"] == pytest.approx(x, rel=1e-12)
    assert centre["y_m"] == pytest.approx(y, rel=1e-12)


def test_the_builtin_measures_are_every_module_of_the_package_no_list() -> None:
    modules = {f"geo.measures.{m.name}" for m in pkgutil.iter_modules(geo.measures.__path__)}
    assert {m.module for m in measures()} == modules - {"geo.measures.measure_registry"}
    assert [m.key for m in measures()] == ["density", "clark_evans", "kde", "hexbins", "cores"]
    assert plugin_modules() == ()


def test_the_command_lines_json_and_table_show_a_registered_measure(
    toy: ModuleType, lyon: Path
) -> None:
    runner = CliRunner()
    answer = runner.invoke(cli, ["density", str(lyon), "--cores", "none", "--json"])
    assert answer.exit_code == 0, answer.output
    _assert_centre(json.loads(answer.stdout), lyon)
    table = runner.invoke(cli, ["density", str(lyon), "--cores", "none"])
    assert table.exit_code == 0, table.output
    assert "Toy centre (x, y)" in table.stdout


def test_the_environment_names_measure_modules_for_a_new_process(lyon: Path) -> None:
    env = {**os.environ, ENV_MEASURES: TOY, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "webmap", "density", str(lyon), "--cores", "none", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    _assert_centre(json.loads(run.stdout), lyon)


def test_the_analysis_page_of_an_upload_measured_in_the_cage_shows_it(
    toy: ModuleType, lyon: Path, tmp_path: Path
) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)})
    client = app.test_client()
    posted = client.post("/api/analyze?cores=none", data=lyon.read_bytes(), content_type="text/csv")
    assert posted.status_code in (200, 201), posted.get_data(as_text=True)
    token = posted.get_json()["token"]
    _assert_centre(client.get(f"/api/analyses/{token}").get_json()["density"], lyon)
    page = client.get(f"/analyses/{token}").get_data(as_text=True)
    assert "<th>Toy centre (x, y)</th>" in page


def test_the_columnar_and_dask_engines_compute_it_as_in_process(
    toy: ModuleType, lyon: Path
) -> None:
    from geo.distributed import analyse_dask

    reference = analyse_points(read_points(lyon), OPTIONS).to_dict()
    columnar = analyse_file(lyon, OPTIONS).to_dict()
    on_dask = analyse_dask(str(lyon), OPTIONS, workers=2).to_dict()
    for measured in (reference, columnar, on_dask):
        _assert_centre(measured, lyon)
    assert "toy_centre" in assert_same_measures(columnar, reference)  # it is compared too
