"""Text the commands print: tables of measures, numbers with their units, a progress bar
and warnings, on stdout and stderr.

:func:`text_table` lines up ``(label, value, unit)`` rows; :func:`value_text` writes one number
as the tables do (thousands separators, no trailing zeros); :func:`density_table` is the
point measures of ``docs/measures.md`` as a table (``clustermap density`` and
``clustermap measures``). :class:`Progress` draws a stage bar on a terminal once a run
passes two seconds; :func:`reported_warnings` prints the warnings raised inside it.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import click

__all__ = ["Progress", "density_table", "reported_warnings", "text_table", "value_text"]


class Progress:
    """A stage progress bar on stderr, shown on a terminal once a run passes ``delay`` s."""

    def __init__(self, stages: list[str], *, stream: TextIO | None = None, delay: float = 2.0):
        self.stages = stages
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.delay = delay
        self.start = time.monotonic()
        self.done = 0
        self.shown = False

    def __call__(self, stage: str) -> None:
        self.done = self.stages.index(stage) if stage in self.stages else self.done + 1
        self._draw(stage)

    def _draw(self, label: str) -> None:
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        width = 30
        filled = int(width * self.done / max(1, len(self.stages)))
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{len(self.stages)} {label:<24}")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.done = len(self.stages)
            self._draw("done")
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def reported_warnings() -> Iterator[None]:
    """Print warnings raised inside as ``warning: ...`` lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.4g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:,.3f}"
        text = text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    else:
        text = str(value)
    return f"{text} {unit}".rstrip()


def value_text(value: Any, unit: str = "") -> str:
    """A value as the tables print it: ``-`` for none, a number with thousands separators
    and no trailing zeros (or in scientific notation when tiny or huge), then its unit."""
    return _fmt(value, unit)


def text_table(rows: list[tuple[str, Any, str]]) -> str:
    """``(label, value, unit)`` rows as lines of aligned labels and values."""
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{label:<{width}}  {_fmt(value, unit)}" for label, value, unit in rows)


def _in_area(m: dict[str, Any]) -> str:
    """``n`` or, with points left outside a polygon, ``n of N (M outside, left out)``."""
    inside, outside = m["n_points_in_area"], m.get("n_outside_area", 0)
    if not outside:
        return str(inside)
    return f"{inside:,} of {inside + outside:,} ({outside:,} outside, left out of every measure)"


def _density_rows(m: dict[str, Any]) -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = [
        ("points", m["n_points"], ""),
        ("metric CRS", m["crs"], ""),
        ("study area", m["area_method"], ""),
        ("area", m["area_km2"], "km²"),
        ("points in area", _in_area(m), ""),
        ("density", m["sites_per_km2"], "sites/km²"),
        (f"mean NN distance ({m['nn_method']})", m["mean_nn_distance_m"], "m"),
        ("expected (random)", m["expected_mean_nn_distance_m"], "m"),
        ("Clark-Evans R", m["clark_evans_r"], ""),
        ("Clark-Evans z", m["clark_evans_z"], ""),
        ("Clark-Evans p", m["clark_evans_p"], ""),
    ]
    kde = m.get("kde")
    if kde:
        rows += [
            ("KDE kernel", f"{kde['kernel']} ({kde['bandwidth_rule']})", ""),
            ("KDE bandwidth", kde["bandwidth_m"], "m"),
            ("KDE cell", kde["cell_m"], "m"),
            ("KDE peak", kde["peak_sites_per_km2"], "sites/km²"),
            ("KDE peak at", f"{kde['peak_lat']:.5f} N {kde['peak_lon']:.5f} E", ""),
        ]
    hexbins = m.get("hexbins")
    if hexbins:
        rows += [
            (f"H3 r{hexbins['resolution']} cells", hexbins["n_cells"], ""),
            ("H3 max count", hexbins["max_count"], ""),
            ("H3 max density", hexbins["max_sites_per_km2"], "sites/km²"),
        ]
    cores = m.get("cores")
    if cores:
        params = cores["parameters"]
        rule = ", ".join(
            f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
            for key, value in params.items()
            if key != "min_samples_rule"
        )
        if params.get("min_samples_rule") == "auto":
            rule += " (auto)"
        rows += [
            (f"{cores['method']} cores (largest first)", f"{cores['n_cores']}; {rule}", ""),
            ("noise points", cores["n_noise"], ""),
        ]
        for core in cores["cores"][:10]:
            rows.append(
                (
                    f"  core {core['core']}",
                    f"{core['n_sites']} sites, {_fmt(core['area_km2'], 'km²')}, "
                    f"{_fmt(core['sites_per_km2'], 'sites/km²')}",
                    "",
                )
            )
        if cores["n_cores"] > 10:
            rows.append((f"  {cores['n_cores'] - 10} smaller cores", "in --json", ""))
    return rows


def density_table(measures: dict[str, Any], extra: Sequence[tuple[str, Any, str]] = ()) -> str:
    """The point measures (``docs/measures.md``) as a table, followed by ``extra`` rows."""
    return text_table(_density_rows(measures) + list(extra))
