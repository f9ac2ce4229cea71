"""geo.mvt: point layers that mapbox_vector_tile decodes to the same features."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np

from geo.mvt import encode_points


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_points_decode_to_their_positions_and_properties() -> None:
    x, y = np.array([0, 4095, 17, 17]), np.array([4095, 0, 300, 300])
    props = {"count": [1, 1, 7, 1], "label": ["a", "é ü", "7", "a"]}
    layer = _decode(encode_points(x, y, props, layer="points"))["points"]
    assert layer["extent"] == 4096
    got = [(*f["geometry"]["coordinates"], f["properties"]) for f in layer["features"]]
    assert got == [
        (0, 4095, {"count": 1, "label": "a"}),
        (4095, 0, {"count": 1, "label": "é ü"}),
        (17, 300, {"count": 7, "label": "7"}),  # the text "7" stays text, the count a number
        (17, 300, {"count": 1, "label": "a"}),
    ]


def test_many_distinct_values_and_a_large_extent_take_the_general_path() -> None:
    n = 20_000
    x, y = np.arange(n) % 8192, np.arange(n) // 3
    props = {"count": list(range(n)), "label": [f"l{i}" for i in range(n)]}
    layer = _decode(encode_points(x, y, props, layer="p", extent=8192))["p"]
    assert layer["extent"] == 8192 and len(layer["features"]) == n
    last = layer["features"][-1]
    assert last["geometry"]["coordinates"] == [(n - 1) % 8192, (n - 1) // 3]
    assert last["properties"] == {"count": n - 1, "label": f"l{n - 1}"}


def test_no_point_is_an_empty_tile() -> None:
    assert encode_points(np.array([]), np.array([]), {"count": []}, layer="points") == b""
