"""Dense cores against scikit-learn."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sklearn.cluster import DBSCAN, HDBSCAN

import geo.cores
from geo.analysis import analyse_points
from geo.cores import dense_cores
from geo.errors import ParameterError
from geo.options import AnalysisOptions

ORIGIN = np.array([500_000.0, 5_760_000.0])


def _xy(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    blobs = [rng.normal(c, 80, (60, 2)) for c in ([0, 0], [3000, 0], [0, 3000])]
    noise = rng.uniform(-2000, 5000, (40, 2))
    return np.vstack([*blobs, noise]) + ORIGIN


def _gdf(xy: np.ndarray) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    gdf.index = [f"p{i}" for i in range(len(gdf))]
    return gdf


def _same_partition(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether two labellings make the same clusters and noise (ids may differ)."""
    pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
    return len(pairs) == len(set(ours.tolist())) == len(set(theirs.tolist())) and all(
        (a == -1) == (b == -1) for a, b in pairs
    )


def test_dbscan_labels_equal_scikit_learn_on_lonlat_input() -> None:
    xy = _xy()
    result = dense_cores(_gdf(xy).to_crs(4326), eps_m=150, min_samples=5, crs="EPSG:32631")
    expected = DBSCAN(eps=150, min_samples=5).fit_predict(xy)
    assert _same_partition(result.labels.to_numpy(dtype=int), expected)
    assert result.n_noise == int((expected == -1).sum())
    assert len(result.cores) == 3


def test_cores_are_numbered_and_sorted_by_size_largest_first() -> None:
    rng = np.random.default_rng(5)
    sizes = [30, 90, 60]
    xy = np.vstack([rng.normal(c, 40, (k, 2)) for c, k in zip([0, 3000, 6000], sizes, strict=True)])
    result = dense_cores(_gdf(xy + ORIGIN), eps_m=150, min_samples=4)
    assert result.cores["n_sites"].tolist() == sorted(result.cores["n_sites"], reverse=True)
    assert result.cores.index.tolist() == [0, 1, 2]
    counts = result.labels.value_counts()
    assert [int(counts[c]) for c in result.cores.index] == result.cores["n_sites"].tolist()


def test_each_core_polygon_holds_its_members_and_reports_its_density() -> None:
    xy = _xy()
    gdf = _gdf(xy)
    result = dense_cores(gdf, eps_m=150, min_samples=5)
    for core, row in result.cores.iterrows():
        members = gdf[result.labels == core]
        assert row["n_sites"] == len(members)
        assert row.geometry.buffer(1e-6).contains(members.union_all())
        assert row["area_km2"] == pytest.approx(row.geometry.area / 1e6)
        assert row["sites_per_km2"] == pytest.approx(row["n_sites"] / row["area_km2"])


def test_hdbscan_labels_equal_scikit_learn() -> None:
    xy = _xy(1)
    result = dense_cores(_gdf(xy), method="hdbscan", eps_m=500, min_cluster_size=10, min_samples=5)
    expected = HDBSCAN(min_cluster_size=10, min_samples=5, copy=True).fit_predict(xy)
    assert _same_partition(result.labels.to_numpy(dtype=int), expected)
    assert result.cores["n_sites"].is_monotonic_decreasing


def test_hdbscan_refuses_more_points_than_it_can_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geo.cores, "MAX_HDBSCAN_POINTS", 100)
    with pytest.raises(ParameterError, match="at most 100"):
        dense_cores(_gdf(_xy()), method="hdbscan", eps_m=500, min_samples=5)


def test_auto_min_samples_is_twice_the_mean_density_over_a_disc_of_eps() -> None:
    xy = _xy(2)
    analysis = analyse_points(_gdf(xy), AnalysisOptions(eps_m=150))
    density = len(xy) / (shapely.convex_hull(shapely.multipoints(xy)).area / 1e6)
    expected = max(3, math.ceil(2 * density * math.pi * 0.15**2))
    assert analysis.cores is not None
    assert analysis.cores.parameters["min_samples"] == expected
    assert analysis.cores.parameters["min_samples_rule"] == "auto"
    reference = DBSCAN(eps=150, min_samples=expected).fit_predict(xy)
    assert _same_partition(analysis.cores.labels.to_numpy(dtype=int), reference)


def test_two_member_core_gets_an_area_and_missing_sites_get_na() -> None:
    gdf = _gdf(np.array([[0, 0], [50, 0], [5000, 5000]]) + ORIGIN)
    gdf.loc["nowhere", "geometry"] = None
    result = dense_cores(gdf, eps_m=100, min_samples=2)
    assert len(result.cores) == 1
    assert result.cores["area_km2"].iloc[0] > 0
    assert result.labels.isna().tolist() == [False, False, False, True]
    assert result.n_noise == 1


def test_bad_parameters() -> None:
    gdf = _gdf(_xy())
    with pytest.raises(ParameterError, match="eps_m"):
        dense_cores(gdf, eps_m=0, min_samples=3)
    with pytest.raises(ParameterError, match="method"):
        dense_cores(gdf, method="kmeans", eps_m=500, min_samples=3)  # type: ignore[arg-type]
