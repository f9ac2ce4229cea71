"""Measure bundles: the registry's clusters and any point set."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest

from geo.analysis import analyse_points
from geo.clusters import CLUSTER_SCHEMA, MIN_POINTS, POINT_SCHEMA, analyse_cluster
from geo.options import AnalysisOptions
from geo.registry import Registry, load_registry

GEOD = pyproj.Geod(ellps="WGS84")
NO_LAYERS = AnalysisOptions(hex_res=None, cores=None)


def cluster_measures(
    registry: Registry,
    cluster_id: str,
    options: AnalysisOptions | None = None,
    *,
    as_of: str | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    return analyse_cluster(registry, cluster_id, options, as_of=as_of, today=today).to_dict()


POINT_KEYS = {
    "schema",
    "n_points",
    "crs",
    "area_method",
    "area_km2",
    "n_points_in_area",
    "n_outside_area",
    "sites_per_km2",
    "nn_method",
    "mean_nn_distance_m",
    "expected_mean_nn_distance_m",
    "clark_evans_r",
    "clark_evans_z",
    "clark_evans_p",
    "kde",
    "hexbins",
    "cores",
    "caveats",
    "warnings",
}


def test_delft_triangle_sides_are_not_all_a_few_hundred_metres(registry: Registry) -> None:
    result = cluster_measures(registry, "delft")
    (triangle,) = [e for e in result["epicentres"] if e["id"] == "delft-triangle"]
    sides = {frozenset((s["a"], s["b"])): s["centre_m"] for s in triangle["sides"]}
    expected = {
        ("tu-delft-campus", "technopolis"): GEOD.inv(4.37347, 52.00218, 4.38508, 51.99281)[2],
        ("tu-delft-campus", "yes-delft"): GEOD.inv(4.37347, 52.00218, 4.38666, 51.99316)[2],
        ("technopolis", "yes-delft"): GEOD.inv(4.38508, 51.99281, 4.38666, 51.99316)[2],
    }
    for pair, metres in expected.items():
        assert sides[frozenset(pair)] == pytest.approx(metres, abs=1e-3)
    claim = triangle["claim"]
    assert claim["text"] == "quelques centaines de mètres"
    assert claim["as_of"] == "2016-10"
    centre = claim["methods"]["centre_to_centre"]
    assert centre["n_sides"] == 3
    assert centre["sides_in_range"] == 1  # only Technopolis - YES!Delft (~115 m)
    assert centre["holds"] is False
    assert triangle["longest_side"]["centre_m"] > 1300


def test_the_triangle_edge_to_edge_uses_the_campus_footprint(registry: Registry) -> None:
    """Technopolis and YES!Delft lie inside the campus envelope: 0 m edge to edge, 'inside';
    the two points stay 115 m apart (a point has no edge)."""
    result = cluster_measures(registry, "delft")
    (triangle,) = result["epicentres"]
    campus = registry.footprints.geometry["tu-delft-campus"]
    sides = {frozenset((s["a"], s["b"])): s for s in triangle["sides"]}
    for other in ("technopolis", "yes-delft"):
        side = sides[frozenset(("tu-delft-campus", other))]
        assert campus.covers(registry.sites.geometry[other])  # shapely, independently
        assert side["edge_m"] == 0.0 and side["relation"] == "inside"
        assert side["container"] == "tu-delft-campus"
    points = sides[frozenset(("technopolis", "yes-delft"))]
    assert points["edge_m"] is None
    edge = triangle["claim"]["methods"]["edge_to_edge"]
    assert edge["lengths_m"] == pytest.approx([0.0, 0.0, points["centre_m"]])
    assert edge["holds"] is False
    assert "EPSG:32631" in triangle["distance_methods"]["edge_m"]


def test_the_claim_is_checked_on_the_sites_of_the_note_whatever_the_date(
    registry_copy: Path,
) -> None:
    """A member that opened after the note changes today's triangle, never the claim."""
    path = registry_copy / "sites.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"]["id"] == "yes-delft":
            feature["properties"]["valid_from"] = "2020"
    path.write_text(json.dumps(data), encoding="utf-8")
    moved = load_registry(registry_copy)
    (today,) = cluster_measures(moved, "delft", NO_LAYERS)["epicentres"]
    assert today["shape"] == "polygon" and len(today["sides"]) == 3
    claim = today["claim"]
    assert claim["as_of"] == "2016-10"  # YES!Delft did not exist then: one side only
    assert claim["methods"]["centre_to_centre"]["n_sides"] == 1
    (then,) = cluster_measures(moved, "delft", NO_LAYERS, as_of="2016-10")["epicentres"]
    assert then["absent_at_date"] == ["yes-delft"] and then["missing"] == []
    assert then["claim"] == claim


