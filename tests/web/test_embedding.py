"""Sharing a map: /oembed, the discovery links, and the embed options the builder offers."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.helpers import DATA, PAYLOADS
from webmap import create_app

DELFT_PAGE = "http://localhost/clusters/delft"


class Tags(HTMLParser):
    """Every start tag of a document, with its attributes as the browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def named(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def oembed(client: Any, url: str, **params: str) -> Any:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in {"url": url, **params}.items())
    return client.get(f"/oembed?{query}")


def only_iframe(html: str) -> dict[str, str]:
    tags = Tags(html).tags
    assert [name for name, _ in tags] == ["iframe"], html
    return tags[0][1]


def test_oembed_describes_a_cluster_page_as_a_rich_iframe(client: Any, registry: Any) -> None:
    response = oembed(client, DELFT_PAGE)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.get_json()
    name = registry.cluster("delft")["name"]
    assert {k: answer[k] for k in ("type", "version", "provider_name", "provider_url")} == {
        "type": "rich",
        "version": "1.0",
        "provider_name": "clustermap",
        "provider_url": "http://localhost/",
    }
    assert answer["title"] == name
    assert (answer["width"], answer["height"]) == (800, 500)
    frame = only_iframe(answer["html"])
    assert frame["src"] == "http://localhost/embed/delft?basemap=osm"
    assert frame["title"] == f"Map of {name} (clustermap)"
    assert (frame["width"], frame["height"], frame["loading"]) == ("800", "500", "lazy")
    embed = client.get(urlsplit(frame["src"])._replace(scheme="", netloc="").geturl())
    assert embed.status_code == 200


def test_oembed_keeps_an_embeds_options_and_fits_the_maximum_size(client: Any) -> None:
    url = "http://localhost/embed/delft?layers=sites,density&basemap=positron&lang=fr&as_of=2016-10&utm=x"
    answer = oembed(client, url, maxwidth="500", maxheight="300").get_json()
    assert (answer["width"], answer["height"]) == (500, 300)
    frame = only_iframe(answer["html"])
    src = urlsplit(frame["src"])
    assert (src.scheme, src.netloc, src.path) == ("http", "localhost", "/embed/delft")
    assert parse_qs(src.query) == {
        "layers": ["sites,density"],
        "basemap": ["positron"],
        "lang": ["fr"],
        "as_of": ["2016-10"],
    }  # the unknown utm is not carried over: the address is rebuilt from parsed values
    assert (frame["width"], frame["height"]) == ("500", "300")
    wide = oembed(client, url, maxwidth="5000", maxheight="5000").get_json()
    assert (wide["width"], wide["height"]) == (800, 500)  # never larger than the default
    assert client.get(f"{src.path}?{src.query}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/clusters/delft",
        "https://evil.example/embed/delft",
        "http://localhost.evil.example/clusters/delft",
        "http://localhost@evil.example/clusters/delft",
        "http://localhost:8080/clusters/delft",
        "//evil.example/clusters/delft",
        "/prefix/clusters/delft",
        "javascript:alert(1)//localhost/clusters/delft",
        "ftp://localhost/clusters/delft",
        "http://localhost/clusters/delft/sites.csv",
        "http://localhost/api/clusters/delft",
        "http://localhost/prefix/clusters/delft",
    ],
)
def test_oembed_answers_404_for_an_address_that_is_not_one_of_our_pages(
    client: Any, url: str
) -> None:
    response = oembed(client, url)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NotFound"


def test_oembed_answers_404_for_an_unknown_cluster(client: Any) -> None:
    for url in ("http://localhost/clusters/atlantis", "http://localhost/embed/atlantis"):
        response = oembed(client, url)
        assert response.status_code == 404
        assert "unknown cluster id 'atlantis'" in response.get_json()["description"]


