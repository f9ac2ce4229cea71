"""Which rows to measure and how to group them: ``--where`` filters and ``--by`` categories.

A filter is ``COLUMN=VALUE[,VALUE...]`` (the column's text equals one of the values) or
``COLUMN^=PREFIX[,PREFIX...]`` (it starts with one of the prefixes, e.g. a NAF division
``activitePrincipaleEtablissement^=62``). Several filters must all hold. A grouping is
``COLUMN`` (one category per distinct text) or ``COLUMN:N`` (the first N characters, e.g.
``activitePrincipaleEtablissement:2`` for the 88 two-digit NAF divisions).

N is at most :data:`MAX_BY_WIDTH`. A caller may cap the number of categories
(:attr:`Selection.max_categories`; the web API does).

Columns are compared as text, as written in the file (a postcode ``06000`` stays
``06000``); a missing value is the empty text. Filters and groupings work on Arrow arrays,
one chunk of rows at a time, so a file is never held whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo.errors import InputDataError, ParameterError, listing, param, quote

__all__ = [
    "MAX_BY_WIDTH",
    "By",
    "Selection",
    "Where",
    "check_columns",
    "parse_by",
    "parse_where",
]

#: Largest N of a ``COLUMN:N`` grouping (characters kept of each value).
MAX_BY_WIDTH = 1_000

_WHERE = re.compile(r"^(?P<column>[^=^]+?)\s*(?P<op>\^=|=)(?P<values>.*)$", re.DOTALL)
_BY = re.compile(r"^(?P<column>.+?)(?::(?P<width>[0-9]+))?$", re.DOTALL)


@dataclass(frozen=True)
class Where:
    """One filter: ``column`` equals (``op="="``) or starts with (``"^="``) one of ``values``."""

    column: str
    op: Literal["=", "^="]
    values: tuple[str, ...]

    def mask(self, values: pa.Array) -> np.ndarray:
        """The rows of one chunk (the column's text) that pass, as a boolean array."""
        text = _text(values)
        if self.op == "=":
            hit = pc.is_in(text, value_set=pa.array(self.values, pa.string()))
        else:
            hit = pc.starts_with(text, self.values[0])
            for prefix in self.values[1:]:
                hit = pc.or_(hit, pc.starts_with(text, prefix))
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)

    def __str__(self) -> str:
        return f"{self.column}{self.op}{','.join(self.values)}"


@dataclass(frozen=True)
class By:
    """A grouping: the text of ``column``, or its first ``width`` characters."""

    column: str
    width: int | None = None

    def labels(self, values: pa.Array) -> pa.Array:
        """The category of each row of one chunk, as text."""
        text = _text(values)
        return text if self.width is None else pc.utf8_slice_codeunits(text, 0, self.width)

    def __str__(self) -> str:
        return self.column if self.width is None else f"{self.column}:{self.width}"


@dataclass(frozen=True)
class Selection:
    """The rows to measure and how to group them.

    Attributes
    ----------
    where
        Filters every measured row passes.
    by
        A grouping whose categories are measured one by one, or None.
    kde_by
        Make a kernel density surface per category too (costly: one grid each).
    max_categories
        Refuse a grouping into more categories than this (None: no limit).
    """

    where: tuple[Where, ...] = ()
    by: By | None = None
    kde_by: bool = False
    max_categories: int | None = None

    def check_categories(self, count: int) -> None:
        """Raise :class:`~geo.errors.InputDataError` if the grouping has made more than
        :attr:`max_categories` categories."""
        if self.max_categories is not None and count > self.max_categories:
            msg = (
                f"--by {quote(str(self.by))} makes more categories than the limit of "
                f"{self.max_categories:,}; group on fewer characters (COLUMN:N) or filter "
                "with --where"
            )
            raise InputDataError(msg)

    @property
    def columns(self) -> list[str]:
        """The columns the filters and the grouping read."""
        names = [w.column for w in self.where] + ([self.by.column] if self.by else [])
        return list(dict.fromkeys(names))

    def mask_frame(self, frame: Any) -> np.ndarray:
        """The rows of a DataFrame that pass every filter (its columns read as text)."""
        keep = np.ones(len(frame), dtype=bool)
        for w in self.where:
            keep &= w.mask(pa.array(frame[w.column].astype("string"), from_pandas=True))
        return keep

    @property
    def label(self) -> str:
        """The filters as one text (``a^=62 and b=1``)."""
        return " and ".join(str(w) for w in self.where)


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as text, a missing value as the empty text."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    return pc.fill_null(values, "")


def parse_where(spec: str) -> Where:
    """A filter from ``COLUMN=V1,V2`` or ``COLUMN^=PREFIX``.

    Raises
    ------
    ParameterError
        If the text is neither form, or names no column or no value.

    Examples
    --------
    >>> parse_where("activitePrincipaleEtablissement^=62")
    Where(column='activitePrincipaleEtablissement', op='^=', values=('62',))
    >>> parse_where("codePostalEtablissement=75001,75002").values
    ('75001', '75002')
    """
    match = _WHERE.match(spec)
    if match is None or not match["column"].strip():
        msg = (
            f"{param('where')} must be COLUMN=VALUE[,VALUE...] or COLUMN^=PREFIX, not {quote(spec)}"
        )
        raise ParameterError(msg)
    values = tuple(v for v in match["values"].split(","))
    if not any(values) or any(not v for v in values):
        msg = f"{param('where')} {quote(spec)} has an empty value; list values separated by commas"
        raise ParameterError(msg)
    op: Literal["=", "^="] = "^=" if match["op"] == "^=" else "="
    return Where(column=match["column"].strip(), op=op, values=values)


def parse_by(spec: str, *, columns: Sequence[str] = ()) -> By:
    """A grouping from ``COLUMN`` or ``COLUMN:N``; a name ending in ``:N`` that is itself a
    column of ``columns`` is that column.

    Examples
    --------
    >>> parse_by("activitePrincipaleEtablissement:2")
    By(column='activitePrincipaleEtablissement', width=2)
    """
    text = spec.strip()
    match = _BY.match(text)
    if not text or match is None:
        msg = f"{param('by')} must be COLUMN or COLUMN:N, not {quote(spec)}"
        raise ParameterError(msg)
    if match["width"] is None or text in columns:
        return By(column=text)
    digits = match["width"].lstrip("0") or "0"
    width = int(digits) if len(digits) <= len(str(MAX_BY_WIDTH)) else MAX_BY_WIDTH + 1
    if width < 1:
        msg = f"{param('by')} {quote(spec)}: N must be at least 1 character"
        raise ParameterError(msg)
    if width > MAX_BY_WIDTH:
        msg = f"--by {quote(spec)}: N must be at most {MAX_BY_WIDTH:,} characters"
        raise ParameterError(msg)
    return By(column=match["column"], width=width)


def check_columns(names: Sequence[str], selection: Selection) -> None:
    """Raise one :class:`~geo.errors.InputDataError` naming every filter or grouping
    column the file does not have."""
    missing = [c for c in selection.columns if c not in names]
    if missing:
        msg = (
            f"no column named {listing(missing)} for {param('where')}/{param('by')}; "
            f"columns: {listing(names)}"
        )
        raise InputDataError(msg)
