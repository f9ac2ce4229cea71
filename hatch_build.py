"""Hatchling build hook: compile the gettext catalogues (``.po`` to ``.mo``) as the package
is built, so compiled catalogues are never committed nor written by hand.

* A wheel gets each ``webmap/translations/<lang>/LC_MESSAGES/messages.mo`` compiled into a
  temporary folder and included at that path.
* An editable install (``pip install -e .``) runs from the source tree: the ``.mo`` files
  are written beside their ``.po`` (ignored by git), where :mod:`webmap.i18n` finds them.

A catalogue with a fuzzy or untranslated message still compiles (those messages stay
English); ``tests/web/test_catalogue.py`` is what refuses them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TRANSLATIONS = Path("webmap") / "translations"


def compile_catalogue(po: Path, mo: Path) -> None:
    """Compile the catalogue ``po`` into ``mo`` (folders created as needed)."""
    with po.open("rb") as file:
        catalogue = read_po(file, locale=po.parent.parent.name)
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as file:
        write_mo(file, catalogue)


class CatalogueHook(BuildHookInterface):
    """Compile every ``messages.po`` under ``webmap/translations`` into the build."""

    PLUGIN_NAME = "catalogues"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        sources = sorted((root / TRANSLATIONS).glob("*/LC_MESSAGES/messages.po"))
        if version == "editable":
            for po in sources:
                compile_catalogue(po, po.with_suffix(".mo"))
            return
        self._out = tempfile.TemporaryDirectory(prefix="clustermap-mo-")
        for po in sources:
            relative = po.relative_to(root).with_suffix(".mo")
            mo = Path(self._out.name) / relative
            compile_catalogue(po, mo)
            build_data["force_include"][str(mo)] = relative.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            out.cleanup()
