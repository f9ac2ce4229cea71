"""H3 hexagonal bins."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pytest

from geo.errors import ParameterError
from geo.hexbins import hex_cells, hexbin_counts


def _points(n: int = 500, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.normal(4.38, 0.01, n)
    lat = rng.normal(52.0, 0.006, n)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def test_counts_match_h3_cell_of_each_point() -> None:
    gdf = _points()
    bins = hexbin_counts(gdf, resolution=8)
    expected: dict[str, int] = {}
    for p in gdf.geometry:
        cell = h3.latlng_to_cell(p.y, p.x, 8)
        expected[cell] = expected.get(cell, 0) + 1
    assert bins["count"].to_dict() == expected
    assert bins["count"].sum() == len(gdf)
    assert bins["count"].is_monotonic_decreasing


def test_density_is_count_over_geodesic_cell_area() -> None:
    bins = hexbin_counts(_points(), resolution=9)
    cell = bins.index[0]
    assert bins.loc[cell, "area_km2"] == pytest.approx(h3.cell_area(cell, unit="km^2"))
    np.testing.assert_allclose(bins["sites_per_km2"], bins["count"] / bins["area_km2"])
    # the polygon's projected area agrees with H3's geodesic area to 1 %
    projected = bins.to_crs(32631).area / 1e6
    np.testing.assert_allclose(projected, bins["area_km2"], rtol=0.01)


def test_each_point_lies_in_its_hexagon() -> None:
    gdf = _points(50)
    cells = hex_cells(gdf, resolution=9)
    bins = hexbin_counts(gdf, resolution=9)
    assert list(cells.index) == list(gdf.index)
    for point, cell in zip(gdf.geometry, cells, strict=True):
        assert bins.loc[cell, "geometry"].buffer(1e-9).contains(point)


def test_resolution_is_checked() -> None:
    with pytest.raises(ParameterError, match="0 to 15"):
        hexbin_counts(_points(5), resolution=16)
    with pytest.raises(ParameterError, match="integer"):
        hexbin_counts(_points(5), resolution=7.5)  # type: ignore[arg-type]
