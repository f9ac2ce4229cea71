"""OGC API - Features, Part 1 Core, through the Flask test client."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from geo import schema
from tests.helpers import DATA
from webmap import create_app
from webmap.api.ogc import COLLECTIONS, CONFORMANCE, MAX_LIMIT


def _rels(doc: dict[str, Any]) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"] if link.get("type") != "text/html"}


def test_landing_page_links_service_desc_conformance_and_data(client: Any) -> None:
    doc = client.get("/ogc").get_json()
    rels = _rels(doc)
    assert rels["service-desc"] == "http://localhost/openapi.json"
    assert rels["conformance"] == "http://localhost/ogc/conformance"
    assert rels["data"] == "http://localhost/ogc/collections"
    assert client.get(rels["service-desc"]).status_code == 200


def test_conformance_declares_core_geojson_html_and_oas30(client: Any) -> None:
    conforms = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert conforms == list(CONFORMANCE)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms


def test_collections_sites_clusters_epicentres_with_extent(client: Any, registry: Any) -> None:
    doc = client.get("/ogc/collections").get_json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["sites", "clusters", "epicentres"]
    sites = client.get("/ogc/collections/sites").get_json()
    west, south, east, north = sites["extent"]["spatial"]["bbox"][0]
    located = registry.sites[registry.sites.geometry.notna()]  # every site, closed ones too
    assert (west, south, east, north) == pytest.approx(tuple(located.total_bounds))
    assert any(link["rel"] == "items" for link in sites["links"])
    assert client.get("/ogc/collections/nope").status_code == 404


def test_items_page_counts_and_absolute_next_prev_links(client: Any, registry: Any) -> None:
    n = len(registry.sites)
    first = client.get("/ogc/collections/sites/items?limit=7").get_json()
    assert first["numberMatched"] == n and first["numberReturned"] == 7
    rels = _rels(first)
    assert "prev" not in rels
    assert rels["next"].startswith("http://localhost/ogc/collections/sites/items?")
    assert parse_qs(urlsplit(rels["next"]).query)["offset"] == ["7"]
    ids = [f["id"] for f in first["features"]]
    url = rels["next"]
    while url:
        page = client.get(url).get_json()
        ids += [f["id"] for f in page["features"]]
        url = _rels(page).get("next")
    assert ids == list(registry.sites.index)
    second = client.get("/ogc/collections/sites/items?limit=7&offset=7").get_json()
    assert parse_qs(urlsplit(_rels(second)["prev"]).query).get("offset") is None  # back to 0


def test_limit_defaults_to_100_and_is_clamped_not_refused(client: Any) -> None:
    default = client.get("/ogc/collections/sites/items").get_json()
    assert "limit=100" in _rels(default)["self"]
    huge = client.get("/ogc/collections/sites/items?limit=99999999")
    assert huge.status_code == 200
    assert f"limit={MAX_LIMIT}" in _rels(huge.get_json())["self"]
    assert client.get("/ogc/collections/sites/items?limit=0").status_code == 400
    assert client.get("/ogc/collections/sites/items?offset=-1").status_code == 400


def test_sites_are_listed_with_their_state_today_and_clusters_count_today_s(
    client: Any, registry: Any
) -> None:
    # the collection lists every site; one closed by now is marked, not dropped
    doc = client.get("/ogc/collections/sites/items/advancity").get_json()
    assert doc["geometry"] is not None and doc["properties"]["valid_to"] == "2018-05"
    assert doc["properties"]["state"] == "closed"
    assert client.get("/ogc/collections/sites/items/yes-delft").get_json()["properties"][
        "state"] == "open"  # fmt: skip
    clusters = client.get("/ogc/collections/clusters/items?limit=1000").get_json()["features"]
    descartes = next(f["properties"] for f in clusters if f["id"] == "descartes")
    assert descartes["n_closed"] == 1  # Advancity, gone from 2018-05
    assert descartes["n_sites"] == len(registry.sites_of("descartes"))
    assert descartes["n_located"] == len(registry.located("descartes"))
    assert "advancity" not in registry.located("descartes").index


def test_bbox_filters_and_is_validated(client: Any, registry: Any) -> None:
    delft_box = "4.30,51.95,4.45,52.05"
    doc = client.get(f"/ogc/collections/sites/items?bbox={delft_box}").get_json()
    delft = registry.registered("delft")  # the collection lists closed sites too
    located = set(delft.index[delft.geometry.notna()])
    assert {f["id"] for f in doc["features"]} == located
    assert doc["numberMatched"] == len(located)
    assert "bbox=4.3%2C51.95%2C4.45%2C52.05" in _rels(doc)["self"]
    for bad in ("1,2,3", "a,b,c,d", "nan,0,1,1", "0,10,1,5", "0,0,1,inf", "0,0,200,1"):
        response = client.get(f"/ogc/collections/sites/items?bbox={bad}")
        assert response.status_code == 400, bad
        assert response.get_json()["code"] == "InvalidParameterValue"


def test_unknown_query_parameters_are_refused(client: Any) -> None:
    response = client.get("/ogc/collections/sites/items?colour=<b>red</b>")
    assert response.status_code == 400
    assert "<b>" not in response.get_data(as_text=True)


def test_one_feature_and_unknown_feature(client: Any, registry: Any) -> None:
    doc = client.get("/ogc/collections/sites/items/yes-delft").get_json()
    assert doc["type"] == "Feature" and doc["id"] == "yes-delft"
    point = registry.sites.geometry["yes-delft"]
    assert doc["geometry"]["coordinates"] == pytest.approx([point.x, point.y])
    unlocated = registry.sites.index[registry.sites.geometry.isna()][0]
    assert client.get(f"/ogc/collections/sites/items/{unlocated}").get_json()["geometry"] is None
    missing = client.get("/ogc/collections/sites/items/<script>")
    assert missing.status_code == 404 and "<script>" not in missing.get_data(as_text=True)


def test_content_negotiation_by_accept_and_f(client: Any) -> None:
    browser = client.get("/ogc/collections/sites/items", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.content_type.startswith("text/html")
    assert "YES!Delft incubator" in browser.get_data(as_text=True)
    gis = client.get("/ogc/collections/sites/items", headers={"Accept": "application/geo+json"})
    assert gis.headers["Content-Type"] == "application/geo+json"
    assert client.get("/ogc/collections?f=html").content_type.startswith("text/html")
    assert client.get("/ogc?f=json", headers={"Accept": "text/html"}).is_json
    assert client.get("/ogc?f=xml").status_code == 400
    assert "Accept" in browser.headers["Vary"]


def test_html_escapes_registry_text(client: Any) -> None:
    page = client.get("/ogc/collections/sites/items/yes-delft?f=html").get_data(as_text=True)
    assert "<script" not in page.split("</head>")[1]


def test_links_are_right_behind_a_reverse_proxy() -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "PROXY_COUNT": 1})
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "maps.example.org",
        "X-Forwarded-Prefix": "/clustermap",
    }
    doc = app.test_client().get("/ogc/collections/sites/items?limit=5", headers=headers).get_json()
    assert _rels(doc)["next"].startswith(
        "https://maps.example.org/clustermap/ogc/collections/sites/items?"
    )
    # without a trusted proxy, forwarded headers are ignored
    plain = create_app({"TESTING": True, "DATA_DIR": str(DATA)}).test_client()
    doc = plain.get("/ogc/collections/sites/items?limit=5", headers=headers).get_json()
    assert _rels(doc)["next"].startswith("http://localhost/ogc/")


def test_ogc_responses_carry_etags(client: Any) -> None:
    first = client.get("/ogc/collections/sites/items?limit=3")
    again = client.get(
        "/ogc/collections/sites/items?limit=3", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_each_cluster_carries_every_registry_column_of_its_cluster(
    client: Any, registry: Any
) -> None:
    """The clusters collection's properties come from the registry's declared cluster
    columns (:data:`geo.schema.CLUSTER_FIELDS`), not a hand list, with the registry's values;
    practices as a list of their names."""
    clusters = client.get("/ogc/collections/clusters/items?limit=1000").get_json()["features"]
    assert len(clusters) == len(registry.clusters)
    columns = set(schema.table_columns(schema.CLUSTER_FIELDS)) - {"id", "practices"}
    for feature in clusters:
        assert columns <= set(feature["properties"]), columns - set(feature["properties"])
        row = registry.clusters.loc[feature["id"]]
        for column in columns:
            value = row[column]
            assert feature["properties"][column] == (None if pd.isna(value) else value), column
        names = sorted({p["practice"] for p in row["practices"]})
        assert feature["properties"]["practices"] == ",".join(names)


def test_collections_are_served_from_their_records(client: Any) -> None:
    """The collection list, each collection and its items come from :data:`COLLECTIONS`."""
    listed = client.get("/ogc/collections").get_json()["collections"]
    assert [c["id"] for c in listed] == list(COLLECTIONS)
    for cid, record in COLLECTIONS.items():
        doc = client.get(f"/ogc/collections/{cid}").get_json()
        assert (doc["title"], doc["description"]) == (record.title, record.description)
        items = client.get(f"/ogc/collections/{cid}/items?limit=1").get_json()
        assert items["numberReturned"] == 1
