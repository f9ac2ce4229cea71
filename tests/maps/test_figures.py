"""Print-ready figures: real paper sizes, text as text, a scale bar as long as it says."""

from __future__ import annotations

import itertools
import re
import struct
import xml.etree.ElementTree as ET
from typing import Any

import matplotlib as mpl
import numpy as np
import pytest

from geo.errors import InputDataError, ParameterError
from geo.measures import analyse_cluster
from geo.overlays import cluster_overlays
from geo.projection import GEOD
from geo.registry import Registry
from webmap.figures import (
    Page,
    cluster_figure,
    cluster_streets,
    figure_bytes,
    figure_layers,
    format_of,
)
from webmap.figures.furniture import round_length_m, scale_label

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
MM_PER_PT = 25.4 / 72
DELFT_TITLE = "YES!Delft / Delft tech ecosystem"


def _delft(registry: Registry, **kwargs: Any) -> Any:
    analysis = analyse_cluster(registry, "delft")
    streets = cluster_streets("delft", crs=analysis.crs)
    figure = cluster_figure(
        analysis,
        cluster_overlays(analysis),
        registry_version=registry.version,
        streets=streets,
        **kwargs,
    )
    return analysis, figure


def _svg(figure: Any) -> ET.Element:
    return ET.fromstring(figure_bytes(figure, "svg"))


def _texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def _group(root: ET.Element, gid: str) -> ET.Element:
    found = [g for g in root.iter(f"{SVG}g") if g.get("id") == gid]
    assert len(found) == 1, gid
    return found[0]


def _size_mm(root: ET.Element) -> tuple[float, float]:
    width, height = (float(root.get(k, "").removesuffix("pt")) for k in ("width", "height"))
    return width * MM_PER_PT, height * MM_PER_PT


def test_delft_a4_svg_writes_title_scale_label_and_attribution_as_text_elements(
    registry: Registry,
) -> None:
    _, figure = _delft(registry)
    root = _svg(figure)
    texts = _texts(root)
    assert DELFT_TITLE in texts
    label = "".join(_group(root, "scale-bar-label").itertext()).strip()
    assert re.fullmatch(r"[0-9.]+ (m|km)", label) and label in texts
    assert any("© OpenStreetMap contributors" in t for t in texts)
    assert any("quelques centaines de mètres" in t for t in texts)  # the note's claim...
    assert any("1,313 m" in t for t in texts)  # ...next to what is measured
    assert root.find(f".//{SVG}path[@id='DejaVuSans-59']") is None  # no glyph outlines
    assert _size_mm(root) == pytest.approx((210.0, 297.0), abs=0.05)


@pytest.mark.parametrize(
    ("paper", "landscape", "size_mm"),
    [("a3", False, (297.0, 420.0)), ("a4", True, (297.0, 210.0)), ("a3", True, (420.0, 297.0))],
)
def test_the_sheet_is_the_paper_size_asked_for(
    registry: Registry, paper: str, landscape: bool, size_mm: tuple[float, float]
) -> None:
    _, figure = _delft(
        registry, page=Page(paper=paper, landscape=landscape), layers=["sites", "ripley"]
    )
    root = _svg(figure)
    assert _size_mm(root) == pytest.approx(size_mm, abs=0.05)
    assert DELFT_TITLE in _texts(root)


def _points_pt(group: ET.Element) -> np.ndarray:
    return np.array(
        [(float(u.get("x", "")), float(u.get("y", ""))) for u in group.iter(f"{SVG}use")]
    )


