"""The columnar path (geo.column_analysis) gives the measures of the GeoDataFrame path
(geo.points.read_points + geo.analysis.analyse_points) on the same file, without a geometry
per point; --where and --by match pandas filters of the same rows."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

import geo.column_analysis
from geo.analysis import analyse_points
from geo.column_analysis import analyse_file
from geo.errors import InputDataError, TooLargeError
from geo.options import AnalysisOptions
from geo.points import read_points
from geo.selection import Selection, parse_by, parse_where
from scripts.make_register import write_register
from tests.equivalence import assert_same_measures

OPTIONS = AnalysisOptions(cores=None, hex_res=8)
NAF = "activitePrincipaleEtablissement"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("register")
    csv = folder / "sirene.csv"
    parquet = folder / "sirene.parquet"
    write_register(csv, 30_000, seed=11)
    write_register(parquet, 30_000, fmt="parquet", seed=11)
    return {"csv": csv, "parquet": parquet}


def _fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any fall-back to the full reader fail the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the full reader was used")

    monkeypatch.setattr(geo.column_analysis, "full_reader", refuse)


def _same_measures(columnar: Any, reference: Any) -> None:
    a, b = columnar.to_dict(), reference.to_dict()
    assert a["warnings"] == b["warnings"]
    assert "kde" in assert_same_measures(a, b)  # every registered measure's keys
    np.testing.assert_allclose(
        columnar.surface.density_per_km2,
        reference.surface.density_per_km2,
        rtol=1e-9,
        atol=1e-12 * reference.surface.peak_per_km2,
    )
    ours = columnar.hexbin_frame()["count"].to_dict()
    theirs = reference.hexbins["count"].to_dict()
    assert ours == theirs


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_the_columnar_path_measures_what_the_geodataframe_path_does(
    register: dict[str, Path], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: dict[str, Any] = {"crs": "EPSG:2154"} if kind == "csv" else {}
    reference = analyse_points(read_points(register[kind], **read), OPTIONS)
    _fast_only(monkeypatch)
    columnar = analyse_file(register[kind], OPTIONS, read=read)
    assert columnar.crs.to_epsg() == 2154  # its own Lambert-93 stretches France less than UTM
    _same_measures(columnar, reference)


def test_lon_lat_csv_and_a_named_metric_crs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"name": [f"s{i}" for i in range(3000)], "lat": rng.normal(45.76, 0.05, 3000),
         "lon": rng.normal(4.84, 0.07, 3000)}
    )  # fmt: skip
    path = tmp_path / "lyon.csv"
    frame.to_csv(path, index=False)
    options = AnalysisOptions(cores=None, hex_res=9, area="buffer", buffer_m=500.0)
    reference = analyse_points(read_points(path), options, crs="EPSG:2154")
    _fast_only(monkeypatch)
    columnar = analyse_file(path, options, crs="EPSG:2154")
    assert columnar.crs.to_epsg() == 2154
    _same_measures(columnar, reference)


def test_files_the_fast_path_cannot_read_exactly_go_to_the_full_reader(tmp_path: Path) -> None:
    # decimal commas and Windows-1252 text: read_points reads them, and so must the path
    text = "nom;lat;lon\n" + "\n".join(
        f"café {i};45,{7600 + i * 3:05d};4,{8300 + (i * 7) % 900:04d}" for i in range(400)
    )
    path = tmp_path / "commas.csv"
    path.write_bytes(text.encode("cp1252"))
    reference = analyse_points(read_points(path), OPTIONS)
    columnar = analyse_file(path, OPTIONS)
    _same_measures(columnar, reference)


def test_dropped_rows_are_warned_about_as_read_points_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["id,lat,lon"] + [f"{i},{52 + i / 1e4},{4.3 + i / 1e4}" for i in range(300)]
    lines[5] = "4,,4.3"
    lines[50] = "49,91.5,4.3"
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="dropped 2 of 300") as old:
        reference = analyse_points(read_points(path, drop_invalid=True), OPTIONS)
    _fast_only(monkeypatch)
    with pytest.warns(UserWarning, match="dropped 2 of 300") as new:
        columnar = analyse_file(path, OPTIONS, read={"drop_invalid": True})
    assert [str(w.message) for w in new] == [str(w.message) for w in old]
    assert "dropped 2 of 300 rows with invalid coordinates (rows 5, 50)" in str(new[0].message)
    _same_measures(columnar, reference)


def test_invalid_rows_are_refused_with_read_points_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("x;y\n650000;6860000\n;6860000\n650100;99999999\n", encoding="utf-8")
    with pytest.raises(InputDataError) as old:
        read_points(path, crs="EPSG:2154")
    with pytest.raises(InputDataError) as new:
        analyse_file(path, OPTIONS, read={"crs": "EPSG:2154"})
    assert str(new.value) == str(old.value)
    assert "rows 2" in str(new.value) and "rows 3" in str(new.value)


def test_the_point_limit_stops_the_read(register: dict[str, Path]) -> None:
    with pytest.raises(TooLargeError, match=r"holds more rows than the limit of 1,000 points$"):
        analyse_file(register["csv"], OPTIONS, read={"crs": "EPSG:2154", "max_points": 1000})
    with pytest.raises(TooLargeError, match="holds 30,000 features, more than the limit"):
        analyse_file(register["parquet"], OPTIONS, read={"max_points": 1000})


def test_where_measures_the_rows_pandas_keeps(
    register: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    gdf = read_points(register["parquet"])
    keep = gdf[NAF].str.startswith("62") | gdf[NAF].isin(["58.29C"])
    reference = analyse_points(gdf[keep], OPTIONS)
    _fast_only(monkeypatch)
    selection = Selection(where=(parse_where(f"{NAF}^=62"),))
    either = analyse_file(
        register["parquet"], OPTIONS, selection=Selection(where=(parse_where(f"{NAF}^=62,58.29C"),))
    )
    only = analyse_file(register["parquet"], OPTIONS, selection=selection)
    assert only.n_points == int(gdf[NAF].str.startswith("62").sum())
    assert either.n_points == int(keep.sum()) > only.n_points
    # "=" with several values, and a prefix list, keep the same rows here
    _same_measures(either, reference)
    assert either.to_dict()["n_rows"] == 30_000


def test_no_row_passing_the_filters_is_a_one_line_error(register: dict[str, Path]) -> None:
    selection = Selection(where=(parse_where(f"{NAF}=00.00Z"),))
    with pytest.raises(InputDataError, match=r"no row passes where activite.*=00\.00Z$"):
        analyse_file(register["parquet"], OPTIONS, selection=selection)


def test_by_measures_each_division_over_the_common_study_area(register: dict[str, Path]) -> None:
    selection = Selection(by=parse_by(f"{NAF}:2"))
    result = analyse_file(register["csv"], OPTIONS, read={"crs": "EPSG:2154"}, selection=selection)
    gdf = read_points(register["csv"], crs="EPSG:2154").to_crs(result.crs)
    division = gdf[NAF].str[:2]
    counts = division.value_counts()
    by = {c.category: c for c in result.per_category}
    assert set(by) == set(counts.index)
    area_m2 = result.density.area_km2 * 1e6
    for label in ("62", "68", "01"):
        measures = by[label]
        xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])[(division == label).to_numpy()]
        assert measures.n_points == counts[label] == len(xy)
        # brute-force reference: the nearest other point of each, by a k-d tree query
        distance = cKDTree(xy).query(xy, k=2)[0][:, 1]
        mean_nn = float(distance.mean())
        expected = 0.5 / math.sqrt(len(xy) / area_m2)
        assert measures.clark_evans.mean_nn_distance_m == pytest.approx(mean_nn, rel=1e-12)
        assert measures.clark_evans.r == pytest.approx(mean_nn / expected, rel=1e-9)
        assert measures.sites_per_km2 == pytest.approx(len(xy) / result.density.area_km2)
        assert measures.surface is None
    summary = result.to_dict()["by"]
    assert summary["n_categories"] == len(counts)
    assert sum(c["n_points"] for c in summary["categories"]) == 30_000


def test_by_kde_makes_a_surface_per_category_on_request(register: dict[str, Path]) -> None:
    selection = Selection(
        where=(parse_where(f"{NAF}^=62,70"),), by=parse_by(f"{NAF}:2"), kde_by=True
    )
    result = analyse_file(register["parquet"], OPTIONS, selection=selection)
    assert [c.category for c in result.per_category] == ["62", "70"]
    for category in result.per_category:
        assert category.surface is not None
        assert category.surface.integral == pytest.approx(category.n_points, rel=1e-9)
        assert result.to_dict()["by"]["categories"][0]["kde"]["integral_sites"] > 0


def test_location_quotients_match_counts_of_h3_py_cells(register: dict[str, Path]) -> None:
    selection = Selection(where=(parse_where(f"{NAF}^=62"),))
    result = analyse_file(register["parquet"], OPTIONS, selection=selection)
    # independent reference: h3-py's cell of each row, and pandas counts
    gdf = read_points(register["parquet"]).to_crs(4326)
    cells = [
        h3.latlng_to_cell(lat, lon, 8)
        for lat, lon in zip(gdf.geometry.y, gdf.geometry.x, strict=True)
    ]
    table = pd.DataFrame({"cell": cells, "software": gdf[NAF].str.startswith("62")})
    per_cell = table.groupby("cell")["software"].agg(["sum", "size"])
    share = table["software"].mean()
    lq = result.lq
    assert lq is not None
    lq = lq.assign(h3=[h3.int_to_str(int(c)) for c in lq["cell"]]).set_index("h3")
    expected = per_cell[per_cell["sum"] > 0]
    assert set(lq.index) == set(expected.index)
    assert (lq.loc[expected.index, "count"] == expected["sum"]).all()
    assert (lq.loc[expected.index, "cell_total"] == expected["size"]).all()
    np.testing.assert_allclose(
        lq.loc[expected.index, "lq"], expected["sum"] / expected["size"] / share, rtol=1e-12
    )
    summary = result.to_dict()["location_quotients"]
    assert summary["categories"][0]["category"] == f"{NAF}^=62"
    assert summary["categories"][0]["n_significant"] == int(lq["significant"].sum()) > 0
    top = summary["categories"][0]["top_cells"][0]
    assert top["lq"] == pytest.approx(lq.loc[lq["significant"], "lq"].max())


def test_measures_with_too_few_points_keep_their_caveats(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("lat,lon\n52.0,4.3\n52.001,4.302\n52.002,4.301\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = analyse_points(read_points(path), OPTIONS).to_dict()
        columnar = analyse_file(path, OPTIONS).to_dict()
    assert columnar["caveats"] == reference["caveats"]
    assert columnar["warnings"] == reference["warnings"]
    assert columnar["clark_evans_z"] is None


@pytest.mark.parametrize(("driver", "suffix"), [("GPKG", "gpkg"), ("FlatGeobuf", "fgb")])
def test_gdal_formats_are_read_through_pyogrio_arrow(
    register: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    driver: str,
    suffix: str,
) -> None:
    gdf = read_points(register["parquet"]).iloc[:5000]
    path = tmp_path / f"points.{suffix}"
    gdf.to_crs(4326 if driver == "GeoJSON" else 2154).to_file(path, driver=driver)
    reference = analyse_points(read_points(path), OPTIONS)
    _fast_only(monkeypatch)
    selection = Selection(by=parse_by(f"{NAF}:2"))
    columnar = analyse_file(path, OPTIONS, selection=selection)
    _same_measures(columnar, reference)
    assert sum(c.n_points for c in columnar.per_category) == 5000
    with pytest.raises(TooLargeError, match="more than the limit of 100 points"):
        analyse_file(path, OPTIONS, read={"max_points": 100})


def test_geojson_is_parsed_by_python_with_the_same_measures(
    register: dict[str, Path], tmp_path: Path
) -> None:
    """GDAL never reads GeoJSON (its JSON parser and Python's can disagree on a text)."""
    gdf = read_points(register["parquet"]).iloc[:5000]
    path = tmp_path / "points.geojson"
    gdf.to_crs(4326).to_file(path, driver="GeoJSON")
    reference = analyse_points(read_points(path), OPTIONS)
    selection = Selection(by=parse_by(f"{NAF}:2"))
    columnar = analyse_file(path, OPTIONS, selection=selection)
    _same_measures(columnar, reference)
    assert sum(c.n_points for c in columnar.per_category) == 5000
    with pytest.raises(TooLargeError, match="holds 5,000 features, more than the limit of 100"):
        analyse_file(path, OPTIONS, read={"max_points": 100})


def test_non_point_geometries_go_to_the_full_reader(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    squares = [shapely.box(4.3 + i / 100, 52.0, 4.305 + i / 100, 52.005) for i in range(30)]
    path = tmp_path / "squares.gpkg"
    gpd.GeoDataFrame({"i": range(30)}, geometry=squares, crs=4326).to_file(path, driver="GPKG")
    with pytest.warns(UserWarning, match="30 non-point geometries"):
        reference = analyse_points(read_points(path), OPTIONS)
    with pytest.warns(UserWarning, match="30 non-point geometries"):
        columnar = analyse_file(path, OPTIONS)
    _same_measures(columnar, reference)


def test_cells_per_category_agree_with_h3_counted_per_category(register: dict[str, Path]) -> None:
    """Each category's cells and densest cell, grouped once, against h3-py per row."""
    by = parse_by(f"{NAF}:2")
    analysis = analyse_file(register["parquet"], OPTIONS, selection=Selection(by=by))
    gdf = read_points(register["parquet"]).to_crs(4326)
    frame = pd.DataFrame(
        {
            "category": gdf[NAF].astype("string").fillna("").str.slice(0, 2),
            "cell": [
                h3.latlng_to_cell(y, x, 8)
                for x, y in zip(gdf.geometry.x, gdf.geometry.y, strict=True)
            ],
        }
    )
    per_cell = frame.groupby(["category", "cell"]).size()
    for measures in analysis.per_category:
        counts = per_cell.loc[measures.category]
        assert measures.n_cells == len(counts)
        assert measures.max_count == counts.max()


def test_a_grouping_beyond_max_categories_stops_the_read(register: dict[str, Path]) -> None:
    selection = Selection(by=parse_by("siret"), max_categories=1_000)
    with pytest.raises(InputDataError, match="makes more categories than the limit of 1,000"):
        analyse_file(register["parquet"], OPTIONS, selection=selection)


def test_default_dense_cores_are_those_of_the_geodataframe_path_and_of_scikit_learn(
    register: dict[str, Path],
) -> None:
    """With the default cores (grid DBSCAN, eps 200 m, min_samples auto), the columnar
    path, which passes arrays, finds the cores of the GeoDataFrame path and of
    scikit-learn's DBSCAN on the same points."""
    from sklearn.cluster import DBSCAN

    options = AnalysisOptions(hex_res=None)
    columnar = analyse_file(register["csv"], options, read={"crs": "EPSG:2154"}, crs="EPSG:2154")
    gdf = read_points(register["csv"], crs="EPSG:2154")
    reference = analyse_points(gdf, options, crs="EPSG:2154")
    assert columnar.cores is not None and reference.cores is not None
    a, b = columnar.to_dict()["cores"], reference.to_dict()["cores"]
    assert a["parameters"] == b["parameters"]
    assert a["parameters"]["min_samples_rule"] == "auto"
    assert [c["n_sites"] for c in a["cores"]] == [c["n_sites"] for c in b["cores"]]
    assert a["n_noise"] == b["n_noise"] and a["n_cores"] > 1
    xy = np.column_stack([gdf.geometry.x, gdf.geometry.y])
    sklearn_labels = DBSCAN(eps=200.0, min_samples=a["parameters"]["min_samples"]).fit_predict(xy)
    assert a["n_noise"] == int((sklearn_labels == -1).sum())
    assert a["n_cores"] == len(set(sklearn_labels.tolist()) - {-1})