def test_the_manufacture_is_made_of_distinct_places(registry: Registry) -> None:
    result = cluster_measures(registry, "saint-etienne")
    (manufacture,) = result["epicentres"]
    members = ["la-manufacture", "zenith-saint-etienne", "le-fil", "comedie-saint-etienne"]
    assert manufacture["located"] == members and manufacture["shape"] == "polygon"
    points = {m: registry.sites.geometry[m] for m in members}
    extent = max(
        GEOD.inv(points[a].x, points[a].y, points[b].x, points[b].y)[2]
        for a in members
        for b in members
        if a < b
    )
    assert manufacture["extent_m"] == pytest.approx(extent, abs=1e-3)
    assert 700 < manufacture["extent_m"] < 760  # the Zénith, 729 m from the Cité du design
    assert all(d["centre_m"] > 0 for d in manufacture["distances"])
    # Le Mixeur shares the Cité du design point: one place, never a neighbour 0 m away
    assert all(s["nn_distance_m"] > 0 for s in result["sites"])
    mixeur = next(s for s in result["sites"] if s["id"] == "le-mixeur")
    assert mixeur["same_point_as"] == ["la-manufacture"]
    assert result["n_places"] == result["n_sites_located"] - 1
    (before,) = cluster_measures(registry, "saint-etienne", as_of="2016-10")["epicentres"]
    assert before["absent_at_date"] == ["comedie-saint-etienne"]  # opened 2017-09
    assert before["shape"] == "polygon" and len(before["located"]) == 3


def test_the_cite_de_l_environnement_is_one_place(registry: Registry) -> None:
    (cite,) = cluster_measures(registry, "rhone-alpes-eco-energies", as_of="2015-06")["epicentres"]
    assert cite["shape"] == "point" and cite["located"] == ["cite-environnement"]
    assert cite["missing"] == ["cluster-eco-energies-office"]  # there, with no position
    assert cite["extent_m"] is None and cite["min_bounding_radius_m"] is None
    for when in ({"as_of": "2016-10"}, {}):  # the office left in 2015-09: gone then and today
        (then,) = cluster_measures(registry, "rhone-alpes-eco-energies", **when)["epicentres"]
        assert then["shape"] == "point" and then["missing"] == []
        assert then["absent_at_date"] == ["cluster-eco-energies-office"]


def test_cluster_measures_skip_and_report_unlocated_sites(registry: Registry) -> None:
    result = cluster_measures(registry, "delft")
    sites = registry.sites_of("delft")
    unlocated = sorted(sites.index[sites.geometry.isna()])
    assert result["schema"] == CLUSTER_SCHEMA
    assert sorted(result["unlocated_sites"]) == unlocated
    assert result["n_sites_located"] == len(sites) - len(unlocated)
    assert result["density"]["n_points"] == result["n_places"] <= result["n_sites_located"]
    assert {s["id"] for s in result["sites"]}.isdisjoint(unlocated)
    json.dumps(result, allow_nan=False)


def test_a_site_closed_before_the_date_is_counted_as_closed_with_its_source(
    registry: Registry,
) -> None:
    then = cluster_measures(registry, "copenhagen-cleantech", as_of="2016-10")
    # the Copenhagen Cleantech Cluster formally closed at the end of 2014
    assert then["n_sites_closed"] == 1
    (closed,) = then["closed_sites"]
    assert closed["id"] == "ccc-office" and closed["valid_to"] == "2015-01-01"
    assert closed["located"] is False
    assert closed["source"] == registry.sites.loc["ccc-office", "source"]
    assert "erhvervsstyrelsen.dk" in closed["source"]
    # listed or closed, never silently dropped; not measured either
    listed = len(registry.registered("copenhagen-cleantech"))
    assert then["n_sites"] + then["n_sites_closed"] == listed
    assert "ccc-office" not in then["unlocated_sites"]
    # today (the current date) it is closed too, with the same source; before 2015 it was open
    today = cluster_measures(registry, "copenhagen-cleantech")
    assert today["as_of"] is None and today["closed_sites"] == then["closed_sites"]
    assert today["n_sites"] + today["n_sites_closed"] == listed
    in_2014 = cluster_measures(registry, "copenhagen-cleantech", today=datetime.date(2014, 6, 1))
    assert in_2014["n_sites_closed"] == 0 and in_2014["closed_sites"] == []
    assert in_2014["n_sites"] == listed
    json.dumps(then, allow_nan=False)


