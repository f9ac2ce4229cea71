"""Extract the messages to translate into webmap/translations/messages.pot and add the new
ones, untranslated, to each language's messages.po; translate them there. Messages the code
no longer has are kept (a branch may bring them back) and counted. The build compiles the
.po files (hatch_build.py); tests/web/test_catalogue.py fails while a message is untranslated.

    python scripts/update_catalogue.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webmap" / "translations"


def main() -> None:
    """Extract, then add the new messages to every catalogue (``fr``)."""
    pot = TRANSLATIONS / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot),
            "-k", "N_", "--no-location", "--sort-output", "--no-wrap", "--project",
            "clustermap", "--copyright-holder", "clustermap", "--msgid-bugs-address",
            "clustermap", str(ROOT),
        ]
    )  # fmt: skip
    with pot.open("rb") as file:
        template = read_po(file)
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as file:
            catalogue = read_po(file, locale=po.parent.parent.name)
        new = [m for m in template if m.id and m.id not in catalogue]
        for message in new:
            catalogue.add(message.id, "" if isinstance(message.id, str) else ("", ""),
                          flags=message.flags)  # fmt: skip
        unused = sum(1 for m in catalogue if m.id and m.id not in template)
        with po.open("wb") as file:
            write_po(file, catalogue, width=0, no_location=True, sort_output=True)
        print(f"{po.relative_to(ROOT)}: {len(new)} new, {unused} not in the code (kept)")


if __name__ == "__main__":
    main()
