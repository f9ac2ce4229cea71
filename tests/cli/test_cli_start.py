"""The command line starts light: a command's heavy libraries load only when it runs.

Start-up *times* are measured by ``scripts/bench_cli.py``, not here; these tests check the
cause, which is deterministic: which modules a command imports.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from webmap.commands.cli import COMMANDS, cli

HEAVY = (
    "geopandas",
    "pandas",
    "osmnx",
    "sklearn",
    "folium",
    "rasterio",
    "scipy",
    "flask",
    "matplotlib",
)


def _modules_after(*args: str) -> set[str]:
    """Run the CLI in a fresh interpreter and return which heavy modules it imported."""
    code = (
        "import sys, json\n"
        "from webmap.commands.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [("--help",), ("clusters",), ("clusters", "--json")])
def test_listing_commands_import_no_heavy_library(args: tuple[str, ...]) -> None:
    assert _modules_after(*args) == set()


def test_a_computing_command_still_loads_what_it_needs() -> None:
    assert {"geopandas", "scipy"} <= _modules_after("measures", "delft", "--json")


def test_a_points_map_does_not_load_the_street_network_stack(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("name,lat,lon\nA,52.0,4.35\nB,52.01,4.36\n", encoding="utf-8")
    out = tmp_path / "points.html"
    loaded = _modules_after("map", "--points", str(csv), "-o", str(out))
    assert out.is_file() and "folium" in loaded  # it did draw the map
    assert loaded.isdisjoint({"osmnx", "sklearn", "matplotlib"})


def test_help_table_names_every_command_with_its_own_help() -> None:
    defined = {}
    for module_name in {module for module, _ in COMMANDS.values()}:
        module = importlib.import_module(f"webmap.commands.{module_name}")
        defined.update({c.name: (module_name, c) for c in module.COMMANDS})
    assert set(defined) == set(COMMANDS)
    for name, (module_name, short_help) in COMMANDS.items():
        assert defined[name][0] == module_name
        assert (defined[name][1].help or "").startswith(short_help.rstrip(".")), name
    assert cli.list_commands(None) == sorted(COMMANDS)  # type: ignore[arg-type]


def test_a_reader_that_stops_early_gets_no_error_message() -> None:
    # ``clustermap ripley --cluster delft | head -1`` where head has already gone: the
    # reading end of the pipe is closed before the command prints anything
    command = [sys.executable, "-m", "webmap", "ripley", "--cluster", "delft"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Broken pipe" not in errors and "Traceback" not in errors
    assert proc.returncode == 141
