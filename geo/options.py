"""The options of a point analysis, each declared once: its default, its range and its doc.

:class:`AnalysisOptions` is what :func:`geo.analysis.analyse_points` and
:func:`geo.analysis.analyse_cluster` take. The command line (``clustermap measures``,
``density``, ``proximity``), the web API's query parameters and the option table of
``docs/measures.md`` are built from its fields (:func:`option_specs`), so no default can
drift from another, and both build their options from the values they parse with one
function, :func:`options_from`, so a value means the same in each.

One default for every caller: the dense cores use DBSCAN within 200 m with
``min_samples="auto"``: a core point has at least twice the study area's mean density
within 200 m (``2 x sites_per_km2 x π x 0.2²`` sites, rounded up), and at least 3
(:func:`geo.cores.auto_min_samples`; 3 below 10 points, whose hull makes a mean density
meaningless). A fixed count cannot serve both a registry cluster
of tens of sites, where three is the smallest count that makes a core more than a pair,
and a city's register, where three sites within 500 m merge the whole agglomeration into
one core (the synthetic Paris of ``scripts/make_register.py``: 159,766 sites within 15 km
of the centre, all in one core of 706 km²; with the rule, 57 sites within 200 m, 134
cores, the largest 8,918 sites on 24 km²; ``docs/measures.md`` gives the figures).
200 m is a few minutes' walk, the scale of a street of shops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from geo.errors import ParameterError, Problems

__all__ = [
    "KERNELS",
    "AnalysisOptions",
    "AreaRule",
    "BandwidthRule",
    "CoreMethod",
    "Kernel",
    "OptionSpec",
    "option_specs",
    "options_from",
    "options_table",
    "spec",
]

AreaRule = Literal["hull", "bbox", "buffer"]
CoreMethod = Literal["dbscan", "hdbscan"]
Kernel = Literal["gaussian", "quartic", "epanechnikov"]
BandwidthRule = Literal["scott", "silverman"]
KERNELS: tuple[str, ...] = ("gaussian", "quartic", "epanechnikov")


def _meta(doc: str, **meta: Any) -> dict[str, Any]:
    """A field's doc and range (``min``, ``max``, ``choices``; ``none``: what ``None``
    means, when it is allowed; ``kind``: ``int`` for an integer whose default is a word;
    ``param``: its name on the command line and in the API, when it is not the field's)."""
    return {"doc": doc, **meta}


@dataclass(frozen=True)
class AnalysisOptions:
    """How a point set is analysed (see each field's ``doc`` in its metadata).

    Raises
    ------
    ParameterError
        On construction, listing every invalid option at once.
    """

    area: AreaRule = field(
        default="hull",
        metadata=_meta(
            "Study area of the density: convex hull, bounding box or hull buffered by buffer_m.",
            choices=("hull", "bbox", "buffer"),
        ),
    )
    buffer_m: float | None = field(
        default=None,
        metadata=_meta(
            "Buffer of the hull, metres (area 'buffer').", min=0.0, max=100_000.0, none="no buffer"
        ),
    )
    bandwidth: float | BandwidthRule = field(
        default="scott",
        metadata=_meta(
            "Kernel bandwidth in metres (gaussian: standard deviation; quartic, epanechnikov: "
            "support radius) or a rule of thumb.",
            min=1.0,
            max=100_000.0,
            choices=("scott", "silverman"),
        ),
    )
    kernel: Kernel = field(
        default="gaussian", metadata=_meta("Kernel shape of the density surface.", choices=KERNELS)
    )
    cell_m: float | None = field(
        default=None,
        metadata=_meta(
            "Density grid cell size, metres.",
            param="cell",
            min=1.0,
            max=100_000.0,
            none="512 cells on the longest side",
        ),
    )
    hex_res: int | None = field(
        default=9,
        metadata=_meta(
            "H3 resolution of the hexagonal bins (9 is about 0.1 km²).",
            min=0,
            max=15,
            none="no hexagons",
        ),
    )
    cores: CoreMethod | None = field(
        default="dbscan",
        metadata=_meta(
            "Method of the dense cores.", choices=("dbscan", "hdbscan"), none="no cores"
        ),
    )
    eps_m: float = field(
        default=200.0,
        metadata=_meta(
            "DBSCAN radius of the dense cores, metres.", param="eps", min=1.0, max=50_000.0
        ),
    )
    min_samples: int | Literal["auto"] = field(
        default="auto",
        metadata=_meta(
            "Sites within eps_m (itself included) that make a core point; auto: twice the "
            "study area's mean density over a disc of eps_m, at least 3 (3 below 10 points).",
            min=1,
            max=1000,
            choices=("auto",),
            kind=int,
        ),
    )
    k: int = field(
        default=1, metadata=_meta("Nearest neighbours listed per point.", min=1, max=100)
    )

    def __post_init__(self) -> None:
        problems = Problems()
        for spec in option_specs():
            if problem := spec.problem(getattr(self, spec.name)):
                problems.add(problem)
        if self.area == "buffer" and self.buffer_m is None:
            problems.add("area 'buffer' needs buffer_m")
        problems.raise_if_any(ParameterError)


