"""Cached pages: ETag, 304 to If-None-Match, per registry version, and cheap hits."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.helpers import without_nonce
from webmap import create_app
from webmap.api.memo import LruCache
from webmap.web.caching import cached_page


def test_cluster_page_answers_304_to_its_etag(client: Any) -> None:
    first = client.get("/clusters/delft")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = client.get("/clusters/delft", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    same = client.get("/clusters/delft")
    assert without_nonce(same) == without_nonce(first)  # each answer has its own nonce
    assert client.get("/clusters/genopole").headers["ETag"] != etag
    assert client.get("/clusters/atlantis").status_code == 404  # errors are not cached


def test_a_cached_cluster_page_is_answered_without_rendering(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeat visits are served from the cache: the map is rendered once (how fast that is
    is measured by scripts/bench_api.py, not here)."""
    from webmap.web import routes_pages as pages

    calls = []
    render_parts = pages.render_parts

    def counted(fmap: Any, **options: Any) -> Any:
        calls.append(1)
        return render_parts(fmap, **options)

    monkeypatch.setattr(pages, "render_parts", counted)  # where the page looks it up
    first = client.get("/clusters/delft")
    for _ in range(20):
        response = client.get("/clusters/delft")
        assert response.status_code == 200
        assert without_nonce(response) == without_nonce(first)
    assert len(calls) == 1


def test_a_changed_registry_changes_the_etag(registry_copy: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(registry_copy)})
    etag = app.test_client().get("/clusters/delft").headers["ETag"]
    sites = registry_copy / "sites.geojson"
    sites.write_text(sites.read_text(encoding="utf-8").replace("YES!Delft incubator", "YES!Delft"),
                     encoding="utf-8")  # fmt: skip
    changed = create_app({"TESTING": True, "DATA_DIR": str(registry_copy)}).test_client()
    response = changed.get("/clusters/delft", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_cached_page_decorator_renders_once_per_key(app: Flask) -> None:
    calls: list[str] = []

    @app.get("/probe/<name>")
    @cached_page(params=("x",))
    def probe(name: str) -> str:
        calls.append(name)
        return f"<p>{len(calls)}</p>"

    state = {"network": False}

    @app.get("/varies")
    @cached_page(vary=lambda: state["network"])
    def varies() -> str:
        return "with network" if state["network"] else "without"

    client = app.test_client()
    assert client.get("/probe/a").get_data() == b"<p>1</p>"
    assert client.get("/probe/a").get_data() == b"<p>1</p>"
    assert client.get("/probe/a?x=1").get_data() == b"<p>2</p>"
    assert client.get("/probe/a?x=1&utm=z").get_data() == b"<p>2</p>"  # unknown: ignored
    assert calls == ["a", "a"]

    assert client.get("/varies").get_data() == b"without"
    state["network"] = True
    assert client.get("/varies").get_data() == b"with network"


def test_lru_cache_evicts_the_least_recently_used() -> None:
    cache = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_cached_downloads_keep_their_file_name(client: Any) -> None:
    """A download answered from the cache (or with 304) still names its file."""
    for url, name in (
        ("/compare.csv", "clusters-compared.csv"),
        ("/compare.svg", "epicentres-compared.svg"),
        ("/clusters/delft/sites.csv", "delft-sites.csv"),
    ):
        for _ in range(2):  # computed, then from the cache
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_today_s_measures_are_not_served_stale_across_a_valid_to(registry: Any) -> None:
    """A server running across 2015-01-01 (the Copenhagen office's valid_to) shows it
    closed from that day: "today"'s answers are cached per day, dated ones are not."""
    from webmap.api.measures_api import measures
    from webmap.api.memo import day_key

    cache = LruCache()

    def closed(day: datetime.date, args: dict[str, str] | None = None) -> list[str]:
        body = measures(registry, "copenhagen-cleantech", args or {}, cache=cache, today=day)
        assert body.status == 200
        return [s["id"] for s in body.body["closed_sites"]]

    eve, new_year = datetime.date(2014, 12, 31), datetime.date(2015, 1, 1)
    assert closed(eve) == []
    assert closed(eve) == [] and cache.hits == 1  # the same day: from the cache
    assert closed(new_year) == ["ccc-office"]  # the next day: computed again, not stale
    # each answer computed misses twice: its measures, then the cluster's shared analysis
    assert cache.misses == 2 * 2
    # a dated answer does not depend on today: one entry for every day
    assert closed(eve, {"as_of": "2016-10"}) == closed(new_year, {"as_of": "2016-10"})
    assert cache.misses == 3 * 2
    assert day_key("2016-10", today=eve) is None and day_key(None, today=eve) == "2014-12-31"
