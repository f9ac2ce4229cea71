"""The JSON/GeoJSON API: measures, density, isochrones, parameter errors, ETags and CORS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geo.errors import ParameterError
from geo.measures import analyse_cluster
from geo.network import import_network
from tests.helpers import DATA
from tests.network_fixtures import DELFT_GRAPHML
from webmap import create_app
from webmap.api.memo import LruCache
from webmap.api.params import Param, parse_params


def test_measures_are_the_json_of_the_measures_command(client: Any, registry: Any) -> None:
    response = client.get("/api/clusters/delft/measures")
    assert response.status_code == 200
    expected = json.loads(json.dumps(analyse_cluster(registry, "delft").to_dict(), default=str))
    assert response.get_json() == expected
    assert response.get_json()["schema"] == "clustermap.cluster_measures/1"


def test_measures_options_change_the_result(client: Any) -> None:
    coarse = client.get("/api/clusters/delft/measures?hex_res=6").get_json()
    fine = client.get("/api/clusters/delft/measures?hex_res=10").get_json()
    assert coarse["density"]["hexbins"]["resolution"] == 6
    assert fine["density"]["hexbins"]["resolution"] == 10
    assert coarse["density"]["hexbins"]["n_cells"] <= fine["density"]["hexbins"]["n_cells"]


def test_measures_take_min_samples_as_a_count_or_auto(client: Any) -> None:
    auto = client.get("/api/clusters/delft/measures?min_samples=auto").get_json()
    given = client.get("/api/clusters/delft/measures?min_samples=4&eps=300").get_json()
    assert auto["density"]["cores"]["parameters"]["min_samples_rule"] == "auto"
    assert given["density"]["cores"]["parameters"] == {
        "eps_m": 300.0,
        "min_samples": 4,
        "min_samples_rule": "given",
    }
    bad = client.get("/api/clusters/delft/measures?min_samples=some")
    assert bad.status_code == 400
    assert "min_samples" in bad.get_data(as_text=True)


def test_density_has_contours_and_hexagons_as_geojson(client: Any, registry: Any) -> None:
    response = client.get("/api/clusters/delft/density?bandwidth=300&kernel=quartic&hex_res=9")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/geo+json"
    body = response.get_json()
    layers = {f["properties"]["layer"] for f in body["features"]}
    assert layers == {"kde_contour", "hexbin"}
    hexbins = [f for f in body["features"] if f["properties"]["layer"] == "hexbin"]
    assert sum(f["properties"]["count"] for f in hexbins) == len(registry.located("delft"))
    assert body["kde"]["kernel"] == "quartic" and body["kde"]["bandwidth_m"] == 300
    for feature in body["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        lon, lat = (
            feature["geometry"]["coordinates"][0][0][0][:2]
            if feature["geometry"]["type"] == "MultiPolygon"
            else feature["geometry"]["coordinates"][0][0][:2]
        )
        assert 4.3 < lon < 4.45 and 51.95 < lat < 52.05  # lon/lat order (RFC 7946), near Delft


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("bandwidth=nan", ["bandwidth must be a finite number"]),
        ("bandwidth=inf&cell=-1", ["bandwidth must be a finite number", "cell must be >= 1"]),
        ("kernel=<script>", ["kernel must be one of gaussian, quartic, epanechnikov"]),
        ("hex_res=16", ["hex_res must be <= 15"]),
        ("hex_res=1.5", ["hex_res must be an integer"]),
        ("bandwidth=1000&cell=1", ["the density grid would have about"]),
    ],
)
def test_density_parameters_are_validated_all_at_once(
    client: Any, query: str, words: list[str]
) -> None:
    response = client.get(f"/api/clusters/delft/density?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    for word in words:
        assert word in body["description"]
    assert "<script>" not in response.get_data(as_text=True)


def test_unknown_cluster_is_404_on_every_endpoint(client: Any) -> None:
    for tail in ("measures", "density", "isochrones"):
        response = client.get(f"/api/clusters/atlantis/{tail}")
        assert response.status_code == 404, tail
        assert response.get_json()["code"] == "NotFound"


def test_isochrones_without_a_network_is_a_404_that_says_how_to_get_one(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)})
    response = app.test_client().get("/api/clusters/descartes/isochrones")
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == "NetworkUnavailable"
    assert "clustermap network import descartes" in body["description"]


def test_isochrones_from_the_bundled_delft_network_with_an_empty_cache(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)})
    response = app.test_client().get("/api/clusters/delft/isochrones?minutes=5")
    assert response.status_code == 200
    assert {f["properties"]["epicentre"] for f in response.get_json()["features"]} == {
        "delft-triangle"
    }


def test_isochrones_where_a_network_exists(tmp_path: Path) -> None:
    import_network("delft", DELFT_GRAPHML, cache_dir=tmp_path)
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)})
    client = app.test_client()
    response = client.get("/api/clusters/delft/isochrones?minutes=5,10")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/geo+json"
    body = response.get_json()
    assert [f["properties"]["minutes"] for f in body["features"]] == [5, 10]
    assert {f["properties"]["epicentre"] for f in body["features"]} == {"delft-triangle"}
    areas = [f["properties"]["area_km2"] for f in body["features"]]
    assert 0 < areas[0] < areas[1]
    assert body["attribution"] == "© OpenStreetMap contributors"
    bad = client.get("/api/clusters/delft/isochrones?minutes=0,500")
    assert bad.status_code == 400 and "minutes must be > 0" in bad.get_json()["description"]


def test_parse_params_reports_every_problem_and_clamps_where_asked() -> None:
    params = (
        Param("a", "number", "", minimum=0, maximum=10),
        Param("b", "integer", "", default=100, minimum=1, maximum=1000, clamp=True),
        Param("c", "boolean", "", default=False),
    )
    assert parse_params(params, {"b": "5000", "c": "true"}) == {"a": None, "b": 1000, "c": True}
    with pytest.raises(ParameterError) as info:
        parse_params(params, {"a": "1e400", "b": "0", "c": "maybe"})
    message = str(info.value)
    assert "a must be a finite number" in message
    assert "b must be >= 1" in message
    assert "c must be true or false" in message


def test_api_answers_304_to_a_matching_etag(client: Any) -> None:
    first = client.get("/api/clusters/delft/measures")
    etag = first.headers["ETag"]
    assert etag
    again = client.get("/api/clusters/delft/measures", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get("/api/clusters/delft/measures", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.get_json() == first.get_json()


def test_measures_are_cached_per_cluster_parameters_and_registry_version(app: Any) -> None:
    client = app.test_client()
    cache: LruCache = app.extensions["clustermap.cache"]
    client.get("/api/clusters/delft/measures")
    hits = cache.hits
    client.get("/api/clusters/delft/measures")
    assert cache.hits == hits + 1
    client.get("/api/clusters/delft/measures?eps=800")
    assert cache.hits == hits + 1  # other parameters: computed again


def test_cors_is_read_only_and_configurable(client: Any) -> None:
    response = client.get("/api/clusters", headers={"Origin": "https://notebook.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/ogc/collections", headers={
        "Origin": "https://notebook.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/", headers={"Origin": "https://x.example"}).headers
    )

    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "CORS_ORIGINS": "https://a.example"})
    strict = app.test_client()
    allowed = strict.get("/api/clusters", headers={"Origin": "https://a.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "Origin" in allowed.headers["Vary"]
    refused = strict.get("/api/clusters", headers={"Origin": "https://b.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_measures_as_of_the_note(client: Any) -> None:
    now = client.get("/api/clusters/delft/measures").get_json()
    then = client.get("/api/clusters/delft/measures?as_of=2016-10").get_json()
    assert then["as_of"] == "2016-10"
    assert now["n_sites_located"] - then["n_sites_located"] == 1  # TNO NeXt opened in 2021
    assert "tno-next-delft" not in {s["id"] for s in then["sites"]}
    bad = client.get("/api/clusters/delft/measures?as_of=soon")
    assert bad.status_code == 400
    assert "YYYY" in bad.get_json()["description"]


def test_a_cross_origin_post_gets_no_cors_headers(client: Any) -> None:
    data = b"lat,lon\n52.0,4.37\n52.01,4.38\n52.02,4.36\n"
    origin = {"Origin": "https://evil.example"}
    response = client.post("/api/analyze", data=data, content_type="text/csv", headers=origin)
    assert response.status_code == 201
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Expose-Headers" not in response.headers
    assert client.get("/api/clusters", headers=origin).headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", "/api/analyze", {"POST"}),
        ("delete", "/api/clusters", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/clusters/delft", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_405_answers_list_the_allowed_methods(
    client: Any, method: str, path: str, allow: set[str]
) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allow
