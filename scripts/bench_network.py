"""Benchmark the walking-network engine against the OSMnx documentation's method.

Generates a street grid of about 100,000 nodes, writes it as OSM XML and loads it through
the same path as a user's file (``osmnx.graph_from_xml``). Then, in one run, it times:

- the one-off conversion to CSR arrays, and reading it back from the ``.npz`` cache;
- a 15-minute reachable set: ``networkx.ego_graph(G, node, radius, distance="length")``
  (OSMnx docs) versus scipy Dijkstra with a limit, on the same origins (same node sets);
- a full 15-minute isochrone polygon;
- accessibility of 1,000 sites within 15 minutes.

Usage: ``python scripts/bench_network.py [--side 317] [--block-m 50] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.network import accessibility, build_engine, isochrones, read_graph_file
from geo.network.engine import read_engine, save_engine

T = TypeVar("T")
LON0, LAT0 = 4.30, 51.95


def write_grid_osm(path: Path, *, side: int, block_m: float) -> None:
    """Write a ``side`` x ``side`` street grid as OSM XML."""
    dlat = block_m / 111_200.0
    dlon = block_m / (111_320.0 * np.cos(np.radians(LAT0)))
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bench">\n')
        for r in range(side):
            lat = LAT0 + r * dlat
            out.writelines(
                f'<node id="{r * side + c + 1}" lat="{lat:.7f}" lon="{LON0 + c * dlon:.7f}"/>\n'
                for c in range(side)
            )
        way = 1
        for r in range(side):
            refs = "".join(f'<nd ref="{r * side + c + 1}"/>' for c in range(side))
            out.write(f'<way id="{way}">{refs}<tag k="highway" v="residential"/></way>\n')
            way += 1
        for c in range(side):
            refs = "".join(f'<nd ref="{r * side + c + 1}"/>' for r in range(side))
            out.write(f'<way id="{way}">{refs}<tag k="highway" v="footway"/></way>\n')
            way += 1
        out.write("</osm>\n")


def timed(func: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=317, help="grid side (317 -> 100,489 nodes)")
    parser.add_argument("--block-m", type=float, default=50.0, help="block length, metres")
    parser.add_argument("--repeat", type=int, default=5, help="origins timed")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--speed-kmh", type=float, default=4.8)
    args = parser.parse_args()
    radius = args.minutes * args.speed_kmh * 1000 / 60
    rng = np.random.default_rng(42)

    with tempfile.TemporaryDirectory() as folder:
        osm = Path(folder) / "grid.osm"
        t_write, _ = timed(lambda: write_grid_osm(osm, side=args.side, block_m=args.block_m))
        t_read, graph = timed(lambda: read_graph_file(osm))
        print(f"graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges")
        print(f"write OSM XML {t_write:.2f} s; osmnx.graph_from_xml {t_read:.2f} s (once)")
        t_build, engine = timed(lambda: build_engine(graph))
        npz = Path(folder) / "engine.npz"
        t_save, _ = timed(lambda: save_engine(engine, npz))
        t_load, _ = timed(lambda: read_engine(npz))
        print(
            f"conversion to CSR (paid once per graph): build {t_build:.2f} s, "
            f"save .npz {t_save:.2f} s; later runs read the .npz in {t_load:.2f} s"
        )

        origins = rng.choice(engine.n_nodes, size=args.repeat, replace=False)
        ours, theirs = [], []
        for origin in origins:
            node = int(engine.node_ids[origin])
            t_ego, ego = timed(
                lambda n=node: nx.ego_graph(graph, n, radius=radius, distance="length")
            )
            t_csr, dist = timed(lambda o=origin: engine.distances_m([o], limit_m=radius)[0])
            reached = set(engine.node_ids[dist <= radius].tolist())
            if reached != set(ego.nodes):
                msg = f"reachable sets differ from origin {node}"
                raise SystemExit(msg)
            theirs.append(t_ego)
            ours.append(t_csr)
        t_ego, t_csr = statistics.median(theirs), statistics.median(ours)
        print(
            f"{args.minutes:g}-min reachable set ({len(reached):,} nodes), median of "
            f"{args.repeat}: ego_graph {t_ego * 1000:.1f} ms, CSR Dijkstra {t_csr * 1000:.2f} ms"
            f" -> ratio {t_ego / t_csr:.0f}x faster"
        )
        lon, lat = float(engine.lon[origins[0]]), float(engine.lat[origins[0]])
        t_iso, iso = timed(lambda: isochrones(engine, (lon, lat), minutes=[5, 10, 15]))
        print(
            f"5/10/15-min isochrone polygons: {t_iso * 1000:.0f} ms "
            f"(areas {', '.join(f'{a:.2f}' for a in iso['area_km2'])} km2)"
        )

        picks = rng.choice(engine.n_nodes, size=1000, replace=False)
        jitter = rng.normal(0, 1e-4, size=(1000, 2))
        sites = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(
                engine.lon[picks] + jitter[:, 0], engine.lat[picks] + jitter[:, 1]
            ),
            index=[f"s{i}" for i in range(1000)],
            crs=4326,
        )
        t_acc, acc = timed(lambda: accessibility(engine, sites, minutes=args.minutes))
        verdict = "OK" if t_acc < 2 else "TOO SLOW"
        print(
            f"accessibility, 1,000 origins within {args.minutes:g} min: {t_acc:.2f} s "
            f"(target < 2 s: {verdict}; "
            f"mean {acc.table['reachable_count'].mean():.1f} sites reached)"
        )
        print(
            f"ratio summary: reachable set {t_ego / t_csr:.0f}x (target >= 10x); "
            f"accessibility {t_acc:.2f} s / 2 s"
        )


if __name__ == "__main__":
    main()
