"""Uploads and named files never make the reader open another local file or a URL.

A GDAL VRT names a data source (a local file, a ``/vsicurl/`` URL) that GDAL would open on
the reader's behalf; it must be refused under any name, bare or inside a zip, through the
API and the command line, with a one-line message that never shows the source's content.
"""

from __future__ import annotations

import http.server
import io
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from geo.errors import InputDataError
from geo.points import read_points_bytes
from tests.helpers import ROOT
from webmap.commands.cli import cli

SECRET = "TOPSECRET-7f3a"
EXTENSIONS = (".gpkg", ".zip", ".fgb", ".geojson", ".csv", ".vrt", ".parquet")


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with a CSV holding the secret, and records it."""

    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = f"lat,lon,name\n52.0,4.3,{SECRET}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A URL of a server on 127.0.0.1 and the list of requests it receives."""
    requests: list[str] = []
    handler = type("Handler", (Recorder,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/points.csv", requests
    server.shutdown()
    server.server_close()


def _vrt(source: str, layer: str) -> bytes:
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="p">'
        f"<SrcDataSource>{source}</SrcDataSource><SrcLayer>{layer}</SrcLayer>"
        "<LayerSRS>EPSG:4326</LayerSRS><GeometryType>wkbPoint</GeometryType>"
        '<GeometryField encoding="PointFromColumns" x="lon" y="lat"/>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


@pytest.fixture(params=["local", "url"])
def vrt(
    request: pytest.FixtureRequest, tmp_path: Path, loopback: tuple[str, list[str]]
) -> tuple[bytes, list[str]]:
    """A VRT reading a local file or a loopback URL (both hold SECRET), and the URL's log."""
    url, requests = loopback
    if request.param == "local":
        secret = tmp_path / "secret.csv"
        secret.write_text(f"lat,lon,name\n52.0,4.3,{SECRET}\n", encoding="utf-8")
        return _vrt(str(secret), "secret"), requests
    return _vrt(f"/vsicurl/{url}", "points"), requests


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _assert_refused(status: int, text: str, requests: list[str]) -> None:
    assert status == 400, text
    assert SECRET not in text
    assert "Traceback" not in text
    assert requests == []


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_a_vrt_upload_is_refused_under_any_name(
    client: Any, vrt: tuple[bytes, list[str]], extension: str
) -> None:
    data, requests = vrt
    response = client.post(
        "/api/analyze",
        data={"file": (io.BytesIO(data), f"points{extension}")},
        content_type="multipart/form-data",
    )
    _assert_refused(response.status_code, response.get_data(as_text=True), requests)
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    assert "GDAL VRT" in body["description"] and "not accepted" in body["description"]


@pytest.mark.parametrize("member", ["points.vrt", "points.shp", "points.gpkg"])
def test_a_vrt_inside_a_zip_is_refused(
    client: Any, vrt: tuple[bytes, list[str]], member: str
) -> None:
    data, requests = vrt
    response = client.post(
        "/api/analyze",
        data={"file": (io.BytesIO(_zipped(member, data)), "points.zip")},
        content_type="multipart/form-data",
    )
    _assert_refused(response.status_code, response.get_data(as_text=True), requests)
    assert "points.zip" in response.get_json()["description"]


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_a_vrt_file_is_refused_by_the_command_line(
    tmp_path: Path, vrt: tuple[bytes, list[str]], extension: str
) -> None:
    data, requests = vrt
    path = tmp_path / f"points{extension}"
    path.write_bytes(_zipped("points.vrt", data) if extension == ".zip" else data)
    result = CliRunner().invoke(cli, ["density", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert SECRET not in result.output
    assert requests == []


def test_python_m_webmap_refuses_a_vrt_in_one_line(
    tmp_path: Path, vrt: tuple[bytes, list[str]]
) -> None:
    data, requests = vrt
    path = tmp_path / "points.gpkg"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "webmap", "density", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        f"error: {path}: XML content (such as a GDAL VRT) is not accepted; use GeoPackage, "
        "zipped shapefile, FlatGeobuf, GeoParquet, GeoJSON or CSV"
    )
    assert requests == []


def test_a_zip_of_anything_but_one_shapefile_is_refused(tmp_path: Path) -> None:
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.3], [52.0]), crs=4326)
    gdf.to_file(tmp_path / "p.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in tmp_path.glob("p.*"):
            archive.write(part, part.name)
    assert len(read_points_bytes(buffer.getvalue(), filename="p.zip")) == 1
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("extra.csv", "lat,lon\n52,4\n")
    with pytest.raises(InputDataError, match=r"exactly one shapefile .* and 'extra\.csv'"):
        read_points_bytes(buffer.getvalue(), filename="p.zip")


def test_an_sqlite_database_that_is_not_a_geopackage_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "plain.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (lat REAL, lon REAL)")
    with pytest.raises(InputDataError, match="an SQLite database that is not a GeoPackage"):
        read_points_bytes(path.read_bytes(), filename="points.gpkg")


