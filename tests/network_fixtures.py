"""A small OSM XML town split by a river, for the network tests (no internet needed).

Two banks of a 6 x 5 street grid (100 m blocks, columns 0-2 west, 3-5 east) are separated
by a river between columns 2 and 3. The only walkable crossing is a footbridge on the top
row (row 4). A motorway bridge crosses on the bottom row (row 0) but is not walkable, a
``foot=no`` service road crosses on row 2, and a building outline is not a street at all:
on foot, the two bottom river-side corners are 100 m apart in a straight line but 900 m
apart by the network.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import shapely

LON0, LAT0 = 4.3700, 51.9900
DLON = 0.0014600  # ~100 m at 52 N
DLAT = 0.0008993  # ~100 m
ROWS, COLS = 5, 6
WEST_COLS, EAST_COLS = (0, 1, 2), (3, 4, 5)
BLOCK_M = 100.0


def node_id(row: int, col: int) -> int:
    """OSM id of the grid node at (row, col)."""
    return 1000 + row * 10 + col


def lonlat(row: int, col: int) -> tuple[float, float]:
    """Coordinates of the grid node at (row, col)."""
    return LON0 + col * DLON, LAT0 + row * DLAT


def _way(way_id: int, nodes: list[int], tags: dict[str, str]) -> str:
    refs = "".join(f'<nd ref="{n}"/>' for n in nodes)
    tag_xml = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
    return f'<way id="{way_id}" version="1">{refs}{tag_xml}</way>'


def river_town_xml() -> str:
    """Return the OSM XML text of the river town."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for row in range(ROWS):
        for col in range(COLS):
            lon, lat = lonlat(row, col)
            parts.append(f'<node id="{node_id(row, col)}" version="1" lat="{lat}" lon="{lon}"/>')
    # building corners (not streets)
    building = [9001, 9002, 9003, 9004]
    for k, (dx, dy) in enumerate([(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)]):
        lon, lat = LON0 + dx * DLON, LAT0 + dy * DLAT
        parts.append(f'<node id="{building[k]}" version="1" lat="{lat}" lon="{lon}"/>')
    way_id = 100
    residential = {"highway": "residential", "name": "Street"}
    for row in range(ROWS):
        for bank in (WEST_COLS, EAST_COLS):
            parts.append(_way(way_id, [node_id(row, c) for c in bank], residential))
            way_id += 1
    for col in range(COLS):
        parts.append(_way(way_id, [node_id(r, col) for r in range(ROWS)], residential))
        way_id += 1
    parts.append(_way(way_id, [node_id(4, 2), node_id(4, 3)], {"highway": "footway"}))
    parts.append(_way(way_id + 1, [node_id(0, 2), node_id(0, 3)], {"highway": "motorway"}))
    parts.append(
        _way(way_id + 2, [node_id(2, 2), node_id(2, 3)], {"highway": "service", "foot": "no"})
    )
    parts.append(_way(way_id + 3, [*building, building[0]], {"building": "yes"}))
    parts.append("</osm>")
    return "\n".join(parts) + "\n"


def write_river_town(folder: Path) -> Path:
    """Write the river town as ``river_town.osm`` in ``folder`` and return its path."""
    path = folder / "river_town.osm"
    path.write_text(river_town_xml(), encoding="utf-8")
    return path


def river_sites() -> gpd.GeoDataFrame:
    """Sites near the river town's nodes, indexed by id; ``unknown`` has no location."""
    points = {
        "west-corner": lonlat(0, 2),
        "east-corner": lonlat(0, 3),
        "west-inland": lonlat(2, 0),
        "east-inland": lonlat(2, 5),
    }
    # 10 m north of node (0, 1): a snap distance to check
    lon, lat = lonlat(0, 1)
    points["near-node"] = (lon, lat + 10.0 / 111_200.0)
    geometry = [shapely.Point(p) for p in points.values()] + [None]
    return gpd.GeoDataFrame(
        {"name": [*points, "unknown"]},
        geometry=geometry,
        index=[*points, "unknown"],
        crs=4326,
    )


def undirected_reference(graph: nx.MultiDiGraph) -> nx.Graph:
    """A plain networkx Graph with the shortest parallel edge length: the slow reference."""
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes)
    for u, v, length in graph.edges(data="length"):
        if u == v:
            continue
        if not simple.has_edge(u, v) or simple[u][v]["length"] > length:
            simple.add_edge(u, v, length=float(length))
    return simple


DELFT_GRAPHML = Path(__file__).resolve().parents[1] / "data" / "networks" / "delft.graphml"
"""The real OSMnx graph of Delft (drivable streets; © OpenStreetMap contributors)."""
