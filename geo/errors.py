"""One error type per kind of failure.

Every error clustermap raises for bad input is a :class:`ClustermapError`, so the command
line and the web API can turn it into a one-line message (CLI) or a 4xx JSON body (API)
without ever showing a traceback.

A message names a parameter by its key, marked with :func:`param` (``param("where")``):
each interface spells the key its own way when it shows the error (the command line
``--where``, the API ``where``; :data:`webmap.error_table.PARAMETERS`), and ``str(error)``
spells it as the Python API names it, the key itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: A parameter marked in a message by :func:`param`.
_PARAM = re.compile("\u2039([a-z_]+)\u203a")


def param(key: str) -> str:
    """Mark the parameter ``key`` in a message, for each interface to spell (:func:`spell`).

    Examples
    --------
    >>> spell(f"{param('where')} must be COLUMN=VALUE", {"where": "--where"})
    '--where must be COLUMN=VALUE'
    >>> str(ParameterError(f"{param('drop_invalid')} drops them"))
    'drop_invalid drops them'
    """
    return f"\u2039{key}\u203a"


def spell(text: str, spelling: Mapping[str, str] | None = None) -> str:
    """``text`` with each parameter marked by :func:`param` spelled as ``spelling`` says
    (a key it lacks, or no ``spelling``: the key itself)."""
    names = spelling or {}
    return _PARAM.sub(lambda found: names.get(found.group(1), found.group(1)), text)


class ClustermapError(Exception):
    """Base class of every expected, user-facing failure.

    ``message`` sums the failure up; ``problems`` lists each thing to fix, one line each
    (a single problem is the message itself), so the API can answer them as a list and the
    command line print them one per line.
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems) or [message]

    def lines(self, spelling: Mapping[str, str] | None = None) -> list[str]:
        """The error for a terminal, one problem per line, its parameters spelled as
        ``spelling`` says (:func:`spell`).

        Examples
        --------
        >>> ClustermapError("bad radius").lines()
        ['bad radius']
        >>> ParameterError("a; b", ["a", "b"]).lines()
        ['a', 'b']
        >>> RegistryError("invalid registry", ["x.geojson: no name"]).lines()
        ['invalid registry', '  - x.geojson: no name']
        """
        message = spell(self.message, spelling)
        problems = [spell(p, spelling) for p in self.problems]
        if problems == [message]:
            return [message]
        if message == "; ".join(problems):
            return list(problems)
        return [message, *(f"  - {p}" for p in problems)]

    def describe(self, spelling: Mapping[str, str] | None = None) -> str:
        """The error in one text (``str(error)``), parameters spelled as ``spelling`` says."""
        return spell(self.message, spelling)

    def spelled(self, spelling: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
        """The description and the problems, parameters spelled as ``spelling`` says."""
        return self.describe(spelling), [spell(p, spelling) for p in self.problems]

    def __str__(self) -> str:
        return self.describe()


class Problems:
    """The one collector of problems: add each as it is found, then raise them together.

    Examples
    --------
    >>> found = Problems()
    >>> found.add("radius must be > 0")
    >>> found.add("no such column", where="points.csv")
    >>> found.raise_if_any(ParameterError)
    Traceback (most recent call last):
    ...
    geo.errors.ParameterError: radius must be > 0; points.csv: no such column
    """

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, message: str, *, where: str = "") -> None:
        """Record one problem, prefixed with ``where`` it is (file, feature, field) if given."""
        self.lines.append(f"{where}: {message}" if where else message)

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_if_any(self, error: type[ClustermapError], summary: str | None = None) -> None:
        """Raise ``error`` with every problem if there is any (``summary``: the message
        above them; by default the problems joined with ``"; "``)."""
        if self.lines:
            raise error(summary or "; ".join(self.lines), self.lines)


