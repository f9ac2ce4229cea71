"""POST /api/analyze above the inline limit: the body is spooled to disk, measured in
columns in the cage, and its every point mapped through the analysis's vector tiles; the
spool limit, the formats refused, expiry and hostile files."""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pyproj
import pytest

from geo.errors import TooLargeError
from scripts.hostile_files import parquet_long_labels
from scripts.make_register import write_register
from tests.helpers import DATA
from webmap import create_app
from webmap.api.analysis_db import AnalysisStore
from webmap.api.spool import CHUNK_BYTES, spool_body
from webmap.web.upload_store import STORE_KEY

INLINE = 64 * 1024
SPOOL = 4 * 1024 * 1024
REGISTER_ARGS = {"x": "x", "y": "y", "crs": "EPSG:2154"}


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SIRENE-shaped register of about 1 MB (far above the 64 KB inline limit)."""
    path = tmp_path_factory.mktemp("spool") / "sirene.csv"
    write_register(path, 13_000, seed=5)
    assert 900_000 < path.stat().st_size < SPOOL
    return path


@pytest.fixture
def spool_app(tmp_path: Path) -> Any:
    return create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "NETWORK_CACHE_DIR": str(tmp_path / "cache"),
            "MAX_CONTENT_LENGTH": INLINE,
            "UPLOAD_SPOOL_BYTES": SPOOL,
            "UPLOAD_SPOOL_MEMORY_BYTES": 1024 * 1024 * 1024,
        }
    )


def _files(app: Any) -> list[Path]:
    folder = app.extensions[STORE_KEY].files_dir
    return sorted(folder.rglob("*")) if folder.exists() else []


def _post(client: Any, body: bytes, content_type: str = "text/csv", **args: str) -> Any:
    return client.post(
        "/api/analyze?" + urlencode(args), data=body, headers={"Content-Type": content_type}
    )


def test_a_spooled_register_has_the_measures_of_the_in_memory_path(
    spool_app: Any, client: Any, register: Path
) -> None:
    body = register.read_bytes()
    spooled = _post(spool_app.test_client(), body, **REGISTER_ARGS)
    assert spooled.status_code == 201, spooled.get_json()
    inline = _post(client, body, **REGISTER_ARGS)  # the default app: 20 MB inline
    assert inline.status_code == 201, inline.get_json()
    got, expected = spooled.get_json()["density"], inline.get_json()["density"]
    assert got["n_points"] == expected["n_points"] == 13_000
    assert got["crs"] == expected["crs"]
    for key in ("area_km2", "sites_per_km2", "clark_evans_r"):
        assert got[key] == pytest.approx(expected[key], rel=1e-9), key
    assert got["kde"]["peak_sites_per_km2"] == pytest.approx(
        expected["kde"]["peak_sites_per_km2"], rel=1e-6
    )
    near, far = spooled.get_json()["proximity"], inline.get_json()["proximity"]
    for key in ("mean_nn_distance_m", "median_nn_distance_m", "max_nn_distance_m"):
        assert near[key] == pytest.approx(far[key], rel=1e-9), key
    # only the tile index is kept: the upload itself is deleted once measured
    kept = [p.name for p in _files(spool_app) if p.is_file()]
    assert len(kept) == 1 and kept[0].endswith(".arrow")


def test_the_analysis_tiles_count_every_point_inside_them(spool_app: Any, register: Path) -> None:
    client = spool_app.test_client()
    answer = _post(client, register.read_bytes(), **REGISTER_ARGS).get_json()
    doc = client.get(answer["map"] + "/tiles.json").get_json()
    assert doc["tilejson"] == "3.0.0" and doc["description"] == "13,000 points"
    template = doc["tiles"][0].replace("http://localhost", "")
    frame = pd.read_csv(register, sep=";", usecols=["x", "y"])
    to_mercator = pyproj.Transformer.from_crs(2154, 3857, always_xy=True)
    mx, my = to_mercator.transform(frame["x"].to_numpy(), frame["y"].to_numpy())
    half = 20037508.342789244
    u, v = (np.asarray(mx) + half) / (2 * half), (half - np.asarray(my)) / (2 * half)
    rng = np.random.default_rng(1)
    for i in rng.integers(0, len(u), size=10):
        z = int(rng.integers(3, 16))
        x, y = int(u[i] * 2**z), int(v[i] * 2**z)
        response = client.get(template.format(z=z, x=x, y=y))
        assert response.status_code == 200
        tile = mapbox_vector_tile.decode(gzip.decompress(response.data))
        counted = sum(f["properties"]["count"] for f in tile["points"]["features"])
        su, sv = u * 2.0**z, v * 2.0**z
        brute = (su >= x) & (su < x + 1) & (sv >= y) & (sv < y + 1)
        assert counted == int(brute.sum()), (z, x, y)
    page = client.get(answer["map"]).get_data(as_text=True)
    assert "L.vectorGrid.protobuf" in page and "/tiles/{z}/{x}/{y}.mvt" in page


def test_a_body_above_the_spool_limit_answers_413_and_leaves_no_file(spool_app: Any) -> None:
    body = b"lat,lon\n" + b"52.0,4.35\n" * (SPOOL // 10 + 1)
    response = _post(spool_app.test_client(), body)
    assert response.status_code == 413
    assert "UPLOAD_SPOOL_BYTES" in response.get_json()["description"]
    assert f"{SPOOL:,}" in response.get_json()["description"]
    assert _files(spool_app) == []


class _Endless(io.RawIOBase):
    """A request stream of unknown length that never ends, counting the bytes read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = CHUNK_BYTES if size is None or size < 0 else size
        self.read_bytes += size
        return b"1" * size


