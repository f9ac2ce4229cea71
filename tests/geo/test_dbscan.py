"""The grid DBSCAN against scikit-learn's: the same core points, the same partition of
the core points into clusters, the same noise; each border point in a cluster having a
core point within eps of it (the one freedom DBSCAN leaves)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN

import geo.dbscan
from geo.dbscan import dbscan_grid
from geo.errors import ParameterError
from geo.projection import metric_crs, site_points, xy_arrays
from geo.registry import Registry

#: Lambert-93-sized coordinates: the cell arithmetic must hold far from the origin.
ORIGIN = np.array([652_000.0, 6_862_000.0])


def assert_same_as_sklearn(xy: np.ndarray, eps: float, min_samples: int) -> None:
    """The grid DBSCAN of ``xy`` equals scikit-learn's, up to the border points' choice."""
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(xy)
    got = dbscan_grid(xy, eps=eps, min_samples=min_samples)
    core = np.zeros(len(xy), dtype=bool)
    core[ref.core_sample_indices_] = True
    np.testing.assert_array_equal(got.core, core)
    np.testing.assert_array_equal(got.labels == -1, ref.labels_ == -1)
    pairs = set(zip(ref.labels_[core].tolist(), got.labels[core].tolist(), strict=True))
    assert len(pairs) == len(set(ref.labels_[core].tolist())) == got.n_clusters
    assert len(pairs) == len({mine for _, mine in pairs})  # one cluster of ours per theirs
    border = np.flatnonzero(~core & (got.labels >= 0))
    if len(border):
        tree = cKDTree(xy[core])
        cores = np.flatnonzero(core)
        for i, near in zip(border, tree.query_ball_point(xy[border], eps), strict=True):
            assert got.labels[i] in got.labels[cores[near]]
    sizes = np.bincount(got.labels[got.labels >= 0])
    assert np.all(np.diff(sizes) <= 0), "clusters are numbered by size, largest first"


def _blobs(rng: np.random.Generator, n: int, spread: float) -> np.ndarray:
    centres = rng.uniform(0, 5000, (6, 2))
    return centres[rng.integers(0, 6, n)] + rng.normal(0, spread, (n, 2)) + ORIGIN


@pytest.mark.parametrize("min_samples", [1, 2, 3, 5, 12])
@pytest.mark.parametrize("eps", [25.0, 80.0, 300.0])
def test_uniform_points_equal_scikit_learn(eps: float, min_samples: int) -> None:
    rng = np.random.default_rng(int(eps) + min_samples)
    assert_same_as_sklearn(rng.uniform(0, 3000, (1500, 2)) + ORIGIN, eps, min_samples)


@pytest.mark.parametrize("min_samples", [3, 8, 40])
def test_gaussian_blobs_equal_scikit_learn(min_samples: int) -> None:
    xy = _blobs(np.random.default_rng(min_samples), 4000, 150.0)
    assert_same_as_sklearn(xy, 60.0, min_samples)


def test_dense_blobs_join_through_the_exact_closest_pair_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cells of many core points, whose facing outermost points miss, are joined or kept
    apart by the exact test, also through its k-d tree branch."""
    monkeypatch.setattr(geo.dbscan, "_TREE_PAIRS", 50)
    monkeypatch.setattr(geo.dbscan, "_PAIRS_PER_BATCH", 500)
    rng = np.random.default_rng(7)
    rings = []
    for centre in ([0, 0], [700, 0], [0, 700]):
        angle = rng.uniform(0, 2 * np.pi, 3000)
        radius = rng.uniform(0, 400, 3000) ** 0.5 * 20
        rings.append(np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None] + centre)
    xy = np.vstack([*rings, rng.uniform(-500, 1200, (800, 2))]) + ORIGIN
    for eps in (20.0, 45.0, 90.0):
        assert_same_as_sklearn(xy, eps, 6)


def test_binary_searches_of_the_cells_equal_the_look_up_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A grid too sparse for a look-up table of its cells (forced here) finds each cell's
    neighbours by binary searches, with the same result."""
    monkeypatch.setattr(geo.dbscan, "_TABLE_CELLS_PER_POINT", 0)
    monkeypatch.setattr(geo.dbscan, "_TABLE_MIN_CELLS", 0)
    xy = _blobs(np.random.default_rng(5), 3000, 120.0)
    assert geo.dbscan._cells(xy, 60.0)[0].table is None
    for min_samples in (1, 3, 9):
        assert_same_as_sklearn(xy, 60.0, min_samples)
    step = np.arange(20) * 10.0
    assert_same_as_sklearn(np.array([(x, y) for x in step for y in step]) + ORIGIN, 10.0, 5)


def test_grid_kernels_cut_into_parts_on_every_core_equal_scikit_learn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cell keys, block sums and blocks computed in parts in threads (forced into four
    small parts here, whatever the machine) give scikit-learn's clusters."""
    import geo._threads

    monkeypatch.setattr(geo.dbscan, "_CELLS_PART", 100)
    monkeypatch.setattr(geo._threads, "THREADS", 4)
    xy = _blobs(np.random.default_rng(11), 4000, 150.0)
    for min_samples in (2, 5, 20):
        assert_same_as_sklearn(xy, 60.0, min_samples)


