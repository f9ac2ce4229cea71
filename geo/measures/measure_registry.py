"""The :class:`Measure` record and the registry every engine, view and test iterates.

A measure is declared once, in its own module of :mod:`geo.measures`, with
:func:`register`. The record holds its kernel (``compute``, on the metric coordinates the
engine offers as :class:`Points`, and the analysis so far: the study area comes first), how
chunks or partitions combine (:class:`Chunks`), or that it needs all points at once
(:class:`AllPoints`, with its memory bound), or which engine primitive it reads
(:class:`Primitive`); its summary keys and units (:class:`SummaryKey`), its small-n
threshold and caveat, and the rows the page and the command line show (:class:`Row`).
Labels and caveats are English ``%(name)s`` templates marked with :func:`geo.messages.N_`;
their values are kept apart, so the web layer translates the template, then fills it.

The engines (:mod:`geo.analysis`, :mod:`geo.column_analysis`, :mod:`geo.distributed`) run
:func:`measures` in order through :func:`geo.recipe.run_measures`; none keeps a list.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np
import pyproj

from geo.messages import fill
from geo.options import AnalysisOptions

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis

__all__ = [
    "ENV_MEASURES",
    "AllPoints",
    "Chunks",
    "Measure",
    "Points",
    "Primitive",
    "Row",
    "SummaryKey",
    "load_measures",
    "measure",
    "measures",
    "measures_table",
    "plugin_modules",
    "register",
    "registered",
    "rows_of",
]

#: Environment variable naming extra measure modules (comma-separated) that every engine
#: process imports: the server, the upload cage's children and Dask workers.
ENV_MEASURES = "CLUSTERMAP_MEASURES"

P = TypeVar("P")


@dataclass(frozen=True)
class SummaryKey:
    """One key a measure adds to the point measures' JSON (``docs/measures.md``); with a
    ``column`` label (a template), a scalar shown in the ``/compare`` table."""

    key: str
    unit: str
    doc: str
    column: str | None = None


@dataclass(frozen=True)
class Row:
    """One row of the measures table: ``label`` (a template filled with ``values``), the
    ``value`` and its ``unit``; ``fmt`` formats a float on the page, ``html_id`` names the
    cell, and ``caveat`` the measure whose caveat marks the row; ``brief`` rows are also
    on a cluster's side panel, ``detail`` rows only on the command line."""

    label: str
    value: Any
    unit: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    fmt: str = "%.6g"
    html_id: str | None = None
    caveat: str | None = None
    brief: bool = False
    detail: bool = False

    @property
    def text(self) -> str:
        """The label in English (the command line)."""
        return fill(self.label, dict(self.values))


@dataclass(frozen=True)
class Chunks(Generic[P]):
    """A measure computed chunk by chunk: ``kernel`` gives the partial of one chunk's
    metric coordinates (``(n, 2)``, in the analysis' CRS), ``merge`` combines two partials.
    The in-process and columnar engines make one chunk of all points; Dask one a partition,
    merged on the workers. ``kernel`` and ``merge`` must be module-level functions (Dask
    ships them to its workers by name)."""

    kernel: Callable[[np.ndarray], P]
    merge: Callable[[P, P], P]


@dataclass(frozen=True)
class AllPoints:
    """A measure that needs every point in one array (the Dask engine refuses it before
    any work): ``memory`` states its memory bound, ``off`` how a user leaves it out."""

    memory: str
    off: str


@dataclass(frozen=True)
class Primitive:
    """A measure that reads one primitive of :class:`Points` (``name``), which each engine
    provides its own way: ``how`` says how the partitions combine."""

    name: str
    how: str


class Points(Protocol):
    """What an engine offers a measure: the points in metric coordinates, or what its
    chunks or partitions know of them."""

    engine: str
    options: AnalysisOptions
    crs: pyproj.CRS
    n: int
    polygon: Any
    index: Any

    def xy(self) -> np.ndarray:
        """Every point's metric x/y (``(n, 2)``), for :class:`AllPoints` measures."""
        ...

    def hull_vertices(self) -> np.ndarray:
        """Points whose convex hull and bounding box are those of all points."""
        ...

    def mean_nn_distance_m(self) -> float:
        """Mean distance from each point to its nearest other point (NaN below two)."""
        ...

    def kde_surface(self) -> Any:
        """The kernel density surface of the options (raises ``ClustermapError``)."""
        ...

    def hexagons(self, resolution: int) -> Any:
        """The points per H3 cell, as the engine keeps them."""
        ...

    def reduce(self, chunks: Chunks[P]) -> P:
        """The merged partials of a :class:`Chunks` measure."""
        ...


def _always(_options: AnalysisOptions) -> bool:
    return True


def _n_below(result: Any, analysis: PointAnalysis, threshold: int) -> dict[str, Any] | None:
    n = analysis.n_points
    return {"n": n, "min": threshold} if n < threshold else None