class RegistryError(ClustermapError, ValueError):
    """The registry folder or one of its files is missing, unreadable or invalid.

    ``problems`` lists every problem found, one line each, so a user fixes a file in one pass;
    they are part of the message.
    """

    def describe(self, spelling: Mapping[str, str] | None = None) -> str:
        """The summary with every problem below it."""
        return "\n".join(self.lines(spelling))


class UnknownIdError(ClustermapError, KeyError):
    """A cluster, site or epicentre id that the registry does not hold."""

    def __init__(self, kind: str, value: str, valid: list[str]) -> None:
        self.kind = kind
        self.value = value
        self.valid = sorted(valid)
        super().__init__(f"unknown {kind} id {quote(value)}; valid ids: {', '.join(self.valid)}")


class InputDataError(ClustermapError, ValueError):
    """An analyst's point file cannot be read or holds invalid coordinates."""


class ParameterError(ClustermapError, ValueError):
    """An option or query parameter is out of its documented range."""


class NetworkUnavailableError(ClustermapError, RuntimeError):
    """No street network is cached, given or downloadable for the request."""


class EngineUnavailableError(ClustermapError, RuntimeError):
    """A computing engine cannot run: its optional packages are missing or its cluster
    cannot be reached."""


class TooLargeError(InputDataError):
    """Input data beyond a configured limit (points, or bytes once decompressed)."""


#: Characters of user input a message quotes at most.
QUOTE_LIMIT = 80


def clip(text: object, *, limit: int = QUOTE_LIMIT) -> str:
    """At most ``limit`` characters of user input, then ``…`` if cut (a name in a message)."""
    value = str(text)
    return value[:limit] + "…" if len(value) > limit else value


def quote(text: object, *, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of at most ``limit`` characters of user input, then ``…`` if cut.

    Every message that quotes input (a value, a line, a column name) goes through this, so
    an error never echoes a huge input back.

    Examples
    --------
    >>> quote("lat")
    "'lat'"
    >>> quote("x" * 100, limit=3)
    "'xxx…'"
    """
    return repr(clip(text, limit=limit))


def listing(items: Iterable[object], *, limit: int = 5) -> str:
    """At most ``limit`` quoted items, comma-separated, then ``and N more``.

    ``(none)`` for no items. E.g. ``'a', 'b' and 3 more``.
    """
    values = [str(v) for v in items]
    if not values:
        return "(none)"
    shown = ", ".join(quote(v) for v in values[:limit])
    more = len(values) - limit
    return f"{shown} and {more} more" if more > 0 else shown


#: What native libraries say when an allocation failed: C++ (``std::bad_alloc``, as GEOS
#: passes it on), Arrow and GDAL (``out of memory``), the C library (``ENOMEM``).
_OUT_OF_MEMORY = re.compile(
    r"bad_alloc|out of memory|cannot allocate memory|failed to allocate", re.IGNORECASE
)


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it was raised from, is a failed allocation: a
    :class:`MemoryError`, or a native library's wrapping of one.

    Examples
    --------
    >>> out_of_memory(RuntimeError("std::bad_alloc"))
    True
    >>> out_of_memory(ValueError("not a GeoParquet file"))
    False
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, MemoryError) or _OUT_OF_MEMORY.search(str(current)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def unreadable(exc: Exception, *, name: str) -> Exception:
    """The error to raise when a library failed to read the file ``name`` with ``exc``: a
    :class:`MemoryError` when an allocation failed (:func:`out_of_memory`; the memory limit's
    failure, not the file's), else an :class:`InputDataError` quoting the library.

    Examples
    --------
    >>> unreadable(OSError("not a ZIP file"), name="up.zip")
    InputDataError("up.zip: cannot read: 'not a ZIP file'")
    >>> unreadable(RuntimeError("std::bad_alloc"), name="up.parquet")
    MemoryError('up.parquet: out of memory while reading')
    """
    if out_of_memory(exc):
        return MemoryError(f"{name}: out of memory while reading")
    return InputDataError(f"{name}: cannot read: {quote(exc, limit=200)}")
