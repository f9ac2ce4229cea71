"""Sorting and gathering helpers for large arrays."""

from __future__ import annotations

import numpy as np

__all__ = ["stable_order", "take_rows"]


def stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of non-negative integers, as a radix sort of
    16-bit digits, least significant first (numpy sorts 16-bit integers by radix in linear
    time; 32- and 64-bit ones by merging, several times slower on ten million keys).

    Examples
    --------
    >>> stable_order(np.array([70_000, 3, 70_000, 0, 3])).tolist()
    [3, 1, 4, 0, 2]
    """
    order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    top = int(key.max()) if len(key) else 0
    shift = 16
    while top >> shift:
        digit = ((key[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def take_rows(xy: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``xy[index]`` of an ``(n, 2)`` float64 array, each row gathered as one complex
    number (several times faster than numpy's fancy indexing of rows).

    Examples
    --------
    >>> take_rows(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([1, 1, 0])).tolist()
    [[2.0, 3.0], [2.0, 3.0], [0.0, 1.0]]
    """
    rows = np.ascontiguousarray(xy, dtype=np.float64).view(np.complex128).reshape(-1)
    return rows[index].view(np.float64).reshape(-1, 2)
