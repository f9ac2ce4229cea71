"""``/clusters/<id>/figure.*`` and the Ripley plot of the cluster page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.helpers import wait_until

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("fmt", "media", "magic"),
    [
        ("svg", "image/svg+xml", b"<?xml"),
        ("pdf", "application/pdf", b"%PDF"),
        ("png", "image/png", b"\x89PNG"),
    ],
)
def test_figure_route_answers_each_format_as_a_download(
    client: Any, fmt: str, media: str, magic: bytes
) -> None:
    response = client.get(f"/clusters/delft/figure.{fmt}?dpi=72")
    assert response.status_code == 200
    assert response.mimetype == media
    assert response.headers["Content-Disposition"] == f'attachment; filename="delft-figure.{fmt}"'
    assert response.data.startswith(magic)
    again = client.get(
        f"/clusters/delft/figure.{fmt}?dpi=72", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_figure_route_follows_paper_orientation_layers_and_date(client: Any) -> None:
    response = client.get(
        "/clusters/delft/figure.svg?paper=a3&landscape=true&layers=sites,ripley&as_of=2016-10"
    )
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert (root.get("width"), root.get("height")) == ("1190.551181pt", "841.889764pt")
    texts = " ".join("".join(e.itertext()) for e in root.iter(f"{SVG}text"))
    assert "sites as of 2016-10" in texts and "CSR envelope" in texts
    assert "Streets" not in texts  # not asked for


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/clusters/atlantis/figure.svg", 404),
        ("/clusters/delft/figure.gif", 404),
        ("/clusters/delft/figure.png?dpi=601", 400),
        ("/clusters/delft/figure.png?dpi=%EF%BC%91%EF%BC%95%EF%BC%90", 400),  # fullwidth 150
        ("/clusters/delft/figure.svg?paper=letter", 400),
        ("/clusters/delft/figure.svg?landscape=maybe", 400),
        ("/clusters/delft/figure.svg?layers=sites,foo", 400),
        ("/clusters/durapole/figure.svg?layers=streets", 400),
        ("/clusters/delft/figure.svg?as_of=2016-1", 400),
    ],
)
def test_figure_route_refuses_unknown_clusters_and_bad_parameters(
    client: Any, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status, response.data[:300]


def test_figures_are_cached_on_parsed_layers_and_dates(client: Any, monkeypatch: Any) -> None:
    from webmap.web import routes_figures

    drawn: list[tuple[str, ...] | None] = []
    real = routes_figures.registry_cluster_figure

    def counting(*args: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs["layers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(routes_figures, "registry_cluster_figure", counting)
    first = client.get("/clusters/delft/figure.svg?layers=sites,epicentres&as_of=2016-10")
    for same in ("sites,sites,sites,epicentres", "epicentres,sites", " sites , epicentres,"):
        again = client.get(f"/clusters/delft/figure.svg?layers={same}&as_of=2016-10-01")
        assert again.status_code == 200 and again.data == first.data
    assert drawn == [("epicentres", "sites")]  # one figure drawn, in drawing order
    assert client.get("/clusters/delft/figure.svg?layers=sites&as_of=2016-10").status_code == 200
    assert drawn == [("epicentres", "sites"), ("sites",)]


def test_cluster_page_draws_the_ripley_plot_for_delft(client: Any) -> None:
    html = client.get("/clusters/delft").get_data(as_text=True)
    panel = html[html.index('id="ripley"') : html.index("</figure>", html.index('id="ripley"'))]
    svg = re.search(r"<svg .*?</svg>", panel, flags=re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))
    observed = root.find(f"{SVG}polyline")
    envelope = root.find(f"{SVG}polygon")
    assert observed is not None and envelope is not None
    assert len(observed.get("points", "").split()) == 50  # one vertex per distance
    assert "99 random patterns" in panel and "style=" not in panel
    for fmt in ("pdf", "svg", "png"):
        assert f'href="/clusters/delft/figure.{fmt}"' in html


def test_cluster_page_says_too_few_for_a_one_site_cluster(client: Any) -> None:
    html = client.get("/clusters/leiden").get_data(as_text=True)
    panel = html[html.index('id="ripley"') : html.index("</figure>", html.index('id="ripley"'))]
    assert "too few located places (1)" in panel and "<svg" not in panel


def test_chromium_shows_the_cluster_page_with_its_ripley_plot_and_no_page_error(
    live_server: Any, page: Any
) -> None:
    response = page.page.goto(f"{live_server.url}/clusters/delft")
    assert response is not None and response.status == 200
    wait_until(page.page, "() => document.querySelector('.leaflet-container') !== null")
    box = page.page.locator("svg.cm-ripley-plot").bounding_box()
    assert box is not None and box["width"] == 300 and box["height"] == 170
    assert page.errors == []


def test_the_figure_route_draws_french_text_for_lang_fr(client: Any) -> None:
    english = client.get("/clusters/delft/figure.svg?layers=sites")
    french = client.get("/clusters/delft/figure.svg?layers=sites&lang=fr")
    assert english.status_code == french.status_code == 200
    assert b"Data: clustermap registry" in english.data
    assert "Données\u00a0: registre clustermap".encode() in french.data
    assert english.headers["ETag"] != french.headers["ETag"]
    assert french.headers["Content-Language"] == "fr"
