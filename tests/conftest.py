"""Shared fixtures: the bundled registry, a Flask app and client, a live server on
loopback and a headless Chromium page whose network is limited to loopback."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from geo.registry import Registry, load_registry
from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DATA,
    NETWORKS,
    PAYLOADS,
    BrowserPage,
    LiveServer,
)
from webmap import create_app

# CI replays the same examples on every run (a red run must be reproducible); a developer's
# run draws new ones, which is how awkward cases are found.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Apps (and servers) made without a cache folder keep their analyses in a temporary one,
    never in the user's ``~/.cache/clustermap``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLUSTERMAP_CACHE_DIR", str(tmp_path_factory.mktemp("default-cache")))
        yield


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The bundled registry."""
    return load_registry(DATA)


@pytest.fixture(scope="session")
def delft_network_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A network cache holding the real Delft street graph, imported as a user would."""
    from click.testing import CliRunner

    from webmap.commands.cli import cli

    cache = tmp_path_factory.mktemp("network-cache")
    graph = NETWORKS / "delft.graphml"
    result = CliRunner().invoke(
        cli, ["network", "import", "delft", str(graph), "--cache-dir", str(cache)]
    )
    assert result.exit_code == 0, result.output
    return cache


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled registry folder."""
    target = tmp_path / "registry"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def app(tmp_path: Path) -> Any:
    """A fresh app on the bundled registry, with an empty network cache of its own (Delft's
    network is the bundled one)."""
    return create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path / "cache")}
    )


@pytest.fixture
def client(app: Any) -> Any:
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """The app served on loopback for the browser tests."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[BrowserPage]:
    """A fresh browser page limited to loopback."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    wrapped = BrowserPage(context.new_page())
    yield wrapped
    context.close()


@pytest.fixture
def crowded_registry(registry_copy: Path) -> Path:
    """The bundled registry with 300 more Delft sites, enough to cluster the markers."""
    import json

    import numpy as np

    path = registry_copy / "sites.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    rng = np.random.default_rng(1)
    roles = ["company", "research", "incubator"]
    for i in range(300):
        lon, lat = 4.33 + rng.random() * 0.08, 51.97 + rng.random() * 0.05
        data["features"].append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": f"company-{i}", "cluster": "delft", "name": f"Company {i}",
                    "role": roles[i % 3], "address": "Delft", "location_precision": "building",
                    "confidence": "high", "source": "generated for tests",
                },
            }
        )  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")
    return registry_copy


@pytest.fixture
def hostile_registry(registry_copy: Path) -> Path:
    """The bundled registry with payloads in every free-text field of Delft."""
    sites_path = registry_copy / "sites.geojson"
    sites = json.loads(sites_path.read_text(encoding="utf-8"))
    delft = [f for f in sites["features"] if f["properties"]["cluster"] == "delft"]
    for feature, payload in zip(delft, PAYLOADS, strict=False):
        feature["properties"].update(name=payload, address=payload, notes=payload, source=payload)
    sites_path.write_text(json.dumps(sites), encoding="utf-8")
    clusters_path = registry_copy / "clusters.geojson"
    clusters = json.loads(clusters_path.read_text(encoding="utf-8"))
    for feature in clusters["features"]:
        if feature["properties"]["id"] == "delft":
            feature["properties"].update(name=PAYLOADS[0], description=PAYLOADS[1], city="Delft")
    clusters_path.write_text(json.dumps(clusters), encoding="utf-8")
    return registry_copy


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium (those of tests/browser/, and any other that asks for
    the browser) is marked ``browser``, so ``pytest -m "not browser"`` is the quick loop
    (CI runs everything)."""
    browser_dir = Path(__file__).resolve().parent / "browser"
    for item in items:
        in_folder = Path(str(item.fspath)).is_relative_to(browser_dir)
        if in_folder or "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
