"""``/analyze`` (the upload form, without JavaScript) and the downloads of an analysis, each
checked against an independent computation of the same numbers."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geo.points import MAX_COLUMNS
from tests.helpers import DATA
from webmap import create_app
from webmap.api.workbench_api import PREVIEW_BYTES, option_fields

_ACCENT = "Boulangerie « Chez Zoé »"


def _french_csv(n: int = 40, *, seed: int = 3) -> bytes:
    """A French register: ``;`` separator, decimal commas, accents in labels and header."""
    rng = np.random.default_rng(seed)
    lines = ["nom;latitude;longitude;activité"]
    for i in range(n):
        lat = 48.8566 + rng.normal(scale=0.004)
        lon = 2.3522 + rng.normal(scale=0.006)
        kind = "boulangerie" if i % 3 else "épicerie"
        name = _ACCENT if i == 0 else f"Commerce n°{i}"
        lines.append(f"{name};{lat:.6f};{lon:.6f};{kind}".replace(".", ","))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _client(cache: Path, **config: Any) -> Any:
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(cache), **config}
    )
    return app.test_client()


def _upload(client: Any, data: bytes, name: str = "commerces.csv", **fields: str) -> Any:
    form = {"file": (io.BytesIO(data), name), "step": "analyse", **fields}
    return client.post("/analyze", data=form, content_type="multipart/form-data")


def test_the_form_lists_the_limits_from_the_config_and_every_option(tmp_path: Path) -> None:
    client = _client(tmp_path, MAX_CONTENT_LENGTH=3 * 1024 * 1024, MAX_UPLOAD_POINTS=12_345)
    html = client.get("/analyze").get_data(as_text=True)
    assert "3,145,728 bytes" in html and "12,345 points" in html
    assert f"{MAX_COLUMNS:,} columns" in html
    for param in option_fields():
        assert f'name="{param.name}"' in html
    assert 'name="where"' in html and 'name="by"' in html and 'name="lq"' in html
    assert 'min="0" max="15"' in html  # hex_res, from geo.options
    assert 'enctype="multipart/form-data"' in html
    assert "/analyze" in client.get("/").get_data(as_text=True)  # the nav bar


def test_a_plain_form_post_leads_with_303_to_the_analysis_page(tmp_path: Path) -> None:
    client = _client(tmp_path)
    answer = _upload(client, _french_csv(), by="activité", cores="dbscan", eps="150")
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="clark-evans-z"' in html and 'id="clark-evans-p"' in html
    assert 'id="categories"' in html and "épicerie" in html
    assert "Kept for 60 minutes" in html
    for legend in (
        "Kernel density (sites per km²)",
        "Sites per km² (hexagon)",
        "Dense cores (DBSCAN)",
        "Nearest neighbours",
    ):
        assert legend in html, legend
    sites = [int(n) for n in re.findall(r'<tr><td>\d+</td><td class="cm-num">(\d+)</td>', html)]
    assert sites and sites == sorted(sites, reverse=True)  # the dense cores, largest first
    measures = client.get(answer.headers["Location"].replace("/analyses/", "/api/analyses/"))
    cores = measures.get_json()["density"]["cores"]
    assert sum(sites) == sum(c["n_sites"] for c in cores["cores"]) > 0


def test_the_preview_shows_the_first_rows_and_the_detected_columns(tmp_path: Path) -> None:
    client = _client(tmp_path)
    data = _french_csv(n=5000)
    assert len(data) > PREVIEW_BYTES
    form = {"file": (io.BytesIO(data), "c.csv"), "step": "preview"}
    html = client.post("/analyze", data=form, content_type="multipart/form-data").get_data(
        as_text=True
    )
    assert "Chez Zoé" in html and "&laquo;" not in html  # accents survive, escaped once
    assert "<option selected>latitude</option>" in html
    assert "<option selected>longitude</option>" in html
    assert "label <code>nom</code>" in html and "category <code>activité</code>" in html
    token = html.split('name="staged" value="')[1].split('"')[0]
    answer = client.post(
        "/analyze",
        data={"staged": token, "step": "analyse", "lat": "latitude", "lon": "longitude"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    measures = client.get(answer.headers["Location"].replace("/analyses/", "/api/analyses/"))
    assert measures.get_json()["density"]["n_points"] == 5000


def test_a_bad_file_shows_the_form_again_with_its_message_escaped(tmp_path: Path) -> None:
    client = _client(tmp_path)
    hostile = b"<script>alert(1)</script>;b\n1;2\n"
    answer = _upload(client, hostile, name="<img src=x onerror=alert(1)>.csv")
    assert 400 <= answer.status_code < 500
    html = answer.get_data(as_text=True)
    assert 'role="alert"' in html and 'id="analyze-form"' in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Traceback" not in html
    empty = _upload(client, b"   ")
    assert empty.status_code == 400 and "the file is empty" in empty.get_data(as_text=True)
    stale = client.post(
        "/analyze",
        data={"staged": "A" * 24, "step": "analyse"},
        content_type="multipart/form-data",
    )
    assert stale.status_code == 400 and "choose it again" in stale.get_data(as_text=True)


def test_a_file_over_the_request_limit_shows_the_form_with_the_limit(tmp_path: Path) -> None:
    client = _client(tmp_path, MAX_CONTENT_LENGTH=2000)
    answer = _upload(client, _french_csv(n=200))
    assert answer.status_code == 413
    html = answer.get_data(as_text=True)
    assert "larger than the limit of 2,000 bytes" in html and 'id="analyze-form"' in html


def _analysed(client: Any, **fields: str) -> str:
    answer = _upload(client, _french_csv(), **fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return str(answer.headers["Location"].rsplit("/", 1)[1])


def _utm_xy(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    x, y = to_utm.transform(lon, lat)
    return np.column_stack([x, y])


def test_the_points_downloads_carry_each_points_nearest_neighbour_distance(
    tmp_path: Path,
) -> None:
    from pyproj import Geod
    from scipy.spatial import cKDTree

    client = _client(tmp_path)
    token = _analysed(client)
    geo = client.get(f"/analyses/{token}/download/points.geojson")
    assert geo.status_code == 200 and "attachment" in geo.headers["Content-Disposition"]
    features = geo.get_json()["features"]
    lon, lat = np.array([f["geometry"]["coordinates"] for f in features]).T
    got = np.array([f["properties"]["nn_distance_m"] for f in features])
    # the nearest neighbour found in UTM 31N, then its geodesic distance
    _, idx = cKDTree(_utm_xy(lat, lon)).query(_utm_xy(lat, lon), k=2)
    _, _, expected = Geod(ellps="WGS84").inv(lon, lat, lon[idx[:, 1]], lat[idx[:, 1]])
    np.testing.assert_allclose(got, expected, atol=0.05)  # coordinates kept to 1e-6°
    assert features[0]["properties"]["label"] == _ACCENT
    text = client.get(f"/analyses/{token}/download/points.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["label"] == _ACCENT
    np.testing.assert_allclose([float(r["nn_distance_m"]) for r in rows], got)


def test_the_kde_geotiff_and_the_hexagons_match_independent_counts(tmp_path: Path) -> None:
    import h3
    import rasterio

    client = _client(tmp_path)
    token = _analysed(client, hex_res="8")
    tif = client.get(f"/analyses/{token}/download/kde.tif")
    assert tif.status_code == 200 and tif.mimetype == "image/tiff"
    path = tmp_path / "kde.tif"
    path.write_bytes(tif.data)
    with rasterio.open(path) as raster:
        grid = raster.read(1).astype(float)
        cell_km2 = abs(raster.transform.a * raster.transform.e) / 1e6
        assert raster.crs.to_epsg() == 32631
    assert grid.sum() * cell_km2 == pytest.approx(40, rel=0.05)  # a density integrates to n
    hexagons = client.get(f"/analyses/{token}/download/hexagons.geojson").get_json()
    counts = {f["properties"]["h3_cell"]: f["properties"]["count"] for f in hexagons["features"]}
    points = client.get(f"/analyses/{token}/download/points.geojson").get_json()["features"]
    expected: dict[str, int] = {}
    for f in points:
        lon, lat = f["geometry"]["coordinates"]
        cell = h3.latlng_to_cell(lat, lon, 8)
        expected[cell] = expected.get(cell, 0) + 1
    assert counts == expected


def test_the_quotients_and_measures_downloads_match_a_pandas_location_quotient(
    tmp_path: Path,
) -> None:
    import h3

    client = _client(tmp_path)
    token = _analysed(client, by="activité", lq="true", hex_res="8")
    quotients = client.get(f"/analyses/{token}/download/quotients.geojson").get_json()
    measures = json.loads(client.get(f"/analyses/{token}/download/measures.json").data)
    assert measures == client.get(f"/api/analyses/{token}").get_json()
    rows = list(csv.reader(io.StringIO(_french_csv().decode()), delimiter=";"))[1:]
    cells = [h3.latlng_to_cell(float(r[1].replace(",", ".")), float(r[2].replace(",", ".")), 8)
             for r in rows]  # fmt: skip
    kinds = [r[3] for r in rows]
    for feature in quotients["features"]:
        p = feature["properties"]
        in_cell = [k for c, k in zip(cells, kinds, strict=True) if c == p["h3_cell"]]
        share = kinds.count(p["category"]) / len(kinds)
        expected = in_cell.count(p["category"]) / len(in_cell) / share
        assert p["lq"] == pytest.approx(expected)
        assert p["count"] == in_cell.count(p["category"])
    assert math.isfinite(measures["density"]["clark_evans_r"])


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<")])
def test_the_figure_downloads_are_drawn_from_the_kept_points(
    tmp_path: Path, fmt: str, magic: bytes
) -> None:
    client = _client(tmp_path)
    token = _analysed(client)
    figure = client.get(f"/analyses/{token}/figure.{fmt}")
    assert figure.status_code == 200
    assert figure.data.lstrip().startswith(magic)
    if fmt == "svg":
        assert "40 points" in figure.get_data(as_text=True)


def test_an_expired_or_unknown_analysis_has_no_downloads(tmp_path: Path) -> None:
    client = _client(tmp_path)
    token = _analysed(client)
    assert client.get(f"/analyses/{token}/download/nothing.txt").status_code == 404
    assert client.get(f"/analyses/{'B' * 24}/download/measures.json").status_code == 404
    assert client.get(f"/analyses/{'B' * 24}/figure.png").status_code == 404
