"""``/compare``: every cluster side by side, the epicentres at one scale."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from geo.compare import compare_clusters
from geo.network import ClusterNetwork
from tests.helpers import DATA, PAYLOADS, LiveServer, wait_until
from webmap import create_app
from webmap.web.routes_compare import FRAME_PX, FRAME_SIDE_M

GEOD = Geod(ellps="WGS84")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One app for the module: the comparison is computed once and served from its cache."""
    cache = tmp_path_factory.mktemp("cache")
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(cache)})
    return app.test_client()


def _point(registry: Any, site: str) -> tuple[float, float]:
    geometry = registry.sites.loc[site].geometry
    return geometry.x, geometry.y


def test_table_lists_every_cluster_with_its_measures(registry: Any, tmp_path: Path) -> None:
    rows = {row["id"]: row for row in compare_clusters(registry, cache_dir=tmp_path).rows}
    assert set(rows) == set(registry.clusters.index)
    delft = rows["delft"]
    assert delft["epicentre"] == "Delft triangle"
    # the longest side of the triangle: the Aula to YES!Delft, geodesic
    (lon1, lat1), (lon2, lat2) = _point(registry, "tu-delft-campus"), _point(registry, "yes-delft")
    assert delft["longest_side_m"] == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], rel=1e-9)
    table, _ = ClusterNetwork("delft", registry=registry, cache_dir=tmp_path).distances()
    assert delft["walk_minutes_max"] == pytest.approx(table["walk_minutes"].max())
    assert rows["saint-etienne"]["walk_minutes_max"] is None  # no street network
    assert rows["durapole"]["n_located"] == 0 and rows["durapole"]["sites_per_km2"] is None
    assert rows["leiden"]["area_km2"] is None  # one site encloses no area: not 0


def test_as_of_2016_applies_to_the_whole_page(registry: Any, tmp_path: Path) -> None:
    today = {r["id"]: r for r in compare_clusters(registry, cache_dir=tmp_path).rows}
    in_2016 = {
        r["id"]: r for r in compare_clusters(registry, as_of="2016-10", cache_dir=tmp_path).rows
    }
    expected = len(registry.located("saint-etienne", as_of="2016-10"))
    assert in_2016["saint-etienne"]["n_located"] == expected
    assert expected < today["saint-etienne"]["n_located"]  # the Comédie came in 2017


def test_as_of_2016_the_copenhagen_office_is_counted_and_listed_as_closed(
    shared_client: Any, registry: Any
) -> None:
    page = shared_client.get("/compare?as_of=2016-10").get_data(as_text=True)
    row = re.search(r'<tr data-cluster="copenhagen-cleantech">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>|\s", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                              row.group(1), re.S)]  # fmt: skip
    assert cells[1:4] == ["1", "1", "1"]  # listed (Risø), located, closed (the office)
    closed = re.search(r'<ul class="cm-closed" id="compare-closed">(.*?)</ul>', page, re.S)
    assert closed is not None
    assert '<li data-cluster="copenhagen-cleantech" data-site="ccc-office">' in closed.group(1)
    assert 'href="https://regionalt.erhvervsstyrelsen.dk/succes-med-cleantech-satsning"' in (
        closed.group(1)
    )
    # every closed site of every cluster, and only those
    listed = set(re.findall(r'data-site="([^"]+)"', closed.group(1)))
    expected = {s for cid in registry.clusters.index
                for s in registry.closed_before(cid, as_of="2016-10").index}  # fmt: skip
    assert listed == expected and "ccc-office" in expected
    table = list(csv.DictReader(io.StringIO(
        shared_client.get("/compare.csv?as_of=2016-10").get_data(as_text=True))))  # fmt: skip
    by_id = {r["id"]: r for r in table}
    assert by_id["copenhagen-cleantech"]["Sites closed"] == "1"
    assert by_id["delft"]["Sites closed"] == "0"


def test_today_the_compare_page_counts_and_lists_the_sites_closed_by_now(
    shared_client: Any, registry: Any
) -> None:
    page = shared_client.get("/compare").get_data(as_text=True)
    closed = re.search(r'<h2>Closed</h2>.*?<ul class="cm-closed" id="compare-closed">(.*?)</ul>',
                       page, re.S)  # fmt: skip
    assert closed is not None
    listed = set(re.findall(r'data-site="([^"]+)"', closed.group(1)))
    expected = {s for cid in registry.clusters.index for s in registry.closed_before(cid).index}
    assert listed == expected
    assert {"ccc-office", "numelink", "tno-former-campus"} <= listed
    today = {r["id"]: r for r in csv.DictReader(io.StringIO(
        shared_client.get("/compare.csv").get_data(as_text=True)))}  # fmt: skip
    assert today["copenhagen-cleantech"]["Sites closed"] == "1"
    assert today["copenhagen-cleantech"]["Sites listed"] == "1"  # Risø, not the office
    assert today["delft"]["Sites closed"] == "1"  # the former TNO campus
    assert int(today["delft"]["Sites listed"]) == len(registry.sites_of("delft"))


def test_page_sorts_by_any_column_with_missing_values_last(
    shared_client: Any, registry: Any
) -> None:
    page = shared_client.get("/compare?sort=sites_per_km2&order=desc")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    order = re.findall(r'<tr data-cluster="([a-z0-9-]+)">', html)
    rows = {r["id"]: r for r in compare_clusters(registry).rows}
    values = [rows[cid]["sites_per_km2"] for cid in order]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=True) and len(known) >= 2
    assert all(v is None for v in values[len(known) :])
    assert len(order) == len(rows)
    assert shared_client.get("/compare?sort=nope").status_code == 400
    assert shared_client.get("/compare?as_of=%C2%B2").status_code == 400


