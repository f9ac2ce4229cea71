"""Every ``--json`` document of every command names its schema (docs/measures.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from webmap.commands.cli import cli

#: How to run each command that has ``--json`` on small data (``{points}``: a CSV of
#: points, ``{cache}``: an empty network cache, where Delft's bundled network serves).
INVOCATIONS = {
    "clusters": ["clusters"],
    "measures": ["measures", "delft"],
    "density": ["density", "{points}", "--hex-res", "8"],
    "proximity": ["proximity", "{points}", "--k", "2"],
    "ripley": ["ripley", "{points}", "--simulations", "0", "--distances", "5"],
    "network info": ["network", "info", "delft", "--cache-dir", "{cache}"],
    "network list": ["network", "list", "--cache-dir", "{cache}"],
    "network-distances": ["network-distances", "delft", "--cache-dir", "{cache}"],
}


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_with_json_output_is_checked_below() -> None:
    with_json = {
        name
        for name, command in _commands(cli)
        if any("--json" in param.opts for param in command.params)
    }
    assert with_json == set(INVOCATIONS)


@pytest.mark.parametrize("name", sorted(INVOCATIONS))
def test_every_json_document_has_a_versioned_schema(name: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    points = tmp_path / "points.csv"
    rows = [f"{52.0 + a:.6f},{4.37 + b:.6f}" for a, b in rng.normal(0, 0.01, (40, 2))]
    points.write_text("lat,lon\n" + "\n".join(rows) + "\n", encoding="utf-8")
    fill = {"{points}": str(points), "{cache}": str(tmp_path / "cache")}
    args = [fill.get(arg, arg) for arg in INVOCATIONS[name]]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    assert re.fullmatch(r"clustermap\.[a-z_]+/\d+", document["schema"])
