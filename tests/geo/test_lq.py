"""Location quotients (geo.lq) against a case computed by hand, and the binomial flag."""

from __future__ import annotations

from math import comb

import pandas as pd
import pytest

from geo.errors import InputDataError
from geo.lq import location_quotients


def _tail(n: int, k: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed term by term."""
    return sum(comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


def test_a_hand_computed_case() -> None:
    # two cells, two sectors: 10 establishments, 4 of sector s (share 0.4)
    #   cell a: 3 s, 1 t  -> LQ(s) = (3/4) / 0.4 = 1.875, LQ(t) = (1/4) / 0.6 = 0.41666...
    #   cell b: 1 s, 5 t  -> LQ(s) = (1/6) / 0.4 = 0.41666..., LQ(t) = (5/6) / 0.6 = 1.3888...
    counts = pd.DataFrame(
        {"cell": ["a", "a", "b", "b"], "category": ["s", "t", "s", "t"], "count": [3, 1, 1, 5]}
    )
    out = location_quotients(counts)
    assert out["lq"].tolist() == pytest.approx([1.875, 5 / 12, 5 / 12, 25 / 18], rel=1e-15)
    assert out["cell_total"].tolist() == [4, 4, 6, 6]
    assert out["expected"].tolist() == pytest.approx([1.6, 2.4, 2.4, 3.6])
    # P(X >= 3 | n=4, p=0.4) = 4 * 0.4^3 * 0.6 + 0.4^4 = 0.1792: too likely to flag
    assert out["p_value"].iloc[0] == pytest.approx(0.1792, rel=1e-12)
    assert out["p_value"].iloc[3] == pytest.approx(_tail(6, 5, 0.6), rel=1e-12)
    assert not out["significant"].any()


def test_a_large_cell_with_many_of_a_rare_sector_is_significant() -> None:
    # 1,000 establishments, 20 of sector s (2 %); cell c holds 50, 9 of them s: LQ 9
    counts = pd.DataFrame(
        {"cell": ["c", "c", "d", "d"], "category": ["s", "t", "s", "t"], "count": [9, 41, 11, 939]}
    )
    out = location_quotients(counts).set_index(["cell", "category"])
    assert out.loc[("c", "s"), "lq"] == pytest.approx((9 / 50) / 0.02)
    assert out.loc[("c", "s"), "p_value"] == pytest.approx(_tail(50, 9, 0.02), rel=1e-9)
    assert out.loc[("c", "s"), "p_value"] < 1e-6
    assert bool(out.loc[("c", "s"), "significant"])
    # under-representation is never flagged: the test is one-sided
    assert not out.loc[("d", "s"), "significant"]
    # one establishment of a 1 % sector in a cell of 3 (LQ 33) passes the binomial test
    # (1 - 0.99**3 = 0.0297 < 0.05) but not the minimum count of 3: no flag
    small = pd.DataFrame({"cell": ["e", "e"], "category": ["s", "t"], "count": [1, 2]})
    totals = pd.Series({"e": 3, "f": 97})
    flagged = location_quotients(small, totals)
    assert flagged["lq"].iloc[0] == pytest.approx((1 / 3) / (1 / 100))
    assert flagged["p_value"].iloc[0] == pytest.approx(1 - 0.99**3)
    assert not flagged["significant"].iloc[0]
    # three of them in a cell of 4 are flagged: P(X >= 3 | 4, 0.01) = 3.97e-6
    three = pd.DataFrame({"cell": ["e", "e"], "category": ["s", "t"], "count": [3, 1]})
    flagged = location_quotients(three, pd.Series({"e": 4, "f": 296}))
    assert flagged["p_value"].iloc[0] == pytest.approx(_tail(4, 3, 0.01), rel=1e-9)
    assert flagged["significant"].iloc[0]


def test_the_reference_population_is_every_row_of_the_file() -> None:
    # the counts are of the filtered rows (sector s only); the totals of every row
    counts = pd.DataFrame({"cell": ["a", "b"], "category": ["s", "s"], "count": [6, 2]})
    totals = pd.Series({"a": 10, "b": 30, "c": 60})
    out = location_quotients(counts, totals)
    assert out["lq"].tolist() == pytest.approx([(6 / 10) / (8 / 100), (2 / 30) / (8 / 100)])


def test_totals_must_cover_the_counts() -> None:
    counts = pd.DataFrame({"cell": ["a"], "category": ["s"], "count": [5]})
    with pytest.raises(InputDataError, match="cell totals must cover"):
        location_quotients(counts, pd.Series({"b": 5}))
    with pytest.raises(InputDataError, match="at least each category's count"):
        location_quotients(counts, pd.Series({"a": 4}))
