"""Files that ship with clustermap: the bundled registry and street networks.

In a source checkout they are the repository's own ``data/sites`` and ``data/networks``.
An installed wheel carries the very same folders as ``geo/_data/sites`` and
``geo/_data/networks``: the build maps them in (``pyproject.toml``,
``[tool.hatch.build.targets.wheel.force-include]``), so the repository stays the one
source of truth and nothing is copied by hand.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """Return the bundled data folder ``name`` (``"sites"`` or ``"networks"``).

    The wheel's copy (``geo/_data/<name>``) when installed, else the checkout's
    ``data/<name>``.
    """
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "data" / name
