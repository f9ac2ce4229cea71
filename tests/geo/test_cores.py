"""Dense cores against scikit-learn."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from sklearn.cluster import DBSCAN, HDBSCAN

from geo._errors import ParameterError
from geo.cores import dense_cores

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


def test_dbscan_labels_equal_scikit_learn_on_lonlat_input() -> None:
    xy = _xy()
    result = dense_cores(_gdf(xy).to_crs(4326), eps_m=150, min_samples=5, crs="EPSG:32631")
    expected = DBSCAN(eps=150, min_samples=5).fit_predict(xy)
    np.testing.assert_array_equal(result.labels.to_numpy(dtype=int), expected)
    assert result.n_noise == int((expected == -1).sum())
    assert len(result.cores) == 3


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
    np.testing.assert_array_equal(result.labels.to_numpy(dtype=int), expected)


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
