"""POST /api/analyze: uploads measured with the CLI's loader, kept for a while, then gone."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geo.analysis import analyse_points
from geo.points import read_points_bytes
from tests.helpers import DATA
from webmap import create_app
from webmap.web.upload_store import STORE_KEY, AnalysisStore


def _french_csv(n: int = 60, seed: int = 1) -> bytes:
    """A CSV as French spreadsheets write it: ';' separators, decimal commas, Latin-1."""
    rng = np.random.default_rng(seed)
    lat = 48.85 + rng.normal(0, 0.01, n)
    lon = 2.35 + rng.normal(0, 0.015, n)
    rows = ["nom;latitude;longitude"] + [
        f"Entreprise é{i};{a:.6f};{b:.6f}".replace(".", ",")
        for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    ]
    return "\n".join(rows).encode("cp1252")


def _geojson(n: int = 40) -> bytes:
    rng = np.random.default_rng(2)
    features = [
        {"type": "Feature", "properties": {"i": i},
         "geometry": {"type": "Point", "coordinates": [4.37 + rng.normal(0, 0.01),
                                                       52.0 + rng.normal(0, 0.01)]}}
        for i in range(n)
    ]  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


class Clock:
    """A settable clock for the store."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_french_csv_gives_the_measures_of_the_cli_loader(client: Any) -> None:
    data = _french_csv()
    response = client.post("/api/analyze", data=data, content_type="text/csv")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    expected = analyse_points(read_points_bytes(data, filename="upload.csv")).to_dict()
    assert body["density"]["n_points"] == 60
    assert body["density"]["sites_per_km2"] == pytest.approx(expected["sites_per_km2"])
    assert body["density"]["clark_evans_r"] == pytest.approx(expected["clark_evans_r"])
    assert body["proximity"]["mean_nn_distance_m"] > 0
    assert body["map"] == f"http://localhost/analyses/{body['token']}"
    assert response.headers["Location"] == body["map"]


def test_map_and_measures_of_an_upload_are_served(client: Any) -> None:
    body = client.post(
        "/api/analyze", data=_geojson(), content_type="application/geo+json"
    ).get_json()
    page = client.get(body["map"])
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    assert "Analysis of an upload" in html
    assert "clustermap.pointLayer(" in html and "pointlayer.js" in html
    assert client.get(body["measures"]).get_json()["density"]["n_points"] == 40


def test_multipart_file_upload_takes_its_format_from_the_name(client: Any) -> None:
    response = client.post(
        "/api/analyze?bandwidth=200&kernel=quartic&hex_res=8",
        data={"file": (io.BytesIO(_french_csv(30)), "entreprises.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    density = response.get_json()["density"]
    assert density["kde"]["kernel"] == "quartic" and density["kde"]["bandwidth_m"] == 200
    assert density["hexbins"]["resolution"] == 8


@pytest.mark.parametrize(
    ("data", "content_type", "words"),
    [
        (b"", "text/csv", "the request body is empty"),
        (b"a;b\n1;2\n", "text/csv", "no coordinate columns found"),
        (b"lat;lon\n95;2\n", "text/csv", "latitude"),
        (b"{not json", "application/geo+json", "not valid JSON"),
        (b"lat,lon\n1,2\n", "application/octet-stream", "say what the body is"),
    ],
)
def test_bad_uploads_are_400_json(client: Any, data: bytes, content_type: str, words: str) -> None:
    response = client.post("/api/analyze", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["code"] == "InvalidParameterValue"
    assert words in response.get_json()["description"]


def test_too_large_upload_is_413_json() -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "MAX_CONTENT_LENGTH": 1000,
            "UPLOAD_SPOOL_BYTES": 1000,
        }
    )
    response = app.test_client().post(
        "/api/analyze", data=_french_csv(200), content_type="text/csv"
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "RequestEntityTooLarge"


def test_default_upload_limit_is_20_mb(app: Any) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024


def test_an_upload_expires_then_answers_404(app: Any, registry: Any, tmp_path: Path) -> None:
    clock = Clock()
    app.extensions[STORE_KEY] = AnalysisStore(tmp_path / "a.sqlite3", ttl_seconds=60, clock=clock)
    client = app.test_client()
    body = client.post("/api/analyze", data=_french_csv(), content_type="text/csv").get_json()
    assert body["expires_in_s"] == 60
    clock.now += 59
    assert client.get(body["map"]).status_code == 200
    clock.now += 2
    gone = client.get(body["map"])
    assert gone.status_code == 404 and gone.content_type.startswith("text/html")
    assert client.get(body["measures"]).status_code == 404
    # never written into the registry
    assert client.get("/healthz").get_json()["registry_version"] == registry.version
    assert len(client.get("/ogc/collections/sites/items").get_json()["features"]) == len(
        registry.sites
    )


def test_an_upload_of_a_few_points_greys_out_what_they_cannot_support(client: Any) -> None:
    data = b"lat,lon\n52.00,4.37\n51.99,4.38\n52.01,4.39\n51.995,4.375\n"
    body = client.post("/api/analyze", data=data, content_type="text/csv").get_json()
    density = body["density"]
    assert density["n_points"] == 4
    assert density["clark_evans_p"] is None and "clark_evans" in density["caveats"]
    html = client.get(body["map"]).get_data(as_text=True)
    assert 'class="cm-unreliable" data-measure="clark_evans"' in html
    assert "fewer than the 20 a Clark-Evans test needs" in html
