"""Pages and JSON API through the Flask test client."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from geo.errors import RegistryError
from webmap import create_app
from webmap.maps.assets import VENDOR_DIR, VENDORED


def test_overview_lists_every_cluster_and_filters_by_practice(client: Any, registry: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    for cid in registry.clusters.index:
        assert f'data-cluster="{cid}"' in page
    filtered = client.get("/?practice=demonstrators").get_data(as_text=True)
    listed = set(re.findall(r'<li data-cluster="([^"]+)"', filtered))
    expected = {cid for cid, practices in registry.clusters["practices"].items()
                if any(p["practice"] == "demonstrators" for p in practices)}  # fmt: skip
    assert listed == expected == {"lutb", "copenhagen-cleantech", "oekoenergie-cluster"}


def test_cluster_page_has_map_sites_and_unlocated_rows(client: Any, registry: Any) -> None:
    response = client.get("/clusters/delft")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('"className": "cm-site ') == len(registry.located("delft"))
    assert "location unknown, not drawn" in page
    assert "L.control.layers" in page and "L.control.scale" in page


def test_pages_load_scripts_and_styles_only_from_our_server(client: Any) -> None:
    for url in ("/", "/clusters/delft", "/clusters/genopole"):
        page = client.get(url).get_data(as_text=True)
        assets = re.findall(r'<script[^>]+src="([^"]+)"', page)
        assets += re.findall(r'<link(?! rel="alternate")[^>]+href="([^"]+)"', page)
        assert assets
        for ref in assets:
            assert ref.startswith("/static/"), ref


def test_crowded_cluster_pages_load_assets_only_from_our_server(crowded_registry: Path) -> None:
    """Marker clustering pulls in more plugins: they must be vendored too."""
    client = create_app({"TESTING": True, "DATA_DIR": str(crowded_registry)}).test_client()
    for url in ("/clusters/delft", "/embed/delft?layers=sites,density,hexbins,cores,nn"):
        page = client.get(url).get_data(as_text=True)
        assert "markerClusterGroup" in page, url
        assets = re.findall(r'<script[^>]+src="([^"]+)"', page)
        assets += re.findall(r'<link(?! rel="alternate")[^>]+href="([^"]+)"', page)
        assert all(ref.startswith("/static/") for ref in assets), url


def test_vendored_assets_are_served_with_licences(client: Any) -> None:
    for package in VENDORED:
        assert (VENDOR_DIR / package.name / package.licence).is_file()
        for name in package.files:
            response = client.get(f"/static/vendor/{package.name}/{name}")
            assert response.status_code == 200, name
            response.close()


def test_api_clusters_detail_and_sites(client: Any, registry: Any) -> None:
    listing = client.get("/api/clusters").get_json()
    assert [c["id"] for c in listing["clusters"]] == list(registry.clusters.index)
    detail = client.get("/api/clusters/delft").get_json()
    assert detail["epicentres"][0]["id"] == "delft-triangle"
    assert detail["practices"][0]["evidence"]
    sites = client.get("/api/clusters/delft/sites")
    assert sites.headers["Content-Type"] == "application/geo+json"
    body = json.loads(sites.get_data(as_text=True))
    # every site listed, each with its state today: the former TNO campus closed in 2021
    assert len(body["features"]) == len(registry.registered("delft"))
    states = {f["id"]: f["properties"]["state"] for f in body["features"]}
    assert states["tno-former-campus"] == "closed" and states["yes-delft"] == "open"


def test_unknown_ids_404_json_on_api_html_elsewhere(client: Any) -> None:
    api = client.get("/api/clusters/atlantis")
    assert api.status_code == 404
    assert api.get_json()["code"] == "NotFound"
    assert "atlantis" in api.get_json()["description"]
    assert client.get("/api/clusters/atlantis/sites").status_code == 404
    page = client.get("/clusters/<script>alert(1)</script>")
    assert page.status_code == 404
    assert page.content_type.startswith("text/html")
    assert "<script>alert(1)" not in page.get_data(as_text=True)
    assert client.get("/api/nothing").get_json()["code"] == "NotFound"


def test_healthz_and_security_headers(client: Any, registry: Any) -> None:
    response = client.get("/healthz")
    assert response.get_json() == {"status": "ok", "registry_version": registry.version,
                                   "clusters": len(registry.clusters)}  # fmt: skip
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in client.get("/").headers["Content-Security-Policy"]


def test_server_refuses_an_invalid_registry(registry_copy: Path) -> None:
    (registry_copy / "sites.geojson").write_text("{", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid JSON"):
        create_app({"DATA_DIR": str(registry_copy)})


def test_cluster_page_panel_has_measures_downloads_and_snippet(client: Any) -> None:
    page = client.get("/clusters/delft").get_data(as_text=True)
    panel = re.sub(r"\s+", " ", page)
    edge = "0 m edge to edge (inside tu-delft-campus)"
    assert f"tu-delft-campus \u2013 yes-delft</th><td>1,352 m centre to centre; {edge}" in panel
    assert "technopolis \u2013 yes-delft</th><td>115 m centre to centre</td>" in panel
    verdict = "</th><td>does not hold: 1 of 3 sides between 100 and 1,000 m"
    assert f"as of 2016-10, centre to centre{verdict}" in panel
    assert f"as of 2016-10, edge to edge{verdict}" in panel
    assert 'id="embed-snippet"' in page
    csv = client.get("/clusters/delft/sites.csv")
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[0].startswith("id,cluster,name,role,lon,lat")
    measures = client.get("/clusters/delft/measures.json").get_json()
    assert measures == client.get("/api/clusters/delft/measures").get_json()


def test_an_unexpected_error_is_a_plain_500(app: Any, monkeypatch: Any) -> None:
    """A bug must not leak a traceback: JSON on the API, an HTML page elsewhere."""

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("webmap.web.routes_api.list_clusters", broken)  # where each route
    monkeypatch.setattr("webmap.web.routes_pages.list_clusters", broken)  # looks it up
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    api = client.get("/api/clusters")
    assert api.status_code == 500
    assert api.get_json()["code"] == "InternalServerError"
    page = client.get("/")
    assert page.status_code == 500
    assert "secret internals" not in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)


def test_every_cluster_page_of_the_bundled_registry_answers(client: Any, registry: Any) -> None:
    for cluster_id in registry.clusters.index:
        response = client.get(f"/clusters/{cluster_id}")
        assert response.status_code == 200, cluster_id
        assert client.get(f"/embed/{cluster_id}").status_code == 200, cluster_id


def test_cluster_page_shows_the_sites_as_in_2016_or_today(client: Any, registry: Any) -> None:
    today = client.get("/clusters/saint-etienne").get_data(as_text=True)
    then = client.get("/clusters/saint-etienne?as_of=2016-10").get_data(as_text=True)
    assert 'id="asof-today" href="/clusters/saint-etienne" aria-current="page"' in today
    assert 'href="/clusters/saint-etienne?as_of=2016-10" aria-current="page"' in then
    # the Comédie opened in 2017-09: on today's page and map, not on the note's
    assert 'data-site="comedie-saint-etienne"' in today
    assert 'data-site="comedie-saint-etienne"' not in then
    assert "Not there at that date</th><td>comedie-saint-etienne" in then
    n_then = len(registry.located("saint-etienne", as_of="2016-10"))
    assert f"Sites located</th><td>{n_then} of" in re.sub(r"\s+", " ", then)
    assert '<option value="2016-10" selected>' in then  # the embed builder's date
    assert '<option value="" selected>' in today
    measures = client.get("/clusters/saint-etienne/measures.json?as_of=2016-10").get_json()
    assert measures["as_of"] == "2016-10" and measures["n_sites_located"] == n_then
    assert client.get("/clusters/saint-etienne?as_of=last-year").status_code == 400


def test_as_in_2016_the_copenhagen_office_is_shown_closed_with_its_source(
    client: Any, registry: Any
) -> None:
    then = client.get("/clusters/copenhagen-cleantech?as_of=2016-10").get_data(as_text=True)
    closed = re.search(r'<ul class="cm-closed" id="closed-sites">(.*?)</ul>', then, re.S)
    assert closed is not None
    (item,) = re.findall(r'<li data-site="([^"]+)"', closed.group(1))
    assert item == "ccc-office"  # formally closed at the end of 2014
    assert "gone from 2015-01-01" in closed.group(1)
    link = '<a href="https://regionalt.erhvervsstyrelsen.dk/succes-med-cleantech-satsning"'
    assert link in closed.group(1)  # its source, as a link
    assert re.search(r"Sites closed by 2016-10</th><td>1\b", then)
    assert 'data-site="ccc-office" class=' not in then  # not in the table of 2016's sites
    api = client.get("/api/clusters/copenhagen-cleantech/measures?as_of=2016-10").get_json()
    assert api["n_sites_closed"] == 1 and api["closed_sites"][0]["id"] == "ccc-office"
    assert api["closed_sites"][0]["source"] == registry.sites.loc["ccc-office", "source"]


def test_today_the_sites_closed_by_now_are_listed_as_closed_not_drawn(client: Any) -> None:
    # "today" is the current date: the Copenhagen office (gone from 2015-01-01) is closed
    today = client.get("/clusters/copenhagen-cleantech").get_data(as_text=True)
    closed = re.search(r'<h2>Closed</h2>\s*<ul class="cm-closed" id="closed-sites">(.*?)</ul>',
                       today, re.S)  # fmt: skip
    assert closed is not None
    assert re.findall(r'<li data-site="([^"]+)"', closed.group(1)) == ["ccc-office"]
    assert "gone from 2015-01-01" in closed.group(1)
    assert 'href="https://regionalt.erhvervsstyrelsen.dk/succes-med-cleantech-satsning"' in (
        closed.group(1)
    )
    assert re.search(r"Sites closed</th><td>1\b", today)
    assert 'data-site="ccc-office" class=' not in today  # not in the table of today's sites
    api = client.get("/api/clusters/copenhagen-cleantech/measures").get_json()
    assert api["as_of"] is None and [s["id"] for s in api["closed_sites"]] == ["ccc-office"]
    # Delft today: the former TNO campus (left in 2021) is closed; Saint-Étienne: NUMELINK
    for cluster_id, gone in (("delft", "tno-former-campus"), ("saint-etienne", "numelink")):
        page = client.get(f"/clusters/{cluster_id}").get_data(as_text=True)
        listed = re.search(r'id="closed-sites">(.*?)</ul>', page, re.S)
        assert listed is not None and f'data-site="{gone}"' in listed.group(1), cluster_id
        assert f'data-site="{gone}" class=' not in page, cluster_id
        then = client.get(f"/clusters/{cluster_id}?as_of=2016-10").get_data(as_text=True)
        assert f'data-site="{gone}" class=' in then, cluster_id  # there in 2016


def test_a_hostile_source_of_a_closed_site_stays_text(registry_copy: Path) -> None:
    path = registry_copy / "sites.geojson"
    sites = json.loads(path.read_text(encoding="utf-8"))
    ccc = next(f for f in sites["features"] if f["properties"]["id"] == "ccc-office")
    hostile = ('<img src=x onerror=alert(1)> javascript:alert(1) ${alert(1)} '
               'https://x.example/a"><script>alert(1)</script>')  # fmt: skip
    ccc["properties"].update(name="<b>CCC</b>", source=hostile)
    path.write_text(json.dumps(sites), encoding="utf-8")
    client = create_app({"TESTING": True, "DATA_DIR": str(registry_copy)}).test_client()
    for url in ("/clusters/copenhagen-cleantech?as_of=2016-10", "/compare?as_of=2016-10"):
        page = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "<script>alert" not in page, url
        assert "<b>CCC</b>" not in page and "&lt;b&gt;CCC&lt;/b&gt;" in page, url
        assert 'href="javascript:' not in page, url
        # only the http(s) address became a link, cut before the quote
        assert '<a href="https://x.example/a" rel="noopener noreferrer nofollow">' in page, url


def test_the_embed_takes_as_of(client: Any) -> None:
    then = client.get("/embed/saint-etienne?as_of=2016-10").get_data(as_text=True)
    today = client.get("/embed/saint-etienne").get_data(as_text=True)
    assert "Comédie" in today and "Comédie" not in then
    assert client.get("/embed/saint-etienne?as_of=2016-13-45x").status_code == 400


def test_pages_say_what_is_approximate(client: Any) -> None:
    cite = re.sub(
        r"\s+", " ", client.get("/clusters/rhone-alpes-eco-energies").get_data(as_text=True)
    )
    section = cite[cite.index("What is approximate") :]
    assert "(district precision, low confidence): the point stands for the Cité" in section
    assert "within about 500 m" in section
    assert "drawn as the one place located (cite-environnement)" in section
    saint = re.sub(r"\s+", " ", client.get("/clusters/saint-etienne").get_data(as_text=True))
    section = saint[saint.index("What is approximate") :]
    assert "Le Mixeur" in section and "drawn at the Cité du design point" in section
    assert "4 located members make a polygon" in section


def test_measures_on_few_sites_are_greyed_out_with_the_reason(client: Any) -> None:
    page = re.sub(r"\s+", " ", client.get("/clusters/delft").get_data(as_text=True))
    row = re.search(r'<tr class="cm-unreliable" data-measure="clark_evans">(.*?)</tr>', page)
    assert row is not None
    assert "(p =" not in row.group(1)
    assert "fewer than the 20 a Clark-Evans test needs" in row.group(1)
    assert 'data-measure="kde"' in page and 'data-measure="cores"' in page
