"""POST /api/analyze with where, by and lq: the register options of clustermap density,
and the location-quotient layer of the upload's map."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest

from geo.column_analysis import analyse_file
from geo.options import AnalysisOptions
from geo.selection import Selection, parse_by, parse_where
from scripts.make_register import write_register

NAF = "activitePrincipaleEtablissement"


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("upload-register") / "sirene.parquet"
    write_register(path, 8_000, fmt="parquet", seed=9)
    return path


def _post(client: Any, path: Path, **params: str) -> Any:
    return client.post(
        "/api/analyze?" + urlencode(params),
        data={"file": (io.BytesIO(path.read_bytes()), path.name)},
        content_type="multipart/form-data",
    )


def test_where_by_and_lq_give_the_measures_of_the_command_line(client: Any, parquet: Path) -> None:
    response = _post(client, parquet, where=f"{NAF}^=62,70", by=f"{NAF}:2", lq="true", hex_res="8")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    selection = Selection(where=(parse_where(f"{NAF}^=62,70"),), by=parse_by(f"{NAF}:2"))
    expected = analyse_file(
        parquet, AnalysisOptions(cores=None, hex_res=8), selection=selection
    ).to_dict()
    density = body["density"]
    for key in ("n_points", "n_rows", "where", "crs", "hexbins", "location_quotients"):
        assert density[key] == expected[key], key
    assert density["clark_evans_r"] == pytest.approx(expected["clark_evans_r"], rel=1e-12)
    assert [c["category"] for c in density["by"]["categories"]] == ["62", "70"]
    assert body["proximity"]["mean_nn_distance_m"] > 0
    page = client.get(body["map"]).get_data(as_text=True)
    quotients = density["location_quotients"]["categories"]
    significant = sum(c["n_significant"] for c in quotients)
    assert significant > 0
    for category in (c["category"] for c in quotients if c["n_significant"]):
        assert f"Location quotient: {category}" in page  # its own overlay in the control
        assert f"Location quotient of {category}" in page  # and its own legend
    assert page.count(": LQ ") >= min(significant, 1)


def test_a_category_name_from_the_file_is_escaped_on_the_map(client: Any) -> None:
    rng = np.random.default_rng(3)
    evil = "<img src=x onerror=alert(1)>"
    rows = ["lat;lon;sector"]
    rows += [
        f"{48.85 + rng.normal(0, 1e-4)};{2.35 + rng.normal(0, 1e-4)};{evil}" for _ in range(40)
    ]
    rows += [
        f"{48.80 + rng.normal(0, 0.05)};{2.30 + rng.normal(0, 0.05)};other" for _ in range(400)
    ]
    response = client.post(
        "/api/analyze?" + urlencode({"by": "sector", "lq": "1"}),
        data="\n".join(rows).encode(),
        content_type="text/csv",
    )
    assert response.status_code == 201, response.get_json()
    page = client.get(response.get_json()["map"]).get_data(as_text=True)
    assert evil not in page
    # the label is escaped HTML, written inside the layer's JSON (& as \u0026)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;: LQ" in page


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"lq": "true"}, "lq needs where or by"),
        ({"where": "naf"}, "where must be COLUMN=VALUE"),
        ({"by": "nope"}, "no column named 'nope'"),
        ({"where": f"{NAF}=99.99Z"}, "no row passes"),
    ],
)
def test_bad_selections_are_400(
    client: Any, parquet: Path, params: dict[str, str], words: str
) -> None:
    response = _post(client, parquet, **params)
    assert response.status_code == 400
    assert words in response.get_json()["description"]
