"""Read a CSV of points safely: decoded whole, rows checked before pandas parses them.

The header line is split first: more than :data:`~geo._containers.MAX_COLUMNS` columns is
refused at once (a header of a million empty names costs pandas gigabytes), and only the
columns a caller keeps are parsed. A field may hold at most :data:`FIELD_LIMIT` characters
(Python's :mod:`csv` limit).

pandas takes a first data row with more fields than the header as index columns, which
costs time and memory quadratic in its length (300 KB of commas: minutes, gigabytes). So
every row is first split by :mod:`csv` (linear, quote-aware) and a row with more fields
than the header is refused with its line number; rows beyond ``max_rows`` stop the read.
Shorter rows stay allowed (their missing fields are empty, as pandas reads them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence

import pandas as pd

from geo._containers import check_columns
from geo.errors import InputDataError, TooLargeError, quote

__all__ = [
    "FIELD_LIMIT",
    "SEPARATORS",
    "decode",
    "detect_separator",
    "header_names",
    "read_csv_bytes",
]

#: Separators detected from the header, most frequent first (ties: in this order).
SEPARATORS = (";", "\t", "|", ",")
#: Most characters in one field (128 KiB; a longer field is refused with its line).
FIELD_LIMIT = csv.field_size_limit()


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and its encoding: UTF-8 (a BOM dropped) if it is that, else
    Windows-1252, else Latin-1 (which decodes any bytes), judged on the whole content."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def detect_separator(header: str) -> str:
    """The separator of :data:`SEPARATORS` most frequent in the header line (``,`` if none)."""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


def _check_rows(text: str, *, sep: str, name: str, max_rows: int | None) -> None:
    """Refuse a row with more fields than the header, or more than ``max_rows`` rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    width = None
    rows = 0
    try:
        for row in reader:
            if not row:
                continue
            if width is None:
                width = len(row)
                continue
            if len(row) > width:
                msg = (
                    f"{name}: line {reader.line_num} has {len(row):,} fields but the header "
                    f"has {width} (separator {sep!r}); quote values that hold the separator"
                )
                raise InputDataError(msg)
            rows += 1
            if max_rows is not None and rows > max_rows:
                msg = f"{name}: holds more rows than the limit of {max_rows:,} points"
                raise TooLargeError(msg)
    except csv.Error as exc:
        msg = f"{name}: cannot read as CSV at line {reader.line_num}: {quote(exc)}"
        raise InputDataError(msg) from exc


def header_names(header: str, *, sep: str, name: str) -> list[str]:
    """The column names of a header line, refused beyond
    :data:`~geo._containers.MAX_COLUMNS` (counted before the line is split: splitting
    a million names takes a second)."""
    bare = re.sub(r'"(?:[^"]|"")*"', '""', header) if '"' in header else header
    check_columns(bare.count(sep) + 1, name=name)
    try:
        names = next(csv.reader([header.rstrip("\r\n")], delimiter=sep), [])
    except csv.Error as exc:
        msg = f"{name}: cannot read as CSV at line 1: {quote(exc)}"
        raise InputDataError(msg) from exc
    check_columns(len(names), name=name)
    return names


def read_csv_bytes(
    data: bytes,
    *,
    name: str,
    max_rows: int | None = None,
    keep: Callable[[Sequence[str]], Sequence[str]] | None = None,
) -> pd.DataFrame:
    """A DataFrame of the columns of a CSV (those ``keep`` picks from the header's names,
    or every one); coordinates are parsed later.

    The separator (``,``, ``;``, tab or ``|``) is the one the header holds most of.

    Raises
    ------
    InputDataError
        If the file is empty, a row has more fields than the header, or pandas cannot
        parse it.
    TooLargeError
        If it holds more than ``max_rows`` data rows (None: no limit), or more than
        :data:`~geo._containers.MAX_COLUMNS` columns.
    """
    text, encoding = decode(data)
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    if not header:
        msg = f"{name}: the file is empty"
        raise InputDataError(msg)
    sep = detect_separator(header)
    names = header_names(header, sep=sep, name=name)
    _check_rows(text, sep=sep, name=name, max_rows=max_rows)
    usecols = None
    if keep is not None and len(set(names)) == len(names):  # pandas renames duplicates
        usecols = list(keep(names))
    utf8 = data if encoding == "utf-8-sig" else text.encode("utf-8")  # pandas reads bytes faster
    try:
        return pd.read_csv(
            io.BytesIO(utf8), sep=sep, encoding="utf-8-sig", low_memory=False, usecols=usecols
        )
    except (pd.errors.ParserError, ValueError) as exc:
        msg = f"{name}: cannot read as CSV (separator {sep!r}): {quote(exc)}"
        raise InputDataError(msg) from exc
