"""The radix sort of non-negative integers against numpy's stable argsort."""

from __future__ import annotations

import numpy as np
import pytest

from geo._sorting import stable_order


@pytest.mark.parametrize("high", [1, 300, 2**16, 2**16 + 1, 2**40, 2**62])
def test_stable_order_equals_numpys_stable_argsort(high: int) -> None:
    rng = np.random.default_rng(high % 1000)
    key = rng.integers(0, high, 20_000, dtype=np.int64)
    key[::7] = key[0]  # many ties: their order must be kept
    np.testing.assert_array_equal(stable_order(key), np.argsort(key, kind="stable"))


def test_stable_order_of_nothing_and_of_one() -> None:
    assert stable_order(np.zeros(0, dtype=np.int64)).tolist() == []
    assert stable_order(np.array([5])).tolist() == [0]
