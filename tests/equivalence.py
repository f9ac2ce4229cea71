"""Two engines' point measures compared key by key, over every registered measure.

The keys come from the registry (:func:`geo.measures.measures`), so a new measure is
compared by every equivalence test without listing it: numbers to ``rel`` (summed in
another order, they agree to rounding), everything else exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from geo.measures import measures

#: Keys of every engine's point measures that belong to no measure.
COMMON = ("n_points", "crs", "caveats")


def _close(a: Any, b: Any, rel: float, where: str) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        assert set(a) == set(b), where
        for key in a:
            _close(a[key], b[key], rel, f"{where}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, rel, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=0.0) or (a == b), (where, a, b)
    else:
        assert a == b, (where, a, b)


def compared_keys() -> list[str]:
    """The summary keys of every registered measure that engines must agree on."""
    return [k.key for m in measures() if m.compare for k in m.keys]


def assert_same_measures(
    got: Mapping[str, Any], want: Mapping[str, Any], *, rel: float = 1e-9
) -> list[str]:
    """Assert two ``PointAnalysis.to_dict()`` agree on :data:`COMMON` and on every
    registered measure's keys; return the keys compared."""
    keys = [*COMMON, *compared_keys()]
    for key in keys:
        assert key in got and key in want, key
        _close(got[key], want[key], rel, key)
    return keys