def test_scale_bar_is_as_long_on_paper_as_its_label_says_against_geodesic_distances(
    registry: Registry,
) -> None:
    analysis, figure = _delft(registry)
    root = _svg(figure)
    # metres per point of paper from every pair of sites: geodesic distance on the
    # ellipsoid (not the map's projection) over their distance in the SVG
    markers = _points_pt(_group(root, "sites"))
    lonlat = analysis.points.points.to_crs(4326)
    assert len(markers) == len(lonlat) == 5
    ratios = []
    for i, j in itertools.combinations(range(len(markers)), 2):
        _, _, metres = GEOD.inv(
            lonlat.iloc[i].x, lonlat.iloc[i].y, lonlat.iloc[j].x, lonlat.iloc[j].y
        )
        ratios.append(metres / float(np.hypot(*(markers[i] - markers[j]))))
    metres_per_pt = float(np.median(ratios))
    assert max(ratios) / min(ratios) < 1.005  # one scale in x and y
    path = _group(root, "scale-bar").find(f"{SVG}path")
    assert path is not None
    xs = [float(v) for v in re.findall(r"[-0-9.]+", path.get("d", ""))[0::2]]
    bar_m = (max(xs) - min(xs)) * metres_per_pt
    label = "".join(_group(root, "scale-bar-label").itertext()).strip()
    number, unit = label.split()
    assert bar_m == pytest.approx(float(number) * (1000 if unit == "km" else 1), rel=0.005)


def _pdf_strings(pdf: bytes) -> list[str]:
    """The text of each TJ array of an uncompressed PDF (two-byte codes: Unicode)."""
    out = []
    for array in re.findall(rb"\[(.*?)\]\s*TJ", pdf, flags=re.S):
        parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)", array, flags=re.S)
        raw = b"".join(re.sub(rb"\\(.)", rb"\1", p, flags=re.S) for p in parts)
        out.append(raw.decode("utf-16-be", errors="replace"))
    return out


def test_pdf_text_is_text_in_an_embedded_truetype_font(registry: Registry) -> None:
    _, figure = _delft(registry)
    with mpl.rc_context({"pdf.compression": 0}):
        pdf = figure_bytes(figure, "pdf")
    assert pdf.startswith(b"%PDF")
    assert b"/FontFile2" in pdf and b"/CIDFontType2" in pdf  # TrueType, embedded
    assert b"DejaVuSans" in pdf
    strings = _pdf_strings(pdf)
    assert DELFT_TITLE in strings
    assert any("OpenStreetMap" in s for s in strings)


@pytest.mark.parametrize(
    ("paper", "dpi", "pixels"), [("a4", 100, (826, 1169)), ("a3", 72, (841, 1190))]
)
def test_png_has_paper_times_dpi_pixels(
    registry: Registry, paper: str, dpi: int, pixels: tuple[int, int]
) -> None:
    page = Page(paper=paper, dpi=dpi)
    _, figure = _delft(registry, page=page)
    png = figure_bytes(figure, "png", dpi=dpi)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == pixels
    # the paper's size times the resolution, less the fraction of a pixel
    assert all(0 <= v * dpi - p < 1 for v, p in zip(page.size_in, pixels, strict=True))


def test_every_cluster_of_the_registry_draws_a_figure_with_every_layer(registry: Registry) -> None:
    for cluster_id in registry.clusters.index:
        analysis = analyse_cluster(registry, cluster_id)
        streets = None if analysis.crs is None else cluster_streets(cluster_id, crs=analysis.crs)
        layers = figure_layers("cluster", has_streets=streets is not None)
        figure = cluster_figure(
            analysis,
            cluster_overlays(analysis),
            registry_version=registry.version,
            layers=layers,
            streets=streets,
        )
        texts = " ".join(_texts(_svg(figure)))
        assert str(registry.cluster(cluster_id)["name"]) in texts, cluster_id
        if analysis.points is None:
            assert "No site of this cluster is located" in texts, cluster_id
            assert "Map in" not in texts, cluster_id  # no CRS to name
        elif analysis.points.n_points < 3:
            assert "too few located places" in texts, cluster_id
        else:
            assert "CSR envelope" in texts, cluster_id


def test_wrong_format_paper_dpi_and_layer_are_refused_with_one_line() -> None:
    assert format_of("delft.PDF") == "pdf"
    with pytest.raises(ParameterError, match=r"\.png, \.svg or \.pdf, not 'delft\.jpg'"):
        format_of("delft.jpg")
    with pytest.raises(ParameterError, match="paper must be one of a4, a3"):
        Page(paper="letter")
    with pytest.raises(ParameterError, match="dpi must be from 72 to 600, not 1000"):
        Page(dpi=1000)


