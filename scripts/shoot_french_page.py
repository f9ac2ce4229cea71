"""A screenshot of a cluster page in French (docs/delft-fr.png).

python scripts/shoot_french_page.py delft -o docs/delft-fr.png

Serves the bundled registry on loopback and opens ``/clusters/<id>?lang=fr`` with the
offline basemap in headless Chromium (no request leaves the machine), then saves the page
as a 1280 x 900 screenshot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, DATA, LiveServer
from webmap import create_app


def main() -> None:
    """Shoot the page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cluster", nargs="?", default="delft")
    parser.add_argument("-o", "--out", default="docs/delft-fr.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = LiveServer(create_app({"DATA_DIR": str(DATA)}))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            local = server.url
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(local) else route.abort()
                ),
            )
            page.goto(f"{local}/clusters/{args.cluster}?lang=fr&basemap=offline")
            page.wait_for_selector("div.cm-site")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=args.out)
            browser.close()
    finally:
        server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
