"""geo.tiles: counts equal a brute-force count of the projected points on every tile
tested, points keep their labels, tiles decode with mapbox-vector-tile, and the on-disk
index is reused for the same bytes and rebuilt for others."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pyproj
import pytest

from geo.errors import ParameterError
from geo.tiles import (
    CELLS,
    HALF_WORLD_M,
    LABEL_CHARS,
    MAX_ZOOM,
    POINT_LIMIT,
    PointIndex,
    build_index,
    check_tile,
    tile_content,
    tile_mvt,
)

WIDTH = 2 * HALF_WORLD_M


def _world(mx: np.ndarray, my: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The documented world coordinates u, v in [0, 1) (v from the north)."""
    return (mx + HALF_WORLD_M) / WIDTH, (HALF_WORLD_M - my) / WIDTH


def _in_tile(u: np.ndarray, v: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    """Brute force: the points with x <= u 2^z < x + 1 and y <= v 2^z < y + 1."""
    su, sv = u * 2.0**z, v * 2.0**z
    return (su >= x) & (su < x + 1) & (sv >= y) & (sv < y + 1)


def _exact_metres(k: np.ndarray, z: int, *, north: bool) -> np.ndarray:
    """Metres whose world coordinate times 2^z is exactly the integer ``k`` (a tile
    border): the nearest float found within a few ulps of ``k / 2^z``."""
    target = k / 2.0**z
    metres = HALF_WORLD_M - target * WIDTH if north else target * WIDTH - HALF_WORLD_M
    for _ in range(8):
        world = (HALF_WORLD_M - metres) / WIDTH if north else (metres + HALF_WORLD_M) / WIDTH
        low = world < target
        if not (world != target).any():
            break
        step = np.where(low != north, np.inf, -np.inf)
        metres = np.where(world == target, metres, np.nextafter(metres, step))
    return metres


def _register(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in Web Mercator metres: dense towns, a sparse country, and points placed
    exactly on tile corners at several zooms (the last 40 at zoom 18)."""
    centres = rng.uniform([-5e5, 5.0e6], [9e5, 6.5e6], size=(12, 2))
    town = rng.integers(0, len(centres), size=n)
    mx = centres[town, 0] + rng.normal(0, 3000, n)
    my = centres[town, 1] + rng.normal(0, 3000, n)
    edges_x, edges_y = [], []
    for z in (3, 8, 12, 15, 18):
        tx = np.floor((mx[:40] + HALF_WORLD_M) / WIDTH * 2.0**z)
        ty = np.floor((HALF_WORLD_M - my[:40]) / WIDTH * 2.0**z)
        edges_x.append(_exact_metres(tx, z, north=False))
        edges_y.append(_exact_metres(ty, z, north=True))
    return np.concatenate([mx, *edges_x]), np.concatenate([my, *edges_y])


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A CSV in EPSG:3857 (so the metres are the file's own), its index, and the points."""
    rng = np.random.default_rng(22)
    mx, my = _register(rng, 60_000)
    labels = np.array([f"firm {i} " + "x" * (i % 90) for i in range(len(mx))])
    categories = rng.choice(["56.10A", "62.01Z", "47.11B"], size=len(mx))
    folder = tmp_path_factory.mktemp("tiles")
    path = folder / "register.csv"
    lines = ["x;y;name;category"] + [
        f"{x!r};{y!r};{label};{cat}"
        for x, y, label, cat in zip(mx.tolist(), my.tolist(), labels, categories, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    index = build_index(path, crs="EPSG:3857", cache_dir=folder / "cache")
    return {"index": index, "mx": mx, "my": my, "labels": labels, "categories": categories}


def _random_tiles(u: np.ndarray, v: np.ndarray, rng: np.random.Generator, k: int) -> list:
    """Tiles holding a random point at a random zoom, the world tile and one empty tile."""
    tiles = [(0, 0, 0), (2, 0, 3)]
    for i in rng.integers(0, len(u), size=k):
        z = int(rng.integers(0, MAX_ZOOM + 1))
        tiles.append((z, int(u[i] * 2.0**z), int(v[i] * 2.0**z)))
    return tiles


def test_the_points_on_tile_borders_are_exactly_on_them(points: dict) -> None:
    """The fixture puts points on borders (else the border tests would prove nothing)."""
    u, v = _world(points["mx"], points["my"])
    on_border = (u * 2.0**12 == np.floor(u * 2.0**12)) & (v * 2.0**12 == np.floor(v * 2.0**12))
    assert on_border.sum() >= 20


def test_every_tile_counts_the_points_inside_its_half_open_bounds(points: dict) -> None:
    index: PointIndex = points["index"]
    u, v = _world(points["mx"], points["my"])
    assert index.count == len(u)
    rng = np.random.default_rng(5)
    seen_cells = seen_points = 0
    for z, x, y in _random_tiles(u, v, rng, 150):
        content = tile_content(index, z, x, y)
        inside = _in_tile(u, v, z, x, y)
        assert content.total == int(inside.sum()), (z, x, y)
        seen_cells += content.cells
        seen_points += not content.cells and content.total > 0
    assert seen_cells > 10 and seen_points > 10


def test_the_four_tiles_around_a_border_point_share_its_count_once(points: dict) -> None:
    """A point on a corner belongs to the tile east and south of it, not to the others."""
    index: PointIndex = points["index"]
    u, v = _world(points["mx"], points["my"])
    z = 18
    corners = np.flatnonzero((u * 2.0**z % 1 == 0) & (v * 2.0**z % 1 == 0))
    assert len(corners) >= 30
    for i in corners:
        x, y = int(u[i] * 2.0**z), int(v[i] * 2.0**z)
        counts = [
            tile_content(index, z, x + dx, y + dy).total
            for dx in (-1, 0)
            for dy in (-1, 0)
            if x + dx >= 0 and y + dy >= 0
        ]
        brute = [
            int(_in_tile(u, v, z, x + dx, y + dy).sum())
            for dx in (-1, 0)
            for dy in (-1, 0)
            if x + dx >= 0 and y + dy >= 0
        ]
        assert counts == brute


def test_the_sum_over_a_tiles_four_children_is_its_count(points: dict) -> None:
    index: PointIndex = points["index"]
    u, v = _world(points["mx"], points["my"])
    for z, x, y in _random_tiles(u, v, np.random.default_rng(9), 40):
        if z == MAX_ZOOM:
            continue
        children = sum(
            tile_content(index, z + 1, 2 * x + dx, 2 * y + dy).total
            for dx in (0, 1)
            for dy in (0, 1)
        )
        assert children == tile_content(index, z, x, y).total


def test_cells_count_the_points_of_each_64th_of_the_tile(points: dict) -> None:
    """Each cell's count is the brute-force count of its square, and its centroid lies in it."""
    index: PointIndex = points["index"]
    u, v = _world(points["mx"], points["my"])
    checked = 0
    for z, x, y in _random_tiles(u, v, np.random.default_rng(3), 60):
        content = tile_content(index, z, x, y)
        if not content.cells:
            continue
        inside = _in_tile(u, v, z, x, y)
        cu = np.floor((u[inside] * 2.0**z - x) * CELLS).astype(int)
        cv = np.floor((v[inside] * 2.0**z - y) * CELLS).astype(int)
        brute = Counter(zip(cu.tolist(), cv.tolist(), strict=True))
        step = 4096 // CELLS
        ours = Counter()
        for px, py, count in zip(content.x, content.y, content.counts, strict=True):
            ours[(int(px) // step, int(py) // step)] += int(count)
        assert ours == brute
        checked += 1
    assert checked > 5


def test_a_point_tile_gives_each_point_its_position_label_and_category(points: dict) -> None:
    index: PointIndex = points["index"]
    u, v = _world(points["mx"], points["my"])
    checked = 0
    for z, x, y in _random_tiles(u, v, np.random.default_rng(4), 60):
        content = tile_content(index, z, x, y)
        if content.cells or not content.total:
            continue
        inside = _in_tile(u, v, z, x, y)
        px = np.floor((u[inside] * 2.0**z - x) * 4096).astype(int)
        py = np.floor((v[inside] * 2.0**z - y) * 4096).astype(int)
        labels = [label[:LABEL_CHARS] for label in points["labels"][inside]]
        categories = points["categories"][inside].tolist()
        brute = sorted(zip(px.tolist(), py.tolist(), labels, categories, strict=True))
        assert content.labels is not None and content.categories is not None
        ours = sorted(
            zip(
                content.x.tolist(),
                content.y.tolist(),
                content.labels,
                content.categories,
                strict=True,
            )
        )
        assert ours == brute
        assert content.total <= POINT_LIMIT
        checked += 1
    assert checked > 5


def test_a_tile_decodes_with_mapbox_vector_tile(points: dict) -> None:
    """An independent decoder reads the features, their tile positions and properties."""
    index: PointIndex = points["index"]
    u, v = _world(points["mx"], points["my"])
    for z, x, y in _random_tiles(u, v, np.random.default_rng(8), 20):
        content = tile_content(index, z, x, y)
        data = tile_mvt(index, z, x, y)
        if not content.total:
            assert data == b""
            continue
        layer = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["points"]
        assert layer["extent"] == 4096
        features = layer["features"]
        assert sum(f["properties"]["count"] for f in features) == int(_in_tile(u, v, z, x, y).sum())
        decoded = sorted(
            (*f["geometry"]["coordinates"], f["properties"].get("label", "")) for f in features
        )
        expected = sorted(
            zip(
                content.x.tolist(),
                content.y.tolist(),
                content.labels or [""] * len(content.x),
                strict=True,
            )
        )
        assert [tuple(d) for d in decoded] == expected
        assert all(f["geometry"]["type"] == "Point" for f in features)


def test_a_lon_lat_file_is_projected_to_web_mercator(tmp_path: Path) -> None:
    """Counts against pyproj's own projection of the same degrees."""
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(4.2, 4.5, 3000), rng.uniform(51.9, 52.1, 3000)
    path = tmp_path / "shops.csv"
    pairs = zip(lon.tolist(), lat.tolist(), strict=True)
    rows = [f"{a!r},{b!r},shop {i}" for i, (a, b) in enumerate(pairs)]
    path.write_text("lon,lat,name\n" + "\n".join(rows) + "\n")
    index = build_index(path, cache_dir=tmp_path / "cache")
    mx, my = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    u, v = _world(np.asarray(mx), np.asarray(my))
    for z, x, y in _random_tiles(u, v, np.random.default_rng(2), 40):
        assert tile_content(index, z, x, y).total == int(_in_tile(u, v, z, x, y).sum())
    west, south, east, north = index.bounds
    assert west <= lon.min() and lon.max() <= east and south <= lat.min() and lat.max() <= north
    assert index.label_column == "name" and index.category_column is None


def test_the_index_is_reused_for_the_same_bytes_and_rebuilt_for_others(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("lon,lat\n4.36,52.01\n4.37,52.02\n")
    cache = tmp_path / "cache"
    first = build_index(path, cache_dir=cache)
    stamp = first.path.stat().st_mtime_ns
    second = build_index(path, cache_dir=cache)
    assert first.built and not second.built
    assert second.path == first.path and second.path.stat().st_mtime_ns == stamp
    path.write_text("lon,lat\n4.36,52.01\n4.37,52.02\n4.38,52.03\n")
    third = build_index(path, cache_dir=cache)
    assert third.built and third.path != first.path and third.count == 3
    assert sorted(p.name for p in (cache / "points").iterdir()) == sorted(
        [first.path.name, third.path.name]
    )  # no temporary file left behind


@pytest.mark.parametrize(
    ("z", "x", "y"), [(-1, 0, 0), (MAX_ZOOM + 1, 0, 0), (3, 8, 0), (3, 0, 8), (0, 1, 0)]
)
def test_a_tile_outside_the_pyramid_is_refused(z: int, x: int, y: int) -> None:
    with pytest.raises(ParameterError):
        check_tile(z, x, y)
