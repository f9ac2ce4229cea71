"""Hostile or huge inputs get a quick, small 4xx or one-line error: never a 500, a stall or
an answer that echoes the input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo.errors import InputDataError, TooLargeError, listing, quote
from geo.points import read_points, read_points_bytes
from scripts.hostile_files import parquet_bomb
from tests.helpers import DATA
from webmap import create_app
from webmap.commands.cli import cli


def _limited_client(**config: Any) -> Any:
    return create_app({"TESTING": True, "DATA_DIR": str(DATA), **config}).test_client()


def _upload(client: Any, data: bytes, filename: str) -> Any:
    return client.post(
        "/api/analyze",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _assert_small_error(response: Any) -> None:
    """The error quotes the input clipped: each text of the body (its description and each
    of its problems) stays under 300 characters, whatever the size of the input."""
    body = response.get_json()
    texts = [body["description"], *body["problems"]]
    assert all(len(text) < 300 for text in texts), texts
    assert len(response.get_data()) < 300 * len(texts)


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    return gpd.GeoDataFrame(
        {"i": np.arange(n)},
        geometry=gpd.points_from_xy(rng.uniform(4.3, 4.4, n), rng.uniform(51.9, 52.1, n)),
        crs=4326,
    )


# --------------------------------------------------------------------------- ragged CSV


def test_a_row_with_more_fields_than_the_header_is_refused_with_its_line() -> None:
    data = b"lat,lon,name\n" + b"," * 300_000 + b"\n52.0,4.3,a\n"
    with pytest.raises(InputDataError) as info:
        read_points_bytes(data, filename="ragged.csv")
    assert str(info.value) == (
        "ragged.csv: line 2 has 300,001 fields but the header has 3 (separator ','); "
        "quote values that hold the separator"
    )
    late = b"lat;lon\n52,0;4,3\n52,1;4,4\n52,2;4,5;x\n"
    with pytest.raises(InputDataError, match="line 4 has 3 fields but the header has 2"):
        read_points_bytes(late, filename="late.csv")


def test_quoted_separators_and_short_rows_are_still_read() -> None:
    data = b'lat,lon,name\n52.0,4.3,"a, b"\n52.1,4.4\n'
    gdf = read_points_bytes(data, filename="ok.csv")
    assert gdf["name"].iloc[0] == "a, b"
    assert pd.isna(gdf["name"].iloc[1])


def test_a_ragged_upload_is_a_400_naming_the_line(client: Any) -> None:
    data = b"lat,lon\n" + b";" * 10 + b"," * 300_000 + b"\n"
    response = client.post("/api/analyze", data=data, content_type="text/csv")
    assert response.status_code == 400
    assert "line 2 has 300,001 fields" in response.get_json()["description"]
    assert len(response.get_data()) < 500


# --------------------------------------------------------------------------- limits


def test_default_upload_limits(app: Any) -> None:
    assert app.config["MAX_UPLOAD_POINTS"] == 2_000_000
    assert app.config["MAX_UPLOAD_DECODED_BYTES"] == 256 * 1024 * 1024


def _parquet(n: int) -> bytes:
    buffer = io.BytesIO()
    _points(n).to_parquet(buffer)
    return buffer.getvalue()


def _gpkg(tmp_path: Path, n: int) -> bytes:
    path = tmp_path / "p.gpkg"
    _points(n).to_file(path, driver="GPKG")
    return path.read_bytes()


def _fgb(tmp_path: Path, n: int) -> bytes:
    path = tmp_path / "p.fgb"
    _points(n).to_file(path, driver="FlatGeobuf")
    return path.read_bytes()


def _csv(n: int) -> bytes:
    frame = _points(n)
    return pd.DataFrame({"lat": frame.geometry.y, "lon": frame.geometry.x}).to_csv().encode()


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("p.parquet", lambda tmp, n: _parquet(n)),
        ("p.gpkg", _gpkg),
        ("p.fgb", _fgb),
        ("p.geojson", lambda tmp, n: _points(n).to_json().encode()),
        ("p.csv", lambda tmp, n: _csv(n)),
    ],
)
def test_an_upload_beyond_the_point_limit_is_a_413(
    tmp_path: Path, filename: str, make: Any
) -> None:
    client = _limited_client(MAX_UPLOAD_POINTS=1000)
    assert _upload(client, make(tmp_path, 1000), filename).status_code == 201
    response = _upload(client, make(tmp_path, 1001), filename)
    assert response.status_code == 413
    body = response.get_json()
    assert body["code"] == "RequestEntityTooLarge"
    assert "the limit of 1,000 points" in body["description"]


def test_a_parquet_bomb_is_refused_from_its_metadata() -> None:
    small = read_points_bytes(parquet_bomb(3), filename="three.parquet")
    assert small.geometry.x.tolist() == [4.3, 4.3, 4.3]
    bomb = parquet_bomb(10_000_000)
    assert len(bomb) < 500_000
    with pytest.raises(TooLargeError, match="holds 10,000,000 features, more than the limit"):
        read_points_bytes(bomb, filename="bomb.parquet", max_points=2_000_000)


def test_a_zip_decoding_beyond_the_byte_limit_is_a_413(tmp_path: Path) -> None:
    _points(50).to_file(tmp_path / "p.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in tmp_path.glob("p.*"):
            archive.write(part, part.name)
    size = sum(part.stat().st_size for part in tmp_path.glob("p.*"))
    assert _upload(_limited_client(), buffer.getvalue(), "p.zip").status_code == 201
    response = _upload(_limited_client(MAX_UPLOAD_DECODED_BYTES=1000), buffer.getvalue(), "p.zip")
    assert response.status_code == 413
    assert (
        f"decodes to {size:,} bytes, more than the limit of 1,000"
        in (response.get_json()["description"])
    )


def test_the_command_line_takes_a_point_limit(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(_csv(20))
    runner = CliRunner()
    assert runner.invoke(cli, ["density", str(path), "--json"]).exit_code == 0
    result = runner.invoke(cli, ["density", str(path), "--max-points", "10"])
    assert result.exit_code == 1
    assert result.output == f"error: {path}: holds more rows than the limit of 10 points\n"


# --------------------------------------------------------------------------- never a 500


_LONG = pytest.param("1" * 5000, id="5000-digits")


@pytest.mark.parametrize("value", ["²", "٣", _LONG, "1_0", "-1", "20"])
def test_a_zoom_that_is_no_small_ascii_number_is_a_400(client: Any, value: str) -> None:
    response = client.get("/clusters/delft", query_string={"zoom": value})
    assert response.status_code == 400
    assert "zoom must be a whole number from 0 to 19" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", "٣", _LONG, "1_0"])
def test_api_numbers_are_ascii_digits_of_bounded_length(client: Any, value: str) -> None:
    for name in ("hex_res", "eps"):
        response = client.get(f"/api/clusters/delft/measures?{name}={value}")
        assert response.status_code == 400, name
        assert response.get_json()["description"].startswith(f"{name} must be ")
        _assert_small_error(response)


@pytest.mark.parametrize("value", ["²", "٢٠١٦", "2016-5", "1" * 150])
def test_as_of_that_is_no_ascii_date_is_a_400(client: Any, value: str) -> None:
    response = client.get("/api/clusters/delft/measures", query_string={"as_of": value})
    assert response.status_code == 400
    assert "as_of must be a date YYYY, YYYY-MM or YYYY-MM-DD" in response.get_json()["description"]
    _assert_small_error(response)
    longer = client.get("/api/clusters/delft/measures", query_string={"as_of": "1" * 5000})
    assert longer.get_json()["description"] == "as_of is longer than 200 characters"


def _nested(depth: int) -> bytes:
    inner = "[" * depth + "]" * depth
    feature = f'{{"type": "Feature", "geometry": null, "properties": {{"deep": {inner}}}}}'
    return f'{{"type": "FeatureCollection", "features": [{feature}]}}'.encode()


def test_deeply_nested_geojson_is_a_400_and_a_one_line_error(client: Any, tmp_path: Path) -> None:
    response = client.post(
        "/api/analyze", data=_nested(100_000), content_type="application/geo+json"
    )
    assert response.status_code == 400
    assert response.get_json()["description"] == (
        "upload.geojson: JSON nested 100,004 levels deep, more than the limit of 64"
    )
    path = tmp_path / "deep.geojson"
    path.write_bytes(_nested(1000))
    result = CliRunner().invoke(cli, ["density", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {path}: JSON nested 1,004 levels deep")
    assert result.output.count("\n") == 1


def test_json_strings_do_not_count_as_nesting() -> None:
    from geo.formats import json_depth

    assert json_depth(b'{"a": "[[[[\\"[[[", "b": [[1]]}') == 3
    assert json_depth(_nested(60)) == 64


def test_projected_coordinates_outside_the_crs_area_are_refused() -> None:
    data = b"x,y\n85000,446000\n1e300,1e300\n"
    with pytest.raises(InputDataError) as info:
        read_points_bytes(data, filename="rd.csv", crs="EPSG:28992")
    message = str(info.value)
    assert "1 rows with coordinates far outside the area where Amersfoort / RD New is used" in (
        message
    )
    assert "rows 2)" in message
    with pytest.warns(UserWarning, match="dropped 1 of 2 rows"):
        kept = read_points_bytes(data, filename="rd.csv", crs="EPSG:28992", drop_invalid=True)
    assert kept.geometry.x.tolist() == [85000.0]


# --------------------------------------------------------------------------- small errors


def test_quote_and_listing_cut_long_input() -> None:
    assert quote("x" * 1000) == "'" + "x" * 80 + "…'"
    assert listing([f"c{i}" for i in range(10)], limit=2) == "'c0', 'c1' and 8 more"


def test_a_huge_header_line_gives_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("n" * 100_000 + "\n1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["density", str(path)])
    assert result.exit_code == 1
    assert len(result.output) < 300
    assert "'" + "n" * 80 + "…'" in result.output
    many = ",".join(f"column{i}" for i in range(10_000)).encode() + b"\n"
    with pytest.raises(InputDataError, match=r"'column4' and 9995 more$"):
        read_points_bytes(many, filename="many.csv")


def test_an_upload_of_nul_bytes_gets_a_small_400(client: Any) -> None:
    response = client.post("/api/analyze", data=b"\x00" * 2_000_000, content_type="text/csv")
    assert response.status_code == 400
    assert "binary content of no accepted format" in response.get_json()["description"]
    _assert_small_error(response)


def test_a_long_upload_file_name_is_cut_in_messages(client: Any) -> None:
    response = _upload(client, b"a,b\n1,2\n", "n" * 10_000 + ".csv")
    assert response.status_code == 400
    assert len(response.get_data()) < 500


# --------------------------------------------------------------------------- encodings


def test_latin1_csv_with_its_first_accent_after_64_kib(tmp_path: Path) -> None:
    rows = [f"site {i};52,{i:04d};4,3" for i in range(5000)]
    text = "nom;lat;lon\n" + "\n".join(rows) + "\nCafé Noël;52,5;4,4\n"
    data = text.encode("latin-1")
    assert data.index("é".encode("latin-1")) > 65536
    path = tmp_path / "latin1.csv"
    path.write_bytes(data)
    gdf = read_points(path)
    assert len(gdf) == 5001
    assert gdf["nom"].iloc[-1] == "Café Noël"
    assert read_points_bytes(data, filename="up.csv")["nom"].iloc[-1] == "Café Noël"


def test_utf8_csv_with_a_bom_keeps_its_first_column_name() -> None:
    data = "\ufefflat;lon;nom\n52,0;4,3;Zoë\n".encode()
    gdf = read_points_bytes(data, filename="bom.csv")
    assert list(gdf.columns[:3]) == ["lat", "lon", "nom"]
    assert gdf["nom"].iloc[0] == "Zoë"


def test_geojson_nesting_in_a_file_is_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["features"] == []
    path.write_bytes(_nested(200))
    with pytest.raises(InputDataError, match="JSON nested 204 levels deep"):
        read_points(path)


def test_a_geopackage_that_understates_its_feature_count_is_still_limited(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "p.gpkg"
    _points(1001).to_file(path, driver="GPKG")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_ogr_contents SET feature_count = 1")
    with pytest.raises(TooLargeError, match="holds 1,001 features, more than the limit of 1,000"):
        read_points(path, max_points=1000)
    assert len(read_points(path, max_points=1001)) == 1001


# --------------------------------------------------------------------------- issue 18


def test_the_gdalg_upload_is_a_400_that_reads_no_file(client: Any, tmp_path: Path) -> None:
    from scripts.hostile_files import gdalg_json

    secret = tmp_path / "secret.csv"
    secret.write_text("lat,lon,name\n52.0,4.3,TOPSECRET-18a\n", encoding="utf-8")
    response = _upload(client, gdalg_json(secret), "up.geojson")
    assert response.status_code == 400
    assert "a JSON key holds a NUL character" in response.get_json()["description"]
    assert "TOPSECRET" not in response.get_data(as_text=True)


def test_by_with_a_huge_n_is_a_400_not_a_500(client: Any) -> None:
    from urllib.parse import urlencode

    data = b"lat,lon,cat\n52.0,4.3,a\n52.1,4.4,b\n"
    response = client.post(
        "/api/analyze?" + urlencode({"by": "cat:9223372036854775808"}),
        data={"file": (io.BytesIO(data), "p.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "N must be at most 1,000 characters" in response.get_json()["description"]


def test_by_with_more_than_1000_categories_is_a_400(client: Any) -> None:
    from urllib.parse import urlencode

    from scripts.hostile_files import categories_csv
    from webmap.api.selection_api import MAX_CATEGORIES

    assert MAX_CATEGORIES == 1_000
    for rows, status in ((1_000, 201), (1_001, 400)):
        response = client.post(
            "/api/analyze?" + urlencode({"by": "cat"}),
            data={"file": (io.BytesIO(categories_csv(rows)), "p.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == status, response.get_json()
    assert "more categories than the limit of 1,000" in response.get_json()["description"]


def test_an_upload_keeps_its_labels_cut_to_200_characters(client: Any) -> None:
    from webmap.api.uploads_api import MAX_TEXT_CHARS

    data = b"lat,lon,name,other\n" + b"".join(
        f"52.{i:03d},4.3,{'n' * 300},{'o' * 300}\n".encode() for i in range(20)
    )
    response = _upload(client, data, "p.csv")
    assert response.status_code == 201
    token = response.get_json()["token"]
    page = client.get(f"/analyses/{token}").get_data(as_text=True)
    assert "n" * MAX_TEXT_CHARS in page and "n" * (MAX_TEXT_CHARS + 1) not in page