def test_spooling_stops_at_the_limit_without_reading_or_writing_the_whole_body(
    tmp_path: Path,
) -> None:
    stream = _Endless()
    with pytest.raises(TooLargeError, match="UPLOAD_SPOOL_BYTES"):
        spool_body(stream, tmp_path, limit=3 * CHUNK_BYTES)  # type: ignore[arg-type]
    assert stream.read_bytes <= 4 * CHUNK_BYTES
    assert list(tmp_path.iterdir()) == []  # the partial file and its folder are gone


def test_a_geojson_above_the_inline_limit_is_413_naming_both_limits(spool_app: Any) -> None:
    features = ",".join(
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[4.35,52.0]}}'
        for _ in range(2_000)
    )
    body = ('{"type":"FeatureCollection","features":[' + features + "]}").encode()
    assert len(body) > INLINE
    response = _post(spool_app.test_client(), body, "application/geo+json")
    assert response.status_code == 413
    text = response.get_json()["description"]
    assert "MAX_CONTENT_LENGTH" in text and "UPLOAD_SPOOL_BYTES" in text
    assert "CSV or GeoParquet" in text
    assert _files(spool_app) == []


def test_a_multipart_form_above_the_inline_limit_is_413(spool_app: Any, register: Path) -> None:
    head = b"".join(register.read_bytes().splitlines(keepends=True)[:2_500])  # 190 KB
    assert len(head) > INLINE  # under Werkzeug's 500 KB: the test client keeps it in memory
    response = spool_app.test_client().post(
        "/api/analyze?" + urlencode(REGISTER_ARGS),
        data={"file": (io.BytesIO(head), "sirene.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "MAX_CONTENT_LENGTH" in response.get_json()["description"]
    assert _files(spool_app) == []


def test_a_spooled_analysis_expires_with_its_files(spool_app: Any, register: Path) -> None:
    client = spool_app.test_client()
    answer = _post(client, register.read_bytes(), **REGISTER_ARGS).get_json()
    assert client.get(answer["map"] + "/tiles/5/16/11.mvt").status_code == 200
    assert _files(spool_app)
    store = spool_app.extensions[STORE_KEY]
    later = AnalysisStore(
        store.path, ttl_seconds=store.ttl_seconds, clock=lambda: time.time() + 2 * store.ttl_seconds
    )
    later.expire()  # what the sweeper of any process sharing the folder does
    assert _files(spool_app) == []
    assert client.get(answer["map"] + "/tiles/5/16/11.mvt").status_code == 404
    assert client.get(answer["map"] + "/tiles.json").status_code == 404


def test_a_failed_spooled_upload_leaves_no_file(spool_app: Any) -> None:
    body = b"a;b\n" + b"x;y\n" * (INLINE // 4)  # no coordinate column: refused in the cage
    response = _post(spool_app.test_client(), body)
    assert response.status_code in (400, 422), response.get_json()
    assert _files(spool_app) == []


def test_a_hostile_parquet_on_the_spooled_path_is_refused_by_the_cage(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(DATA),
            "NETWORK_CACHE_DIR": str(tmp_path / "cache"),
            "MAX_CONTENT_LENGTH": INLINE,
            "UPLOAD_SPOOL_MEMORY_BYTES": 768 * 1024 * 1024,
        }
    )
    bomb = parquet_long_labels(200_000, chars=4_000)  # a few MB decoding to 800 MB of text
    assert INLINE < len(bomb) < 16 * 1024 * 1024
    response = _post(app.test_client(), bomb, "application/octet-stream")
    assert response.status_code == 413, response.get_json()
    assert "UPLOAD_SPOOL_MEMORY_BYTES" in response.get_json()["description"]
    assert _files(app) == []
