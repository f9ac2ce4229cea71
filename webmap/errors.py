"""How each kind of failure is answered: one table for the API, the pages and the CLI.

Every expected failure is a :class:`geo._errors.ClustermapError`. Its row in
:data:`ERRORS` (the first whose type matches, most specific first) gives the HTTP status,
the API's error code and the command line's exit status. API error bodies are
``{"code", "description", "problems": [...]}`` (``docs/api.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo._errors import (
    ClustermapError,
    NetworkUnavailableError,
    TooLargeError,
    UnknownIdError,
)


@dataclass(frozen=True)
class Answer:
    """How one kind of failure is answered."""

    status: int
    code: str
    exit_code: int


#: Error type -> answer, most specific first.
ERRORS: tuple[tuple[type[ClustermapError], Answer], ...] = (
    (UnknownIdError, Answer(404, "NotFound", exit_code=2)),
    (NetworkUnavailableError, Answer(404, "NetworkUnavailable", exit_code=1)),
    (TooLargeError, Answer(413, "RequestEntityTooLarge", exit_code=1)),
    (ClustermapError, Answer(400, "InvalidParameterValue", exit_code=1)),
)


def answer_for(exc: ClustermapError) -> Answer:
    """The answer to ``exc``: its row of :data:`ERRORS`.

    Examples
    --------
    >>> from geo._errors import ParameterError
    >>> answer_for(ParameterError("radius must be > 0"))
    Answer(status=400, code='InvalidParameterValue', exit_code=1)
    """
    return next(answer for kind, answer in ERRORS if isinstance(exc, kind))


def error_body(code: str, description: str, problems: list[str] | None = None) -> dict[str, Any]:
    """The JSON body of an API error: ``problems`` defaults to the description alone."""
    return {"code": code, "description": description, "problems": problems or [description]}


def body_for(exc: ClustermapError) -> dict[str, Any]:
    """The JSON body answering ``exc``, with every problem it carries."""
    return error_body(answer_for(exc).code, str(exc), exc.problems)