def test_oembed_is_readable_across_origins(client: Any) -> None:
    query = f"url={quote(DELFT_PAGE)}"
    response = client.get(f"/oembed?{query}", headers={"Origin": "https://cms.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_oembed_xml_is_not_implemented(client: Any) -> None:
    response = oembed(client, DELFT_PAGE, format="xml")
    assert response.status_code == 501
    assert response.get_json()["code"] == "NotImplemented"
    assert oembed(client, DELFT_PAGE, format="json").status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"maxwidth": "abc"}, "maxwidth must be an integer"),
        ({"maxwidth": "0"}, "maxwidth must be >= 1"),
        ({"maxheight": "-5"}, "maxheight must be >= 1"),
        ({"maxheight": "1e3"}, "maxheight must be an integer"),
        ({"format": "yaml"}, "format must be one of json"),
        ({"url": ""}, "url is required"),
        ({"url": DELFT_PAGE + "?as_of=" + "9" * 3000}, "url is longer than 2000 characters"),
        ({"url": "http://localhost/embed/delft?layers=bogus"}, "url: unknown layer 'bogus'"),
        ({"url": "http://localhost/embed/delft?lang=de"}, "url: lang must be one of en, fr"),
        ({"url": "http://localhost/embed/delft?layers="}, "url: layers is empty"),
        ({"url": "http://localhost/clusters/delft?as_of=tomorrow"}, "url: "),
    ],
)
def test_oembed_refuses_bad_parameters_naming_them(
    client: Any, params: dict[str, str], message: str
) -> None:
    response = oembed(client, params.pop("url", DELFT_PAGE), **params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    assert message in body["description"]
    assert client.get("/oembed").get_json()["description"] == "url is required"


def test_oembed_of_a_hostile_name_is_text_never_html(registry_copy: Path) -> None:
    name = PAYLOADS[4] + PAYLOADS[0] + " & ${x} `y`"
    path = registry_copy / "clusters.geojson"
    clusters = json.loads(path.read_text(encoding="utf-8"))
    for feature in clusters["features"]:
        if feature["properties"]["id"] == "delft":
            feature["properties"]["name"] = name
    path.write_text(json.dumps(clusters), encoding="utf-8")
    client = create_app({"TESTING": True, "DATA_DIR": str(registry_copy)}).test_client()
    answer = oembed(client, DELFT_PAGE).get_json()
    assert answer["title"] == name  # a JSON string: text for the consumer to escape
    frame = only_iframe(answer["html"])  # the name opened no tag and closed no attribute
    assert frame["title"] == f"Map of {name} (clustermap)"
    assert "<script" not in answer["html"] and "<img" not in answer["html"]
    for page in ("/clusters/delft", "/embed/delft"):
        html = client.get(page).get_data(as_text=True)
        tags = Tags(html)
        assert not tags.named("img") or all(t.get("src") != "x" for t in tags.named("img"))
        links = [t for t in tags.named("link") if t.get("type") == "application/json+oembed"]
        assert [t["title"] for t in links] == [name]
    builder = Tags(client.get("/clusters/delft").get_data(as_text=True)).named("details")
    assert builder[0]["data-title-en"] == f"Map of {name} (clustermap)"


def test_cluster_and_embed_pages_link_their_oembed(client: Any) -> None:
    cases = (
        ("/clusters/delft", "/clusters/delft"),
        ("/clusters/saint-etienne?as_of=2016-10", "/clusters/saint-etienne?as_of=2016-10"),
        ("/embed/delft?layers=sites&lang=fr&utm=x",
         "/embed/delft?layers=sites&basemap=osm&lang=fr"),
    )  # fmt: skip
    for page, described in cases:
        tags = Tags(client.get(page).get_data(as_text=True))
        (link,) = [t for t in tags.named("link") if t.get("rel") == "alternate"]
        assert link["type"] == "application/json+oembed"
        # relative: a cached page names no host; the path is resolved against our origin
        href = urlsplit(link["href"])
        assert (href.scheme, href.netloc, href.path) == ("", "", "/oembed")
        assert parse_qs(href.query) == {"url": [described], "format": ["json"]}
        answer = client.get(f"/oembed?{href.query}")
        assert answer.status_code == 200, page
        assert link["title"] == answer.get_json()["title"]
        assert only_iframe(answer.get_json()["html"])["src"].startswith("http://localhost/embed/")


def test_a_forwarded_prefix_is_in_the_oembed_link_and_resolved() -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(DATA), "PROXY_COUNT": 1})
    client = app.test_client()
    headers = {"X-Forwarded-Prefix": "/maps", "X-Forwarded-Host": "maps.example.org"}
    page = Tags(client.get("/clusters/delft", headers=headers).get_data(as_text=True))
    (link,) = [t for t in page.named("link") if t.get("rel") == "alternate"]
    href = urlsplit(link["href"])
    assert href.path == "/maps/oembed"
    assert parse_qs(href.query)["url"] == ["/maps/clusters/delft"]
    answer = client.get(f"/oembed?{href.query}", headers=headers).get_json()
    assert (
        only_iframe(answer["html"])["src"] == "http://maps.example.org/maps/embed/delft?basemap=osm"
    )
    assert client.get(f"/oembed?{href.query}").status_code == 404  # not under this prefix


