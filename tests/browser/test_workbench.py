"""The analyst's workbench in Chromium: a French CSV uploaded through ``/analyze`` leads to
its analysis page, with Clark-Evans R, z and p, every point on the map, and every download.

With ``CLUSTERMAP_SCREENSHOTS=1`` it also saves the screenshot of the page shown in the
README (``docs/analysis-page.png``, 1280 px wide); otherwise the screenshot goes to a
temporary folder, so a test run never changes the checkout."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DATA, ROOT, BrowserPage, served, wait_until
from tests.web.test_workbench import _ACCENT, _french_csv

N_POINTS = 60
SCREENSHOT = ROOT / "docs" / "analysis-page.png"

pytestmark = pytest.mark.browser


def _downloads(page: Any) -> list[tuple[str, bytes]]:
    """Click each download link; the file name and bytes of each file."""
    got = []
    links = page.locator("#downloads a")
    for i in range(links.count()):
        with page.expect_download(timeout=120_000) as info:
            links.nth(i).click()
        download = info.value
        path = download.path()
        got.append((download.suggested_filename, Path(path).read_bytes()))
    return got


def test_a_french_csv_goes_through_the_form_to_its_analysis_and_downloads(
    browser: Any, tmp_path: Path
) -> None:
    data = _french_csv(N_POINTS)
    with served("--data", str(DATA), "--cache-dir", str(tmp_path)) as url:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        try:
            page = BrowserPage(context.new_page())
            page.page.goto(f"{url}/analyze")
            page.page.set_input_files(
                "#file", files=[{"name": "commerces.csv", "mimeType": "text/csv", "buffer": data}]
            )
            page.page.click("button[value=preview]")  # the form again, with the preview
            page.page.wait_for_selector("#preview-rows", timeout=60_000)
            assert _ACCENT in page.page.inner_text("#preview-rows")
            assert page.page.input_value("#col-lat") == "latitude"
            assert page.page.input_value("#opt-by") == "activité"  # the detected category
            assert page.page.locator("#staged-file").count() == 1
            page.page.check("#opt-lq")
            page.page.select_option("#opt-cores", "dbscan")
            page.page.fill("#opt-eps", "150")
            page.page.click("#analyse")
            page.page.wait_for_url(re.compile(r".*/analyses/[A-Za-z0-9_-]+$"), timeout=120_000)
            wait_until(page.page, f"() => window.clustermapPointCount === {N_POINTS}")
            assert page.page.inner_text("#n-points") == str(N_POINTS)
            for measure in ("r", "z", "p"):
                text = page.page.inner_text(f"#clark-evans-{measure}")
                assert re.match(r"-?[0-9]", text), (measure, text)
            assert "épicerie" in page.page.inner_text("#categories")
            assert page.page.locator(".leaflet-control-layers").count() == 1
            assert page.page.locator("#cores tbody tr").count() >= 1
            keep = os.environ.get("CLUSTERMAP_SCREENSHOTS") == "1"
            shot = SCREENSHOT if keep else tmp_path / SCREENSHOT.name
            page.page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            files = dict(_downloads(page.page))
            assert page.errors == []
        finally:
            context.close()
    assert set(files) == {
        "analysis-measures.json",
        "analysis-points.geojson",
        "analysis-points.csv",
        "analysis-kde.tif",
        "analysis-hexagons.geojson",
        "analysis-quotients.geojson",
        "analysis-figure.pdf",
        "analysis-figure.png",
        "analysis-figure.svg",
    }
    measures = json.loads(files["analysis-measures.json"])
    assert measures["density"]["n_points"] == N_POINTS
    points = json.loads(files["analysis-points.geojson"])["features"]
    assert len(points) == N_POINTS and points[0]["properties"]["label"] == _ACCENT
    assert files["analysis-points.csv"].decode().count("\n") == N_POINTS + 1
    assert files["analysis-kde.tif"][:4] in (b"II*\x00", b"MM\x00*")
    assert files["analysis-figure.pdf"].startswith(b"%PDF")
    assert files["analysis-figure.png"].startswith(b"\x89PNG")
    assert b"<svg" in files["analysis-figure.svg"][:2000]