@pytest.mark.parametrize(
    ("cluster_id", "gone"),
    [("delft", "tno-former-campus"), ("saint-etienne", "numelink"),
     ("copenhagen-cleantech", "ccc-office"), ("descartes", "advancity")],
)  # fmt: skip
def test_today_s_measures_leave_out_the_sites_closed_by_now(
    registry: Registry, cluster_id: str, gone: str
) -> None:
    now = cluster_measures(registry, cluster_id, NO_LAYERS, today=datetime.date(2026, 12, 7))
    valid_to = registry.sites.loc[gone, "valid_to"]
    before = datetime.date.fromisoformat((valid_to + "-01-01")[:10]) - datetime.timedelta(1)
    then = cluster_measures(registry, cluster_id, NO_LAYERS, today=before)
    assert gone in {s["id"] for s in now["closed_sites"]}
    assert gone not in {s["id"] for s in then["closed_sites"]}
    assert gone in {s["id"] for s in then["sites"]} | set(then["unlocated_sites"])
    kept = set(registry.sites_of(cluster_id, today=datetime.date(2026, 12, 7)).index)
    assert gone not in kept and now["n_sites"] == len(kept)
    assert gone not in {s["id"] for s in now["sites"]} | set(now["unlocated_sites"])
    for epicentre in now["epicentres"]:
        assert gone not in epicentre["located"] + epicentre["missing"]


def test_every_registry_cluster_measures_without_error(registry: Registry) -> None:
    for cluster_id in registry.clusters.index:
        result = cluster_measures(registry, cluster_id, NO_LAYERS)
        json.dumps(result, allow_nan=False)
        assert result["cluster"]["id"] == cluster_id


def test_point_measures_keys_and_values_agree_with_the_parts() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 3000, (300, 2)) + np.array([500_000, 5_760_000])
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    m = analyse_points(gdf.to_crs(4326), AnalysisOptions(hex_res=8, eps_m=200)).to_dict()
    assert set(m) == POINT_KEYS
    assert m["schema"] == POINT_SCHEMA
    assert m["crs"] == "EPSG:32631"
    assert m["sites_per_km2"] == pytest.approx(300 / m["area_km2"])
    assert m["kde"]["integral_sites"] == pytest.approx(300, rel=1e-6)
    assert m["hexbins"]["resolution"] == 8
    assert m["cores"]["method"] == "dbscan"
    assert 0.8 < m["clark_evans_r"] < 1.2  # uniform random points
    assert m["clark_evans_p"] is not None and m["caveats"] == {}
    json.dumps(m, allow_nan=False)


def test_point_measures_on_one_point_give_nulls_and_warnings() -> None:
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.38], [52.0]), crs="EPSG:4326")
    m = analyse_points(gdf).to_dict()
    assert m["n_points"] == 1
    assert m["sites_per_km2"] is None
    assert m["clark_evans_r"] is None
    assert m["kde"] is None
    assert any("two points" in w for w in m["warnings"])


def test_measures_on_a_handful_of_sites_say_so_and_drop_the_p_value(registry: Registry) -> None:
    result = cluster_measures(registry, "delft")
    density = result["density"]
    n = density["n_points"]
    assert n < MIN_POINTS["clark_evans"] and n < MIN_POINTS["kde"] and n < MIN_POINTS["cores"]
    assert density["clark_evans_r"] is not None  # kept, as a description
    assert density["clark_evans_p"] is None and density["clark_evans_z"] is None
    assert set(density["caveats"]) == {"clark_evans", "kde", "cores"}
    for measure, reason in density["caveats"].items():
        assert f"{measure}: {reason}" in result["warnings"]
        assert f"{n} points" in reason
    json.dumps(result, allow_nan=False)


def test_the_thresholds_are_where_the_docs_say(registry: Registry) -> None:
    from tests.helpers import ROOT

    docs = (ROOT / "docs" / "measures.md").read_text(encoding="utf-8")
    assert f"| Clark-Evans R, z, p | {MIN_POINTS['clark_evans']} |" in docs
    assert f"| kernel density (`kde`) | {MIN_POINTS['kde']} |" in docs
    assert f"| dense cores (`cores`) | {MIN_POINTS['cores']} |" in docs
    rng = np.random.default_rng(3)
    n = MIN_POINTS["clark_evans"]
    xy = rng.uniform(0, 2000, (n, 2)) + np.array([500_000, 5_760_000])
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    assert analyse_points(gdf).to_dict()["clark_evans_p"] is not None  # at the threshold: a test
    assert analyse_points(gdf.iloc[: n - 1]).to_dict()["clark_evans_p"] is None
