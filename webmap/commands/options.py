"""Command-line options built from :class:`geo.options.AnalysisOptions`.

Each analysis option is declared once, in :mod:`geo.options`; :func:`click_option` reads
its default, range and doc from there (as :func:`webmap.api.options.api_param` does for the
API), so the command line and the API cannot disagree on a default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from geo._errors import ParameterError, quote
from geo.options import OptionSpec, spec


class OptionType(click.ParamType):
    """A click type that reads one analysis option: a number in its range, one of its
    words, or ``none`` when the option allows it."""

    name = "option"

    def __init__(self, option: OptionSpec) -> None:
        self.option = option

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The option's value of a command-line word (or the default as it is).

        Raises
        ------
        ParameterError
            For a value out of the option's range (``error:`` and exit status 1, as every
            other invalid parameter of the command line).
        """
        if not isinstance(value, str):
            return value
        option = self.option
        flag = param.opts[0] if param is not None and param.opts else option.name
        word = value.strip().lower()
        if word == "none" and option.none is not None:
            return None
        if word in option.choices:
            return word
        number: float | int | None = None
        if option.minimum is not None:
            try:
                number = int(word) if option.kind is int else float(word)
            except ValueError:
                number = None
        problem = None if number is None else option.problem(number)
        if number is None or problem:
            msg = f"{flag} must be {option.range_text()}, not {quote(value)}"
            raise ParameterError(msg)
        return number


def click_option(name: str, flag: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A click option (``flag``, e.g. ``"--eps"``) of the analysis option ``name``."""
    option = spec(name)
    return click.option(
        flag,
        name,
        type=OptionType(option),
        default="none" if option.default is None else option.default,
        show_default=True,
        help=f"{option.doc} Values: {option.range_text()}.",
    )
