"""Files the command line writes: atomic, and readable by others as any new file is."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pyogrio
import pytest
from click.testing import CliRunner

from geo.atomic import atomic_write
from webmap.commands.cli import cli


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _points(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    path = tmp_path / "points.csv"
    rows = [f"{52.0 + a:.6f},{4.37 + b:.6f}" for a, b in rng.normal(0, 0.01, (60, 2))]
    path.write_text("lat,lon\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_output_file_respects_the_umask(tmp_path: Path, umask_022: None) -> None:
    points = _points(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    runs = [
        ["map", "delft", "-o", str(out / "delft.html")],
        [
            "density", str(points), "--bandwidth", "500", "--hex-res", "8",
            "--kde-out", str(out / "kde.tif"), "--out", str(out / "contours.geojson"),
            "--hex-out", str(out / "hex.geojson"),
        ],
        ["proximity", str(points), "--out", str(out / "nn.csv")],
    ]  # fmt: skip
    for args in runs:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["contours.geojson", "delft.html", "hex.geojson", "kde.tif", "nn.csv"]
    assert {p.name: _mode(p) for p in out.iterdir()} == dict.fromkeys(written, 0o644)


def test_a_stricter_umask_is_honoured_too(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        result = CliRunner().invoke(cli, ["map", "delft", "-o", str(tmp_path / "m.html")])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert _mode(tmp_path / "m.html") == 0o600


def test_a_failed_write_keeps_the_old_file_and_leaves_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "kde.tif"
    target.write_bytes(b"previous")

    def half_then_fail(handle: IO[bytes]) -> None:
        handle.write(b"half a file")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["kde.tif"]


def test_geojson_outputs_name_their_layer_after_the_file_not_the_temporary_file(
    tmp_path: Path,
) -> None:
    points = tmp_path / "kinds.csv"
    rng = np.random.default_rng(4)
    rows = [
        f"{52.0 + a:.6f},{4.37 + b:.6f},{'shop' if i % 3 else 'office'}"
        for i, (a, b) in enumerate(rng.normal(0, 0.01, (90, 2)))
    ]
    points.write_text("lat,lon,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    outputs = {"--out": "contours", "--hex-out": "hexagons", "--lq-out": "quotients"}
    args = ["density", str(points), "--by", "kind", "--hex-res", "8"]
    for flag, stem in outputs.items():
        args += [flag, str(tmp_path / f"{stem}.geojson")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for stem in outputs.values():
        layers = pyogrio.list_layers(tmp_path / f"{stem}.geojson")
        assert [str(name) for name, _ in layers] == [stem]