@dataclass(frozen=True)
class OptionSpec:
    """One option's declaration, read from the fields of :class:`AnalysisOptions`.

    ``param`` is its name for a user: the API's query parameter and, with ``--`` and dashes,
    the command line's flag (``eps_m`` is ``eps`` and ``--eps``).
    """

    name: str
    param: str
    default: Any
    doc: str
    kind: type
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    none: str | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not a valid value of this option, or None."""
        if value is None:
            return None if self.none is not None else f"{self.name} is required"
        if isinstance(value, str):
            if value in self.choices:
                return None
            return f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}"
        if self.minimum is None:
            return f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}"
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (self.kind is int and int(value) != value):
            what = "an integer" if self.kind is int else "a number"
            words = f" or one of {', '.join(self.choices)}" if self.choices else ""
            return f"{self.name} must be {what}{words}, not {value!r}"
        if not self.minimum <= value <= (self.maximum if self.maximum is not None else value):
            return f"{self.name} must be from {self.minimum:g} to {self.maximum:g}, not {value}"
        return None

    def range_text(self) -> str:
        """The valid values, for help texts and the documentation."""
        parts = []
        if self.minimum is not None:
            parts.append(f"{self.minimum:g} to {self.maximum:g}")
        parts += list(self.choices)
        if self.none is not None:
            parts.append(f"none ({self.none})")
        return ", ".join(parts)


def option_specs() -> tuple[OptionSpec, ...]:
    """Every option of :class:`AnalysisOptions`, in declaration order."""
    specs = []
    for f in dataclasses.fields(AnalysisOptions):
        meta = f.metadata
        kind = meta.get("kind") or (int if isinstance(f.default, int) else float)
        specs.append(
            OptionSpec(
                name=f.name,
                param=meta.get("param", f.name),
                default=f.default,
                doc=meta["doc"],
                kind=kind,
                minimum=meta.get("min"),
                maximum=meta.get("max"),
                choices=tuple(meta.get("choices", ())),
                none=meta.get("none"),
            )
        )
    return tuple(specs)


def options_from(values: Mapping[str, Any], **fixed: Any) -> AnalysisOptions:
    """The :class:`AnalysisOptions` of parsed command-line or API values: the one place
    both build them.

    Parameters
    ----------
    values
        Values keyed by each option's ``param`` (:class:`OptionSpec`: ``eps``, ``cell``,
        ``hex_res`` ...), as the command line's options and the API's parsed query give them;
        an option absent from ``values`` takes its default, other keys are ignored. A whole
        number given to a decimal option counts as that decimal (``eps=200`` is ``200.0``).
    **fixed
        Options the caller decides whatever ``values`` hold, by field name (``cores=None``
        where no dense core is wanted; an ``area`` parsed from a polygon file's argument).

    Raises
    ------
    ParameterError
        Listing every invalid option at once.
    """
    chosen: dict[str, Any] = {}
    for option in option_specs():
        if option.name in fixed or option.param not in values:
            continue
        value = values[option.param]
        if option.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        chosen[option.name] = value
    return AnalysisOptions(**chosen, **fixed)


def spec(name: str) -> OptionSpec:
    """The declaration of one option."""
    return next(s for s in option_specs() if s.name == name)


def options_table() -> str:
    """The Markdown table of every option, its one default and its range (docs/measures.md)."""
    rows = ["| option | default | values | meaning |", "| --- | --- | --- | --- |"]
    for s in option_specs():
        default = "none" if s.default is None else f"{s.default}"
        rows.append(f"| `{s.name}` | {default} | {s.range_text()} | {s.doc} |")
    return "\n".join(rows)