def test_oembed_resolves_against_the_public_url_not_the_host_header() -> None:
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "PUBLIC_URL": "https://maps.example.org/cm"}
    )
    client = app.test_client()
    ours = "https://maps.example.org/cm/clusters/delft"
    answer = oembed(client, ours).get_json()
    assert answer["provider_url"] == "https://maps.example.org/cm/"
    assert (
        only_iframe(answer["html"])["src"] == "https://maps.example.org/cm/embed/delft?basemap=osm"
    )
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for url in ("http://evil.example/clusters/delft", "https://maps.example.org/clusters/delft"):
        assert oembed(client, url).status_code == 404
        assert client.get(f"/oembed?url={quote(url)}", headers=forged).status_code == 404
    link = client.get("/clusters/delft", headers=forged).get_data(as_text=True)
    assert "https://maps.example.org/cm/oembed?url=https%3A%2F%2Fmaps.example.org%2Fcm" in link
    assert "evil" not in link


def _builder_options(html: str) -> dict[str, list[str]]:
    """The values each control of the embed builder offers (its form is a <template>)."""
    tags = Tags(html.split('<template id="embed-builder-form">', 1)[1].split("</template>")[0])
    options: dict[str, list[str]] = {"layers": [], "basemap": [], "lang": [], "as_of": []}
    select = None
    for name, attrs in tags.tags:
        if name == "input" and attrs.get("name") == "layer":
            options["layers"].append(attrs["value"])
        elif name == "select":
            select = attrs["name"]
        elif name == "option" and select is not None:
            options[select].append(attrs["value"])
    return options


def test_the_embed_accepts_every_option_the_builder_offers(client: Any) -> None:
    for cluster in ("delft", "genopole"):
        options = _builder_options(client.get(f"/clusters/{cluster}").get_data(as_text=True))
        assert options["basemap"] == ["osm", "positron", "none", "offline"]
        assert options["lang"] == ["en", "fr"]
        assert options["as_of"] == ["", "2016-10"]
        assert {"sites", "epicentres", "density"} <= set(options["layers"])
        queries = [f"layers={key}" for key in options["layers"]]
        queries.append("layers=" + ",".join(options["layers"]))
        queries += [f"basemap={b}" for b in options["basemap"]]
        queries += [f"lang={lang}" for lang in options["lang"]]
        queries += [f"as_of={d}" for d in options["as_of"]]
        for query in queries:
            assert client.get(f"/embed/{cluster}?{query}").status_code == 200, (cluster, query)
    # genopole has no street network: the builder does not offer the walking layers
    assert (
        "isochrones"
        in _builder_options(client.get("/clusters/delft").get_data(as_text=True))["layers"]
    )
    assert "isochrones" not in options["layers"]


def test_the_embed_draws_its_language_and_refuses_another(client: Any) -> None:
    french = client.get("/embed/delft?lang=fr").get_data(as_text=True)
    english = client.get("/embed/delft?lang=en").get_data(as_text=True)
    assert '<html lang="fr">' in french  # each language is its own cached page
    assert '<html lang="en">' in english
    assert '<html lang="fr">' in client.get(
        "/embed/delft", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    for bad in ("de", "FR", "<script>"):
        response = client.get(f"/embed/delft?lang={quote(bad)}")
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert "lang must be one of en, fr" in text
        assert "<script>" not in text.split("<body", 1)[1]


def test_only_the_embed_may_be_framed_by_other_origins(app: Any) -> None:
    app.config["EMBED_ORIGINS"] = ["https://news.example.org"]
    client = app.test_client()
    embed = client.get("/embed/delft?lang=fr&basemap=positron").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://news.example.org" in embed
    page = client.get("/clusters/delft")
    assert 'id="embed-builder"' in page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    assert policy.split("frame-ancestors ", 1)[1].split(";")[0] == "'self'"
    oembed_policy = oembed(client, DELFT_PAGE).headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in oembed_policy
    assert "news.example.org" not in oembed_policy
