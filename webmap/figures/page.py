"""The paper a figure is drawn on, its file format, and how it is written.

Sizes are real: A4 is 210 by 297 mm and A3 297 by 420 mm, so a PDF or SVG prints at
scale and a PNG has the paper's size in inches times ``dpi`` pixels. Text stays text:
SVG files name their fonts (``svg.fonttype = "none"``) and PDF files embed them as
TrueType (``pdf.fonttype = 42``), so titles and labels can be searched, copied and
edited. Every figure uses DejaVu Sans, which ships with matplotlib, so figures are the
same on any machine, offline. Settings apply through :func:`style`
(``matplotlib.rc_context``), never to matplotlib's global state, and no pyplot figure
manager is involved: figures are plain :class:`matplotlib.figure.Figure` objects, safe
in a threaded server.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import matplotlib as mpl
from matplotlib.figure import Figure

from geo.errors import ParameterError, quote

__all__ = [
    "DEFAULT_DPI",
    "FORMATS",
    "MAX_DPI",
    "MIN_DPI",
    "PAPERS",
    "Page",
    "figure_bytes",
    "format_of",
    "style",
]

Format = Literal["png", "svg", "pdf"]
#: File formats, by file extension, and their media types.
FORMATS: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}
#: Paper sizes in millimetres, portrait (width, height).
PAPERS: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "a3": (297.0, 420.0)}
MM_PER_INCH = 25.4
#: Resolutions a PNG may have (dots per inch).
MIN_DPI, MAX_DPI = 72, 600
DEFAULT_DPI = 150


#: Metadata left out of each format, so that the same figure gives the same bytes.
_NO_STAMP: dict[str, dict[str, str | None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


@dataclass(frozen=True)
class Page:
    """A sheet of paper: ``paper`` ({"a4", "a3"}), its orientation and the PNG resolution.

    Raises
    ------
    ParameterError
        For an unknown paper or a resolution outside :data:`MIN_DPI` to :data:`MAX_DPI`.
    """

    paper: str = "a4"
    landscape: bool = False
    dpi: int = DEFAULT_DPI

    def __post_init__(self) -> None:
        problems = []
        if self.paper not in PAPERS:
            problems.append(f"paper must be one of {', '.join(PAPERS)}, not {quote(self.paper)}")
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            problems.append(f"dpi must be from {MIN_DPI} to {MAX_DPI}, not {self.dpi}")
        if problems:
            raise ParameterError("; ".join(problems))

    @property
    def size_mm(self) -> tuple[float, float]:
        """(width, height) in millimetres."""
        short, long = PAPERS[self.paper]
        return (long, short) if self.landscape else (short, long)

    @property
    def size_in(self) -> tuple[float, float]:
        """(width, height) in inches."""
        width, height = self.size_mm
        return width / MM_PER_INCH, height / MM_PER_INCH

    @property
    def scale(self) -> float:
        """How much larger than A4 the sheet is (its short side over 210 mm): text and
        line sizes grow with it, so a layout that holds on A4 holds on A3."""
        return min(self.size_mm) / PAPERS["a4"][0]


def format_of(path: str | Path) -> Format:
    """The format named by a file's extension (``.png``, ``.svg`` or ``.pdf``).

    Raises
    ------
    ParameterError
        For any other extension.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "png":
        return "png"
    if suffix == "svg":
        return "svg"
    if suffix == "pdf":
        return "pdf"
    msg = f"a figure is written as .png, .svg or .pdf, not {quote(Path(path).name)}"
    raise ParameterError(msg)


#: matplotlib's settings are one dict per process, which ``rc_context`` changes and restores:
#: two threads drawing at once would restore each other's. One figure is drawn at a time.
_DRAWING = threading.RLock()


@contextmanager
def style() -> Iterator[None]:
    """Matplotlib settings of every figure (fonts, text as text), for this block only,
    one thread at a time."""
    with (
        _DRAWING,
        mpl.rc_context(
            {
                "font.family": "sans-serif",
                "font.sans-serif": ["DejaVu Sans"],
                "svg.fonttype": "none",
                "pdf.fonttype": 42,
                "ps.fonttype": 42,
                # the same figure gives the same bytes (ids in SVG files)
                "svg.hashsalt": "clustermap",
                "axes.unicode_minus": True,
            }
        ),
    ):
        yield


def figure_bytes(figure: Figure, fmt: str, *, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as a ``fmt`` file ({"png", "svg", "pdf"}; ``dpi`` counts for PNG only).

    Raises
    ------
    ParameterError
        For another format.
    """
    if fmt not in FORMATS:
        msg = f"a figure is written as {', '.join(FORMATS)}, not {quote(fmt)}"
        raise ParameterError(msg)
    buffer = io.BytesIO()
    metadata: dict[str, str | None] = dict(_NO_STAMP[fmt])
    title = str(figure.get_label() or "")
    if fmt != "png" and title:  # a text alternative (SVG <title>, PDF Title)
        metadata["Title"] = title
    with style():
        figure.savefig(buffer, format=fmt, dpi=dpi if fmt == "png" else 72, metadata=metadata)
    return buffer.getvalue()
