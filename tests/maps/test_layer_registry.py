"""The layer records: one registry for the web map, its legends and the print figures."""

from __future__ import annotations

import gettext as gettext_module
import inspect
import re
from pathlib import Path

import folium
import geopandas as gpd
import pytest
from matplotlib.text import Text

from geo.clusters import analyse_cluster
from geo.overlays import Overlays, cluster_overlays
from geo.registry import Registry
from webmap import i18n
from webmap.figures import cluster_figure, default_layers, figure_layers
from webmap.layer_registry import LAYERS, NETWORK_LAYERS, Layer, map_layers
from webmap.maps.cluster_map import available_layers, cluster_map
from webmap.maps.layer_builders import LayerData, build

ROOT = Path(__file__).resolve().parents[2]


def test_every_builder_and_drawer_takes_the_same_arguments() -> None:
    """A builder is called ``(fmap, data, layer, *, show, lang)``, a drawer
    ``(ax, content, *, lang)``: one call site each, whatever the layer."""
    for layer in LAYERS.values():
        if layer.build is not None:
            parameters = inspect.signature(layer.builder()).parameters
            assert list(parameters) == ["fmap", "data", "layer", "show", "lang"], layer.key
            assert parameters["lang"].default == "en"
        if layer.draw is not None:
            parameters = inspect.signature(layer.drawer()).parameters
            assert list(parameters) == ["ax", "content", "lang"], layer.key
            assert parameters["lang"].kind is inspect.Parameter.KEYWORD_ONLY


def test_the_map_and_the_figure_read_one_registry() -> None:
    assert available_layers(has_network=True) == list(map_layers(has_network=True))
    assert set(map_layers(has_network=False)) == set(map_layers(has_network=True)) - set(
        NETWORK_LAYERS
    )
    assert NETWORK_LAYERS == ("isochrones", "paths")
    cluster = figure_layers("cluster", has_streets=True)
    assert set(cluster) == {k for k, layer in LAYERS.items() if "cluster" in layer.figures}
    assert "streets" not in figure_layers("cluster", has_streets=False)
    assert default_layers("cluster", has_streets=True) == ("streets", "epicentres", "sites")
    # one order, bottom first, for both
    order = list(LAYERS)
    assert list(cluster) == sorted(cluster, key=order.index)


def test_a_new_record_is_drawn_on_the_map_without_touching_the_map_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record whose builder is an existing function is drawn by :func:`build`, with its
    own key on the legend, its legend title and its label in the layer control."""
    toy = Layer(
        "toy", "Toy links", "Toy legend", False, build="webmap.maps.layer_builders:add_nn_links"
    )
    monkeypatch.setitem(LAYERS, "toy", toy)
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    overlays = Overlays(density_bands=empty, hexbins=empty, cores=empty, nn_links=empty,
                        hex_resolution=None, caveats={})  # fmt: skip
    fmap = folium.Map()
    build(fmap, "toy", LayerData(overlays), show=True)
    folium.LayerControl().add_to(fmap)
    html = fmap.get_root().render()
    assert "cm-legend-toy" in html
    assert "Toy legend" in html
    assert '"Toy links"' in html


def test_the_readme_lists_every_layer_key() -> None:
    """The README's ``layers`` lists name each web-map layer and each figure layer."""
    readme = (ROOT / "README.md").read_text()
    web = re.search(r"`layers` is a comma list of `([^`]*)`", readme)
    assert web is not None
    assert {k.strip() for k in web[1].split(",")} == set(map_layers(has_network=True))
    figure = re.search(r"`--layers` takes `([^`]*)`", readme)
    assert figure is not None
    named = set(re.findall(r"`(\w+)`", readme[figure.start() : figure.start() + 900]))
    named |= {k.strip() for k in figure[1].split(",")}
    keys = set(figure_layers("cluster", has_streets=True)) | set(figure_layers("points"))
    assert keys <= named, keys - named


class _Shouting(gettext_module.NullTranslations):
    """A stand-in catalogue (the real ones are the i18n work's): every message upper-cased
    but its ``%(name)s`` placeholders."""

    def gettext(self, message: str) -> str:
        parts = re.split(r"(%\(\w+\)s)", message)
        return "".join(p if p.startswith("%(") else p.upper() for p in parts)


@pytest.fixture
def shouting(monkeypatch: pytest.MonkeyPatch) -> None:
    """``lang="xx"`` draws through :class:`_Shouting`; English stays as written."""
    real = i18n.translations

    def translations(lang: str) -> gettext_module.NullTranslations:
        return _Shouting() if lang == "xx" else real(lang)

    monkeypatch.setattr(i18n, "translations", translations)


@pytest.mark.usefixtures("shouting")
def test_the_cluster_map_draws_every_label_and_legend_in_its_language(
    registry: Registry,
) -> None:
    """``lang`` reaches every builder: each layer's control label and legend title are
    drawn through the catalogue of that language."""
    analysis = analyse_cluster(registry, "delft")
    fmap = cluster_map(registry, "delft", overlays=cluster_overlays(analysis), lang="xx")
    html = fmap.get_root().render()
    for key in map_layers(has_network=False):
        layer = LAYERS[key]
        assert layer.legend.upper() in html, key
        if key not in ("hexbins", "sites"):  # named with their resolution, and by role
            assert f'"{layer.label.upper()}"' in html, key
    assert "SITES: UNIVERSITY" in html  # the role is a word of the vocabulary, translated too
    assert "HEXAGONS (H3 R9)" in html
    english = cluster_map(registry, "delft", overlays=cluster_overlays(analysis)).get_root()
    assert "KERNEL DENSITY" not in english.render()


@pytest.mark.usefixtures("shouting")
def test_the_figure_draws_its_legend_in_its_language(registry: Registry) -> None:
    analysis = analyse_cluster(registry, "delft")
    layers = ("density", "hexbins", "nn", "epicentres", "sites")
    figure = cluster_figure(analysis, cluster_overlays(analysis), registry_version="v",
                            layers=layers, lang="xx")  # fmt: skip
    texts = [t.get_text() for t in figure.findobj(Text)]
    for entry in ("NEAREST NEIGHBOUR", "EPICENTRE", "SITES"):
        assert entry in texts, entry
    assert any(t.startswith("KERNEL DENSITY ") for t in texts)
    assert any(t.startswith("HEXAGONS (H3 R") for t in texts)
