"""The French catalogue covers every message of the code, and the build compiles it.

The messages are extracted at test time, as ``scripts/update_catalogue.py`` does (Babel,
``babel.cfg``): a string wrapped in ``_()``, ``gettext``, ``ngettext`` or ``N_`` that the
``.po`` does not translate (missing, empty or fuzzy) fails here.
"""

from __future__ import annotations

import gettext
import io
import re
import subprocess
import sys
import typing
import zipfile
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import webmap.vocabulary as vocabulary
from geo.compare import COLUMNS
from geo.proximity import EpicentreShape
from geo.schema import CONFIDENCES, PRACTICES, PRECISIONS, ROLES
from webmap.i18n import CATALOGUES
from webmap.web.routes_pages import PRACTICE_LABELS

ROOT = Path(__file__).resolve().parents[2]
FRENCH = CATALOGUES / "fr" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _code_messages() -> dict[str | tuple[str, ...], str]:
    """Every message of geo/, webmap/ and the templates, with the file it comes from."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], str] = {}
    for filename, _, message, _, _ in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.setdefault(message, filename)
    return found


def _french() -> dict[str | tuple[str, ...], typing.Any]:
    with FRENCH.open("rb") as file:
        catalogue = read_po(file, locale="fr")
    return {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalogue if m.id}


def test_the_extraction_finds_messages_of_templates_python_and_marked_words() -> None:
    messages = _code_messages()
    assert "What is approximate" in messages  # cluster.html
    assert "Map in %(crs)s, metres." in messages  # figures/cluster.py
    assert "science park" in messages  # an N_ marked word
    assert ("%(num)s core", "%(num)s cores") in messages


def test_every_message_is_translated_into_french_with_the_same_placeholders() -> None:
    french = _french()
    problems = []
    for message, where in sorted(_code_messages().items(), key=str):
        entry = french.get(message)
        strings = [] if entry is None else (
            [entry.string] if isinstance(entry.string, str) else list(entry.string)
        )  # fmt: skip
        if entry is None or not all(strings):
            problems.append(f"untranslated ({where}): {message!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy ({where}): {message!r}")
        else:
            wanted = set(PLACEHOLDER.findall(str(message)))
            for text in strings:
                if set(PLACEHOLDER.findall(text)) - wanted - {"num"}:
                    problems.append(f"placeholders differ: {message!r} -> {text!r}")
    assert not problems, "run scripts/update_catalogue.py, then translate:\n" + "\n".join(problems)


def test_the_compiled_catalogue_is_the_po_of_the_tree() -> None:
    """The .mo the build compiled (``pip install -e .``) says what the .po says."""
    mo = FRENCH.with_suffix(".mo")
    assert mo.is_file(), "no compiled catalogue: run pip install -e . (the build compiles it)"
    with mo.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = [
        message
        for message, entry in _french().items()
        if isinstance(message, str) and entry.string and compiled.gettext(message) != entry.string
    ]
    assert not stale, f"the .mo is older than the .po: run pip install -e . ({stale[:3]})"


def test_every_word_the_data_holds_is_marked_for_translation() -> None:
    assert {r.replace("_", " ") for r in ROLES} == set(vocabulary.ROLES)
    assert set(PRECISIONS) == set(vocabulary.PRECISIONS)
    assert set(CONFIDENCES) == set(vocabulary.CONFIDENCES)
    assert set(typing.get_args(EpicentreShape)) == set(vocabulary.SHAPES)
    assert set(PRACTICES) == set(PRACTICE_LABELS)
    assert tuple(label for _, label, _ in COLUMNS) == vocabulary.COMPARE_COLUMNS


def test_a_wheel_holds_the_compiled_french_catalogue(tmp_path: Path) -> None:
    """The build hook (hatch_build.py) compiles the .po into the wheel; .mo files are not
    committed, so the wheel's can only come from the hook."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.mo"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("clustermap-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read("webmap/translations/fr/LC_MESSAGES/messages.mo")
    translations = gettext.GNUTranslations(io.BytesIO(data))
    assert translations.gettext("What is approximate") == "Ce qui est approximatif"
