"""Extract the messages to translate into webmap/translations/messages.pot and merge them into
each language's messages.po (new messages empty, changed ones fuzzy: translate them, then
drop the fuzzy flag). The build compiles the .po files (hatch_build.py).

    python scripts/update_catalogue.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webmap" / "translations"


def main() -> None:
    """Extract, then update every catalogue (``fr``)."""
    pot = TRANSLATIONS / "messages.pot"
    cli = CommandLineInterface()
    cli.run(
        [
            "pybabel", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot),
            "-k", "N_", "--no-location", "--sort-output", "--project", "clustermap",
            "--copyright-holder", "clustermap", "--msgid-bugs-address", "clustermap",
            str(ROOT),
        ]
    )  # fmt: skip
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        lang = po.parent.parent.name
        cli.run(["pybabel", "update", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", lang,
                 "--no-wrap", "--ignore-obsolete"])  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
