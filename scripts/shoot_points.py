"""Screenshots of a point file served as vector tiles, from the country to a street.

python scripts/shoot_points.py http://127.0.0.1:8000/points/reg \\
    --view country=46.6,2.4,6 --view street=48.8698,2.3078,17 --out docs/register

Opens the ``/points/NAME`` page (or an analysis page with tiles) in headless Chromium, moves
its map to each ``NAME=LAT,LON,ZOOM`` view, waits until the visible tiles are drawn and
saves ``<out>-NAME.png``; it prints each view's features drawn and seconds to draw.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import CHROMIUM, CHROMIUM_ARGS

#: Moves the tiles' map and resolves once its visible tiles have loaded.
MOVE = """([lat, lon, zoom]) => new Promise((done) => {
  const layer = window.clustermapPointTiles, map = layer._map;
  const drawn = () => setTimeout(() => done(window.clustermapTileFeatures ?? null), 500);
  map.setView([lat, lon], zoom, {animate: false});
  if (layer.isLoading()) layer.once("load", drawn); else drawn();
})"""


def main() -> None:
    """Shoot each view."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--view", action="append", required=True, help="NAME=LAT,LON,ZOOM")
    parser.add_argument("--out", required=True, help="path prefix of the PNG files")
    parser.add_argument("--size", default="1200x800", help="WIDTHxHEIGHT pixels")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(args.url)
        page.wait_for_function("window.clustermapPointTiles && window.clustermapPointTiles._map")
        for view in args.view:
            name, _, spec = view.partition("=")
            lat, lon, zoom = (float(v) for v in spec.split(","))
            began = time.perf_counter()
            features = page.evaluate(MOVE, [lat, lon, int(zoom)])
            seconds = time.perf_counter() - began
            target = Path(f"{args.out}-{name}.png")
            page.screenshot(path=str(target))
            print(f"{name}: zoom {int(zoom)}, {features} features, {seconds:.1f} s -> {target}")
        browser.close()


if __name__ == "__main__":
    main()