def test_bad_parameters_answer_400_before_any_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webmap.web import routes_compare as compare

    computed: list[str | None] = []
    monkeypatch.setattr(compare, "compare_clusters", lambda *a, **k: computed.append(k["as_of"]))
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path)})
    client = app.test_client()
    for query in ("sort=bad", "order=up", "sort=name&order=sideways", "as_of=2016-13"):
        response = client.get(f"/compare?{query}")
        assert response.status_code == 400, query
    assert computed == []


def test_small_multiples_share_one_true_scale(shared_client: Any, registry: Any) -> None:
    svg = ET.fromstring(shared_client.get("/compare.svg").get_data())
    frames = svg.findall(f".//{SVG}g[@class='cm-multiple']")
    assert {f.get("data-epicentre") for f in frames} == set(registry.epicentres.index)
    bars = {
        bar.find(f"{SVG}line").get("x2")  # type: ignore[union-attr]
        for bar in svg.iter(f"{SVG}g")
        if bar.get("class") == "cm-scale-bar"
    }
    assert len(bars) == 1  # the same scale bar everywhere
    delft = next(f for f in frames if f.get("data-epicentre") == "delft-triangle")
    circles = {
        c.find(f"{SVG}title").text: (float(c.get("cx")), float(c.get("cy")))
        for c in delft.iter(f"{SVG}circle")
    }
    names = registry.sites["name"]
    (x1, y1), (x2, y2) = circles[names["tu-delft-campus"]], circles[names["yes-delft"]]
    drawn_m = ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 * FRAME_SIDE_M / FRAME_PX
    (lon1, lat1), (lon2, lat2) = _point(registry, "tu-delft-campus"), _point(registry, "yes-delft")
    assert drawn_m == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], rel=0.01)
    assert len(list(delft.iter(f"{SVG}polygon"))) == 1  # the campus footprint


def test_csv_download_has_a_row_per_cluster(shared_client: Any, registry: Any) -> None:
    response = shared_client.get("/compare.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["id", "Cluster", "Sites listed"]
    assert sorted(r[0] for r in rows[1:]) == sorted(registry.clusters.index)


def test_hostile_names_stay_text_in_chromium(
    hostile_registry: Path,
    page: Any,
) -> None:
    server = LiveServer(create_app({"TESTING": True, "DATA_DIR": str(hostile_registry)}))
    try:
        page.page.goto(f"{server.url}/compare")
        wait_until(page.page, "() => document.querySelectorAll('.cm-multiple').length === 4")
        assert PAYLOADS[0] in page.page.locator("#compare-table").inner_text()
        assert page.dialogs == [] and page.errors == []
        svg = page.page.locator(".cm-multiples").inner_html()
        assert "<img" not in svg and "<script" not in svg
    finally:
        server.stop()


def test_compare_page_in_chromium_has_every_row_and_frame(
    live_server: Any, page: Any, registry: Any
) -> None:
    page.page.goto(f"{live_server.url}/compare")
    assert page.page.locator("#compare-table tbody tr").count() == len(registry.clusters)
    assert page.page.locator(".cm-multiple").count() == 4
    assert page.errors == []