def test_a_geopackage_view_over_a_virtualogr_table_is_refused(client: Any, tmp_path: Path) -> None:
    """SQLite's VirtualOGR module would let a GeoPackage view read any file GDAL opens."""
    import sqlite3

    import geopandas as gpd

    secret = tmp_path / "secret.csv"
    secret.write_text(f"lat,lon,name\n52.0,4.3,{SECRET}\n", encoding="utf-8")
    path = tmp_path / "evil.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([4.3], [52.0]), crs=4326).to_file(
        path, layer="pts"
    )
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA writable_schema=ON")
        db.execute(
            "INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) "
            "VALUES('table', 'ev', 'ev', 0, ?)",
            (f"CREATE VIRTUAL TABLE ev USING VirtualOGR('{secret}')",),
        )
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE VIEW pv AS SELECT pts.fid AS fid, pts.geom AS geom, "
            "(SELECT name FROM ev) AS name FROM pts"
        )
        db.execute("UPDATE gpkg_contents SET table_name = 'pv', identifier = 'pv'")
        db.execute("UPDATE gpkg_geometry_columns SET table_name = 'pv'")
    response = client.post(
        "/api/analyze",
        data={"file": (io.BytesIO(path.read_bytes()), "evil.gpkg")},
        content_type="multipart/form-data",
    )
    _assert_refused(response.status_code, response.get_data(as_text=True), [])
    assert "holds the virtual table 'ev'" in response.get_json()["description"]


def test_a_vrt_study_area_is_refused(tmp_path: Path, vrt: tuple[bytes, list[str]]) -> None:
    data, requests = vrt
    points = tmp_path / "points.csv"
    points.write_text("lat,lon\n52.0,4.3\n52.01,4.31\n52.02,4.29\n", encoding="utf-8")
    area = tmp_path / "area.gpkg"
    area.write_bytes(data)
    result = CliRunner().invoke(cli, ["density", str(points), "--area", str(area)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: study area {area}: XML content")
    assert result.output.count("\n") == 1 and SECRET not in result.output
    assert requests == []


def test_gdal_runs_with_its_network_file_systems_shut(loopback: tuple[str, list[str]]) -> None:
    """A second line of defence: even a path GDAL is asked to open makes no request."""
    import pyogrio

    from geo.formats import GDAL_CONFIG

    url, requests = loopback
    pyogrio.set_gdal_config_options(GDAL_CONFIG)
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(f"/vsicurl/{url}")
    assert requests == []


def test_a_url_ending_in_the_allowed_extension_after_a_hash_makes_no_request(
    loopback: tuple[str, list[str]],
) -> None:
    """The extension check ignores what follows ``#``: the dead proxy still stops it."""
    import pyogrio

    from geo.points import restrict_drivers

    url, requests = loopback
    restrict_drivers()
    with pytest.raises(pyogrio.errors.DataSourceError), pytest.warns(RuntimeWarning):
        pyogrio.read_info(f"/vsicurl/{url}#.clustermap-no-network")
    assert requests == []


def test_no_vsi_path_reaches_gdal() -> None:
    from geo.formats import gdal_source

    source = gdal_source(Path("/vsicurl/http://127.0.0.1/p.shp"), kind="shp", name="p")
    with pytest.raises(InputDataError, match="GDAL virtual file systems are not read"), source:
        pass
