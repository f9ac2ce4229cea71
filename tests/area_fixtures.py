"""A small synthetic street grid written as GraphML, for the named-area tests (no internet).

A 6 x 6 grid of 100 m blocks near Delft with two-way edges carrying OSMnx's attributes
(``x``, ``y``, ``length``, a ``crs`` graph attribute), and one missing block so that some
walks detour. Lengths are great-circle metres, as OSMnx computes them.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import osmnx as ox

LON0, LAT0 = 4.3500, 52.0000
DLON, DLAT = 0.0014600, 0.0008993
SIZE = 6
MISSING = ((2, 2), (2, 3))  # the block between these nodes is not a street


def grid_node(row: int, col: int) -> int:
    """Node id of the grid node at (row, col)."""
    return 500 + row * 10 + col


def grid_lonlat(row: int, col: int) -> tuple[float, float]:
    """Coordinates of a grid node."""
    return LON0 + col * DLON, LAT0 + row * DLAT


def grid_graph() -> nx.MultiDiGraph:
    """The grid as an OSMnx-like MultiDiGraph (EPSG:4326)."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for row in range(SIZE):
        for col in range(SIZE):
            lon, lat = grid_lonlat(row, col)
            graph.add_node(grid_node(row, col), x=lon, y=lat)
    for row in range(SIZE):
        for col in range(SIZE):
            for other in ((row + 1, col), (row, col + 1)):
                if max(other) >= SIZE or {(row, col), other} == set(MISSING):
                    continue
                a, b = grid_node(row, col), grid_node(*other)
                (lon1, lat1), (lon2, lat2) = grid_lonlat(row, col), grid_lonlat(*other)
                length = float(ox.distance.great_circle(lat1, lon1, lat2, lon2))
                graph.add_edge(a, b, length=length, highway="footway")
                graph.add_edge(b, a, length=length, highway="footway")
    return graph


def write_grid(folder: Path, name: str = "grid.graphml") -> Path:
    """Write the grid with ``osmnx.save_graphml`` and return its path."""
    path = folder / name
    ox.save_graphml(grid_graph(), path)
    return path
