"""Every cluster of the bundled registry renders, whatever its geometry, with every layer.

The page and embed of each cluster answer 200; Delft, which has every layer (its walking
network ships with clustermap), is drawn with each of the 255 non-empty combinations of
its layers; every other cluster with each of its layers alone and all of them together.
Headless Chromium then opens each page and sees no page error
(``test_browser_every_cluster.py``).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from geo.network import has_network
from tests.helpers import CLUSTERS
from webmap.maps.layers import LAYERS, NETWORK_LAYERS


def _layers(cluster_id: str, app: Any) -> list[str]:
    network = has_network(cluster_id, cache_dir=app.config["NETWORK_CACHE_DIR"])
    return [k for k in LAYERS if network or k not in NETWORK_LAYERS]


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_cluster_page_embed_and_downloads_answer_200(client: Any, cluster_id: str) -> None:
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


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_embed_with_each_layer_alone_and_all_together(
    app: Any, client: Any, cluster_id: str
) -> None:
    layers = _layers(cluster_id, app)
    for combo in [*([k] for k in layers), layers]:
        response = client.get(f"/embed/{cluster_id}?layers={','.join(combo)}")
        assert response.status_code == 200, (combo, response.get_data(as_text=True)[:300])


def test_delft_embed_with_every_combination_of_its_layers(app: Any, client: Any) -> None:
    layers = _layers("delft", app)
    assert set(layers) == set(LAYERS)  # the bundled network gives the walking layers
    combos = [c for k in range(1, len(layers) + 1) for c in itertools.combinations(layers, k)]
    assert len(combos) == 2 ** len(layers) - 1
    for combo in combos:
        response = client.get(f"/embed/delft?layers={','.join(combo)}")
        assert response.status_code == 200, combo
