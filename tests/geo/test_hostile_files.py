"""Issue 18's hostile files are refused by the readers, from what they decode rather than
what they declare, before the data are decoded: each file is made by :mod:`scripts.hostile_files`.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo._containers import MAX_COLUMNS, check_dbf
from geo.columns import open_columns
from geo.errors import InputDataError, TooLargeError
from geo.points import read_points_bytes
from scripts.hostile_files import (
    gdalg_json,
    gpkg_points_view,
    gpkg_zeroblob_view,
    parquet_long_labels,
    shapefile_zip,
    wide_csv,
    zip_lying_sizes,
)
from tests.helpers import ROOT

SECRET = "TOPSECRET-18c1"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"lat,lon,name\n52.0,4.3,{SECRET}\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- GDALG, JSON


def test_the_gdalg_json_with_a_nul_key_is_refused_without_reading_its_file(
    secret: Path,
) -> None:
    with pytest.raises(InputDataError) as info:
        read_points_bytes(gdalg_json(secret), filename="up.geojson")
    assert info.value.message == "up.geojson: a JSON key holds a NUL character ('type\\x00')"
    assert SECRET not in str(info.value)


def test_json_with_a_key_given_twice_is_refused() -> None:
    data = b'{"type": "FeatureCollection", "features": [], "type": "gdal_streamed_alg"}'
    with pytest.raises(InputDataError, match="the JSON key 'type' is given twice in one object"):
        read_points_bytes(data, filename="up.geojson")


def test_geojson_read_by_python_keeps_properties_and_crs() -> None:
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.3, 52.0]},
         "properties": {"name": "a", "n": 1, "tags": ["x"]}},
        {"type": "Feature", "geometry": None, "properties": {"name": "b", "n": 2.5}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.31, 52.01, 7.0]},
         "properties": None},
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with pytest.warns(UserWarning, match="dropped 1 of 3 rows with invalid coordinates"):
        gdf = read_points_bytes(data, filename="p.geojson", drop_invalid=True)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.index.tolist() == [0, 2]
    assert gdf["tags"].tolist() == ['["x"]', None]
    assert gdf["n"].tolist()[0] == 1.0 and np.isnan(gdf["n"].tolist()[1])
    assert gdf.geometry.x.tolist() == [4.3, 4.31]


_LOCKED = """
import json, sys
import pyogrio
from pathlib import Path
folder = Path(sys.argv[1])
outcomes = {"drivers": sorted(pyogrio.list_drivers())}
for name in ("pipeline.gdalg.json", "points.csv", "points.vrt"):
    try:
        pyogrio.read_info(folder / name)
        outcomes[name] = "opened"
    except Exception as exc:
        outcomes[name] = str(exc)
