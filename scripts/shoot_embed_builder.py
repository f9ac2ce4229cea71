"""A screenshot of a cluster page's Share / embed panel, with its live preview.

python scripts/shoot_embed_builder.py delft -o docs/embed-builder.png

Serves the bundled registry on loopback, opens ``/clusters/<id>`` in headless Chromium
(no request leaves the machine: the preview uses the offline basemap), opens the panel,
adds the kernel density, picks French and a 360 px height, waits until the preview has
drawn, and saves the panel. Prints the embed address shown.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, DATA, LiveServer, wait_until
from webmap import create_app


def main() -> None:
    """Shoot the panel."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cluster", nargs="?", default="delft")
    parser.add_argument("-o", "--out", default="docs/embed-builder.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = LiveServer(create_app({"DATA_DIR": str(DATA)}))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            local = server.url
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(local) else route.abort()
                ),
            )
            page.goto(f"{server.url}/clusters/{args.cluster}")
            page.wait_for_selector("div.cm-site")
            page.locator("#embed-builder summary").click()
            panel = page.locator("#embed-builder")
            panel.get_by_label("Kernel density").check()
            panel.get_by_label("Basemap").select_option("offline")
            panel.get_by_label("Language").select_option("fr")
            panel.get_by_label("Height (pixels)").fill("360")
            code = page.locator("#embed-snippet").input_value()
            src = html.unescape(code.split('src="', 1)[1].split('"', 1)[0])
            wait_until(
                page, "(src) => document.getElementById('embed-preview').src === src", arg=src
            )
            preview = page.frame_locator("#embed-preview")
            preview.locator(".cm-legend-density").wait_for()
            preview.locator(".cm-offline-streets, path").first.wait_for()
            page.wait_for_timeout(500)  # the offline streets' last paint
            page.locator("section.cm-builder").screenshot(path=args.out)
            browser.close()
    finally:
        server.stop()
    print(f"{src} -> {args.out}")


if __name__ == "__main__":
    main()
