"""A polygon study area measures the points inside it, in every engine, against pointpats.

A file's points spread over 40 km x 40 km with a tight group in a 1.5 km x 3 km box: with
the box as study area, Clark-Evans must see the points in the box (clustered), not the
whole file over the box's area (which once reported R = 2.99 for points whose own R is
0.27).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pointpats import PointPattern, Window
from scipy import stats

from geo.analysis import analyse_points
from geo.column_analysis import analyse_file
from geo.density import clark_evans, sites_per_km2
from geo.errors import InputDataError
from geo.options import AnalysisOptions
from geo.selection import Selection, parse_by
from webmap.commands.cli import cli

UTM = "EPSG:32631"
ORIGIN = np.array([500_000.0, 5_760_000.0])
BOX = shapely.box(504_000, 5_766_000, 505_500, 5_769_000)  # 4.5 km², inside the spread
OPTIONS = AnalysisOptions(cores=None, hex_res=8)
# pointpats builds libpysal shapes, which announce their own deprecation
PYSAL_SHAPES = pytest.mark.filterwarnings(
    "ignore:Objects based on the `Geometry` class:FutureWarning"
)


def _xy() -> np.ndarray:
    rng = np.random.default_rng(20)
    spread = rng.uniform(0, 40_000, (3_000, 2)) + ORIGIN
    group = rng.normal(0, 40, (16, 2)) + ORIGIN + [4_700, 7_500]
    return np.vstack([spread, group])


def _inside(xy: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = BOX.bounds
    return (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)


def _reference(xy: np.ndarray) -> dict[str, float]:
    """Clark-Evans of the points inside the box over the box, from pointpats."""
    with pytest.warns(FutureWarning):
        window = Window([list(BOX.exterior.coords)])
    pattern = PointPattern(xy[_inside(xy)], window=window)
    expected = 0.5 / math.sqrt(pattern.lambda_window)
    se = 0.26136 / math.sqrt(pattern.n * pattern.lambda_window)
    z = (pattern.mean_nnd - expected) / se
    return {
        "n": pattern.n,
        "area_km2": window.area / 1e6,
        "mean_nnd": pattern.mean_nnd,
        "r": pattern.mean_nnd / expected,
        "z": z,
        "p": 2 * stats.norm.sf(abs(z)),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("area")
    xy = _xy()
    lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM).to_crs(4326)
    csv = folder / "points.csv"
    kind = np.where(np.arange(len(xy)) % 2, "shop", "office")
    pd.DataFrame({"lat": lonlat.y, "lon": lonlat.x, "kind": kind}).to_csv(csv, index=False)
    area = folder / "box.gpkg"
    gpd.GeoDataFrame(geometry=[BOX], crs=UTM).to_file(area)
    return {"csv": csv, "area": area}


def _points() -> gpd.GeoDataFrame:
    xy = _xy()
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM)


@PYSAL_SHAPES
def test_clark_evans_with_a_polygon_measures_only_the_points_inside_as_pointpats() -> None:
    ref = _reference(_xy())
    area = gpd.GeoSeries([BOX], crs=UTM).to_crs(4326)  # any CRS: tested as drawn
    result = clark_evans(_points(), area=area)
    assert result.n_points == ref["n"]
    assert result.area_km2 == pytest.approx(ref["area_km2"], rel=1e-6)
    assert result.mean_nn_distance_m == pytest.approx(ref["mean_nnd"], rel=1e-9)
    assert result.clark_evans_r == pytest.approx(ref["r"], rel=1e-6)
    assert result.clark_evans_z == pytest.approx(ref["z"], rel=1e-6)
    assert result.clark_evans_r < 0.8  # the group in the box is clustered
    assert sites_per_km2(_points(), area=area).n_points == ref["n"]


@PYSAL_SHAPES
def test_in_process_analysis_leaves_the_points_outside_the_polygon_out_of_every_measure() -> None:
    ref = _reference(_xy())
    study = gpd.GeoDataFrame(geometry=[BOX], crs=UTM)
    analysis = analyse_points(_points(), OPTIONS, study_area=study)
    m = analysis.to_dict()
    assert m["n_points"] == m["n_points_in_area"] == ref["n"]
    assert m["n_outside_area"] == len(_xy()) - ref["n"]
    assert m["clark_evans_r"] == pytest.approx(ref["r"], rel=1e-9)
    assert m["clark_evans_z"] == pytest.approx(ref["z"], rel=1e-9)
    assert m["clark_evans_p"] == pytest.approx(ref["p"], rel=1e-6)
    assert m["sites_per_km2"] == pytest.approx(ref["n"] / ref["area_km2"], rel=1e-9)
    assert m["kde"]["integral_sites"] == pytest.approx(ref["n"], rel=1e-2)
    assert int(analysis.hexbins["count"].sum()) == ref["n"]


@PYSAL_SHAPES
def test_columnar_analysis_with_a_polygon_matches_pointpats_and_the_in_process_engine(
    files: dict[str, Path],
) -> None:
    ref = _reference(_xy())
    study = gpd.read_file(files["area"])
    columnar = analyse_file(
        files["csv"], OPTIONS, study_area=study, selection=Selection(by=parse_by("kind"))
    )
    m = columnar.to_dict()
    assert m["crs"] == UTM
    assert m["n_points"] == m["n_points_in_area"] == ref["n"]
    assert m["n_outside_area"] == len(_xy()) - ref["n"]
    assert m["n_rows"] == len(_xy())
    assert m["mean_nn_distance_m"] == pytest.approx(ref["mean_nnd"], rel=1e-6)
    assert m["clark_evans_r"] == pytest.approx(ref["r"], rel=1e-6)
    assert m["clark_evans_z"] == pytest.approx(ref["z"], rel=1e-6)
    assert m["hexbins"]["max_count"] <= ref["n"]
    assert int(columnar.hexbin_frame()["count"].sum()) == ref["n"]
    assert sum(c["n_points"] for c in m["by"]["categories"]) == ref["n"]
    # the location quotients' reference rows are the rows inside the area too
    assert int(columnar.lq.groupby("cell")["cell_total"].first().sum()) == ref["n"]


def test_a_polygon_holding_no_point_is_a_one_line_error(
    files: dict[str, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1_000, 1_000)], crs=UTM).to_file(empty)
    with pytest.raises(InputDataError, match="lies inside the study area"):
        analyse_file(files["csv"], OPTIONS, study_area=gpd.read_file(empty))
    with pytest.raises(InputDataError, match="lies inside the study area"):
        analyse_points(_points(), OPTIONS, study_area=gpd.read_file(empty))


@PYSAL_SHAPES
def test_density_command_with_a_polygon_says_how_many_points_are_inside(
    files: dict[str, Path],
) -> None:
    ref = _reference(_xy())
    args = ["density", str(files["csv"]), "--area", str(files["area"]), "--hex-res", "8"]
    measured = CliRunner().invoke(cli, [*args, "--json"])
    assert measured.exit_code == 0, measured.output
    m = json.loads(measured.stdout)
    assert m["area_method"] == "polygon"
    assert m["clark_evans_r"] == pytest.approx(ref["r"], rel=1e-6)
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    line = next(row for row in table.stdout.splitlines() if row.startswith("points in area"))
    assert f"{ref['n']} of {len(_xy()):,}" in line
    assert "outside" in line


def test_the_dask_engine_refuses_a_polygon_study_area_in_one_line(files: dict[str, Path]) -> None:
    args = ["density", str(files["csv"]), "--area", str(files["area"]), "--engine", "dask"]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "error: --engine dask does not take a polygon file for --area"
    )
