"""Location quotients per H3 cell, with a significance flag for small cells.

The location quotient of category *s* (a sector) in cell *c* is

    LQ = (count of s in c / count of all in c) / (count of s / count of all)

that is the sector's share of the cell's establishments over its share of the whole
file: above 1 the sector is over-represented in the cell. "All" is every row of the file
(the reference population), whatever ``--where`` keeps.

Small cells make large quotients by chance (one software firm among three establishments
gives LQ ≈ 17 when software is 2 % of the file). So each quotient carries an exact
one-sided **binomial test**: if the cell's ``cell_total`` establishments were drawn
independently with the file-wide share ``p_s`` of sector *s*, its count would follow
Binomial(cell_total, p_s); ``p_value`` is P(X ≥ count). The normal approximations behind
the usual LQ confidence intervals fail exactly on such small cells (Moineddin, Beyene &
Boyle 2003, "On the location quotient confidence interval", *Geographical Analysis*
35(3): 249-256); the exact test needs no minimum size. But a lone establishment of a
sector under ``alpha`` of the file passes it in a cell of one (P(X ≥ 1) = p_s), so a
flag also needs :data:`MIN_COUNT` establishments of the sector in the cell, the threshold
rule of statistical offices for publishing business counts (INSEE's *secret
statistique*: no cell of fewer than 3 units). So ``significant`` is
``lq > 1 and p_value < alpha and count >= 3``. With thousands of cells some flags are
still false positives (about ``alpha`` of the cells where the sector is not
concentrated): read them as a screen, not a proof.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import bdtrc

from geo.errors import InputDataError

__all__ = ["ALPHA", "MIN_COUNT", "location_quotients"]

#: Significance level of the binomial test.
ALPHA = 0.05
#: Fewest establishments of a category in a cell for its quotient to be flagged.
MIN_COUNT = 3


def location_quotients(
    counts: pd.DataFrame, totals: pd.Series | None = None, *, alpha: float = ALPHA
) -> pd.DataFrame:
    """Location quotient of every (cell, category) with a count, and its binomial test.

    Parameters
    ----------
    counts
        Long-form counts: columns ``cell``, ``category`` and ``count`` (rows summed over the
        chunks of a file; a (cell, category) pair may appear once only).
    totals
        Count of all rows per cell (the reference population), indexed by cell; default
        the sum of ``counts`` per cell. It must cover every cell of ``counts``.
    alpha
        Significance level of the one-sided binomial test.

    Returns
    -------
    pandas.DataFrame
        Columns ``cell``, ``category``, ``count``, ``cell_total``, ``expected`` (the count
        the file-wide share predicts: ``cell_total * p_s``), ``lq``, ``p_value`` and
        ``significant`` (``lq > 1``, ``p_value < alpha`` and ``count >= MIN_COUNT``), in
        the order of ``counts``.

    Examples
    --------
    >>> counts = pd.DataFrame({"cell": ["a", "a", "b", "b"], "category": ["s", "t", "s", "t"],
    ...                        "count": [3, 1, 1, 5]})
    >>> location_quotients(counts)["lq"].round(3).tolist()
    [1.875, 0.417, 0.417, 1.389]
    """
    if totals is None:
        totals = counts.groupby("cell", sort=False)["count"].sum()
    cell_total = counts["cell"].map(totals)
    if cell_total.isna().any() or (cell_total.to_numpy() < counts["count"].to_numpy()).any():
        msg = "the cell totals must cover every cell and be at least each category's count"
        raise InputDataError(msg)
    grand_total = float(totals.sum())
    share = counts.groupby("category", sort=False)["count"].sum() / grand_total
    p = counts["category"].map(share).to_numpy(dtype=float)
    n = cell_total.to_numpy(dtype=np.int64)
    k = counts["count"].to_numpy(dtype=np.int64)
    lq = (k / n) / p
    p_value = bdtrc(k - 1, n, p)  # P(X >= k) as scipy.stats.binom.sf computes it
    return pd.DataFrame(
        {
            "cell": counts["cell"].to_numpy(),
            "category": counts["category"].to_numpy(),
            "count": k,
            "cell_total": n,
            "expected": n * p,
            "lq": lq,
            "p_value": p_value,
            "significant": (lq > 1) & (p_value < alpha) & (k >= MIN_COUNT),
        },
        index=counts.index,
    )
