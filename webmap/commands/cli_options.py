"""Options shared by the commands, each declared once.

- :data:`DATA_OPTION` and :data:`CACHE_DIR_OPTION`: the registry and cache folders, read
  from the same environment variables as the server (:data:`webmap.config.SETTINGS`).
- :func:`analysis_options`: the click options of some analysis options of
  :class:`geo.options.AnalysisOptions`, each with its flag, default, range and doc from
  :mod:`geo.options` (as :func:`webmap.api.options_api.api_param` does for the API), so the
  command line and the API cannot disagree on a default. A command builds its
  :class:`~geo.options.AnalysisOptions` from its values with :func:`geo.options.options_from`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from geo.errors import ParameterError, quote
from geo.options import OptionSpec, spec
from webmap.config import SETTINGS

_ENV = {setting.name: setting.env for setting in SETTINGS}

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=_ENV["DATA_DIR"],
    default=None,
    help=f"Registry folder (default: ${_ENV['DATA_DIR']} or the bundled data/sites).",
)
CACHE_DIR_OPTION = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=_ENV["NETWORK_CACHE_DIR"],
    default=None,
    help="Street networks, their engines and uploaded analyses "
    f"(default: ${_ENV['NETWORK_CACHE_DIR']} or ~/.cache/clustermap).",
)


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


def click_option(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click option of the analysis option ``name``: flag ``--`` + its ``param`` with
    dashes (``eps_m`` is ``--eps``), its value under ``param`` for
    :func:`geo.options.options_from`."""
    option = spec(name)
    return click.option(
        "--" + option.param.replace("_", "-"),
        option.param,
        type=OptionType(option),
        default="none" if option.default is None else option.default,
        show_default=True,
        help=f"{option.doc} Values: {option.range_text()}.",
    )


def analysis_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """One decorator for the click options of the analysis options ``names``, shown by
    ``--help`` in that order."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return apply_options(func, [click_option(name) for name in names])

    return decorate


def apply_options(
    func: Callable[..., Any], options: list[Callable[..., Any]]
) -> Callable[..., Any]:
    """Decorate ``func`` with click ``options``, listed in the order ``--help`` shows them."""
    for option in reversed(options):
        func = option(func)
    return func