@dataclass(frozen=True)
class Measure:
    """One measure of a point set, declared once (see the module doc).

    Attributes
    ----------
    key
        Names the measure: its caveat, its result in ``PointAnalysis.results``.
    name
        What the measure is, in a sentence's words (``"dense cores"``).
    stage
        The progress stage it runs in.
    order
        Its place in the recipe (the study area is 10; later measures read earlier ones).
    compute
        ``compute(points, analysis)``: the result (None: not computed), notes appended to
        ``analysis.warnings``.
    summary
        ``summary(result, analysis)``: its keys of the point measures' JSON.
    keys
        Those keys with their units, as ``docs/measures.md`` lists them.
    rows
        ``rows(measures)``: the table rows, from the point measures' JSON.
    combine
        How chunks or partitions combine (:class:`Chunks`, :class:`Primitive`), or
        :class:`AllPoints`.
    enabled
        Whether the options ask for it.
    min_points, caveat, caveat_values
        Below ``min_points`` the result is kept as a description and flagged with the
        ``caveat`` template, filled by ``caveat_values(result, analysis)`` (None: no
        caveat; default ``{"n": n, "min": min_points}``).
    attribute
        The ``PointAnalysis`` field that holds the result (None: ``results[key]``).
    compare
        Whether two engines must give the same summary (the equivalence tests).
    module
        The module that declared it (set by :func:`register`): child processes import it.
    """

    key: str
    name: str
    stage: str
    order: int
    compute: Callable[[Points, PointAnalysis], Any]
    summary: Callable[[Any, PointAnalysis], dict[str, Any]]
    keys: tuple[SummaryKey, ...]
    rows: Callable[[Mapping[str, Any]], list[Row]]
    combine: Chunks[Any] | AllPoints | Primitive
    enabled: Callable[[AnalysisOptions], bool] = _always
    min_points: int | None = None
    caveat: str | None = None
    caveat_values: Callable[[Any, PointAnalysis], dict[str, Any] | None] | None = None
    attribute: str | None = None
    compare: bool = True
    module: str = ""

    def caveat_of(self, result: Any, analysis: PointAnalysis) -> tuple[str, dict[str, Any]] | None:
        """The caveat template and its values for this result, or None."""
        if self.caveat is None or self.min_points is None or result is None:
            return None
        if self.caveat_values is None:
            values = _n_below(result, analysis, self.min_points)
        else:
            values = self.caveat_values(result, analysis)
        return None if values is None else (self.caveat, values)


_LOCK = threading.RLock()
_MEASURES: dict[str, Measure] = {}
_LOADED: list[str] = []
_BUILTIN = "geo.measures"


def register(declared: Measure) -> Measure:
    """Add ``declared`` to the registry (again: replaced) and return it."""
    module = declared.module or declared.compute.__module__
    with _LOCK:
        _MEASURES[declared.key] = replace(declared, module=module)
    return declared


def _discover() -> None:
    """Import every module of :mod:`geo.measures` (each registers its measures) and the
    modules named by :data:`ENV_MEASURES`, once."""
    with _LOCK:
        if _LOADED:
            return
        package = importlib.import_module(_BUILTIN)
        names = [
            f"{_BUILTIN}.{info.name}"
            for info in pkgutil.iter_modules(package.__path__)
            if info.name != "measure_registry"
        ]
        extra = [n.strip() for n in os.environ.get(ENV_MEASURES, "").split(",") if n.strip()]
        _LOADED.append(_BUILTIN)
        for name in [*names, *extra]:
            importlib.import_module(name)


def load_measures(modules: Sequence[str]) -> None:
    """Import measure modules (each registers its measures): how a child process or a
    worker gets the measures its parent registered (:func:`plugin_modules`)."""
    _discover()
    for name in modules:
        importlib.import_module(name)


def measures(options: AnalysisOptions | None = None) -> list[Measure]:
    """The registered measures in recipe order (with ``options``: those they enable)."""
    _discover()
    with _LOCK:
        every = sorted(_MEASURES.values(), key=lambda m: (m.order, m.key))
    return [m for m in every if options is None or m.enabled(options)]


def measure(key: str) -> Measure:
    """The registered measure ``key`` (``KeyError`` if none)."""
    _discover()
    return _MEASURES[key]


def rows_of(
    summary: Mapping[str, Any] | None, *, brief: bool = False, detail: bool = False
) -> list[Row]:
    """The table rows of point measures (``PointAnalysis.to_dict()``), measure by measure:
    only ``brief`` ones, and ``detail`` ones (the command line's) only when asked. A
    measure registered after the analysis ran has no keys in it, and no rows."""
    if not summary:
        return []
    out: list[Row] = []
    for declared in measures():
        if all(k.key in summary for k in declared.keys):
            out += [
                row
                for row in declared.rows(summary)
                if (detail or not row.detail) and (row.brief or not brief)
            ]
    return out


def _combine_text(combine: Chunks[Any] | AllPoints | Primitive) -> str:
    if isinstance(combine, Chunks):
        return "chunk by chunk: partials merged in pairs"
    if isinstance(combine, AllPoints):
        return f"needs all points at once, memory {combine.memory}; Dask refuses it"
    return f"engine primitive `{combine.name}`: {combine.how}"


def measures_table() -> str:
    """The Markdown table of every registered measure (``docs/measures.md``): its key and
    module, its JSON keys with units, how chunks or partitions combine, its threshold."""
    rows = [
        "| measure | module | JSON keys (unit) | chunks and partitions | fewest points |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in measures():
        keys = ", ".join(f"`{k.key}`" + (f" ({k.unit})" if k.unit else "") for k in m.keys)
        fewest = "" if m.min_points is None else str(m.min_points)
        rows.append(
            f"| `{m.key}`: {m.name} | `{m.module}` | {keys} | {_combine_text(m.combine)} "
            f"| {fewest} |"
        )
    return "\n".join(rows)


def plugin_modules() -> tuple[str, ...]:
    """The modules outside :mod:`geo.measures` that registered measures."""
    return tuple(sorted({m.module for m in measures() if not m.module.startswith(_BUILTIN + ".")}))


@contextmanager
def registered(*declared: Measure) -> Iterator[None]:
    """Register measures for the duration of a block (tests), then restore the registry."""
    _discover()
    with _LOCK:
        before = dict(_MEASURES)
    try:
        for m in declared:
            register(m)
        yield
    finally:
        with _LOCK:
            _MEASURES.clear()
            _MEASURES.update(before)
