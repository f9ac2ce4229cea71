"""The offline basemap: the choice, the streets of a network, the country outlines, and
the vendored Natural Earth file they come from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod
from scipy.spatial import cKDTree
from shapely.geometry import shape

from geo.errors import ParameterError
from geo.network import cluster_engine, read_graph_file, street_lines
from webmap import create_app
from webmap.maps.assets import VENDOR_DIR, VENDORED
from webmap.maps.basemaps import BASEMAPS
from webmap.maps.outlines import PATH as OUTLINES_PATH
from webmap.maps.view import parse_view

ROOT = Path(__file__).resolve().parents[2]
DELFT_GRAPH = ROOT / "data" / "networks" / "delft.graphml"
DATA = ROOT / "data" / "sites"


@pytest.fixture(scope="module")
def delft_streets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    engine = cluster_engine("delft", cache_dir=tmp_path_factory.mktemp("cache"))
    return street_lines(engine)


def _offline_config(page: str) -> dict[str, Any]:
    """The settings the page hands ``clustermapOffline.attach``."""
    match = re.search(r"clustermapOffline\.attach\([^,]+, [^,]+,\s*\[[^\]]*\], (\{.*?\})\);", page)
    assert match, "the page does not attach the offline basemap"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def test_offline_is_a_basemap_choice() -> None:
    assert "offline" in BASEMAPS
    assert parse_view({"basemap": "offline"}, available=["sites"]).basemap == "offline"
    with pytest.raises(ParameterError, match="basemaps: osm, positron, none, offline"):
        parse_view({"basemap": "satellite"}, available=["sites"])


def test_street_lines_draw_every_street_segment_of_the_graph(delft_streets: Any) -> None:
    """Each drawn line joins two graph nodes, and the node pairs joined are exactly the
    streets networkx finds in the GraphML (both directions and parallel edges as one)."""
    graph = read_graph_file(DELFT_GRAPH)
    node_ids = np.array(list(graph.nodes))
    lonlat = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in node_ids])
    tree = cKDTree(lonlat)
    lines = delft_streets["coordinates"]
    ends = np.array([[line[0], line[-1]] for line in lines])  # (lines, 2, 2)
    distance, index = tree.query(ends.reshape(-1, 2))
    assert distance.max() < 2e-5  # within the rounding to 5 decimals (~1 m)
    drawn = {frozenset(pair) for pair in node_ids[index].reshape(-1, 2).tolist()}
    streets = {frozenset((u, v)) for u, v in nx.Graph(graph.to_undirected()).edges()}
    assert drawn == streets
    assert len(streets) <= len(lines) <= graph.number_of_edges()


def test_street_lines_are_rounded_and_simplified(delft_streets: Any) -> None:
    lines = delft_streets["coordinates"]
    values = np.array([c for line in lines for point in line for c in point])
    assert np.allclose(values, np.round(values, 5), rtol=0, atol=1e-12)
    assert all(len(line) >= 2 for line in lines)
    every_vertex = street_lines(cluster_engine("delft"), tolerance_m=0, decimals=8)
    n_kept = sum(len(line) for line in lines)
    n_all = sum(len(line) for line in every_vertex["coordinates"])
    assert n_kept < 0.8 * n_all  # 1 m simplification drops a good share of the vertices
    # and moves no street by more than about a metre (Hausdorff distance, in metres)
    geod_m_per_deg = 111_320.0
    for a, b in zip(lines[::97], every_vertex["coordinates"][::97], strict=True):
        gap = shapely.hausdorff_distance(shapely.LineString(a), shapely.LineString(b))
        assert gap * geod_m_per_deg < 2.5


def test_street_lines_refuse_bad_settings() -> None:
    engine = cluster_engine("delft")
    with pytest.raises(ParameterError, match="tolerance_m"):
        street_lines(engine, tolerance_m=-1)
    with pytest.raises(ParameterError, match="decimals"):
        street_lines(engine, decimals=12)


def test_delft_page_carries_its_streets_for_the_offline_basemap(
    client: Any, delft_streets: Any
) -> None:
    page = client.get("/clusters/delft").get_data(as_text=True)
    config = _offline_config(page)
    assert config["streets"] == "/basemap/streets/delft.geojson" and config["outlines"] is False
    assert client.get(config["streets"]).get_json() == delft_streets
    assert "OpenStreetMap" in config["attribution"]
    assert re.search(r'<script src="/static/offline\.js\?v=[0-9a-f]+"></script>', page)
    assert "Offline (no tiles)" in page
    embed = client.get("/embed/delft").get_data(as_text=True)
    assert _offline_config(embed)["streets"] == "/basemap/streets/delft.geojson"


def test_the_page_links_the_streets_which_the_server_serves_apart(
    tmp_path: Path, delft_streets: Any
) -> None:
    """The page carries the streets' URL, not the 165 KB of streets (most visits never show
    the offline basemap); that URL serves exactly the network's street lines."""
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)})
    client = app.test_client()
    page = client.get("/clusters/delft").get_data(as_text=True)
    config = _offline_config(page)
    assert config["streets"] == "/basemap/streets/delft.geojson"
    assert len(page) < 600_000  # 658 KB with the streets inline
    response = client.get(config["streets"])
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.get_json() == delft_streets
    assert client.get("/basemap/streets/genopole.geojson").status_code == 404
    assert client.get("/basemap/streets/nowhere.geojson").status_code == 404


