"""One error type per kind of failure.

Every error clustermap raises for bad input is a :class:`ClustermapError`, so the command
line and the web API can turn it into a one-line message (CLI) or a 4xx JSON body (API)
without ever showing a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class ClustermapError(Exception):
    """Base class of every expected, user-facing failure."""


class RegistryError(ClustermapError, ValueError):
    """The registry folder or one of its files is missing, unreadable or invalid.

    ``problems`` lists every problem found, one line each, so a user fixes a file in one pass.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class UnknownIdError(ClustermapError, KeyError):
    """A cluster, site or epicentre id that the registry does not hold."""

    def __init__(self, kind: str, value: str, valid: list[str]) -> None:
        self.kind = kind
        self.value = value
        self.valid = sorted(valid)
        super().__init__(f"unknown {kind} id {quote(value)}; valid ids: {', '.join(self.valid)}")

    def __str__(self) -> str:
        return str(self.args[0])


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
