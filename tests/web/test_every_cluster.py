"""Every cluster of the bundled registry renders, whatever its geometry, with every layer.

The page and embed of each cluster answer 200, and every layer asked for is on the map: it
has its entry in the layer control (named by its record's label) and its legend
(``cm-legend-<key>``), and no other layer has one. Delft, which has every layer (its walking
network ships with clustermap), is drawn with each of the 255 non-empty combinations of its
layers; every other cluster with each of its layers alone and all of them together. The
print figure of each cluster carries each of its layers that has something to draw
(``id="layer-<key>-…"`` in the SVG). Headless Chromium then opens each page and sees no page
error (``test_browser_every_cluster.py``).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from geo.measures import analyse_cluster
from geo.network import has_network
from geo.overlays import cluster_overlays
from geo.registry import Registry
from tests.helpers import CLUSTERS
from webmap.figures import figure_layers
from webmap.layer_registry import LAYERS, NETWORK_LAYERS, map_layers


def _layers(cluster_id: str, app: Any) -> list[str]:
    network = has_network(cluster_id, cache_dir=app.config["NETWORK_CACHE_DIR"])
    return list(map_layers(has_network=network))


def _overlay_names(html: str) -> list[str]:
    """The overlays' names in the page's layer control."""
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.DOTALL)
    assert block is not None, "no layer control"
    return [json.loads(name) for name in re.findall(r'("(?:[^"\\]|\\.)*")\s*:', block[1])]


def assert_drawn(
    html: str, keys: list[str] | tuple[str, ...], *, empty: tuple[str, ...] = ()
) -> None:
    """Each of ``keys`` is on the map (its entry in the layer control and its legend), and
    no other layer has a legend; the layers of ``empty`` (nothing to draw) only need their
    legend."""
    names = _overlay_names(html)
    for key in keys:
        label = LAYERS[key].label
        if key in empty:
            continue
        assert any(name.startswith(label) for name in names), (key, names)
    assert set(re.findall(r"cm-legend-([a-z]+)", html)) == set(keys)


def test_the_check_sees_a_missing_layer() -> None:
    """A page missing a layer's legend, or its entry in the control, fails the check."""
    page = 'overlays : { "Kernel density" : g1, }; "cm-legend cm-legend-density"'
    assert_drawn(page, ["density"])
    with pytest.raises(AssertionError):
        assert_drawn(page, ["density", "nn"])
    with pytest.raises(AssertionError):
        assert_drawn(page.replace("cm-legend-density", ""), ["density"])
    with pytest.raises(AssertionError):
        assert_drawn(page.replace("Kernel density", "Hexagons"), ["density"])


def _empty(registry: Registry, cluster_id: str) -> tuple[str, ...]:
    """``("sites",)`` for a cluster with no located site: no group of sites to list."""
    return () if len(registry.located(cluster_id)) else ("sites",)


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_cluster_page_embed_and_downloads_answer_200(
    app: Any, client: Any, registry: Registry, cluster_id: str
) -> None:
    for path in (
        f"/clusters/{cluster_id}",
        f"/embed/{cluster_id}",
        f"/clusters/{cluster_id}/sites.csv",
        f"/clusters/{cluster_id}/measures.json",
        f"/api/clusters/{cluster_id}/measures",
        f"/api/clusters/{cluster_id}/density",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    page = client.get(f"/clusters/{cluster_id}").get_data(as_text=True)
    empty = _empty(registry, cluster_id)
    assert_drawn(page, _layers(cluster_id, app), empty=empty)  # every layer it can draw
    embed = client.get(f"/embed/{cluster_id}").get_data(as_text=True)
    defaults = [k for k in _layers(cluster_id, app) if LAYERS[k].default]
    assert_drawn(embed, defaults, empty=empty)


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_embed_with_each_layer_alone_and_all_together(
    app: Any, client: Any, registry: Registry, cluster_id: str
) -> None:
    layers = _layers(cluster_id, app)
    empty = _empty(registry, cluster_id)
    for combo in [*([k] for k in layers), layers]:
        response = client.get(f"/embed/{cluster_id}?layers={','.join(combo)}")
        assert response.status_code == 200, (combo, response.get_data(as_text=True)[:300])
        assert_drawn(response.get_data(as_text=True), combo, empty=empty)


def test_delft_embed_with_every_combination_of_its_layers(app: Any, client: Any) -> None:
    layers = _layers("delft", app)
    assert set(layers) >= set(NETWORK_LAYERS)  # the bundled network gives the walking layers
    combos = [c for k in range(1, len(layers) + 1) for c in itertools.combinations(layers, k)]
    assert len(combos) == 2 ** len(layers) - 1
    for combo in combos:
        response = client.get(f"/embed/delft?layers={','.join(combo)}")
        assert response.status_code == 200, combo
        assert_drawn(response.get_data(as_text=True), combo)


def _has_something_to_draw(registry: Registry, cluster_id: str) -> dict[str, bool]:
    """Whether each figure layer of a cluster has something to draw, from :mod:`geo`'s
    results (not from the figure); a layer not listed always has."""
    analysis = analyse_cluster(registry, cluster_id)
    overlays = cluster_overlays(analysis)
    located = analysis.points is not None and len(analysis.points.points) > 0
    return {
        "streets": located,
        "density": located and not overlays.density_bands.empty,
        "hexbins": located and not overlays.hexbins.empty,
        "cores": located and not overlays.cores.empty,
        "nn": located and not overlays.nn_links.empty,
        "epicentres": located and not overlays.epicentres.empty,
        "sites": located,
    }


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_each_cluster_figure_carries_each_layer_it_can_draw(
    app: Any, client: Any, registry: Registry, cluster_id: str
) -> None:
    streets = has_network(cluster_id, cache_dir=app.config["NETWORK_CACHE_DIR"])
    layers = figure_layers("cluster", has_streets=streets)  # streets: where it has some
    response = client.get(f"/clusters/{cluster_id}/figure.svg?layers={','.join(layers)}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    svg = response.get_data(as_text=True)
    drawable = _has_something_to_draw(registry, cluster_id)
    expected = {key for key in layers if drawable.get(key, True)}
    found = {key for key in layers if f'id="layer-{key}' in svg or f'id="{key}"' in svg}
    assert found == expected
    if cluster_id == "delft":  # its streets ship with clustermap
        assert {"streets", "sites", "epicentres", "ripley"} <= expected
