"""JSON text of results (geo.jsonable): the same values as json.dumps, records a line each."""

from __future__ import annotations

import json

from geo.jsonable import json_text


def test_json_text_reads_back_as_the_value_with_records_one_a_line() -> None:
    value = {
        "n": 3,
        "name": 'Café "Zuid"\n</script>',
        "empty": [],
        "none": {},
        "kde": {"kernel": "gaussian", "bandwidth_m": 250.5},
        "ids": [1, 2, 3],
        "nested": [[1, 2], [3]],
        "cores": [{"core": 0, "n_sites": 12, "area_km2": 0.25}, {"core": 1, "tags": ["a"]}],
        "missing": None,
    }
    text = json_text(value)
    assert json.loads(text) == value
    lines = text.splitlines()
    assert '    {"core": 0, "n_sites": 12, "area_km2": 0.25},' in lines
    assert '  "ids": [1, 2, 3],' in lines
    # an object that is no record is laid out as json.dumps(indent=2) lays it out
    assert '  "kde": {' in lines
    assert '    "kernel": "gaussian",' in lines
    assert text.startswith("{\n") and text.endswith("\n}")
    assert "Café" in text  # not escaped to ASCII


def test_json_text_of_scalars_and_empty_containers_is_json_dumps() -> None:
    for value in (1, 2.5, "é", None, True, [], {}):
        assert json_text(value) == json.dumps(value, ensure_ascii=False)
