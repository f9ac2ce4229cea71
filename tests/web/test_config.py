"""Every setting has one default, one environment variable and one parser (webmap.config)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webmap import create_app
from webmap.config import SETTINGS, ConfigError, load, settings_table

ROOT = Path(__file__).resolve().parents[2]


def test_each_setting_has_its_own_environment_variable() -> None:
    envs = [s.env for s in SETTINGS]
    names = [s.name for s in SETTINGS]
    assert len(set(envs)) == len(envs) and len(set(names)) == len(names)
    assert all(env.startswith("CLUSTERMAP_") for env in envs)


def test_override_beats_environment_beats_default(tmp_path: Path) -> None:
    env = {"CLUSTERMAP_CACHE_ENTRIES": "7", "CLUSTERMAP_CACHE_DIR": str(tmp_path)}
    values = load({"CACHE_ENTRIES": 3, "TESTING": True}, environ=env)
    assert values["CACHE_ENTRIES"] == 3  # the override
    assert values["NETWORK_CACHE_DIR"] == str(tmp_path)  # the one variable of the cache
    assert values["WORK_TIMEOUT_SECONDS"] == 60  # the default
    assert values["TESTING"] is True  # other keys kept as given
    assert load(environ={"CLUSTERMAP_CACHE_ENTRIES": "7"})["CACHE_ENTRIES"] == 7


def test_lists_take_a_comma_string_or_a_json_list() -> None:
    for raw in ("https://a.org, https://b.org", '["https://a.org", "https://b.org"]'):
        values = load(environ={"CLUSTERMAP_EMBED_ORIGINS": raw, "CLUSTERMAP_CORS_ORIGINS": raw})
        assert (
            values["EMBED_ORIGINS"] == values["CORS_ORIGINS"] == ["https://a.org", "https://b.org"]
        )


def test_bad_values_stop_the_server_with_every_problem() -> None:
    env = {"CLUSTERMAP_CACHE_ENTRIES": "many", "CLUSTERMAP_WORK_TIMEOUT_SECONDS": "-1"}
    with pytest.raises(ConfigError) as info:
        load(environ=env)
    assert len(info.value.problems) == 2
    assert info.value.problems[0].startswith("CACHE_ENTRIES (CLUSTERMAP_CACHE_ENTRIES): 'many'")
    assert "must be > 0" in info.value.problems[1]
    with pytest.raises(ConfigError):
        create_app({"MAX_UPLOAD_POINTS": -5})


def test_an_old_variable_still_works_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(FutureWarning, match="CLUSTERMAP_NETWORK_CACHE_DIR is deprecated"):
        values = load(environ={"CLUSTERMAP_NETWORK_CACHE_DIR": str(tmp_path)})
    assert values["NETWORK_CACHE_DIR"] == str(tmp_path)


def test_the_app_reads_the_one_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLUSTERMAP_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CLUSTERMAP_CORS_ORIGINS", "https://a.org")
    app = create_app({"TESTING": True})
    assert app.config["NETWORK_CACHE_DIR"] == str(tmp_path)
    response = app.test_client().get("/healthz", headers={"Origin": "https://a.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.org"


def test_the_docs_hold_the_settings_table() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    found = re.search(r"<!-- settings-table -->\n(.*?)\n<!-- /settings-table -->", text, re.S)
    assert found and found.group(1) == settings_table()