def test_cluster_without_network_gets_country_outlines(client: Any) -> None:
    for url in ("/clusters/genopole", "/embed/genopole", "/"):
        config = _offline_config(client.get(url).get_data(as_text=True))
        assert config["streets"] is None and config["outlines"] is True, url
        assert "Natural Earth" in config["attribution"], url


def test_offline_basemap_shown_first_when_asked(client: Any) -> None:
    page = client.get("/clusters/genopole?basemap=offline").get_data(as_text=True)
    group = re.search(r"var (feature_group_[0-9a-f]+) = L\.featureGroup", page)
    assert group and f"{group.group(1)}.addTo(" in page
    assert not re.search(r"tile_layer_[0-9a-f]+ = L\.tileLayer\([^;]*\)\.addTo\(", page, re.S)


def _topojson_polygons(path: Path) -> dict[str, shapely.Geometry]:
    """Each country of a TopoJSON file, decoded by hand (quantized delta-encoded arcs,
    TopoJSON specification 2.1): the reference GDAL's reading is checked against."""
    topology = json.loads(path.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        xy = np.cumsum(np.array(arc, dtype=float), axis=0)
        arcs.append(np.column_stack([xy[:, 0] * sx + tx, xy[:, 1] * sy + ty]))

    def ring(indexes: list[int]) -> np.ndarray:
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indexes]
        return np.concatenate([parts[0], *(p[1:] for p in parts[1:])])

    out = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs")], "MultiPolygon": geometry.get("arcs")}
        rings = polygons.get(geometry["type"]) or []
        out[geometry["properties"]["name"]] = shapely.MultiPolygon(
            [shapely.Polygon(ring(p[0]), [ring(h) for h in p[1:]]) for p in rings]
        )
    return out


def test_outlines_route_serves_natural_earth_countries(client: Any) -> None:
    response = client.get("/basemap/countries.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.get_data())
    assert "Natural Earth" in data["attribution"]
    reference = _topojson_polygons(OUTLINES_PATH)
    served = {f["properties"]["name"]: shape(f["geometry"]) for f in data["features"]}
    assert len(data["features"]) == 177
    assert set(served) == set(reference)
    for name in ("Netherlands", "France", "Denmark", "Austria", "Fiji", "Canada"):
        a, b = served[name], reference[name]
        # same outline, to the 0.001 degree the served file keeps
        assert shapely.hausdorff_distance(a.boundary, b.boundary) < 0.002, name


def test_outlines_are_vendored_with_their_licence_and_credit() -> None:
    (package,) = [p for p in VENDORED if p.name == "world-atlas"]
    folder = VENDOR_DIR / "world-atlas"
    assert folder / "countries-110m.json" == OUTLINES_PATH
    assert "Michael Bostock" in (folder / package.licence).read_text(encoding="utf-8")
    notice = (folder / "NOTICE").read_text(encoding="utf-8")
    assert notice == package.notice
    assert "Natural Earth" in notice and "public domain" in notice


def test_vendored_manifest_matches_the_files_on_disk() -> None:
    """Every vendored folder holds exactly its manifest's files, licence, VERSION and
    (when it has one) NOTICE; no folder is left over from a package no longer listed."""
    # a scoped npm package (@scope/name) lives in a folder of its scope
    folders = {
        str(d.relative_to(VENDOR_DIR))
        for top in VENDOR_DIR.iterdir()
        if top.is_dir()
        for d in (top.iterdir() if top.name.startswith("@") else [top])
        if d.is_dir()
    }
    assert {p.name for p in VENDORED} == folders
    for package in VENDORED:
        folder = VENDOR_DIR / package.name
        on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        expected = {*package.files, package.licence, "VERSION"}
        if package.notice:
            expected.add("NOTICE")
        assert on_disk == expected, package.name
        version = (folder / "VERSION").read_text(encoding="utf-8").strip()
        assert version == f"{package.name}@{package.version}"


def test_compare_locator_places_every_located_cluster_over_outlines(
    client: Any, registry: Any
) -> None:
    page = client.get("/compare").get_data(as_text=True)
    svg = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="cm-locator"') :]
    svg = svg[: svg.index("</svg>")]
    assert svg.count('class="cm-locator-country"') >= 10
    assert "Natural Earth" in page
    dots = {
        m[0]: (float(m[1]), float(m[2]))
        for m in re.findall(r'data-cluster="([^"]+)" cx="([-0-9.]+)" cy="([-0-9.]+)"', svg)
    }
    places = registry.cluster_locations()
    assert set(dots) == set(places.index)
    # the projection keeps distance ratios (geodesics, pyproj) and north up
    geod = Geod(ellps="WGS84")

    def km(a: str, b: str) -> float:
        return float(geod.inv(places[a].x, places[a].y, places[b].x, places[b].y)[2]) / 1000

    def px(a: str, b: str) -> float:
        return float(np.hypot(dots[a][0] - dots[b][0], dots[a][1] - dots[b][1]))

    ratio_km = km("delft", "lutb") / km("delft", "copenhagen-cleantech")
    assert px("delft", "lutb") / px("delft", "copenhagen-cleantech") == pytest.approx(
        ratio_km, rel=0.02
    )
    assert dots["copenhagen-cleantech"][1] < dots["delft"][1] < dots["lutb"][1]
