"""The point loader: formats, CRSs, column detection, invalid rows, swapped coordinates."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputDataError, ParameterError
from geo.points import points_from_frame, read_points, read_points_bytes

LON = [4.37347, 4.38508, 4.38666]
LAT = [52.00218, 51.99281, 51.99316]


def _gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["campus", "technopolis", "yes"]},
        geometry=gpd.points_from_xy(LON, LAT),
        crs="EPSG:4326",
    )


def test_csv_with_common_column_names_loads_in_wgs84(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame({"Name": ["a", "b", "c"], "Latitude": LAT, "Longitude": LON}).to_csv(
        path, index=False
    )
    gdf = read_points(path)
    assert gdf.crs.to_epsg() == 4326
    np.testing.assert_allclose(gdf.geometry.x, LON)
    np.testing.assert_allclose(gdf.geometry.y, LAT)
    assert list(gdf["Name"]) == ["a", "b", "c"]


def test_french_csv_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "fr.csv"
    lines = ["nom;lat;lng"] + [
        f"site é{i};{str(a).replace('.', ',')};{str(b).replace('.', ',')}"
        for i, (a, b) in enumerate(zip(LAT, LON, strict=True))
    ]
    path.write_bytes("\n".join(lines).encode("cp1252"))
    gdf = read_points(path)
    np.testing.assert_allclose(gdf.geometry.y, LAT)
    np.testing.assert_allclose(gdf.geometry.x, LON)
    assert gdf["nom"].iloc[0] == "site é0"


def test_projected_xy_columns_need_and_use_crs(tmp_path: Path) -> None:
    utm = _gdf().to_crs(32631)
    path = tmp_path / "xy.csv"
    pd.DataFrame({"E": utm.geometry.x, "N": utm.geometry.y}).to_csv(path, index=False)
    gdf = read_points(path, x="E", y="N", crs="EPSG:32631")
    assert gdf.crs.to_epsg() == 32631
    back = gdf.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, LON, atol=1e-9)
    with pytest.raises(ParameterError, match="need crs"):
        read_points(path, x="E", y="N")


def test_explicit_lat_lon_options(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame({"a": LAT, "b": LON}).to_csv(path, index=False)
    gdf = read_points(path, lat="a", lon="b")
    np.testing.assert_allclose(gdf.geometry.y, LAT)
    with pytest.raises(InputDataError, match="no coordinate columns"):
        read_points(path)


@pytest.mark.parametrize(
    ("suffix", "driver"),
    [
        (".geojson", "GeoJSON"),
        (".gpkg", "GPKG"),
        (".shp", "ESRI Shapefile"),
        (".fgb", "FlatGeobuf"),
    ],
)
def test_vector_formats_in_any_crs(tmp_path: Path, suffix: str, driver: str) -> None:
    path = tmp_path / f"p{suffix}"
    _gdf().to_crs(3035).to_file(path, driver=driver)
    gdf = read_points(path).sort_values("name")  # FlatGeobuf reorders by its spatial index
    assert gdf.crs.to_epsg() == 3035
    back = gdf.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, LON, atol=1e-7)
    np.testing.assert_allclose(back.geometry.y, LAT, atol=1e-7)


def test_geoparquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    _gdf().to_crs(3035).to_parquet(path)
    gdf = read_points(path)
    assert gdf.crs.to_epsg() == 3035
    back = gdf.to_crs(4326)
    np.testing.assert_allclose(back.geometry.x, LON, atol=1e-7)
    np.testing.assert_allclose(back.geometry.y, LAT, atol=1e-7)


def test_corrupt_geoparquet_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputDataError, match=r"p\.parquet"):
        read_points(path)


def test_polygons_are_reduced_to_representative_points_with_a_warning(tmp_path: Path) -> None:
    gdf = _gdf().to_crs(32631)
    gdf.loc[[0, 2], "geometry"] = gdf.geometry.iloc[[0, 2]].buffer(50)
    path = tmp_path / "mixed.geojson"
    gdf.to_crs(4326).to_file(path)
    with pytest.warns(UserWarning, match=r"2 non-point geometries \(2 Polygon\)"):
        out = read_points(path)
    assert (out.geom_type == "Point").all()
    assert shapely.contains(gdf.to_crs(4326).geometry.iloc[0], out.geometry.iloc[0])


def test_invalid_rows_are_refused_with_count_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("lat,lon\n52.0,4.3\n,4.3\n52.1,abc\n52.2,4.4\n52.3,inf\n")
    with pytest.raises(InputDataError, match=r"3 rows with missing or non-finite.*rows 2, 3, 5"):
        read_points(path)
    with pytest.warns(UserWarning, match="dropped 3 of 5 rows"):
        gdf = read_points(path, drop_invalid=True)
    assert list(gdf.index) == [0, 3]


def test_out_of_range_coordinates_get_a_clear_error() -> None:
    frame = pd.DataFrame({"lat": [52.0, 95.0, 51.0, 50.0], "lon": [4.0, 4.0, 200.0, 3.0]})
    with pytest.raises(InputDataError, match=r"2 rows with coordinates out of range.*rows 2, 3"):
        points_from_frame(frame)


def test_swapped_lat_lon_are_diagnosed() -> None:
    frame = pd.DataFrame({"lat": [-122.4, -122.3, -121.9], "lon": [37.7, 37.8, 37.3]})
    with pytest.raises(InputDataError, match="look swapped"):
        points_from_frame(frame)
    with pytest.raises(InputDataError, match="look swapped"):
        points_from_frame(frame, drop_invalid=True)


def test_all_problems_are_reported_at_once() -> None:
    frame = pd.DataFrame({"lat": [52.0, None, 95.0], "lon": [4.0, 4.0, 4.0]})
    with pytest.raises(InputDataError) as info:
        points_from_frame(frame)
    assert "non-finite" in str(info.value)
    assert "out of range" in str(info.value)


def test_bytes_entry_reads_csv_and_geojson(tmp_path: Path) -> None:
    csv = b"lat;lon\n52,00218;4,37347\n51,99281;4,38508\n"
    gdf = read_points_bytes(csv, filename="upload.csv")
    np.testing.assert_allclose(gdf.geometry.y, LAT[:2])
    gj = _gdf().to_json().encode()
    gdf2 = read_points_bytes(gj, filename="upload.geojson")
    np.testing.assert_allclose(gdf2.geometry.x, LON)
    _gdf().to_file(tmp_path / "a.shp")
    with pytest.raises(InputDataError, match=r"upload a shapefile as a \.zip"):
        read_points_bytes((tmp_path / "a.shp").read_bytes(), filename="a.shp")


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file"):
        read_points(tmp_path / "nope.csv")
    other = tmp_path / "a.csv"
    other.write_bytes(b"\x00\x01\x02 not a format")
    with pytest.raises(InputDataError, match="binary content of no accepted format"):
        read_points(other)


def test_the_format_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    csv = tmp_path / "points.gpkg"
    csv.write_text("lat,lon\n52.0,4.3\n")
    assert read_points(csv).geometry.y.tolist() == [52.0]
    gpkg = tmp_path / "written.gpkg"
    _gdf().to_file(gpkg, driver="GPKG")
    assert sorted(read_points(gpkg.rename(tmp_path / "points.csv"))["name"]) == [
        "campus",
        "technopolis",
        "yes",
    ]


def test_vector_file_without_crs_needs_one(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame(geometry=gpd.points_from_xy([85000.0], [446000.0])).to_file(path)
    with pytest.raises(InputDataError, match="declares no CRS"):
        read_points(path)
    gdf = read_points(path, crs="EPSG:28992")
    assert gdf.crs.to_epsg() == 28992
    assert gdf.geometry.x.iloc[0] == 85000.0


def test_malformed_geojson_names_the_file_and_the_fault(tmp_path: Path) -> None:
    bad = tmp_path / "sites.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(InputDataError, match=r"sites\.geojson: not valid JSON \(.* line 1"):
        read_points(bad)
    with pytest.raises(InputDataError, match="got 'Point'"):
        read_points_bytes(b'{"type": "Point", "coordinates": [4, 52]}', filename="p.geojson")