def test_unknown_layer_is_refused(registry: Registry) -> None:
    with pytest.raises(ParameterError, match="unknown layer 'isochrones'"):
        _delft(registry, layers=["sites", "isochrones"])


def test_scale_bars_are_round_lengths_labelled_in_metres_or_kilometres() -> None:
    assert [round_length_m(v) for v in (0.3, 9.9, 10.0, 740.0, 1999.0, 2000.0, 4900.0)] == [
        0.2,
        5.0,
        10.0,
        500.0,
        1000.0,
        2000.0,
        2000.0,
    ]
    assert [scale_label(v) for v in (200.0, 1000.0, 2000.0, 500_000.0)] == [
        "200 m",
        "1 km",
        "2 km",
        "500 km",
    ]


def test_ripley_panel_is_refused_beyond_its_point_limit_and_says_so() -> None:
    import geopandas as gpd

    from geo.ripley import MAX_PLOT_POINTS, ripley_for_plot

    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 5000, (MAX_PLOT_POINTS + 1, 2))
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32631")
    with pytest.raises(InputDataError, match="2,001 points are too many to plot Ripley's K"):
        ripley_for_plot(points)
    small = ripley_for_plot(points.iloc[:50], n_simulations=9)
    assert small.n_points == 50 and len(small.envelope_high_m) == len(small.distance_m)


def test_the_same_figure_gives_the_same_bytes(registry: Registry) -> None:
    _, figure = _delft(registry)
    for fmt in ("svg", "pdf", "png"):
        assert figure_bytes(figure, fmt) == figure_bytes(figure, fmt), fmt


#: Draws Delft's figure with every layer (the Ripley panel's simulations too) and writes it
#: in each format: argv = [registry folder, network cache folder, output folder].
_DRAW_DELFT = """
import sys
from pathlib import Path
from geo.measures import analyse_cluster
from geo.overlays import cluster_overlays
from geo.registry import load_registry
from webmap.figures import cluster_figure, cluster_streets, figure_bytes, figure_layers
registry = load_registry(sys.argv[1])
analysis = analyse_cluster(registry, "delft")
figure = cluster_figure(
    analysis,
    cluster_overlays(analysis),
    registry_version=registry.version,
    streets=cluster_streets("delft", crs=analysis.crs, cache_dir=sys.argv[2]),
    layers=figure_layers("cluster", has_streets=True),
)
for fmt in ("svg", "pdf", "png"):
    (Path(sys.argv[3]) / f"delft.{fmt}").write_bytes(figure_bytes(figure, fmt))
"""


def test_two_processes_draw_the_same_figure_byte_for_byte(tmp_path: Any) -> None:
    """Nothing of one process (hash seeds, ids, dates, the order of sets) reaches the file:
    each format comes out the same from two interpreters with different hash seeds."""
    import os
    import subprocess
    import sys

    from tests.helpers import DATA, ROOT

    drawn = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", _DRAW_DELFT, str(DATA), str(tmp_path / "cache"), str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        drawn.append({fmt: (out / f"delft.{fmt}").read_bytes() for fmt in ("svg", "pdf", "png")})
    first, second = drawn
    for fmt in ("svg", "pdf", "png"):
        assert len(first[fmt]) > 10_000, fmt  # a whole figure, not an empty file
        assert first[fmt] == second[fmt], fmt
    assert DELFT_TITLE in _texts(ET.fromstring(first["svg"]))


def test_figures_drawn_in_parallel_threads_all_keep_their_text_as_text(registry: Registry) -> None:
    from concurrent.futures import ThreadPoolExecutor

    analysis = analyse_cluster(registry, "delft")
    overlays = cluster_overlays(analysis)

    def draw(fmt: str) -> bytes:
        figure = cluster_figure(analysis, overlays, registry_version=registry.version)
        return figure_bytes(figure, fmt)

    with ThreadPoolExecutor(4) as pool:
        files = list(pool.map(draw, ["svg", "pdf"] * 4))
    for svg in files[0::2]:
        assert DELFT_TITLE in _texts(ET.fromstring(svg))
    for pdf in files[1::2]:
        assert b"/FontFile2" in pdf  # TrueType, not Type 3 glyph procedures
