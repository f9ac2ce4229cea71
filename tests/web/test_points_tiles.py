"""/points/NAME: the TileJSON document, gzipped vector tiles with exact counts, the errors
of unknown names and bad tile addresses, and the POINTS setting."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import pyproj
import pytest

from scripts.make_register import write_register
from tests.helpers import DATA
from webmap import create_app
from webmap.config import ConfigError, load

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("points-web") / "sirene.csv"
    write_register(path, 20_000, seed=3)
    return path


@pytest.fixture
def served(register: Path, tmp_path: Path) -> Any:
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "NETWORK_CACHE_DIR": str(tmp_path / "cache"),
            "POINTS": [f"sirene={register}@EPSG:2154"],
        }
    )
    return app.test_client()


def _projected(register: Path) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: the register's points as world coordinates u, v, projected by pyproj."""
    import pandas as pd

    frame = pd.read_csv(register, sep=";", usecols=["x", "y"])
    to_mercator = pyproj.Transformer.from_crs(2154, 3857, always_xy=True)
    mx, my = to_mercator.transform(frame["x"].to_numpy(), frame["y"].to_numpy())
    half = 20037508.342789244
    return (np.asarray(mx) + half) / (2 * half), (half - np.asarray(my)) / (2 * half)


def test_tilejson_is_a_valid_tilejson_3_document(served: Any) -> None:
    doc = served.get("/points/sirene/tiles.json").get_json()
    for key in ("tilejson", "tiles", "minzoom", "maxzoom", "bounds", "center", "vector_layers"):
        assert key in doc, key
    assert doc["tilejson"] == "3.0.0"
    [template] = doc["tiles"]
    assert template.startswith("http://localhost/points/sirene/tiles/")
    assert template.endswith("/{z}/{x}/{y}.mvt")
    assert 0 <= doc["minzoom"] <= doc["maxzoom"] <= 30
    west, south, east, north = doc["bounds"]
    assert -10 < west < east < 12 and 40 < south < north < 52  # metropolitan France
    lon, lat, zoom = doc["center"]
    assert west <= lon <= east and south <= lat <= north and doc["minzoom"] <= zoom
    [layer] = doc["vector_layers"]
    assert layer["id"] == "points" and set(layer["fields"]) == {"count", "label", "category"}


def test_a_tile_is_a_gzipped_mvt_whose_counts_are_the_points_inside(
    served: Any, register: Path
) -> None:
    u, v = _projected(register)
    template = served.get("/points/sirene/tiles.json").get_json()["tiles"][0]
    rng = np.random.default_rng(0)
    for i in rng.integers(0, len(u), size=12):
        z = int(rng.integers(4, 16))
        x, y = int(u[i] * 2**z), int(v[i] * 2**z)
        url = template.replace("http://localhost", "").format(z=z, x=x, y=y)
        response = served.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == MVT
        assert response.headers["Content-Encoding"] == "gzip"
        tile = mapbox_vector_tile.decode(gzip.decompress(response.data))
        counted = sum(f["properties"]["count"] for f in tile["points"]["features"])
        su, sv = u * 2.0**z, v * 2.0**z
        brute = (su >= x) & (su < x + 1) & (sv >= y) & (sv < y + 1)
        assert counted == int(brute.sum()), (z, x, y)


def test_a_tile_with_no_point_answers_204(served: Any) -> None:
    response = served.get("/points/sirene/tiles/3/0/0.mvt")  # the Arctic
    assert response.status_code == 204 and response.data == b""


def test_a_tile_answers_304_to_its_etag(served: Any) -> None:
    first = served.get("/points/sirene/tiles/5/16/11.mvt")
    again = served.get(
        "/points/sirene/tiles/5/16/11.mvt", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert first.status_code == 200 and again.status_code == 304


def test_an_unknown_name_is_a_404_json_for_tiles_and_html_for_the_page(served: Any) -> None:
    for path in ("/points/nope/tiles.json", "/points/nope/tiles/1/0/0.mvt"):
        response = served.get(path)
        assert response.status_code == 404
        assert response.get_json()["code"] == "NotFound"
        assert "sirene" in response.get_json()["description"]  # names the valid ones
    page = served.get("/points/nope")
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize(
    ("address", "status"),
    [("a/0/0", 400), ("1/-1/0", 400), ("1/0/1.5", 400), ("21/0/0", 404), ("2/4/0", 404)],
)
def test_a_bad_tile_address_is_a_json_error(served: Any, address: str, status: int) -> None:
    response = served.get(f"/points/sirene/tiles/{address}.mvt")
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == ("InvalidParameterValue" if status == 400 else "NotFound")


def test_the_page_names_the_count_and_loads_the_vendored_vectorgrid(served: Any) -> None:
    html = served.get("/points/sirene").get_data(as_text=True)
    assert "20,000" in html
    assert "vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js" in html


def test_the_setting_refuses_bad_items_naming_them(tmp_path: Path) -> None:
    real = tmp_path / "a.csv"
    real.write_text("lon,lat\n4.3,52.0\n")
    for value, words in [
        ("a.csv", "is not NAME=FILE"),
        (f"a={tmp_path / 'missing.csv'}", "no such file"),
        (f"a={real},a={real}", "'a' is given twice"),
        (f"bad name={real}", "a name is"),
    ]:
        with pytest.raises(ConfigError) as caught:
            load({"POINTS": value})
        assert words in str(caught.value.problems), value


def test_the_setting_reads_its_environment_variable(tmp_path: Path) -> None:
    real = tmp_path / "a.csv"
    real.write_text("x;y\n1;2\n")
    values = load(environ={"CLUSTERMAP_POINTS": f"shops={real}@EPSG:2154, other={real}"})
    assert values["POINTS"] == {
        "shops": {"path": str(real), "crs": "EPSG:2154"},
        "other": {"path": str(real), "crs": None},
    }
    assert load({"POINTS": values["POINTS"]})["POINTS"] == values["POINTS"]  # as serve passes it