print(json.dumps(outcomes))
"""


def _gdal_files(folder: Path, secret: Path) -> None:
    pipeline = {
        "type": "gdal_streamed_alg",
        "command_line": f"gdal vector pipeline ! read {secret} ! write --output-format=stream x",
    }
    (folder / "pipeline.gdalg.json").write_text(json.dumps(pipeline), encoding="utf-8")
    (folder / "points.csv").write_text(secret.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "points.vrt").write_text(
        f'<OGRVRTDataSource><OGRVRTLayer name="p"><SrcDataSource>{secret}</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>",
        encoding="utf-8",
    )


def _run_locked(folder: Path, *, env: dict[str, str], prelude: str = "") -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", prelude + _LOCKED, str(folder)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(done.stdout))


def test_a_process_with_the_gdal_environment_opens_nothing_but_the_allowed_drivers(
    tmp_path: Path, secret: Path
) -> None:
    from geo._gdal import PROCESS_DRIVERS
    from geo.points import gdal_environment

    _gdal_files(tmp_path, secret)
    unlocked = _run_locked(tmp_path, env={})
    assert unlocked["points.csv"] == "opened"  # the check below could fail
    assert "GDALG" in unlocked["drivers"]
    locked = _run_locked(tmp_path, env=gdal_environment())
    assert locked["drivers"] == sorted(PROCESS_DRIVERS)
    for name in ("pipeline.gdalg.json", "points.csv", "points.vrt"):
        assert "not recognized as being in a supported file format" in locked[name], locked
        assert SECRET not in locked[name]


def test_restrict_drivers_unloads_the_others_in_a_running_process(
    tmp_path: Path, secret: Path
) -> None:
    from geo._gdal import PROCESS_DRIVERS

    _gdal_files(tmp_path, secret)
    prelude = "import pyogrio\nfrom geo._gdal import restrict_drivers\nrestrict_drivers()\n"
    locked = _run_locked(tmp_path, env={}, prelude=prelude)
    assert locked["drivers"] == sorted(PROCESS_DRIVERS)
    assert all("not recognized" in locked[n] for n in ("pipeline.gdalg.json", "points.csv"))


# --------------------------------------------------------------------------- zip and .dbf


def test_a_zip_whose_dbf_decodes_beyond_its_declared_size_is_refused() -> None:
    bomb = zip_lying_sizes(declared=100_000, real=20_000_000)
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo("p.dbf").file_size == 100_000
    with pytest.raises(InputDataError, match=r"^bomb\.zip: not a readable zip \(Bad CRC-32"):
        read_points_bytes(bomb, filename="bomb.zip", max_bytes=1_000_000)


def test_a_zip_declaring_more_than_the_cap_is_refused_from_its_entries() -> None:
    bomb = zip_lying_sizes(declared=50_000_000, real=1_000)
    with pytest.raises(TooLargeError, match=r"decodes to 50,000,\d{3} bytes, more than the limit"):
        read_points_bytes(bomb, filename="bomb.zip", max_bytes=10_000_000)


def test_a_dbf_is_bounded_by_its_header_before_gdal_reads_it(tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(shapefile_zip(10, fields=2, width=8))) as archive:
        archive.extractall(tmp_path)
    shp = tmp_path / "p.shp"
    check_dbf(shp, name="p.zip", max_bytes=170, max_points=10)  # 10 records of 17 bytes
    with pytest.raises(TooLargeError, match="declares 10 records of 17 bytes, more than the"):
        check_dbf(shp, name="p.zip", max_bytes=169, max_points=None)
    dbf = bytearray((tmp_path / "p.dbf").read_bytes())
    struct.pack_into("<I", dbf, 4, 4_000_000_000)
    (tmp_path / "p.dbf").write_bytes(dbf)
    with pytest.raises(TooLargeError, match="holds 4,000,000,000 features, more than the limit"):
        check_dbf(shp, name="p.zip", max_bytes=None, max_points=2_000_000)


def test_a_wide_dbf_is_read_for_the_columns_asked_only() -> None:
    data = shapefile_zip(500, fields=40, width=10)
    whole = read_points_bytes(data, filename="p.zip")
    assert whole.shape == (500, 41)
    only = read_points_bytes(data, filename="p.zip", attributes=["F7"])
    assert only.columns.tolist() == ["F7", "geometry"]
    assert only["F7"].tolist() == whole["F7"].tolist()
    assert only.geometry.equals(whole.geometry)


# --------------------------------------------------------------------------- GeoPackage


def test_a_geopackage_view_of_one_huge_line_is_refused_before_it_is_decoded() -> None:
    data = gpkg_zeroblob_view(60_000_000)  # 960 MB once decoded
    assert len(data) < 200_000
    with pytest.raises(InputDataError, match="the layer 'pv' is a view; a GeoPackage's layers"):
        read_points_bytes(data, filename="line.gpkg")


def test_a_geopackage_view_of_many_points_is_refused() -> None:
    with pytest.raises(InputDataError, match="the layer 'pv' is a view"):
        read_points_bytes(gpkg_points_view(2_000_000), filename="v.gpkg", max_points=2_000_000)


def test_a_geopackage_generated_column_is_refused(tmp_path: Path) -> None:
    import geopandas as gpd

    path = tmp_path / "g.gpkg"
    gdf = gpd.GeoDataFrame({"i": [1]}, geometry=gpd.points_from_xy([4.3], [52.0]), crs=4326)
    gdf.to_file(path, layer="pts", driver="GPKG")
    assert len(read_points_bytes(path.read_bytes(), filename="g.gpkg")) == 1
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE pts ADD COLUMN big BLOB GENERATED ALWAYS AS (zeroblob(1e8))")
    db.close()
    with pytest.raises(InputDataError, match="the layer 'pts' has the generated column 'big'"):
        read_points_bytes(path.read_bytes(), filename="g.gpkg")


def test_a_geopackage_row_count_is_taken_from_its_data(tmp_path: Path) -> None:
    import geopandas as gpd

    path = tmp_path / "p.gpkg"
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(np.full(11, 4.3), np.full(11, 52.0)))
    gdf.set_crs(4326).to_file(path, driver="GPKG")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_ogr_contents SET feature_count = 1")
    db.close()
    with pytest.raises(TooLargeError, match="holds 11 features, more than the limit of 10"):
        read_points_bytes(path.read_bytes(), filename="p.gpkg", max_points=10)


# --------------------------------------------------------------------------- GeoParquet


def test_a_parquet_dictionary_bomb_is_refused_from_its_decoded_size() -> None:
    bomb = parquet_long_labels(200_000, chars=2_000)
    assert len(bomb) < 5_000_000
    with pytest.raises(TooLargeError, match=r"decodes to [\d,]+ bytes or more, more than the"):
        read_points_bytes(bomb, filename="b.parquet", max_bytes=256 << 20, max_points=2_000_000)


def test_parquet_decoded_size_counts_each_row_of_a_dictionary() -> None:
    import pyarrow as pa

    from geo.formats import _decoded_bytes

    column = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, 1], pa.int32()), ["ab", "xyz"])
    assert _decoded_bytes(column) == 2 + 3 * 3 + 8 * 4  # values, and an offset per row


def test_long_text_values_are_cut_to_max_chars() -> None:
    gdf = read_points_bytes(parquet_long_labels(5, chars=500), filename="p.parquet", max_chars=200)
    assert gdf["name"].astype(str).tolist() == ["n" * 200] * 5
    csv = b"lat,lon,name\n52.0,4.3," + "é".encode() * 300 + b"\n"
    assert read_points_bytes(csv, filename="p.csv", max_chars=200)["name"][0] == "é" * 200


# --------------------------------------------------------------------------- CSV


def test_a_csv_of_more_than_10000_columns_is_refused_naming_the_limit(tmp_path: Path) -> None:
    assert MAX_COLUMNS == 10_000
    with pytest.raises(InputDataError, match="no coordinate columns found"):
        read_points_bytes(wide_csv(10_000), filename="w.csv")
    message = "w.csv: holds 1,500,000 columns, more than the limit of 10,000 columns"
    with pytest.raises(TooLargeError) as info:
        read_points_bytes(wide_csv(1_500_000), filename="w.csv")
    assert info.value.message == message
    path = tmp_path / "w.csv"
    path.write_bytes(wide_csv(10_001))
    with pytest.raises(TooLargeError, match="more than the limit of 10,000 columns"):
        open_columns(path)


def test_a_csv_is_read_for_its_coordinates_and_the_columns_asked() -> None:
    frame = pd.DataFrame({"a": [1, 2], "lat": [52.0, 52.1], "nom": ["x", "y"],
                          "lon": [4.3, 4.4], "b": ["p", "q"], "c": [0, 0]})  # fmt: skip
    data = frame.to_csv(index=False).encode()
    whole = read_points_bytes(data, filename="p.csv")
    assert whole.columns.tolist() == ["a", "lat", "nom", "lon", "b", "c", "geometry"]
    only = read_points_bytes(data, filename="p.csv", attributes=["b"])
    assert only.columns.tolist() == ["lat", "nom", "lon", "b", "geometry"]
    assert only.geometry.equals(whole.geometry)
    # a column asked for and missing is not read; the caller's check names its parameter
    # (where/by: tests/api/test_error_spelling.py)
    missing = read_points_bytes(data, filename="p.csv", attributes=["z"])
    assert missing.columns.tolist() == ["lat", "nom", "lon", "geometry"]


def test_the_application_own_files_still_read_and_write_once_gdal_is_locked(
    tmp_path: Path,
) -> None:
    """The bundled TopoJSON outlines and GeoJSON output keep their drivers."""
    script = (
        "import sys, geopandas as gpd\n"
        "from geo._gdal import restrict_drivers\n"
        "from webmap.maps.outlines import PATH\n"
        "before = len(gpd.read_file(PATH, layer='countries'))\n"
        "restrict_drivers()\n"
        "frame = gpd.read_file(PATH, layer='countries')\n"
        "frame.head(3).to_file(sys.argv[1], driver='GeoJSON')\n"
        "print(before, len(frame), len(gpd.read_file(sys.argv[1])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "out.geojson")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after, written = (int(n) for n in done.stdout.split())
    assert before == after > 100 and written == 3
