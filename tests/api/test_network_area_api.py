"""`/api/network/<area>/isochrones|distances|accessibility` with the Flask test client, on a
grid imported as a named area: answers checked against networkx, errors name API parameters."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import shapely

from geo.network.areas import import_area
from tests.area_fixtures import grid_graph, grid_lonlat, grid_node, write_grid
from webmap import create_app
from webmap.api.network_areas import MAX_POINTS


@pytest.fixture
def area_client(tmp_path: Path) -> Any:
    cache = tmp_path / "cache"
    import_area(write_grid(tmp_path), name="town", cache_dir=cache)
    app = create_app({"TESTING": True, "NETWORK_CACHE_DIR": str(cache)})
    return app.test_client()


def _csv(cells: list[tuple[int, int]], *, ids: list[str] | None = None) -> bytes:
    lines = ["id,lat,lon"]
    for k, (row, col) in enumerate(cells):
        lon, lat = grid_lonlat(row, col)
        lines.append(f"{ids[k] if ids else k + 1},{lat},{lon}")
    return ("\n".join(lines) + "\n").encode()


def _metres(a: tuple[int, int], b: tuple[int, int]) -> float:
    graph = grid_graph().to_undirected()
    return float(nx.dijkstra_path_length(graph, grid_node(*a), grid_node(*b), weight="length"))


def test_distances_from_a_csv_body_are_networkx_distances(area_client: Any) -> None:
    cells = [(0, 0), (2, 2), (2, 3), (5, 5)]
    r = area_client.post(
        "/api/network/town/distances",
        data=_csv(cells, ids=["a", "b", "c", "d"]),
        content_type="text/csv",
    )
    assert r.status_code == 200, r.json
    pairs = {(p["from_id"], p["to_id"]): p["distance_m"] for p in r.json["pairs"]}
    assert len(pairs) == 6
    assert pairs[("b", "c")] == pytest.approx(_metres((2, 2), (2, 3)), abs=0.01)
    assert pairs[("a", "d")] == pytest.approx(_metres((0, 0), (5, 5)), abs=0.01)
    r = area_client.post(
        "/api/network/town/distances?nearest=1", data=_csv(cells), content_type="text/csv"
    )
    assert [p["from_id"] for p in r.json["pairs"]] == [1, 2, 3, 4]  # integer ids stay ints


def test_isochrones_from_lat_lon_lists_contain_the_reached_nodes(area_client: Any) -> None:
    lon, lat = grid_lonlat(1, 1)
    r = area_client.get(f"/api/network/town/isochrones?lat={lat}&lon={lon}&minutes=3")
    assert r.status_code == 200 and r.content_type == "application/geo+json"
    (feature,) = r.json["features"]
    polygon = shapely.geometry.shape(feature["geometry"]).buffer(1e-7)
    graph = grid_graph().to_undirected()
    reached = nx.single_source_dijkstra_path_length(graph, grid_node(1, 1), 240, weight="length")
    for node in reached:
        assert polygon.contains(shapely.Point(graph.nodes[node]["x"], graph.nodes[node]["y"]))


def test_accessibility_from_two_multipart_files(area_client: Any) -> None:
    origins = _csv([(0, 0), (4, 4)])
    destinations = _csv([(0, 2), (5, 5)], ids=["school", "park"])
    r = area_client.post(
        "/api/network/town/accessibility?minutes=5",
        data={"points": (io.BytesIO(origins), "o.csv"), "to": (io.BytesIO(destinations), "d.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.json
    first, second = r.json["origins"]
    assert (first["id"], first["nearest_id"]) == (1, "school")
    assert first["distance_m"] == pytest.approx(_metres((0, 0), (0, 2)), abs=0.01)
    assert second["nearest_id"] == "park"
    assert second["distance_m"] == pytest.approx(_metres((4, 4), (5, 5)), abs=0.01)
    for got, origin in ((first, (0, 0)), (second, (4, 4))):
        near = [_metres(origin, d) <= 400 for d in ((0, 2), (5, 5))]
        assert got["within_5_min"] == sum(near)


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/api/network/nowhere/distances?lat=52&lon=4.35", 404, "unknown area"),
        ("/api/network/town/distances?lat=52", 400, "give lat and lon together"),
        ("/api/network/town/distances?nearest=0&lat=52&lon=4.35", 400, "nearest must be >= 1"),
        ("/api/network/town/distances", 400, "lat/lon lists or as a CSV or GeoJSON body"),
        ("/api/network/town/isochrones?lat=52&lon=4.35&minutes=0", 400, "minutes must be > 0"),
        ("/api/network/town/accessibility?lat=52&lon=4.35", 400, "to_lat/to_lon"),
        ("/api/network/town/distances?lat=95&lon=4.35", 400, "lat must be <= 90"),
    ],
)
def test_bad_requests_answer_json_naming_api_parameters(
    area_client: Any, url: str, status: int, words: str
) -> None:
    r = area_client.get(url)
    assert r.status_code == status
    assert words in r.json["description"] and "--" not in r.json["description"]


def test_bodies_beyond_the_limits_are_refused(area_client: Any) -> None:
    many = _csv([(k % 6, (k // 6) % 6) for k in range(MAX_POINTS + 1)])
    r = area_client.post(
        "/api/network/town/distances?nearest=1", data=many, content_type="text/csv"
    )
    assert r.status_code == 413
    pairs = _csv([(k % 6, (k // 6) % 6) for k in range(201)])
    r = area_client.post("/api/network/town/distances", data=pairs, content_type="text/csv")
    assert r.status_code == 413 and "nearest" in r.json["description"]
    r = area_client.post(
        "/api/network/town/distances", data=b"id,lat\n1,2\n", content_type="text/csv"
    )
    assert r.status_code == 400 and r.json["code"] == "InvalidParameterValue"
    r = area_client.post("/api/network/town/distances", data=b"a,b", content_type="application/pdf")
    assert r.status_code == 400 and "format=csv|geojson" in r.json["description"]


def test_the_routes_are_documented(area_client: Any) -> None:
    doc = json.loads(area_client.get("/openapi.json").data)
    path = doc["paths"]["/api/network/{area}/distances"]
    assert {"get", "post"} <= set(path)
    assert "requestBody" in path["post"] and "requestBody" not in path["get"]
    assert {p["name"] for p in path["get"]["parameters"]} >= {"area", "lat", "lon", "nearest", "id"}


def test_bodies_are_only_the_formats_python_parses_not_gdal_containers(
    area_client: Any, tmp_path: Any
) -> None:
    """The walking endpoints read their bodies in the server's process, so a GeoPackage (or
    a zipped shapefile, FlatGeobuf, Parquet) is refused before GDAL or a decoder sees it."""
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(geometry=[Point(4.35, 52.0)], crs=4326).to_file(path, driver="GPKG")
    r = area_client.post(
        "/api/network/town/distances?format=csv", data=path.read_bytes(), content_type="text/csv"
    )
    assert r.status_code == 400
    assert "CSV or GeoJSON" in r.json["description"] and "--" not in r.json["description"]
