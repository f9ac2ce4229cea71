"""``clustermap density`` on a business register: ``--where``, ``--by``, ``--lq-out`` and
the progress bar of a long read.

The filters and groupings are parsed by :mod:`geo.selection`; this module only declares
the options, draws the progress and prints the per-category table.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from geo.errors import ParameterError
from geo.selection import Selection, parse_by, parse_where
from webmap.commands.cli_options import apply_options


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--where`` and ``--by``: the rows measured, and the categories."""
    options = [
        click.option(
            "--where",
            "where",
            multiple=True,
            metavar="COLUMN=V[,V...]|COLUMN^=PREFIX",
            help="Measure only rows whose COLUMN equals one of the values, or starts with "
            "one of the prefixes (^=, e.g. activitePrincipaleEtablissement^=62). Repeatable: "
            "every filter must hold.",
        ),
        click.option(
            "--by",
            "by",
            default=None,
            metavar="COLUMN[:N]",
            help="Measure each category of COLUMN too (or of its first N characters: "
            "activitePrincipaleEtablissement:2 for the NAF divisions), with location "
            "quotients per H3 cell.",
        ),
    ]
    return apply_options(func, options)


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--where``, ``--by``, ``--by-kde`` and ``--lq-out``."""
    options = [
        click.option(
            "--by-kde",
            is_flag=True,
            help="With --by: a kernel density surface per category too (one grid each).",
        ),
        click.option(
            "--lq-out",
            type=click.Path(path_type=Path),
            default=None,
            help="Location quotients per H3 cell and category as GeoJSON (EPSG:4326).",
        ),
    ]
    return filter_options(apply_options(func, options))


def selection_of(opts: dict[str, Any]) -> Selection:
    """The :class:`~geo.selection.Selection` of the options of :func:`selection_options`."""
    by = parse_by(opts["by"]) if opts["by"] is not None else None
    if opts["by_kde"] and by is None:
        msg = "--by-kde needs --by"
        raise ParameterError(msg)
    return Selection(
        where=tuple(parse_where(w) for w in opts["where"]), by=by, kde_by=opts["by_kde"]
    )


class ReadProgress:
    """Rows and bytes read, on stderr when it is a terminal, once a read passes ``delay`` s."""

    def __init__(self, *, stream: TextIO | None = None, delay: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.delay = delay
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, rows: int, done: int, total: int) -> None:
        """Draw the bar after a chunk: ``rows`` read so far, ``done`` of ``total`` bytes."""
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        width = 30
        share = min(1.0, done / total) if total else 0.0
        bar = "#" * int(width * share) + "-" * (width - int(width * share))
        self.stream.write(
            f"\r[{bar}] reading: {rows:,} rows, {done / 1e6:,.0f} of {total / 1e6:,.0f} MB"
        )
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """End the bar's line, if it was drawn."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def category_rows(result: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """The per-category and location-quotient lines of the density table."""
    rows: list[tuple[str, Any, str]] = []
    if result.get("where"):
        rows.append(("where", " and ".join(result["where"]), ""))
        rows.append(("rows read", result["n_rows"], ""))
    by = result.get("by")
    quotients = {
        c["category"]: c for c in (result.get("location_quotients") or {}).get("categories", [])
    }
    if by:
        rows.append((f"categories of {by['column']}", by["n_categories"], ""))
        for c in sorted(by["categories"], key=lambda c: -c["n_points"])[:20]:
            lq = quotients.get(c["category"])
            lq_text = f", {lq['n_significant']} cells LQ>1 (p<0.05)" if lq else ""
            rows.append(
                (
                    f"  {c['category'] or '(empty)'}",
                    f"{c['n_points']:,} sites, R {_number(c['clark_evans_r'])}{lq_text}",
                    "",
                )
            )
        if by["n_categories"] > 20:
            rows.append(("  ...", f"{by['n_categories'] - 20} more (use --json)", ""))
    elif quotients:
        for label, lq in quotients.items():
            rows.append((f"LQ cells of {label}", lq["n_cells"], ""))
            rows.append(("  significant LQ > 1", lq["n_significant"], ""))
    return rows


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"
