"""scripts/make_register.py writes a SIRENE-shaped register: its columns, separator, CRS,
sector skew, determinism and GeoParquet partitions."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest

from scripts.make_register import DIVISIONS, main, write_register

COLUMNS = [
    "siren",
    "siret",
    "etatAdministratifEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "x",
    "y",
]
#: The 88 divisions of NAF rev. 2 (NACE rev. 2), sections A to U.
NAF_DIVISIONS = [
    f"{d:02d}"
    for d in (
        *range(1, 4), *range(5, 34), *range(35, 40), *range(41, 44), *range(45, 48),
        *range(49, 54), 55, 56, *range(58, 67), *range(68, 76), *range(77, 83),
        *range(84, 89), *range(90, 100),
    )
]  # fmt: skip


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("register") / "sirene.csv"
    assert main(["200000", "-o", str(path), "--seed", "7"]) == 0
    header = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == ";".join(COLUMNS)
    return pd.read_csv(path, sep=";", dtype={"codePostalEtablissement": str}, keep_default_na=False)


def test_the_file_has_sirene_columns_separated_by_semicolons(register: pd.DataFrame) -> None:
    assert list(register.columns) == COLUMNS
    assert len(register) == 200_000
    assert register["siret"].astype(str).str.fullmatch(r"[1-9][0-9]{13}").all()
    assert (register["siret"] // 100_000 == register["siren"]).all()
    assert register["activitePrincipaleEtablissement"].str.fullmatch(r"\d\d\.\d\d[A-Z]").all()
    assert register["codePostalEtablissement"].str.fullmatch(r"\d{5}").all()


def test_codes_come_from_the_88_real_naf_divisions() -> None:
    assert sorted(DIVISIONS) == NAF_DIVISIONS
    assert len(NAF_DIVISIONS) == 88
    for division, (_, codes) in DIVISIONS.items():
        assert all(code[:2] == division for code in codes)


def test_points_are_lambert93_metres_inside_metropolitan_france(register: pd.DataFrame) -> None:
    to_lonlat = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(register["x"].to_numpy(), register["y"].to_numpy())
    # metropolitan France and Corsica, with a margin of a few km: Brittany to Corsica, Dunkirk to
    # the Pyrenees
    assert lon.min() > -5.6 and lon.max() < 9.8
    assert lat.min() > 41.2 and lat.max() < 51.3
    area = pyproj.CRS("EPSG:2154").area_of_use
    assert area is not None
    assert area.west <= lon.min() and lon.max() <= area.east
    assert area.south <= lat.min() and lat.max() <= area.north


def test_sectors_are_skewed_like_a_business_register(register: pd.DataFrame) -> None:
    shares = register["activitePrincipaleEtablissement"].str[:2].value_counts(normalize=True)
    assert shares.index[0] == "68"  # real estate (SCI) leads the stock
    assert shares.iloc[:10].sum() > 0.6  # ten divisions hold most establishments
    assert shares.get("05", 0.0) < 0.001 and shares.get("99", 0.0) < 0.001
    assert shares.iloc[0] / shares.iloc[-1] > 100


def test_software_firms_are_overrepresented_in_paris(register: pd.DataFrame) -> None:
    software = register["activitePrincipaleEtablissement"].str.startswith("62")
    paris = register["libelleCommuneEtablissement"] == "PARIS"
    lq_paris = software[paris].mean() / software.mean()
    farming = register["activitePrincipaleEtablissement"].str.startswith("01")
    assert lq_paris > 1.2
    assert farming[paris].mean() / farming.mean() < 0.5


def test_points_cluster_around_city_centres(register: pd.DataFrame) -> None:
    xy = register[["x", "y"]].to_numpy()
    lyon = register["libelleCommuneEtablissement"] == "LYON"
    lyon_xy = xy[lyon.to_numpy()]
    to_l93 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    centre = np.array(to_l93.transform(4.8357, 45.7640))
    distances = np.hypot(*(lyon_xy - centre).T)
    # most of Lyon's establishments lie within 10 km of its centre, a quarter spread wider
    assert 0.6 < np.mean(distances < 10_000) < 0.9
    assert np.mean(distances > 20_000) > 0.1


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_register(a, 5_000, seed=3)
    write_register(b, 5_000, seed=3)
    write_register(c, 5_000, seed=4)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_partitioned_geoparquet_holds_every_row_with_its_crs(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    files = write_register(folder, 10_001, fmt="parquet", partitions=4, seed=3)
    assert [f.name for f in files] == [f"part-0000{i}.parquet" for i in range(4)]
    frames = [gpd.read_parquet(f) for f in files]
    assert [len(f) for f in frames] == [2501, 2500, 2500, 2500]
    whole = pd.concat(frames, ignore_index=True)
    assert all(f.crs == pyproj.CRS("EPSG:2154") for f in frames)
    np.testing.assert_array_equal(whole.geometry.x, whole["x"])
    np.testing.assert_array_equal(whole.geometry.y, whole["y"])
    # the rows are those of the CSV for the same seed, in order
    csv = tmp_path / "same.csv"
    write_register(csv, 10_001, seed=3)
    flat = pd.read_csv(csv, sep=";", dtype={"codePostalEtablissement": str}, keep_default_na=False)
    pd.testing.assert_frame_equal(pd.DataFrame(whole.drop(columns="geometry")), flat)
