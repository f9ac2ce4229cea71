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

from geo.measures import rows_of

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


def _density_rows(m: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """The point measures as table rows: each registered measure's rows
    (:mod:`geo.measures`), in recipe order."""
    rows: list[tuple[str, Any, str]] = [("points", m["n_points"], ""), ("metric CRS", m["crs"], "")]
    return rows + [(row.text, row.value, row.unit) for row in rows_of(m, detail=True)]


def density_table(measures: dict[str, Any], extra: Sequence[tuple[str, Any, str]] = ()) -> str:
    """The point measures (``docs/measures.md``) as a table, followed by ``extra`` rows."""
    return text_table(_density_rows(measures) + list(extra))
