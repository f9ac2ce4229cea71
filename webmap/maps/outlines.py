"""Country outlines from Natural Earth, for maps drawn with no basemap tiles.

The outlines are world-atlas's ``countries-110m.json`` (Natural Earth's 1:110m Admin 0
countries as TopoJSON), vendored from the npm registry with its licence
(``webmap/static/vendor/world-atlas/``). 1:110m rather than 1:50m: as GeoJSON the whole
world is 189 kB (62 kB gzipped) against 1.5 MB (430 kB gzipped), and the finer coastline
only shows from zoom 6, where a cluster map shows its streets instead.

The TopoJSON is decoded once per process by GDAL's TopoJSON driver (through geopandas),
never in the browser: :func:`countries_geojson` feeds the ``/basemap/countries.geojson``
route that Leaflet maps fetch, and :func:`countries` the ``/compare`` locator.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

PATH = Path(str(files("webmap"))) / "static" / "vendor" / "world-atlas" / "countries-110m.json"
#: Credit shown wherever the outlines are drawn.
CREDIT = "Country outlines: Natural Earth (public domain), via world-atlas"
#: Decimal places kept: 0.001° (about 100 m) is far finer than a 1:110m line.
DECIMALS = 3


@functools.cache
def countries() -> gpd.GeoDataFrame:
    """Every country's outline (EPSG:4326): columns ``name`` and ``geometry``."""
    frame = gpd.read_file(PATH, layer="countries")
    frame = frame.set_crs(4326, allow_override=True)
    return frame[["name", "geometry"]]


@functools.cache
def countries_geojson() -> bytes:
    """The outlines as a compact GeoJSON FeatureCollection (coordinates rounded to
    :data:`DECIMALS`), with their ``attribution``."""
    frame = countries()
    rounded = shapely.transform(frame.geometry.to_numpy(), lambda c: np.round(c, DECIMALS))
    features = [
        {"type": "Feature", "properties": {"name": name}, "geometry": shapely.geometry.mapping(g)}
        for name, g in zip(frame["name"], rounded, strict=True)
    ]
    data = {"type": "FeatureCollection", "attribution": CREDIT, "features": features}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
