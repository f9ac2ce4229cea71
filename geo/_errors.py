"""One error type per kind of failure.

Every error clustermap raises for bad input is a :class:`ClustermapError`, so the command
line and the web API can turn it into a one-line message (CLI) or a 4xx JSON body (API)
without ever showing a traceback.
"""

from __future__ import annotations


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
        super().__init__(f"unknown {kind} id {value!r}; valid ids: {', '.join(self.valid)}")

    def __str__(self) -> str:
        return str(self.args[0])


class InputDataError(ClustermapError, ValueError):
    """An analyst's point file cannot be read or holds invalid coordinates."""


class ParameterError(ClustermapError, ValueError):
    """An option or query parameter is out of its documented range."""


class NetworkUnavailableError(ClustermapError, RuntimeError):
    """No street network is cached, given or downloadable for the request."""
