"""The registry's fields are declared once (geo.schema) and every view follows the list."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from geo import schema
from geo.errors import RegistryError
from geo.registry import load_registry
from tests.helpers import DATA
from webmap.api.registry_api import cluster_detail, site_listing
from webmap.api.tables import sites_csv

#: a new optional site field, as a contributor would add it to ``schema.SITE_FIELDS``
OWNERSHIP = schema.Field("ownership", "choice", choices=("public", "private"), doc="who owns it")


def _edit_sites(folder: Path, values: dict[str, Any]) -> None:
    path = folder / "sites.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        if feature["properties"]["id"] in values:
            feature["properties"].update(values[feature["properties"]["id"]])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def with_ownership(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "SITE_FIELDS", (*schema.SITE_FIELDS, OWNERSHIP))


@pytest.mark.usefixtures("with_ownership")
def test_a_new_optional_site_field_is_validated(registry_copy: Path) -> None:
    _edit_sites(registry_copy, {"tu-delft-campus": {"ownership": "state-ish"}})
    with pytest.raises(RegistryError) as info:
        load_registry(registry_copy)
    (problem,) = info.value.problems
    assert problem.endswith(
        "'tu-delft-campus': ownership: 'state-ish' is not one of public, private"
    )


@pytest.mark.usefixtures("with_ownership")
def test_a_new_optional_site_field_reaches_the_csv_and_the_geojson(registry_copy: Path) -> None:
    _edit_sites(registry_copy, {"tu-delft-campus": {"ownership": "public"}})
    registry = load_registry(registry_copy)  # the other sites have none: it is optional

    rows = list(csv.DictReader(io.StringIO(sites_csv(registry, "delft"))))
    assert list(rows[0])[-1] == "ownership"
    assert {row["id"]: row["ownership"] for row in rows}["tu-delft-campus"] == "public"
    assert {row["ownership"] for row in rows if row["id"] != "tu-delft-campus"} == {""}

    features = site_listing(registry, "delft")["features"]
    owners = {f["id"]: f["properties"]["ownership"] for f in features}
    assert owners.pop("tu-delft-campus") == "public"
    assert set(owners.values()) == {None}


def test_a_new_cluster_field_is_validated_and_reaches_the_cluster_api(
    registry_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    founded = schema.Field("founded", "date", doc="when the cluster was founded")
    monkeypatch.setattr(schema, "CLUSTER_FIELDS", (*schema.CLUSTER_FIELDS, founded))
    path = registry_copy / "clusters.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["founded"] = "the nineties"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    delft = data["features"][0]["properties"]["id"]
    with pytest.raises(RegistryError) as info:
        load_registry(registry_copy)
    (problem,) = info.value.problems
    assert problem.endswith(
        f"{delft!r}: founded: 'the nineties' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
    )

    data["features"][0]["properties"]["founded"] = "1999-04"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    registry = load_registry(registry_copy)
    body = cluster_detail(registry, delft).body
    assert body["founded"] == "1999-04"
    assert body["description"] == data["features"][0]["properties"]["description"]
    assert body["practices"] == data["features"][0]["properties"]["practices"]  # with evidence
    others = [c for c in registry.clusters.index if c != delft]
    assert cluster_detail(registry, others[0]).body["founded"] is None


def test_each_kind_is_checked_with_a_message_naming_the_field(registry_copy: Path) -> None:
    _edit_sites(
        registry_copy,
        {
            "tu-delft-campus": {"valid_from": "spring 2001", "notes": 42},
            "tu-delft-tnw": {"cluster": "Delft!", "role": "castle"},
            "yes-delft": {"uncertainty_m": True, "name": ""},
        },
    )
    with pytest.raises(RegistryError) as info:
        load_registry(registry_copy)
    problems = "\n".join(info.value.problems)
    assert "'tu-delft-campus': valid_from: 'spring 2001' is not a date" in problems
    assert "'tu-delft-campus': notes: must be a text, not int" in problems
    assert "'tu-delft-tnw': cluster: 'Delft!' is not a slug" in problems
    assert "'tu-delft-tnw': role: 'castle' is not one of flagship" in problems
    assert "'yes-delft': uncertainty_m: True is not a positive number of metres" in problems
    assert "'yes-delft': name: missing required field" in problems
    # a bad cluster id is also an unknown one; nothing else is reported
    assert len(info.value.problems) == 7, problems


def test_the_registry_frames_hold_the_stored_fields_in_order() -> None:
    registry = load_registry(DATA)
    assert list(registry.sites.columns[:-1]) == schema.columns(schema.SITE_FIELDS)
    assert list(registry.clusters.columns[:-1]) == schema.columns(schema.CLUSTER_FIELDS)
    assert list(registry.epicentres.columns) == schema.columns(schema.EPICENTRE_FIELDS)
    assert "state" not in registry.sites.columns  # derived: a view computes it


def test_the_csv_fills_every_derived_column() -> None:
    """A ``derived`` field is computed by the CSV writer, never left empty by oversight."""
    registry = load_registry(DATA)
    rows = list(csv.DictReader(io.StringIO(sites_csv(registry, "delft"))))
    derived = [f.name for f in schema.SITE_FIELDS if f.kind == "derived"]
    assert derived == ["lon", "lat", "geometry_type", "state"]
    sites = registry.registered("delft")
    located = set(sites.index[sites.geometry.notna()])
    assert located
    for row in rows:  # an unlocated site has no point: only its state
        filled = derived if row["id"] in located else ["state"]
        assert all(row[name] for name in filled), row


def test_the_registry_readme_documents_every_stored_field() -> None:
    """data/sites/README.md has a row for each field the registry reads."""
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    sections = {
        "clusters": readme[readme.index("## `clusters.geojson`") : readme.index("## `sites")],
        "sites": readme[readme.index("## `sites.geojson`") : readme.index("## `epicentres")],
        "epicentres": readme[readme.index("## `epicentres.geojson`") :],
    }
    declared = {
        "clusters": schema.CLUSTER_FIELDS,
        "sites": schema.SITE_FIELDS,
        "epicentres": schema.EPICENTRE_FIELDS,
    }
    for name, fields in declared.items():
        stored = [f.name for f in fields if f.kind != "derived"]
        assert stored
        missing = [field for field in stored if f"`{field}`" not in sections[name]]
        assert not missing, (name, missing)


def test_the_ogc_clusters_collection_lists_the_table_fields_and_the_counts(client: Any) -> None:
    """The OGC ``clusters`` properties are the cluster table columns, then the site counts."""
    body = client.get("/ogc/collections/clusters/items?limit=1000").get_json()
    expected = [*schema.table_columns(schema.CLUSTER_FIELDS), "n_sites", "n_located", "n_closed"]
    assert body["features"]
    assert all(list(f["properties"]) == expected for f in body["features"])
