"""Per-chunk accumulators (geo.accumulate) and the H3 helpers of geo.hexbins against
one-shot references: h3-py per point, pandas counts, every cell's area."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geo.accumulate import Categories, CellCounts, Coordinates, LonLatExtent, h3_cells
from geo.hexbins import _smallest_area_bound_km2, cell_areas_km2, max_sites_per_km2
from geo.projection import metric_crs


def test_h3ronpy_cells_are_h3_py_cells() -> None:
    rng = np.random.default_rng(1)
    lat = np.concatenate([rng.uniform(-89.9, 89.9, 20_000), [0.0, 89.99, -89.99, 51.5]])
    lon = np.concatenate([rng.uniform(-180, 180, 20_000), [179.9999, -180.0, 0.0, -0.0001]])
    for res in (0, 5, 9, 15):
        ours = h3_cells(lat, lon, res)
        theirs = [
            h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in zip(lat, lon, strict=True)
        ]
        assert ours.dtype == np.uint64
        assert ours.tolist() == theirs
    assert h3_cells(np.empty(0), np.empty(0), 9).size == 0


@pytest.mark.parametrize("with_codes", [False, True])
def test_cell_counts_summed_over_chunks_equal_one_count(
    with_codes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geo.accumulate

    monkeypatch.setattr(geo.accumulate, "_REDUCE_ROWS", 50)  # reduce many times
    rng = np.random.default_rng(2)
    cells = rng.integers(0, 300, 10_000).astype(np.uint64) + np.uint64(2**60)
    codes = (
        rng.integers(0, 4, 10_000).astype(np.int32) if with_codes else np.zeros(10_000, np.int32)
    )
    counts = CellCounts()
    for start in range(0, 10_000, 700):
        part = slice(start, start + 700)
        counts.add(cells[part], codes[part] if with_codes else None)
    got = counts.frame().set_index(["cell", "category"])["count"].sort_index()
    expected = pd.DataFrame({"cell": cells, "category": codes}).value_counts().sort_index()
    assert got.to_dict() == expected.to_dict()
    assert counts.frame()["cell"].dtype == np.uint64


def test_categories_keep_one_code_per_label_across_chunks() -> None:
    categories = Categories()
    first = categories.add(pa.array(["62", "47", "62"]))
    second = categories.add(pa.array(["01", "62", ""]))
    assert categories.names == ["62", "47", "01", ""]
    assert first.tolist() == [0, 1, 0] and second.tolist() == [2, 0, 3]
    assert categories.array().tolist() == [0, 1, 0, 2, 0, 3]


def test_coordinates_come_back_whole_and_in_order() -> None:
    coords = Coordinates()
    coords.add(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    coords.add(np.array([5.0]), np.array([6.0]))
    x, y = coords.arrays()
    assert x.tolist() == [1.0, 2.0, 5.0] and y.tolist() == [3.0, 4.0, 6.0]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ((2.0, 3.5, 2.9), (48.0, 47.5, 49.0)),  # one UTM zone
        ((-1.0, 9.0, 4.0), (42.0, 51.0, 46.0)),  # France: centre's zone
        ((179.5, -179.5, 179.9), (-17.0, -16.5, -18.0)),  # across the antimeridian
        ((10.0, 40.0, -60.0), (86.0, 88.0, 87.0)),  # near the pole
    ],
)
def test_the_extent_picks_the_metric_crs_of_the_geoseries(
    lon: tuple[float, ...], lat: tuple[float, ...]
) -> None:
    extent = LonLatExtent()
    extent.add(np.array(lon[:2]), np.array(lat[:2]))
    extent.add(np.array(lon[2:]), np.array(lat[2:]))
    series = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    assert extent.metric_crs() == metric_crs(series)


def test_no_cell_is_smaller_than_the_pentagon_bound() -> None:
    for res in (1, 2, 3):
        cells = [c for base in h3.get_res0_cells() for c in h3.cell_to_children(base, res)]
        smallest = min(h3.cell_area(c, unit="km^2") for c in cells)
        assert _smallest_area_bound_km2(res) < smallest


def test_max_density_equals_the_maximum_over_every_cell() -> None:
    rng = np.random.default_rng(3)
    lat, lon = rng.normal(48.85, 0.3, 50_000), rng.normal(2.35, 0.4, 50_000)
    cells, counts = np.unique(h3_cells(lat, lon, 9), return_counts=True)
    brute = float(np.max(counts / cell_areas_km2(cells)))
    assert max_sites_per_km2(cells, counts) == brute
    areas = [h3.cell_area(h3.int_to_str(int(c)), unit="km^2") for c in cells[:50]]
    assert cell_areas_km2(cells[:50]).tolist() == areas
    assert np.isnan(max_sites_per_km2(np.empty(0, np.uint64), np.empty(0)))


def test_h3_cells_cut_across_threads_are_the_cells_of_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geo._threads
    import geo.accumulate

    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(-60, 60, 5_001), rng.uniform(-180, 180, 5_001)
    whole = h3_cells(lat, lon, 9)
    monkeypatch.setattr(geo._threads, "THREADS", 3)
    monkeypatch.setattr(geo.accumulate, "_H3_PART", 100)
    assert h3_cells(lat, lon, 9).tolist() == whole.tolist()
    theirs = [h3.str_to_int(h3.latlng_to_cell(a, b, 9)) for a, b in zip(lat, lon, strict=True)]
    assert whole.tolist() == theirs


def test_cell_counts_held_and_summed_in_rounds_are_numpys_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cells counted when they pass a few thousand rows, and the counts summed with the
    next ones: the counts of one np.unique over every row."""
    import geo.accumulate

    monkeypatch.setattr(geo.accumulate, "_RAW_ROWS", 3_000)
    monkeypatch.setattr(geo.accumulate, "_REDUCE_ROWS", 500)
    rng = np.random.default_rng(8)
    cells = rng.integers(2**60, 2**60 + 4_000, 40_000).astype(np.uint64)
    counts = CellCounts()
    for start in range(0, len(cells), 1_234):
        counts.add(cells[start : start + 1_234])
    frame = counts.frame()
    ids, n = np.unique(cells, return_counts=True)
    assert frame["cell"].tolist() == ids.tolist()
    assert frame["count"].tolist() == n.tolist()
    assert (frame["category"] == 0).all()
