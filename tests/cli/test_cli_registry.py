"""``clustermap clusters | sites | validate`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from webmap.commands.cli import cli


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_clusters_table_and_json(registry: Any) -> None:
    table = run("clusters")
    assert table.exit_code == 0
    assert "delft" in table.output and "savoie-technolac" in table.output
    document = json.loads(run("clusters", "--json").output)
    assert document["schema"] == "clustermap.clusters/1"
    items = document["clusters"]
    assert {c["id"] for c in items} == set(registry.clusters.index)
    delft = next(c for c in items if c["id"] == "delft")
    assert delft["n_located"] == len(registry.located("delft"))


def test_sites_geojson_is_rfc7946(registry: Any) -> None:
    result = run("sites", "delft")
    assert result.exit_code == 0
    collection = json.loads(result.output)
    assert collection["type"] == "FeatureCollection"
    ids = [f["properties"]["id"] for f in collection["features"]]
    assert ids == list(registry.registered("delft").index)  # closed sites listed too
    states = {f["id"]: f["properties"]["state"] for f in collection["features"]}
    assert states["tno-former-campus"] == "closed"  # left in 2021
    assert {i for i, state in states.items() if state == "open"} == set(
        registry.sites_of("delft").index
    )
    yes = next(f for f in collection["features"] if f["id"] == "yes-delft")
    assert yes["geometry"]["coordinates"] == [4.38666, 51.99316]  # lon, lat
    unknown = next(f for f in collection["features"] if f["id"] == "tno-former-campus")
    assert unknown["geometry"] is None
    campus = next(f for f in collection["features"] if f["id"] == "tu-delft-campus")
    assert campus["geometry"]["type"] == "Point"
    assert campus["properties"]["footprint"]["type"] == "Polygon"  # GeoJSON, not a file name


def test_the_cite_de_l_environnement_is_located_as_a_low_confidence_district() -> None:
    result = run("sites", "rhone-alpes-eco-energies", "--format", "geojson")
    collection = json.loads(result.output)
    cite = next(f for f in collection["features"] if f["id"] == "cite-environnement")
    assert cite["geometry"] == {"type": "Point", "coordinates": [4.93202, 45.71533]}
    props = cite["properties"]
    assert props["location_precision"] == "district" and props["confidence"] == "low"
    assert "355 allée Jacques Monod" in props["approximates"] and props["uncertainty_m"] == 500


def test_sites_lists_the_universite_d_evry_with_its_position_and_source() -> None:
    result = run("sites", "genopole")
    assert result.exit_code == 0
    evry = next(f for f in json.loads(result.output)["features"] if f["id"] == "univ-evry")
    # the point of the ministry's dataset of establishments (reference row of pass 4)
    assert evry["geometry"] == {"type": "Point", "coordinates": [2.42738, 48.62425]}
    props = evry["properties"]
    assert props["location_precision"] == "site" and props["confidence"] == "medium"
    assert "fr-esr-principaux-etablissements-enseignement-superieur" in props["source"]
    assert "UAI 0911975C" in props["source"]
    rows = list(csv.DictReader(io.StringIO(run("sites", "genopole", "--format", "csv").output)))
    row = next(r for r in rows if r["id"] == "univ-evry")
    assert (float(row["lon"]), float(row["lat"])) == (2.42738, 48.62425)
    assert row["source"] == props["source"]


def test_measures_say_the_copenhagen_office_was_closed_in_2016() -> None:
    result = run("measures", "copenhagen-cleantech", "--as-of", "2016-10")
    assert result.exit_code == 0
    assert "closed by 2016-10: ccc-office (gone from 2015-01-01; source: Closure: https://" in (
        result.output
    )
    data = json.loads(run("measures", "copenhagen-cleantech", "--as-of", "2016-10",
                          "--json").output)  # fmt: skip
    assert data["n_sites_closed"] == 1 and data["closed_sites"][0]["id"] == "ccc-office"
    assert "erhvervsstyrelsen.dk" in data["closed_sites"][0]["source"]


def test_sites_and_measures_today_mark_numelink_closed(registry: Any) -> None:
    rows = list(
        csv.DictReader(io.StringIO(run("sites", "saint-etienne", "--format", "csv").output))
    )
    numelink = next(r for r in rows if r["id"] == "numelink")  # listed, not dropped
    assert numelink["state"] == "closed" and numelink["valid_to"] == "2017-03-28"
    assert next(r for r in rows if r["id"] == "comedie-saint-etienne")["state"] == "open"
    result = run("measures", "saint-etienne")  # no --as-of: today
    assert result.exit_code == 0
    assert "closed by today: numelink (gone from 2017-03-28; source: " in result.output
    data = json.loads(run("measures", "saint-etienne", "--json").output)
    assert [s["id"] for s in data["closed_sites"]] == ["numelink"]
    assert data["n_sites"] == len(registry.sites_of("saint-etienne"))
    assert data["n_sites"] + 1 == len(rows)
    table = run("clusters").output.splitlines()
    assert table[0].split() == ["id", "located/sites", "closed", "name"]
    saint_etienne = next(line for line in table if line.startswith("saint-etienne "))
    assert saint_etienne.split()[2] == "1"


def test_sites_csv(registry: Any) -> None:
    result = run("sites", "genopole", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["id"] for r in rows] == list(registry.registered("genopole").index)
    assert {r["state"] for r in rows} == {"open"}  # no genopole site has closed
    chsf = next(r for r in rows if r["id"] == "chsf")
    assert float(chsf["lat"]) == 48.62 and float(chsf["lon"]) == 2.45694
    assert next(r for r in rows if r["id"] == "genopole-hq")["lat"] == ""


def test_unknown_cluster_exits_2_with_valid_ids() -> None:
    result = CliRunner().invoke(cli, ["sites", "atlantis"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "unknown cluster id 'atlantis'" in lines[0] and "delft" in lines[0]
    assert "Traceback" not in result.output


def test_validate_ok_and_every_problem(registry_copy: Path) -> None:
    ok = run("validate", str(registry_copy))
    assert ok.exit_code == 0 and ok.output.startswith("ok:")
    path = registry_copy / "sites.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["role"] = "castle"
    data["features"][1]["geometry"]["coordinates"] = [999, 0]
    data["features"][2]["properties"]["cluster"] = "atlantis"
    path.write_text(json.dumps(data), encoding="utf-8")
    bad = CliRunner().invoke(cli, ["validate", str(registry_copy)])
    assert bad.exit_code == 1
    assert "3 problem(s)" in bad.output
    assert "castle" in bad.output and "out of range" in bad.output and "atlantis" in bad.output
    assert "Traceback" not in bad.output


def test_console_script_never_shows_a_traceback(tmp_path: Path) -> None:
    """The installed entry point, run as a user would."""
    (tmp_path / "clusters.geojson").write_text("[1, 2", encoding="utf-8")
    for args in (["validate", str(tmp_path)], ["serve", "--data", str(tmp_path / "none")]):
        proc = subprocess.run([sys.executable, "-m", "webmap", *args], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("error: ")


def test_serve_on_a_busy_port_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "webmap", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in proc.stderr
    assert "serving" not in proc.stdout
    assert "Traceback" not in proc.stderr
