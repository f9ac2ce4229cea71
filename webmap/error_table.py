"""How each kind of failure is answered: one table for the API, the pages and the CLI.

Every expected failure is a :class:`geo.errors.ClustermapError`. Its row in
:data:`ERRORS` (the first whose type matches, most specific first) gives the HTTP status,
the API's error code and the command line's exit status. API error bodies are
``{"code", "description", "problems": [...]}`` (``docs/api.md``).

A message names a parameter by its key (:func:`geo.errors.param`); :data:`PARAMETERS`
spells each key in each interface, so the API answers with its parameters (``where``)
and the command line with its flags (``--where``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.errors import (
    ClustermapError,
    NetworkUnavailableError,
    TooLargeError,
    UnknownIdError,
)

MIB = 1024 * 1024


class CageLimitError(ClustermapError):
    """The child process reading an upload (:mod:`webmap.api.cage`) passed one of its limits
    and was killed."""


class MemoryLimitError(CageLimitError):
    """Reading or measuring an upload needed more memory than ``UPLOAD_MEMORY_BYTES``."""

    def __init__(self, limit_bytes: int, *, setting: str = "UPLOAD_MEMORY_BYTES") -> None:
        super().__init__(
            f"reading and measuring the upload needs more than {limit_bytes // MIB} MB of "
            f"memory ({setting}): send fewer points or columns"
        )


class CpuLimitError(CageLimitError):
    """Reading or measuring an upload took more CPU time than ``UPLOAD_CPU_SECONDS``."""

    def __init__(self, limit_s: float, *, setting: str = "UPLOAD_CPU_SECONDS") -> None:
        super().__init__(
            f"reading and measuring the upload needs more than {limit_s:g} s of CPU time "
            f"({setting}): send fewer points, columns or categories"
        )


class TimeLimitError(CageLimitError):
    """An upload was not read and measured within ``UPLOAD_WALL_SECONDS``."""

    def __init__(self, limit_s: float, *, setting: str = "UPLOAD_WALL_SECONDS") -> None:
        super().__init__(
            f"reading and measuring the upload took more than {limit_s:g} s "
            f"({setting}); the work was stopped"
        )


class CageSignalError(CageLimitError):
    """The child reading an upload died of a signal other than its limits'."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(
            f"the process reading the upload died ({signal_name}); the file cannot be read "
            "within the upload limits"
        )


@dataclass(frozen=True)
class Answer:
    """How one kind of failure is answered."""

    status: int
    code: str
    exit_code: int


@dataclass(frozen=True)
class Spelling:
    """How the command line and the API name one parameter (``api`` ``None``: the API has
    no such parameter, and a message names it by its key)."""

    cli: str
    api: str | None


#: Parameter key (as messages mark it) -> its spelling in each interface.
PARAMETERS: dict[str, Spelling] = {
    "lat": Spelling("--lat", "lat"),
    "lon": Spelling("--lon", "lon"),
    "x": Spelling("--x", "x"),
    "y": Spelling("--y", "y"),
    "crs": Spelling("--crs", "crs"),
    "drop_invalid": Spelling("--drop-invalid", "drop_invalid"),
    "where": Spelling("--where", "where"),
    "by": Spelling("--by", "by"),
    "hex_res": Spelling("--hex-res", "hex_res"),
}
#: The command line's spelling of every parameter key.
CLI_SPELLING = {key: spelling.cli for key, spelling in PARAMETERS.items()}
#: The API's spelling of every parameter key it has.
API_SPELLING = {key: s.api for key, s in PARAMETERS.items() if s.api is not None}

#: Error type -> answer, most specific first.
ERRORS: tuple[tuple[type[ClustermapError], Answer], ...] = (
    (UnknownIdError, Answer(404, "NotFound", exit_code=2)),
    (NetworkUnavailableError, Answer(404, "NetworkUnavailable", exit_code=1)),
    (MemoryLimitError, Answer(413, "MemoryLimitExceeded", exit_code=1)),
    (CpuLimitError, Answer(422, "CpuLimitExceeded", exit_code=1)),
    (TimeLimitError, Answer(504, "TimeLimitExceeded", exit_code=1)),
    (CageSignalError, Answer(422, "UploadProcessFailed", exit_code=1)),
    (TooLargeError, Answer(413, "RequestEntityTooLarge", exit_code=1)),
    (ClustermapError, Answer(400, "InvalidParameterValue", exit_code=1)),
)


def answer_for(exc: ClustermapError) -> Answer:
    """The answer to ``exc``: its row of :data:`ERRORS`.

    Examples
    --------
    >>> from geo.errors import ParameterError
    >>> answer_for(ParameterError("radius must be > 0"))
    Answer(status=400, code='InvalidParameterValue', exit_code=1)
    """
    return next(answer for kind, answer in ERRORS if isinstance(exc, kind))


def error_body(code: str, description: str, problems: list[str] | None = None) -> dict[str, Any]:
    """The JSON body of an API error: ``problems`` defaults to the description alone."""
    return {"code": code, "description": description, "problems": problems or [description]}


def body_for(exc: ClustermapError) -> dict[str, Any]:
    """The JSON body answering ``exc``, with every problem it carries, naming the API's
    parameters (:data:`API_SPELLING`)."""
    message, problems = exc.spelled(API_SPELLING)
    return error_body(answer_for(exc).code, message, problems)
