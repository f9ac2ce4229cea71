"""Commands of this concern are added by the issue that owns this module."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