def test_coincident_points_are_counted_each() -> None:
    rng = np.random.default_rng(3)
    places = rng.uniform(0, 1000, (60, 2)) + ORIGIN
    xy = np.repeat(places, rng.integers(1, 6, len(places)), axis=0)
    for min_samples in (2, 3, 5, 6):
        assert_same_as_sklearn(xy, 40.0, min_samples)


@pytest.mark.parametrize("min_samples", [2, 3, 4, 5, 6])
def test_a_lattice_at_exactly_eps_counts_its_neighbours(min_samples: int) -> None:
    """Points exactly ``eps`` apart are neighbours (``<=``, as scikit-learn)."""
    step = np.arange(30) * 10.0
    lattice = np.array([(x, y) for x in step for y in step])
    assert_same_as_sklearn(lattice, 10.0, min_samples)
    assert_same_as_sklearn(lattice[::3] + ORIGIN, 10.0, min_samples)


@pytest.mark.parametrize("min_samples", [3, 5, 40])
def test_core_points_found_by_counting_neighbours_equal_scikit_learn(
    min_samples: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above ``_KTH_SAMPLES`` (forced to 0 here) the neighbours are counted: the same core
    points, at exactly eps too."""
    monkeypatch.setattr(geo.dbscan, "_KTH_SAMPLES", 0)
    step = np.arange(30) * 10.0
    lattice = np.array([(x, y) for x in step for y in step]) + ORIGIN
    assert_same_as_sklearn(lattice, 10.0, min(min_samples, 5))
    xy = _blobs(np.random.default_rng(min_samples), 4000, 150.0)
    assert_same_as_sklearn(xy, 60.0, min_samples)


def test_pairs_exactly_eps_apart_in_every_direction() -> None:
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    pairs = [
        np.array([[0.0, 0.0], [50 * np.cos(a), 50 * np.sin(a)]]) + np.array([i * 1000.0, 0])
        for i, a in enumerate(angles)
    ]
    xy = np.vstack(pairs) + ORIGIN
    got = dbscan_grid(xy, eps=50.0, min_samples=2)
    ref = DBSCAN(eps=50.0, min_samples=2).fit(xy)
    np.testing.assert_array_equal(got.labels == -1, ref.labels_ == -1)
    assert_same_as_sklearn(xy, 50.0, 2)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_tiny_inputs(n: int) -> None:
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.5], [9.0, 9.0]])[:n] + ORIGIN
    for min_samples in (1, 2, 3):
        assert_same_as_sklearn(xy, 1.5, min_samples)


def test_no_points_and_min_samples_one() -> None:
    empty = dbscan_grid(np.empty((0, 2)), eps=10, min_samples=3)
    assert empty.labels.shape == (0,) and empty.n_clusters == 0
    xy = np.random.default_rng(0).uniform(0, 100, (50, 2))
    found = dbscan_grid(xy, eps=5, min_samples=1)
    assert found.core.all() and (found.labels >= 0).all()


def test_outline_keeps_every_hull_vertex_of_each_cluster() -> None:
    import shapely

    xy = _blobs(np.random.default_rng(11), 5000, 50.0)
    found = dbscan_grid(xy, eps=80.0, min_samples=5)
    assert found.outline.sum() < (found.labels >= 0).sum() / 2  # the filter drops most
    for c in range(found.n_clusters):
        members = xy[found.labels == c]
        kept = xy[(found.labels == c) & found.outline]
        full = shapely.convex_hull(shapely.multipoints(members))
        assert shapely.convex_hull(shapely.multipoints(kept)).equals(full)


def test_registry_clusters_equal_scikit_learn(registry: Registry) -> None:
    tested = 0
    for cluster_id in registry.clusters.index:
        sites = registry.sites_of(cluster_id)
        located = sites[sites.geometry.notna() & ~sites.geometry.is_empty]
        if len(located) < 2:
            continue
        xy = xy_arrays(site_points(located, crs=metric_crs(located)))
        for eps, min_samples in ((200.0, 3), (500.0, 3), (100.0, 2), (1000.0, 5)):
            assert_same_as_sklearn(xy, eps, min_samples)
        tested += 1
    assert tested >= 3


def test_bad_parameters_are_refused() -> None:
    xy = np.zeros((3, 2))
    with pytest.raises(ParameterError, match="eps_m"):
        dbscan_grid(xy, eps=0, min_samples=3)
    with pytest.raises(ParameterError, match="min_samples"):
        dbscan_grid(xy, eps=1, min_samples=0)
    with pytest.raises(ParameterError, match="too small"):
        dbscan_grid(xy + 1e12, eps=1e-6, min_samples=2)


@st.composite
def point_sets(draw: Any) -> tuple[np.ndarray, float, int]:
    """Points on a coarse lattice (ties and exact-eps distances are likely), with some
    repeated, some scattered, and an eps and min_samples."""
    n = draw(st.integers(1, 120))
    unit = draw(st.sampled_from([1.0, 2.5, 10.0]))
    grid = draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=n, max_size=n))
    xy = np.array(grid, dtype=float) * unit
    repeats = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    xy = np.repeat(xy, repeats, axis=0) + ORIGIN
    eps = unit * draw(st.sampled_from([1.0, 1.5, 2.0, 2.2, 3.0, 5.0]))
    return xy, eps, draw(st.integers(1, 8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point_sets())
def test_random_point_sets_equal_scikit_learn(case: tuple[np.ndarray, float, int]) -> None:
    xy, eps, min_samples = case
    assert_same_as_sklearn(xy, eps, min_samples)
