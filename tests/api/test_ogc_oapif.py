"""GDAL's OAPIF driver (from the pyogrio wheel) reads our OGC API like QGIS would.

The server runs in a subprocess (``python -m webmap serve``): GDAL's blocking HTTP calls
against an in-process server deadlock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo.registry import site_states
from tests.helpers import DATA, served


@pytest.fixture(autouse=True)
def _gdal_as_a_client() -> Iterator[None]:
    """Every GDAL driver and the network back for this client: reading an upload earlier in
    this process locked GDAL down (:mod:`geo._gdal`), which it is again afterwards."""
    from pyogrio._ogr import _register_drivers

    from geo.formats import GDAL_CONFIG
    from geo.points import restrict_drivers

    pyogrio.set_gdal_config_options({"GDAL_SKIP": None, **dict.fromkeys(GDAL_CONFIG)})
    _register_drivers()
    yield
    restrict_drivers()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with served("--data", str(DATA)) as url:
        yield url


def _expected_sites(registry: Any, ids: Any = None) -> Any:
    # every site listed, with its state today (closed sites are listed, marked closed)
    sites = registry.sites.assign(state=site_states(registry.sites))
    sites = sites if ids is None else sites.loc[list(ids)]
    return sites.rename_axis("id")


def _read(url: str, layer: str, **kwargs: Any) -> Any:
    # GDAL guesses types per page: a page whose only valid_to is a full date would read it
    # as a date ("2014/05/09"); users keep the text with this option (docs/api.md)
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_DATE_AS_STRING": "YES"})
    try:
        frame = pyogrio.read_dataframe(f"OAPIF:{url}/ogc", layer=layer, **kwargs)
    finally:
        pyogrio.set_gdal_config_options({"OGR_GEOJSON_DATE_AS_STRING": None})
    return frame.set_index("id")


def _compare(actual: Any, expected: Any) -> None:
    # GDAL types text columns as strings (pandas 'str'); the registry keeps objects
    expected = expected.copy()
    for column in expected.columns:
        if column != "geometry":
            expected[column] = expected[column].astype(actual[column].dtype)
    expected.index = expected.index.astype(actual.index.dtype)
    assert_geodataframe_equal(actual, expected[actual.columns], check_less_precise=False)


def test_gdal_reads_every_site_with_geometry_attributes_and_crs(server: str, registry: Any) -> None:
    frame = _read(server, "sites")
    assert frame.crs == "EPSG:4326"
    _compare(frame, _expected_sites(registry))


def test_gdal_follows_next_links_across_pages(server: str, registry: Any, tmp_path: Path) -> None:
    log = tmp_path / "gdal.log"
    pyogrio.set_gdal_config_options({"CPL_DEBUG": "ON", "CPL_LOG": str(log)})
    try:
        frame = _read(server, "sites", PAGE_SIZE=7)
    finally:
        pyogrio.set_gdal_config_options({"CPL_DEBUG": None, "CPL_LOG": None})
    assert len(registry.sites) > 7 * 4
    fetched = [line for line in log.read_text().splitlines() if "/sites/items?" in line]
    assert any("offset=28" in line for line in fetched)  # the fifth page, from a next link
    _compare(frame, _expected_sites(registry))


def test_gdal_bbox_filter(server: str, registry: Any) -> None:
    frame = _read(server, "sites", bbox=(4.30, 51.95, 4.45, 52.05))
    delft = registry.registered("delft")  # every site listed, closed ones too
    expected = _expected_sites(registry, delft.index[delft.geometry.notna()])
    _compare(frame.sort_index(), expected.sort_index())


def test_gdal_lists_the_three_collections(server: str, registry: Any) -> None:
    layers = dict(pyogrio.list_layers(f"OAPIF:{server}/ogc"))
    assert set(layers) == {"sites", "clusters", "epicentres"}
    clusters = _read(server, "clusters")
    assert list(clusters.index) == list(registry.clusters.index)
    assert clusters.geometry.geom_equals(registry.clusters.geometry).all()
