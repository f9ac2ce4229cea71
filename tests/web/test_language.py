"""Pages in English or French: which language a request gets, the switcher's cookie, French
numbers and dates, French descriptions, and caches that never mix the languages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from webmap import create_app
from webmap.i18n import format_number, translate_filled

NNBSP = "\u202f"  # how French groups thousands (CLDR)


def _lang(response: Any) -> str:
    found = re.search(r'<html lang="(\w+)">', response.get_data(as_text=True))
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, None, "en"),
        ("", None, "fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("", "en", "fr", "en"),  # the remembered choice beats the browser's
        ("?lang=fr", "en", "en", "fr"),  # the address beats both
        ("?lang=en", "fr", "fr", "en"),
        ("?lang=de", None, "de-DE", "en"),  # neither offered: English
    ],
)
def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser(
    client: Any, query: str, cookie: str | None, accept: str | None, expected: str
) -> None:
    if cookie is not None:
        client.set_cookie("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(f"/compare{query}", headers=headers)
    assert response.status_code == 200
    assert _lang(response) == expected
    assert response.headers["Content-Language"] == expected


def test_the_switcher_remembers_the_choice_and_returns_to_the_page(client: Any) -> None:
    page = client.get("/clusters/delft?as_of=2016-10&utm=x").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="fr" hreflang="fr">Français</a>', page)
    assert link is not None
    # the cached page's link keeps the parameters the page reads, not the stray one
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/clusters/delft?as_of=2016-10"
    assert "lang=fr" in response.headers["Set-Cookie"]
    assert _lang(client.get("/clusters/delft")) == "fr"
    # a language given in the page's address does not survive the switch
    back = client.get("/language/en?next=/compare%3Flang%3Dfr%26sort%3Dname")
    assert back.headers["Location"] == "/compare?sort=name"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", ""])
def test_the_switcher_goes_back_only_to_this_site(client: Any, target: str) -> None:
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_a_404(client: Any) -> None:
    assert client.get("/language/de").status_code == 404


def _cell(html: str, heading: str) -> str:
    found = re.search(rf"<th>{re.escape(heading)}</th><td>([^<]*)</td>", html)
    assert found is not None, heading
    return found.group(1)


def test_the_french_delft_page_is_french_with_french_numbers(client: Any) -> None:
    english = client.get("/clusters/delft").get_data(as_text=True)
    french = client.get("/clusters/delft?lang=fr").get_data(as_text=True)
    assert french.startswith('<!doctype html>\n<html lang="fr">')
    for words in ("Ce qui est approximatif", "Densité", "sites par km²", "Mesures", "Épicentres"):
        assert words in french, words
    assert "What is approximate" not in french
    # the same measure, written each language's way: 1,352 m and 1 352 m
    extent_en = _cell(english, "Extent (centre to centre)")
    extent_fr = _cell(french, "Étendue (de centre à centre)")
    metres = float(extent_en.removesuffix(" m").replace(",", ""))
    assert metres >= 1000  # a grouped number
    assert extent_fr == f"{format_number(metres, lang='fr')} m"
    assert NNBSP in extent_fr and "," not in extent_fr
    area_en = re.search(r"<td>([0-9.]+) km²</td>", english)
    assert area_en is not None
    assert f"<td>{area_en.group(1).replace('.', ',')} km²</td>" in french
    # dates: the note's month in words
    assert "octobre 2016" in french
    # the registry's French description, the English one on the English page
    assert "Incubateur technologique YES!Delft" in french
    assert "Technology incubator YES!Delft" in english


def test_a_cluster_without_a_french_description_falls_back_to_english(
    registry_copy: Path, tmp_path: Path
) -> None:
    clusters = registry_copy / "clusters.geojson"
    collection = json.loads(clusters.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        if feature["properties"]["id"] == "genopole":
            english = feature["properties"]["description"]
            del feature["properties"]["description_fr"]
    clusters.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(registry_copy), "NETWORK_CACHE_DIR": str(tmp_path)}
    )
    client = app.test_client()
    genopole = client.get("/clusters/genopole?lang=fr").get_data(as_text=True)
    assert f"<p>{escape(english)}</p>" in genopole
    assert "Incubateur technologique" in client.get("/clusters/delft?lang=fr").get_data(
        as_text=True
    )


def test_the_source_notes_french_quotes_keep_their_language_on_english_pages(client: Any) -> None:
    english = client.get("/clusters/delft").get_data(as_text=True)
    assert re.search(r'<dd lang="fr">« [^<]+ »</dd>', english)
    assert re.search(r'« <span lang="fr">[^<]+</span> »', english)  # the claim


def test_cached_pages_never_mix_languages(client: Any) -> None:
    english = client.get("/clusters/delft")
    client.set_cookie("lang", "fr")
    french = client.get("/clusters/delft")
    assert _lang(english) == "en" and _lang(french) == "fr"
    assert english.headers["ETag"] != french.headers["ETag"]
    assert english.headers["ETag"].endswith('-en"') and french.headers["ETag"].endswith('-fr"')
    for response in (english, french):
        assert {"Cookie", "Accept-Language"} <= set(response.vary)
    # holding the English page does not make the French one "not modified"
    held = client.get("/clusters/delft", headers={"If-None-Match": english.headers["ETag"]})
    assert held.status_code == 200 and _lang(held) == "fr"
    again = client.get("/clusters/delft", headers={"If-None-Match": french.headers["ETag"]})
    assert again.status_code == 304
    assert {"Cookie", "Accept-Language"} <= set(again.vary)


def test_language_neutral_answers_are_kept_once_and_do_not_vary(client: Any) -> None:
    english = client.get("/compare.csv")
    french = client.get("/compare.csv", headers={"Accept-Language": "fr"})
    assert english.get_data() == french.get_data()
    assert english.headers["ETag"] == french.headers["ETag"]
    assert "Accept-Language" not in english.vary


def test_error_pages_speak_the_language(client: Any) -> None:
    response = client.get("/clusters/nowhere?lang=fr")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "404 Introuvable" in html and "Aucun pôle ne porte l\u2019identifiant" in html
    assert "Retour aux pôles" in html


def test_a_caveat_is_translated_from_its_measures_template_with_its_values() -> None:
    """Caveats are stored filled in English (the JSON); a French page finds the measure's
    template, translates it and fills it again with the same values."""
    from geo.measures import measures
    from geo.messages import fill

    cores = next(m for m in measures() if m.key == "cores")
    assert cores.caveat is not None
    english = fill(cores.caveat, {"n": 4, "min": 10, "min_samples": 3, "eps_m": 200.0})
    templates = [m.caveat for m in measures() if m.caveat]
    french = translate_filled(english, templates, lang="fr")
    assert french != english
    assert french.startswith("4 points") and "200 m" in french and "noyau" in french
    assert translate_filled(english, templates, lang="en") == english
    assert translate_filled("not a caveat", templates, lang="fr") == "not a caveat"


def test_the_french_delft_page_gives_its_caveats_in_french(client: Any) -> None:
    english = client.get("/clusters/delft?lang=en").get_data(as_text=True)
    french = client.get("/clusters/delft?lang=fr").get_data(as_text=True)
    assert "a Clark-Evans test needs" in english
    assert "a Clark-Evans test needs" not in french
    assert "test de Clark-Evans" in french
