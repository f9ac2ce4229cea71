"""``clustermap figure``: A4 files of a cluster or a point file, clean errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

from webmap.commands.cli import cli

SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _texts(path: Path) -> list[str]:
    return ["".join(e.itertext()) for e in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_figure_delft_writes_a4_pdf_and_svg(tmp_path: Path) -> None:
    for name in ("delft.pdf", "delft.svg"):
        result = run("figure", "delft", "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert f"A4 {name[-3:].upper()}" in result.output
    assert (tmp_path / "delft.pdf").read_bytes().startswith(b"%PDF")
    texts = _texts(tmp_path / "delft.svg")
    assert "YES!Delft / Delft tech ecosystem" in texts
    assert any(t.endswith(" m") or t.endswith(" km") for t in texts)
    assert any("© OpenStreetMap contributors" in t for t in texts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["delft.pdf", "delft.svg"]


def test_figure_of_a_generated_point_file_draws_its_density_and_hexagons(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    lat = 48.85 + rng.normal(0, 0.004, 200)
    lon = 2.35 + rng.normal(0, 0.006, 200)
    csv = tmp_path / "shops.csv"
    csv.write_text(
        "name,lat,lon\n"
        + "".join(f"s{i},{a:.6f},{b:.6f}\n" for i, (a, b) in enumerate(zip(lat, lon, strict=True)))
    )
    out = tmp_path / "shops.svg"
    result = run(
        "figure", "--points", str(csv), "-o", str(out), "--layers", "density,hexbins,sites,ripley"
    )
    assert result.exit_code == 0, result.output
    texts = " ".join(_texts(out))
    assert "Points of shops.csv" in texts and "200 points" in texts
    assert "Kernel density" in texts and "Hexagons (H3 r9)" in texts
    assert "CSR envelope (99 simulations)" in texts


def test_bad_extension_unknown_cluster_and_bad_dpi_are_clean_errors(tmp_path: Path) -> None:
    bad_ext = run("figure", "delft", "-o", str(tmp_path / "delft.jpg"))
    assert bad_ext.exit_code == 1
    assert (
        bad_ext.output.strip()
        == "error: a figure is written as .png, .svg or .pdf, not 'delft.jpg'"
    )
    unknown = run("figure", "atlantis", "-o", str(tmp_path / "a.svg"))
    assert unknown.exit_code == 2 and unknown.output.startswith(
        "error: unknown cluster id 'atlantis'"
    )
    dpi = run("figure", "delft", "-o", str(tmp_path / "d.png"), "--dpi", "5000")
    assert dpi.exit_code == 2 and "5000 is not in the range 72<=x<=600" in dpi.output
    layer = run("figure", "delft", "-o", str(tmp_path / "d.svg"), "--layers", "sites,lq")
    assert layer.exit_code == 1 and "unknown layer 'lq'" in layer.output
    both = run("figure", "-o", str(tmp_path / "d.svg"))
    assert both.exit_code == 1 and "give either a CLUSTER id or --points FILE" in both.output
    assert "Traceback" not in bad_ext.output + unknown.output + layer.output
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_figure_of_a_point_file_draws_its_significant_location_quotients(tmp_path: Path) -> None:
    """Software firms packed in one neighbourhood, shops everywhere: the lq layer draws the
    hexagons where software is significantly over-represented, as many as geo.lq flags."""
    import geopandas as gpd

    from geo.column_analysis import analyse_frame
    from geo.options import AnalysisOptions
    from geo.selection import Selection, parse_by

    rng = np.random.default_rng(3)
    n_shops, n_soft = 400, 120
    lat = np.r_[48.85 + rng.uniform(-0.03, 0.03, n_shops), 48.87 + rng.normal(0, 0.0008, n_soft)]
    lon = np.r_[2.35 + rng.uniform(-0.04, 0.04, n_shops), 2.33 + rng.normal(0, 0.0008, n_soft)]
    sector = ["47.11F"] * n_shops + ["62.01Z"] * n_soft
    path = tmp_path / "firms.csv"
    rows = (f"{a:.6f};{o:.6f};{s}" for a, o, s in zip(lat, lon, sector, strict=True))
    path.write_text("lat;lon;naf\n" + "\n".join(rows) + "\n")
    out = tmp_path / "lq.svg"
    result = run("figure", "--points", str(path), "--by", "naf:2", "--layers", "lq,sites",
                 "--hex-res", "8", "--lq-category", "62", "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    texts = _texts(out)
    assert "LQ of '62': 4 or more" in texts and "LQ of '62': 1 to 2" in texts
    assert not any(t.startswith("LQ of '47'") for t in texts)  # one category at a time
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326).assign(naf=sector)
    reference = analyse_frame(
        points, AnalysisOptions(hex_res=8), selection=Selection(by=parse_by("naf:2"))
    ).lq_frame()
    flagged = reference[reference["significant"]]
    assert "62" in set(flagged["category"])
    # a cell of software only: 520 / 120
    assert flagged[flagged["category"] == "62"]["lq"].max() > 4
    flagged = flagged[flagged["category"] == "62"]
    drawn = ET.parse(out).getroot().iter(f"{SVG}path")
    shades = {"#7a0177", "#c51b8a", "#f768a1"}
    shaded = [p for p in drawn if any(s in (p.get("style") or "") for s in shades)]
    assert len(shaded) == len(flagged) + len(shades)  # each hexagon, and one legend key a class
    missing = run("figure", "--points", str(path), "--layers", "lq", "-o", str(tmp_path / "x.svg"))
    assert missing.exit_code == 1 and "the lq layer needs --by COLUMN" in missing.output
    assert not (tmp_path / "x.svg").exists()


def _two_sectors(tmp_path: Path) -> Path:
    """Software packed in one neighbourhood, bakeries in another, shops everywhere."""
    rng = np.random.default_rng(9)
    n_shops, n_soft, n_bake = 400, 100, 100
    lat = np.r_[
        48.85 + rng.uniform(-0.03, 0.03, n_shops),
        48.87 + rng.normal(0, 0.0008, n_soft),
        48.83 + rng.normal(0, 0.0008, n_bake),
    ]
    lon = np.r_[
        2.35 + rng.uniform(-0.04, 0.04, n_shops),
        2.33 + rng.normal(0, 0.0008, n_soft),
        2.38 + rng.normal(0, 0.0008, n_bake),
    ]
    sector = ["47.11F"] * n_shops + ["62.01Z"] * n_soft + ["10.71C"] * n_bake
    path = tmp_path / "sectors.csv"
    rows = (f"{a:.6f};{o:.6f};{s}" for a, o, s in zip(lat, lon, sector, strict=True))
    path.write_text("lat;lon;naf\n" + "\n".join(rows) + "\n")
    return path


def test_lq_figure_draws_one_category_with_its_own_legend_and_names_the_others(
    tmp_path: Path,
) -> None:
    path = _two_sectors(tmp_path)
    base = ["figure", "--points", str(path), "--by", "naf:2", "--layers", "lq,sites",
            "--hex-res", "8"]  # fmt: skip
    first = run(*base, "-o", str(tmp_path / "default.svg"))
    assert first.exit_code == 0, first.output
    drawn = {t.split(":")[0] for t in _texts(tmp_path / "default.svg") if t.startswith("LQ of")}
    assert len(drawn) == 1  # never two categories stacked on one scale
    assert "choose one with --lq-category" in first.stderr
    for category in ("10", "62"):
        out = tmp_path / f"lq-{category}.svg"
        result = run(*base, "--lq-category", category, "-o", str(out))
        assert result.exit_code == 0, result.output
        texts = _texts(out)
        classes = [t for t in texts if t.startswith("LQ of")]
        assert classes == [
            f"LQ of '{category}': 4 or more",
            f"LQ of '{category}': 2 to 4",
            f"LQ of '{category}': 1 to 2",
        ]
    unknown = run(*base, "--lq-category", "99", "-o", str(tmp_path / "x.svg"))
    assert unknown.exit_code == 1
    assert "--lq-category '99' has no significant hexagon" in unknown.stderr
    assert not (tmp_path / "x.svg").exists()


def test_density_and_hexagon_legends_are_plain_numbers_with_units_in_distinct_palettes(
    tmp_path: Path,
) -> None:
    """Dense points (thousands of sites per km²): legends once read `894-1.79e+03`,
    gave the unit on the last class only and drew both layers in one palette."""
    import re

    import matplotlib as mpl

    rng = np.random.default_rng(11)
    lat = 48.85 + rng.normal(0, 0.002, 600)
    lon = 2.35 + rng.normal(0, 0.003, 600)
    csv = tmp_path / "dense.csv"
    rows = (f"{a:.6f},{b:.6f}" for a, b in zip(lat, lon, strict=True))
    csv.write_text("lat,lon\n" + "\n".join(rows) + "\n")
    out = tmp_path / "dense.svg"
    result = run(
        "figure", "--points", str(csv), "-o", str(out), "--layers", "density,hexbins,sites"
    )
    assert result.exit_code == 0, result.output
    texts = _texts(out)
    classes = [t for t in texts if t.startswith(("Kernel density ", "Hexagons (H3 r9) "))]
    assert len([t for t in classes if t.startswith("Kernel")]) >= 3
    assert len([t for t in classes if t.startswith("Hexagons")]) >= 2
    number = r"\d{1,3}(?:,\d{3})*(?:\.\d+)?"
    for label in classes:
        assert not re.search(r"\de[+-]?\d", label), label  # no scientific notation
        assert label.endswith(" sites/km²"), label  # the unit on every class
        values = re.findall(number, label.split(") ")[-1].removeprefix("Kernel density "))
        bounds = [float(v.replace(",", "")) for v in values]
        assert len(bounds) in (1, 2), label
        assert len(bounds) == 1 or bounds[0] < bounds[1], label  # never `11.3-11.3`
    assert any(re.search(r"\d,\d{3}", t) for t in classes)  # thousands are grouped
    style = out.read_text()
    reds = {mpl.colors.to_hex(mpl.colormaps["YlOrRd"](v)) for v in np.linspace(0.15, 0.95, 5)}
    blues = {mpl.colors.to_hex(mpl.colormaps["PuBu"](v)) for v in np.linspace(0.15, 0.95, 5)}
    assert reds.isdisjoint(blues)
    assert any(colour in style for colour in reds)
    assert any(colour in style for colour in blues)


def test_figure_lang_fr_draws_french_text_and_writes_a_pdf(tmp_path: Path) -> None:
    """``clustermap figure delft --lang fr -o delft-fr.pdf`` (the issue's command), and the
    same figure as SVG: French footer, scale and panel, the English ones gone."""
    pdf = run("figure", "delft", "--lang", "fr", "-o", str(tmp_path / "delft-fr.pdf"))
    assert pdf.exit_code == 0, pdf.output
    assert (tmp_path / "delft-fr.pdf").read_bytes().startswith(b"%PDF")
    out = tmp_path / "delft-fr.svg"
    result = run("figure", "delft", "--lang", "fr", "--layers", "sites,ripley", "-o", str(out))
    assert result.exit_code == 0, result.output
    texts = " ".join(_texts(out))
    assert "Données\u00a0: registre clustermap" in texts
    assert "Carte en EPSG:" in texts and "Quelle concentration, à quelle échelle" in texts
    assert "Data: clustermap registry" not in texts and "Observed" not in texts
    assert run("figure", "delft", "--lang", "de", "-o", str(out)).exit_code == 2
