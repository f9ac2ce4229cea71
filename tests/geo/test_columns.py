"""The chunked reader (geo.columns): CSV text parsed block by block, one block ahead of the
caller in a second thread, against pandas reading the whole file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geo.columns
from geo.columns import NeedsFullReader, open_columns


def _csv(path: Path, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "name": [f"site {i}" for i in range(n)],
            "lat": np.round(rng.uniform(51.9, 52.1, n), 7),
            "lon": np.round(rng.uniform(4.3, 4.4, n), 7),
        }
    )
    frame.to_csv(path, index=False, sep=";")
    return frame


def test_small_blocks_read_ahead_give_every_row_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geo.columns, "_BLOCK_BYTES", 1_000)  # some 30 rows a block
    path = tmp_path / "sites.csv"
    frame = _csv(path, 5_000)
    chunks = list(open_columns(path, columns=["name"]).chunks())
    assert len(chunks) > 100
    assert np.array_equal(np.concatenate([c.x for c in chunks]), frame["lon"].to_numpy())
    assert np.array_equal(np.concatenate([c.y for c in chunks]), frame["lat"].to_numpy())
    names = [v for c in chunks for v in c.values["name"].to_pylist()]
    assert names == frame["name"].tolist()
    done = [c.bytes_read for c in chunks]
    assert done == sorted(done) and done[-1] == path.stat().st_size


def test_a_ragged_row_in_a_late_block_hands_the_file_to_the_full_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geo.columns, "_BLOCK_BYTES", 1_000)
    path = tmp_path / "ragged.csv"
    _csv(path, 2_000)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("late;52.0;4.35;extra\n")
    chunks = open_columns(path).chunks()
    rows = sum(len(next(chunks).x) for _ in range(10))  # the first blocks are read
    assert rows > 0
    with pytest.raises(NeedsFullReader):
        list(chunks)
