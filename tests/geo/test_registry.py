"""The bundled registry and its validation."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from geo.errors import ParameterError, RegistryError, UnknownIdError
from geo.registry import load_registry, read_catalogue
from geo.schema import PRACTICES, PRECISIONS, ROLES
from tests.helpers import DATA, SOURCES

NOTE = SOURCES / "cluster-benchmark-note-2016.txt"
REFERENCE = DATA / "sites-reference.csv"
NOTE_CLUSTERS = {
    "delft", "saint-etienne", "rhone-alpes-eco-energies", "lutb", "savoie-technolac",
    "genopole", "optics-valley", "copenhagen-cleantech", "durapole", "oekoenergie-cluster",
    "descartes", "leiden", "rotterdam",
}  # fmt: skip


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _edit(folder: Path, name: str, change: Any) -> None:
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _feature(data: dict[str, Any], fid: str) -> dict[str, Any]:
    return next(f for f in data["features"] if f["properties"]["id"] == fid)


def test_registry_covers_every_cluster_of_the_note(registry: Any) -> None:
    assert set(registry.clusters.index) == NOTE_CLUSTERS


def test_fixed_ids_exist(registry: Any) -> None:
    for cid in ("delft", "saint-etienne", "genopole", "savoie-technolac", "descartes"):
        assert cid in registry.clusters.index
    assert {"delft-triangle", "manufacture", "cite-environnement"} <= set(registry.epicentres.index)
    triangle = registry.epicentres.loc["delft-triangle"]
    assert triangle["members"] == ["tu-delft-campus", "technopolis", "yes-delft"]
    names = " ".join(registry.sites.loc[m, "name"] for m in triangle["members"])
    assert "TU Delft" in names and "Technopolis" in names and "YES!Delft" in names


def test_every_practice_quotes_the_note_verbatim(registry: Any) -> None:
    note = _normalise(NOTE.read_text(encoding="utf-8"))
    for cluster_id, practices in registry.clusters["practices"].items():
        assert practices, cluster_id
        for item in practices:
            assert item["practice"] in PRACTICES
            assert _normalise(item["evidence"]) in note, (cluster_id, item["evidence"])
    for epi_id, evidence in registry.epicentres["evidence"].items():
        assert _normalise(evidence) in note, epi_id


def test_sites_have_roles_precision_and_sources(registry: Any) -> None:
    sites = registry.sites
    assert sites["role"].isin(ROLES).all()
    assert sites["location_precision"].isin(PRECISIONS).all()
    assert sites["source"].str.len().gt(10).all()
    unknown = sites["location_precision"] == "unknown"
    assert sites.geometry[unknown].isna().all()
    assert sites.geometry[~unknown].notna().all()


def test_located_sites_match_the_reference_coordinates(registry: Any) -> None:
    """Every drawn point is one the researched reference gives (no invented location)."""
    import csv

    with REFERENCE.open(encoding="utf-8") as handle:
        reference = {
            (round(float(r["lon"]), 5), round(float(r["lat"]), 5))
            for r in csv.DictReader(handle)
            if r["lat"] and r["lon"]
        }
    for site_id, geom in _every_located(registry).geometry.items():
        assert (round(geom.x, 5), round(geom.y, 5)) in reference, site_id


def test_rows_the_reference_could_not_locate_stay_unlocated(registry: Any) -> None:
    # the Cité de l'environnement, TNO Stieltjesweg and the Opticsvalley office were
    # located by the pass-3 rows (a district proxy, a street, a station proxy), the
    # Université d'Évry by the pass-4 row (the ministry's dataset of establishments)
    for site_id in ("genopole-hq", "durapole-office", "lutb-office", "numelink", "oec-office",
                    "cluster-eco-energies-confluence", "tno-bouwinnovatie-lab"):  # fmt: skip
        assert registry.sites.loc[site_id, "location_precision"] == "unknown"
        assert registry.sites.geometry[site_id] is None


def test_sites_lie_near_their_city(registry: Any) -> None:
    geod = Geod(ellps="WGS84")
    for site_id, site in _every_located(registry).iterrows():
        city = registry.clusters.geometry[site["cluster"]]
        km = geod.inv(site.geometry.x, site.geometry.y, city.x, city.y)[2] / 1000
        assert km < 50, site_id


def test_accessors_and_unknown_ids(registry: Any) -> None:
    assert set(registry.sites_of("delft")["cluster"]) == {"delft"}
    assert list(registry.epicentres_of("delft").index) == ["delft-triangle"]
    with pytest.raises(UnknownIdError, match=r"valid ids: .*delft"):
        registry.sites_of("atlantis")
    assert set(registry.cluster_locations().index) == set(registry.located()["cluster"])


def test_version_changes_with_the_files(registry_copy: Path) -> None:
    before = load_registry(registry_copy).version
    _edit(registry_copy, "sites.geojson",
          lambda d: _feature(d, "yes-delft")["properties"].update(notes="changed"))  # fmt: skip
    assert load_registry(registry_copy).version != before


def test_validation_reports_every_problem_in_one_pass(registry_copy: Path) -> None:
    def break_sites(data: dict[str, Any]) -> None:
        _feature(data, "yes-delft")["geometry"]["coordinates"] = [51.99316, 4.38666]  # swapped
        _feature(data, "technopolis")["properties"]["cluster"] = "atlantis"
        _feature(data, "chsf")["properties"]["role"] = "castle"
        del _feature(data, "upem")["properties"]["source"]
        _feature(data, "rdm-campus")["geometry"]["coordinates"] = [4.4, 123.0]
        data["features"].append(json.loads(json.dumps(_feature(data, "riso-dtu"))))
        _feature(data, "leiden-bio-science-park")["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[4.46, 52.16], [4.47, 52.17], [4.47, 52.16], [4.46, 52.17],
                             [4.46, 52.16]]],
        }  # fmt: skip

    def break_epicentres(data: dict[str, Any]) -> None:
        _feature(data, "manufacture")["properties"]["members"].append("ghost-site")

    _edit(registry_copy, "sites.geojson", break_sites)
    _edit(registry_copy, "epicentres.geojson", break_epicentres)
    with pytest.raises(RegistryError) as info:
        load_registry(registry_copy)
    problems = "\n".join(info.value.problems)
    assert "'yes-delft'" in problems and "lat/lon look swapped" in problems
    assert "unknown cluster id 'atlantis'" in problems
    assert "role: 'castle'" in problems
    assert "'upem'" in problems and "source: missing required field" in problems
    assert "out of range" in problems
    assert "duplicate id 'riso-dtu'" in problems
    assert "not a valid shape" in problems
    assert "unknown site id 'ghost-site'" in problems
    # the foreign cluster also makes technopolis a stranger to the Delft triangle
    assert "site 'technopolis' belongs to cluster 'atlantis'" in problems
    assert len(info.value.problems) == 9


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: (p / "sites.geojson").write_text("{not json", encoding="utf-8"),
         "sites.geojson: not valid JSON"),
        (lambda p: (p / "clusters.geojson").write_text('{"type": "Feature"}', encoding="utf-8"),
         "expected a GeoJSON FeatureCollection, got 'Feature'"),
        (lambda p: (p / "epicentres.geojson").unlink(), "epicentres.geojson: file is missing"),
        (lambda p: (p / "sites.geojson").write_bytes(b"\xff\xfe"), "not UTF-8"),
    ],
)  # fmt: skip
def test_bad_files_get_clear_errors(registry_copy: Path, setup: Any, message: str) -> None:
    setup(registry_copy)
    with pytest.raises(RegistryError) as info:
        load_registry(registry_copy)
    assert message in str(info.value)


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="does not exist"):
        load_registry(tmp_path / "nowhere")
    with pytest.raises(RegistryError, match="incomplete"):
        load_registry(tmp_path)


def test_sites_as_of_a_date_follow_valid_from_and_valid_to(registry: Any) -> None:
    everything = set(registry.registered("delft").index)
    in_2016 = set(registry.sites_of("delft", as_of="2016-10").index)
    # opened in 2021: not there in 2016; the old TNO campus (closed 2021) still was
    assert everything - in_2016 == {"tno-next-delft", "tno-bouwinnovatie-lab"}
    assert "tno-former-campus" in in_2016
    assert "tno-former-campus" not in set(registry.sites_of("delft", as_of="2022").index)
    assert "advancity" in set(registry.sites_of("descartes", as_of="2018-04").index)
    assert "advancity" not in set(registry.sites_of("descartes", as_of="2018-05").index)
    with pytest.raises(ParameterError, match="YYYY-MM"):
        registry.sites_of("delft", as_of="last year")


LEVELS = {"low": 0, "medium": 1, "high": 2}
POSITION_WORDS = ("coord", "position", "location", "precision", "site", "camp", "point",
                  "street", "building")  # fmt: skip


def _reference_confidence(text: str) -> str:
    """The README's rule for a reference-table confidence: of the parts that carry a level,
    keep those that qualify the position (all of them when none does); a range counts as
    its lower end, several parts as the lowest."""
    rated = [p for p in text.split("/") if any(re.search(rf"\b{lvl}\b", p) for lvl in LEVELS)]
    about_position = [p for p in rated if any(w in p for w in POSITION_WORDS)]
    levels = [
        min((lvl for lvl in LEVELS if re.search(rf"\b{lvl}\b", part)), key=LEVELS.__getitem__)
        for part in (about_position or rated)
    ]
    return min(levels, key=LEVELS.__getitem__)


def test_the_confidence_rule_reads_compound_values() -> None:
    assert _reference_confidence("address high / coords medium") == "medium"
    assert _reference_confidence("medium-low") == "low"
    assert _reference_confidence("high (position) / valid_from 2017") == "high"
    assert _reference_confidence("medium (street) / low (building)") == "low"
    assert _reference_confidence("medium-high (camp) / medium (Transpolis point)") == "medium"
    assert _reference_confidence("medium-high (site) / low (which demonstration facilities)") == (
        "medium"
    )
    assert _reference_confidence("identity high / location not found") == "high"


def test_no_site_is_surer_than_the_reference_row_that_gives_its_point(registry: Any) -> None:
    import csv

    with REFERENCE.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["lat"] and r["lon"]]
    assert registry.sites["confidence"].isin(LEVELS).all()
    for site_id, site in _every_located(registry).iterrows():
        point = (round(site.geometry.x, 5), round(site.geometry.y, 5))
        found = [
            _reference_confidence(r["confidence"])
            for r in rows
            if (round(float(r["lon"]), 5), round(float(r["lat"]), 5)) == point
        ]
        best = max(found, key=LEVELS.__getitem__)
        assert LEVELS[site["confidence"]] <= LEVELS[best], (site_id, site["confidence"], best)
        if site["confidence"] == "low":
            assert site["approximates"], site_id


def test_the_campus_footprint_is_the_reference_envelope_under_the_aula(registry: Any) -> None:
    from shapely.geometry import shape

    reference = json.loads(
        (DATA / "footprints" / "tu-delft-campus-1993.geojson").read_text(encoding="utf-8")
    )
    footprint = registry.footprints.loc["tu-delft-campus"]
    assert footprint.geometry.equals(shape(reference["features"][0]["geometry"]))
    assert footprint["confidence"] == "medium-low"
    # the reference says the envelope holds every campus point of the registry
    for site_id in ("tu-delft-campus", "tu-delft-tnw", "tno-stieltjesweg", "technopolis",
                    "yes-delft"):  # fmt: skip
        assert footprint.geometry.covers(registry.sites.geometry[site_id]), site_id
    area_m2, _ = Geod(ellps="WGS84").geometry_area_perimeter(footprint.geometry)
    assert abs(area_m2) / 1e4 == pytest.approx(159, rel=0.05)  # "about 159 ha"


def test_footprints_and_confidence_are_validated(registry_copy: Path) -> None:
    def break_sites(data: dict[str, Any]) -> None:
        _feature(data, "yes-delft")["properties"]["footprint"] = "../../etc/passwd"
        _feature(data, "technopolis")["properties"]["footprint"] = "footprints/nowhere.geojson"
        _feature(data, "la-manufacture")["properties"]["footprint"] = (
            "footprints/tu-delft-campus-1993.geojson"  # Delft's campus is not in Saint-Étienne
        )
        del _feature(data, "chsf")["properties"]["confidence"]
        _feature(data, "upem")["properties"]["confidence"] = "fairly sure"
        _feature(data, "numelink")["properties"]["uncertainty_m"] = 100
        _feature(data, "rdm-campus")["properties"]["approximates"] = None
        _feature(data, "leiden-bio-science-park")["properties"]["uncertainty_m"] = -5

    _edit(registry_copy, "sites.geojson", break_sites)
    with pytest.raises(RegistryError) as info:
        load_registry(registry_copy)
    problems = "\n".join(info.value.problems)
    assert "'yes-delft': footprint: '../../etc/passwd' is not a relative path" in problems
    assert "file 'footprints/nowhere.geojson' is missing" in problems
    assert "'la-manufacture': footprint: the site's point does not lie on its footprint" in problems
    assert "'chsf': confidence: missing required field" in problems
    assert "confidence: 'fairly sure' is not one of high, medium, low" in problems
    assert "'numelink': approximates/uncertainty_m: describe a position" in problems
    assert "'rdm-campus': approximates: a low-confidence position must say" in problems
    assert "uncertainty_m: -5 is not a positive number of metres" in problems
    assert len(info.value.problems) == 8


def test_a_footprint_file_changes_the_registry_version(registry_copy: Path) -> None:
    before = load_registry(registry_copy).version
    path = registry_copy / "footprints" / "tu-delft-campus-1993.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["notes"] = "changed"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_registry(registry_copy).version != before


@pytest.mark.parametrize("text", ["2016-13", "2016-00", "2017-02-29", "2016-04-31"])
def test_a_date_that_does_not_exist_is_refused(text: str) -> None:
    from geo.registry import date_key

    with pytest.raises(ParameterError, match="must be a real date"):
        date_key(text, field="as_of")
    assert date_key("2016-02-29") == (2016, 2, 29)  # a leap day is one


def test_the_api_and_the_compare_page_refuse_a_month_13(client: Any) -> None:
    assert client.get("/compare?as_of=2016-13").status_code == 400
    response = client.get("/api/clusters/delft/measures?as_of=2016-13")
    assert response.status_code == 400 and "real date" in response.get_json()["description"]


def _reference_row(name_start: str) -> dict[str, str]:
    import csv

    with REFERENCE.open(encoding="utf-8") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["name"].startswith(name_start)]
    return row


def test_the_university_of_evry_is_drawn_at_the_ministry_dataset_point(registry: Any) -> None:
    row = _reference_row("Université d'Évry-Val-d'Essonne (UEVE) - official establishment")
    site = registry.sites.loc["univ-evry"]
    point = registry.sites.geometry["univ-evry"]
    assert (point.x, point.y) == (float(row["lon"]), float(row["lat"])) == (2.42738, 48.62425)
    # "building/campus", building not named: on the university's site, not a known building
    assert site["location_precision"] == "site"
    assert site["confidence"] == _reference_confidence(row["confidence"]) == "medium"
    assert "0911975C" in site["source"] and "juliengossa/kpiESR" in site["source"]
    assert "43e7857736c6c07fcc9b1b0448bbbb697a98f1c3" in site["source"]
    assert "registered address" in site["approximates"]  # a multi-site university
    assert site["notes"].startswith("[pass 4, 2026-12]")


def test_the_oec_office_has_its_confirmed_address_and_no_position(registry: Any) -> None:
    row = _reference_row("Ökoenergie-Cluster (OEC) / OÖ Energiesparverband - office address")
    site = registry.sites.loc["oec-office"]
    assert row["lat"] == row["lon"] == ""
    assert site["address"] == "Landstraße 45, 4020 Linz, AT" == row["address"]
    assert registry.sites.geometry["oec-office"] is None
    assert site["location_precision"] == "unknown"
    assert site["confidence"] == _reference_confidence(row["confidence"]) == "medium"
    assert "publenef-toolbox.eu" in site["source"] and "publenef-toolbox.eu" in row["source"]


def _first_day(text: str) -> datetime.date:
    """A registry date (YYYY, YYYY-MM or YYYY-MM-DD) as the first day it names."""
    year, month, day = ([int(part) for part in text.split("-")] + [1, 1])[:3]
    return datetime.date(year, month, day)


@pytest.mark.parametrize("as_of", ["2001", "2014-12", "2015-01-01", "2016-10", "2017-03-28",
                                   "2021-09", "2021-10", "2026-12"])  # fmt: skip
def test_every_site_is_open_closed_or_not_yet_at_a_date(registry: Any, as_of: str) -> None:
    when = _first_day(as_of)
    for cluster_id in registry.clusters.index:
        sites = registry.registered(cluster_id)
        open_ = set(registry.sites_of(cluster_id, as_of=as_of).index)
        closed = set(registry.closed_before(cluster_id, as_of=as_of).index)
        expected_closed = {i for i, end in sites["valid_to"].items()
                           if end is not None and _first_day(end) <= when}  # fmt: skip
        not_yet = {i for i, start in sites["valid_from"].items()
                   if start is not None and when < _first_day(start)}  # fmt: skip
        assert closed == expected_closed, cluster_id
        assert open_ == set(sites.index) - closed - not_yet, cluster_id
        assert open_.isdisjoint(closed)
        # "today" is the date itself: the same sites without as_of
        today = {"today": _first_day(as_of)}
        assert set(registry.sites_of(cluster_id, **today).index) == open_, cluster_id
        assert set(registry.closed_before(cluster_id, **today).index) == closed, cluster_id


def test_today_is_the_current_date_not_every_site_ever_registered(registry: Any) -> None:
    # the default "today" is datetime.date.today(): the sites whose valid_to has passed
    # are closed now, listed by closed_before, never counted as open
    now = datetime.date.today()
    for cluster_id in registry.clusters.index:
        assert set(registry.sites_of(cluster_id).index) == set(
            registry.sites_of(cluster_id, today=now).index
        )
    gone = {"ccc-office", "numelink", "tno-former-campus", "advancity",
            "cluster-eco-energies-office"}  # fmt: skip
    closed = {i for c in registry.clusters.index for i in registry.closed_before(c).index}
    assert closed == gone  # every valid_to in the registry is before December 2026
    assert gone.isdisjoint(registry.located().index)
    assert "tno-former-campus" not in registry.sites_of("delft").index
    # injected: before the Copenhagen office closed, it was open "today"
    before = datetime.date(2014, 12, 31)
    assert "ccc-office" in registry.sites_of("copenhagen-cleantech", today=before).index
    assert registry.closed_before("copenhagen-cleantech", today=before).empty
    on_the_day = datetime.date(2015, 1, 1)  # valid_to is the first day it is gone
    assert list(registry.closed_before("copenhagen-cleantech", today=on_the_day).index) == [
        "ccc-office"
    ]
    # a site opening after "today" is not yet there, and not closed either
    early = datetime.date(2021, 9, 30)
    assert "tno-bouwinnovatie-lab" not in registry.sites_of("delft", today=early).index
    assert "tno-bouwinnovatie-lab" not in registry.closed_before("delft", today=early).index
    assert "tno-bouwinnovatie-lab" in registry.registered("delft").index


def test_summary_counts_the_sites_open_today(registry: Any) -> None:
    now = registry.summary("saint-etienne", today=datetime.date(2026, 12, 7))
    listed = registry.registered("saint-etienne")
    assert now["n_sites"] + now["n_closed"] == len(listed)
    assert now["n_closed"] == 1  # NUMELINK, merged in 2017
    in_2016 = registry.summary("saint-etienne", today=datetime.date(2016, 10, 1))
    assert in_2016["n_closed"] == 0
    assert in_2016["n_sites"] == len(registry.sites_of("saint-etienne", as_of="2016-10"))
    # the catalogue read at load agrees with the summary of the current date
    assert registry.catalogue["delft"]["n_sites"] == registry.summary("delft")["n_sites"]
    listing = {c["id"]: c for c in read_catalogue(today=datetime.date(2016, 10, 1))}
    counts = ("n_sites", "n_located", "n_closed")
    assert [listing["saint-etienne"][k] for k in counts] == [in_2016[k] for k in counts]


def _every_located(registry: Any) -> Any:
    """Every located site the registry lists, closed ones too (the data checks)."""
    return registry.sites[registry.sites.geometry.notna()]


def test_pass_4_dates_follow_their_sources(registry: Any) -> None:
    sites = registry.sites

    def existed(cluster_id: str, site_id: str, as_of: str) -> bool:
        return site_id in registry.sites_of(cluster_id, as_of=as_of).index

    # Copenhagen Cleantech Cluster: formally closed at the end of 2014
    assert sites.loc["ccc-office", "valid_to"] == "2015-01-01"
    assert "formelt lukker og slukker" in sites.loc["ccc-office", "source"]
    assert existed("copenhagen-cleantech", "ccc-office", "2014-12-31")
    assert not existed("copenhagen-cleantech", "ccc-office", "2015")
    assert list(registry.closed_before("copenhagen-cleantech", as_of="2016-10").index) == [
        "ccc-office"
    ]
    # NUMELINK: created 2002, there in October 2016, merged into Digital League in 2017
    assert (sites.loc["numelink", "valid_from"], sites.loc["numelink", "valid_to"]) == (
        "2002", "2017-03-28")  # fmt: skip
    assert existed("saint-etienne", "numelink", "2016-10")
    assert not existed("saint-etienne", "numelink", "2001")
    assert "numelink" in registry.closed_before("saint-etienne", as_of="2026-12").index
    assert "1er janvier" in sites.loc["numelink", "source"]
    assert "28 March 2017" in sites.loc["numelink", "source"]
    assert registry.sites.geometry["numelink"] is None  # no source puts it at the Cité du design
    # TNO Bouwinnovatie Lab: opened in early October 2021, not in spring
    assert sites.loc["tno-bouwinnovatie-lab", "valid_from"] == "2021-10"
    assert "infrasite.nl/wegen/2021/10/06" in sites.loc["tno-bouwinnovatie-lab", "source"]
    assert not existed("delft", "tno-bouwinnovatie-lab", "2021-09")
    assert existed("delft", "tno-bouwinnovatie-lab", "2021-10")
