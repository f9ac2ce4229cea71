"""Write a synthetic, SIRENE-shaped business register: ``python scripts/make_register.py N``.

The file looks like France's geolocated SIRENE establishments file (INSEE's
``StockEtablissement`` joined with its ``x``/``y`` geolocation): ``;``-separated CSV, real
SIRENE column names, NAF rev. 2 activity codes (``62.01Z``) and Lambert-93 (EPSG:2154)
coordinates in metres. Its content is synthetic but shaped like the real thing:

* **Sectors.** Every row's code is a real NAF rev. 2 subclass from one of the 88 two-digit
  divisions. Divisions are drawn with a skew after the stock of active establishments:
  real estate (68), retail (47), specialised construction (43), head offices and
  consulting (70) and health (86) hold the most rows, mining and extraterritorial bodies
  the fewest. The weights are rounded, hand-set approximations, not INSEE figures.
* **Places.** Establishments cluster around real French city centres (:data:`CITIES`,
  coordinates of each city hall's district, weighted by the commune's population, rounded)
  and around the located sites of the bundled registry's French clusters. Each centre
  spreads its establishments as a normal distribution whose width grows with the square
  root of its weight. A share of every sector is "diffuse" (30 km around a centre chosen by
  the square root of its weight): farming is mostly diffuse, knowledge-intensive services
  (publishing, IT, finance, consulting, research) are the least diffuse and favour large
  cities more than their population alone would (weight ** 1.3), so their location
  quotients exceed 1 in Paris, Lyon or Toulouse, as in the real register.
* **Labels.** ``codePostalEtablissement`` and ``libelleCommuneEtablissement`` are those of
  the centre a row was drawn around, not a geocoding of its point.

Rows are generated in chunks of :data:`CHUNK` with vectorised numpy and written as they
come, so memory does not grow with N (10**8 rows need one chunk in memory). The output is
deterministic for a given seed (each chunk draws from ``default_rng([seed, chunk])``).

Usage::

    python scripts/make_register.py N [-o PATH] [--format csv|parquet]
                                      [--partitions K] [--seed S]

``--format parquet`` writes GeoParquet 1.0 (a WKB ``geometry`` column with ``geo``
metadata and the EPSG:2154 CRS as PROJJSON) beside the same columns. ``--partitions K``
writes K files ``part-00000.csv`` ... (or ``.parquet``) into the folder PATH, the rows
split evenly in order.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyproj

CHUNK = 1_000_000
CRS = "EPSG:2154"
#: Lambert-93's area of use (metropolitan France with Corsica), in metres: a point drawn
#: outside it is drawn again closer to its centre.
BOUNDS = (99_000.0, 6_046_000.0, 1_243_000.0, 7_111_000.0)
DIFFUSE_SPREAD_M = 30_000.0
SITE_WEIGHT = 25_000.0
SITE_SPREAD_M = 1_000.0

#: (commune, postcode, longitude, latitude, population): real city centres, rounded.
CITIES: list[tuple[str, str, float, float, int]] = [
    ("PARIS", "75008", 2.3522, 48.8566, 2_133_000),
    ("MARSEILLE", "13001", 5.3698, 43.2965, 873_000),
    ("LYON", "69002", 4.8357, 45.7640, 522_000),
    ("TOULOUSE", "31000", 1.4442, 43.6047, 498_000),
    ("NICE", "06000", 7.2620, 43.7102, 342_000),
    ("NANTES", "44000", -1.5536, 47.2184, 320_000),
    ("MONTPELLIER", "34000", 3.8767, 43.6108, 299_000),
    ("STRASBOURG", "67000", 7.7521, 48.5734, 287_000),
    ("BORDEAUX", "33000", -0.5792, 44.8378, 261_000),
    ("LILLE", "59000", 3.0573, 50.6292, 236_000),
    ("RENNES", "35000", -1.6778, 48.1173, 222_000),
    ("REIMS", "51100", 4.0317, 49.2583, 180_000),
    ("TOULON", "83000", 5.9280, 43.1242, 180_000),
    ("SAINT-ETIENNE", "42000", 4.3872, 45.4397, 173_000),
    ("LE HAVRE", "76600", 0.1079, 49.4944, 166_000),
    ("GRENOBLE", "38000", 5.7245, 45.1885, 157_000),
    ("DIJON", "21000", 5.0415, 47.3220, 159_000),
    ("ANGERS", "49000", -0.5632, 47.4784, 157_000),
    ("VILLEURBANNE", "69100", 4.8902, 45.7719, 152_000),
    ("NIMES", "30000", 4.3601, 43.8367, 149_000),
    ("CLERMONT-FERRAND", "63000", 3.0870, 45.7772, 147_000),
    ("AIX-EN-PROVENCE", "13100", 5.4474, 43.5297, 145_000),
    ("LE MANS", "72000", 0.1996, 48.0061, 143_000),
    ("BREST", "29200", -4.4861, 48.3904, 140_000),
    ("TOURS", "37000", 0.6848, 47.3941, 136_000),
    ("AMIENS", "80000", 2.2958, 49.8941, 134_000),
    ("LIMOGES", "87000", 1.2611, 45.8336, 130_000),
    ("ANNECY", "74000", 6.1294, 45.8992, 130_000),
    ("BOULOGNE-BILLANCOURT", "92100", 2.2399, 48.8397, 121_000),
    ("PERPIGNAN", "66000", 2.8948, 42.6887, 119_000),
    ("METZ", "57000", 6.1757, 49.1193, 117_000),
    ("BESANCON", "25000", 6.0241, 47.2378, 117_000),
    ("ORLEANS", "45000", 1.9093, 47.9030, 116_000),
    ("SAINT-DENIS", "93200", 2.3574, 48.9362, 113_000),
    ("ROUEN", "76000", 1.0999, 49.4432, 112_000),
    ("MONTREUIL", "93100", 2.4485, 48.8638, 111_000),
    ("ARGENTEUIL", "95100", 2.2467, 48.9472, 110_000),
    ("MULHOUSE", "68100", 7.3359, 47.7508, 106_000),
    ("CAEN", "14000", -0.3707, 49.1829, 106_000),
    ("NANCY", "54000", 6.1844, 48.6921, 104_000),
    ("AVIGNON", "84000", 4.8055, 43.9493, 91_000),
    ("POITIERS", "86000", 0.3404, 46.5802, 89_000),
    ("PAU", "64000", -0.3708, 43.2951, 77_000),
    ("LA ROCHELLE", "17000", -1.1511, 46.1603, 77_000),
    ("AJACCIO", "20000", 8.7386, 41.9192, 71_000),
    ("BASTIA", "20200", 9.4509, 42.6973, 48_000),
]

#: Postcodes of the registry's French cluster cities, for sites whose address has none.
CLUSTER_POSTCODES = {
    "Saint-Étienne": "42000",
    "Saint-Priest": "69800",
    "Lyon": "69002",
    "Le Bourget-du-Lac": "73370",
    "Évry-Courcouronnes": "91000",
    "Palaiseau": "91120",
    "Paris": "75008",
    "Champs-sur-Marne": "77420",
}

#: NAF rev. 2 division -> (relative weight, real subclass codes drawn uniformly within it).
DIVISIONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "01": (300, ("01.11Z", "01.13Z", "01.21Z", "01.41Z", "01.50Z")),
    "02": (15, ("02.10Z", "02.20Z")),
    "03": (10, ("03.11Z", "03.21Z")),
    "05": (0.3, ("05.10Z",)),
    "06": (0.3, ("06.10Z",)),
    "07": (0.3, ("07.10Z",)),
    "08": (3, ("08.11Z", "08.12Z")),
    "09": (0.5, ("09.10Z",)),
    "10": (60, ("10.71C", "10.13B", "10.71D")),
    "11": (8, ("11.02B", "11.07A")),
    "12": (0.3, ("12.00Z",)),
    "13": (8, ("13.92Z",)),
    "14": (15, ("14.13Z", "14.19Z")),
    "15": (3, ("15.20Z",)),
    "16": (12, ("16.23Z", "16.10A")),
    "17": (2, ("17.21A",)),
    "18": (12, ("18.12Z", "18.13Z")),
    "19": (0.3, ("19.20Z",)),
    "20": (5, ("20.14Z", "20.42Z")),
    "21": (1, ("21.20Z",)),
    "22": (5, ("22.29A", "22.22Z")),
    "23": (10, ("23.61Z", "23.70Z")),
    "24": (1, ("24.10Z",)),
    "25": (25, ("25.62B", "25.11Z")),
    "26": (4, ("26.11Z", "26.51B")),
    "27": (3, ("27.12Z", "27.90Z")),
    "28": (6, ("28.29B", "28.99B")),
    "29": (2, ("29.32Z",)),
    "30": (1.5, ("30.30Z", "30.11Z")),
    "31": (8, ("31.09B", "31.01Z")),
    "32": (25, ("32.50A", "32.12Z")),
    "33": (25, ("33.12Z", "33.20C")),
    "35": (40, ("35.11Z", "35.14Z")),
    "36": (2, ("36.00Z",)),
    "37": (1, ("37.00Z",)),
    "38": (5, ("38.11Z", "38.32Z")),
    "39": (0.5, ("39.00Z",)),
    "41": (120, ("41.10A", "41.20A", "41.20B")),
    "42": (10, ("42.11Z", "42.22Z")),
    "43": (450, ("43.21A", "43.22A", "43.32A", "43.34Z", "43.99C")),
    "45": (90, ("45.20A", "45.11Z")),
    "46": (230, ("46.90Z", "46.19B")),
    "47": (520, ("47.11B", "47.71Z", "47.91A", "47.73Z")),
    "49": (110, ("49.32Z", "49.41A", "49.41B")),
    "50": (4, ("50.10Z",)),
    "51": (1, ("51.10Z",)),
    "52": (15, ("52.29A", "52.10B")),
    "53": (30, ("53.20Z",)),
    "55": (50, ("55.10Z", "55.20Z")),
    "56": (280, ("56.10A", "56.10C", "56.30Z")),
    "58": (20, ("58.11Z", "58.29C")),
    "59": (40, ("59.11A", "59.11C", "59.20Z")),
    "60": (2, ("60.10Z", "60.20A")),
    "61": (5, ("61.10Z", "61.20Z")),
    "62": (160, ("62.01Z", "62.02A", "62.02B", "62.03Z", "62.09Z")),
    "63": (20, ("63.11Z", "63.12Z")),
    "64": (110, ("64.19Z", "64.20Z")),
    "65": (5, ("65.12Z",)),
    "66": (60, ("66.22Z", "66.19B")),
    "68": (700, ("68.20A", "68.20B", "68.31Z", "68.32A")),
    "69": (110, ("69.10Z", "69.20Z")),
    "70": (450, ("70.10Z", "70.22Z")),
    "71": (110, ("71.11Z", "71.12B")),
    "72": (15, ("72.19Z", "72.11Z")),
    "73": (50, ("73.11Z", "73.20Z")),
    "74": (180, ("74.10Z", "74.20Z", "74.90B")),
    "75": (15, ("75.00Z",)),
    "77": (40, ("77.11A", "77.39Z")),
    "78": (10, ("78.10Z", "78.20Z")),
    "79": (15, ("79.11Z", "79.90Z")),
    "80": (8, ("80.10Z",)),
    "81": (80, ("81.21Z", "81.30Z")),
    "82": (120, ("82.11Z", "82.99Z")),
    "84": (80, ("84.11Z",)),
    "85": (250, ("85.59A", "85.59B", "85.51Z")),
    "86": (420, ("86.21Z", "86.90D", "86.23Z")),
    "87": (15, ("87.10A",)),
    "88": (60, ("88.10A", "88.91A")),
    "90": (150, ("90.01Z", "90.03A")),
    "91": (6, ("91.02Z", "91.01Z")),
    "92": (2, ("92.00Z",)),
    "93": (60, ("93.12Z", "93.13Z")),
    "94": (250, ("94.99Z", "94.11Z")),
    "95": (25, ("95.11Z", "95.23Z")),
    "96": (300, ("96.02A", "96.02B", "96.04Z", "96.09Z")),
    "97": (30, ("97.00Z",)),
    "98": (0.5, ("98.10Z",)),
    "99": (0.3, ("99.00Z",)),
}

#: Placement classes: (diffuse share, exponent on a centre's weight). Class 0 is the default.
CLASSES = ((0.25, 1.0), (0.85, 0.7), (0.5, 1.0), (0.08, 1.3))
#: Divisions outside the default class: farming (1), extraction and utilities (2),
#: knowledge-intensive services (3).
CLASS_OF = {
    **dict.fromkeys(("01", "02", "03"), 1),
    **dict.fromkeys(("05", "06", "07", "08", "09", "16", "35", "36", "37", "38", "39"), 2),
    **dict.fromkeys(("58", "59", "60", "61", "62", "63", "64", "66", "70", "72", "73"), 3),
}


def _site_centres() -> list[tuple[str, str, float, float, float]]:
    """The registry's located French sites as (commune, postcode, lon, lat, weight)."""
    from geo.registry import load_registry

    registry = load_registry()
    french = set(registry.clusters.index[registry.clusters["country"] == "FR"])
    located = registry.sites[registry.sites.geometry.notna()]  # closed sites too
    out = []
    for _, site in located[located["cluster"].isin(french)].iterrows():
        point = site.geometry.representative_point()
        city = str(registry.clusters.loc[site["cluster"], "city"])
        postcode = re.search(r"\b\d{5}\b", str(site["address"] or ""))
        commune = city.upper().replace("É", "E").replace(" ", "-")
        code = postcode.group(0) if postcode else CLUSTER_POSTCODES.get(city, "")
        out.append((commune, code, point.x, point.y, SITE_WEIGHT))
    return out


class Model:
    """The centres, codes and class tables one generator run draws from."""

    def __init__(self) -> None:
        centres = [(*c[:4], float(c[4])) for c in CITIES] + _site_centres()
        to_l93 = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
        lon = np.array([c[2] for c in centres])
        lat = np.array([c[3] for c in centres])
        x, y = to_l93.transform(lon, lat)
        self.xy = np.column_stack([x, y])
        weight = np.array([c[4] for c in centres])
        self.spread = 600.0 * np.sqrt(weight / 10_000.0)
        self.spread[len(CITIES) :] = SITE_SPREAD_M
        self.communes = pa.array([c[0] for c in centres])
        self.postcodes = pa.array([c[1] for c in centres])
        codes, code_weight, code_class = [], [], []
        for division, (share, subclasses) in DIVISIONS.items():
            for code in subclasses:
                codes.append(code)
                code_weight.append(share / len(subclasses))
                code_class.append(CLASS_OF.get(division, 0))
        self.codes = pa.array(codes)
        self.code_p = np.array(code_weight) / sum(code_weight)
        self.code_class = np.array(code_class)
        self.class_p = [_normalised(weight**exponent) for _, exponent in CLASSES]
        self.diffuse_p = _normalised(np.sqrt(weight))

    def chunk(self, n: int, rng: np.random.Generator) -> pa.Table:
        """``n`` rows drawn from ``rng``."""
        code = rng.choice(len(self.code_p), size=n, p=self.code_p)
        centre = np.empty(n, dtype=np.int64)
        spread = np.empty(n)
        klass = self.code_class[code]
        for k, (diffuse_share, _) in enumerate(CLASSES):
            rows = np.flatnonzero(klass == k)
            diffuse = rng.random(rows.size) < diffuse_share
            centre[rows] = np.where(
                diffuse,
                rng.choice(len(self.diffuse_p), size=rows.size, p=self.diffuse_p),
                rng.choice(len(self.class_p[k]), size=rows.size, p=self.class_p[k]),
            )
            spread[rows] = np.where(diffuse, DIFFUSE_SPREAD_M, self.spread[centre[rows]])
        xy = self.xy[centre] + rng.standard_normal((n, 2)) * spread[:, None]
        outside = np.flatnonzero((xy < BOUNDS[:2]).any(axis=1) | (xy > BOUNDS[2:]).any(axis=1))
        # a diffuse draw off the map is drawn again with its centre's own, urban spread
        again = rng.standard_normal((len(outside), 2)) * self.spread[centre[outside], None]
        xy[outside] = np.clip(self.xy[centre[outside]] + again, BOUNDS[:2], BOUNDS[2:])
        x, y = np.round(xy[:, 0], 2), np.round(xy[:, 1], 2)
        siren = rng.integers(100_000_000, 1_000_000_000, n, dtype=np.int64)
        siret = siren * 100_000 + rng.integers(10, 100_000, n, dtype=np.int64)
        centre_index = pa.array(centre)
        return pa.table(
            {
                "siren": siren,
                "siret": siret,
                "etatAdministratifEtablissement": pa.repeat("A", n),
                "codePostalEtablissement": self.postcodes.take(centre_index),
                "libelleCommuneEtablissement": self.communes.take(centre_index),
                "activitePrincipaleEtablissement": self.codes.take(pa.array(code)),
                "nomenclatureActivitePrincipaleEtablissement": pa.repeat("NAFRev2", n),
                "x": x,
                "y": y,
            }
        )


def _normalised(weight: np.ndarray) -> np.ndarray:
    return np.asarray(weight / weight.sum(), dtype=float)


def chunks(n: int, *, seed: int, model: Model | None = None) -> Iterator[pa.Table]:
    """The ``n`` rows of the register for ``seed``, in tables of at most :data:`CHUNK` rows."""
    model = model or Model()
    for index, start in enumerate(range(0, n, CHUNK)):
        yield model.chunk(min(CHUNK, n - start), np.random.default_rng([seed, index]))


def wkb_points(x: np.ndarray, y: np.ndarray) -> pa.Array:
    """Little-endian WKB points, built as one buffer (21 bytes a point)."""
    n = len(x)
    record = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])
    data = np.empty(n, dtype=record)
    data["order"], data["kind"], data["x"], data["y"] = 1, 1, x, y
    offsets = np.arange(0, 21 * (n + 1), 21, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())]
    )


def geo_metadata() -> dict[str, Any]:
    """The GeoParquet 1.0 ``geo`` metadata of the ``geometry`` column."""
    return {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["Point"],
                "crs": pyproj.CRS(CRS).to_json_dict(),
            }
        },
    }


def _split(n: int, parts: int) -> list[int]:
    """``n`` rows in ``parts`` counts that differ by at most one."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


class _Writer:
    """One output file: a Parquet writer, or a CSV writer after a bare header line."""

    def __init__(self, target: Path, fmt: str, schema: pa.Schema) -> None:
        self.handle: Any = None
        if fmt == "parquet":
            self.writer: Any = pq.ParquetWriter(target, schema, compression="zstd")
            return
        self.handle = target.open("wb")
        self.handle.write((";".join(schema.names) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none")
        self.writer = pacsv.CSVWriter(self.handle, schema, write_options=options)

    def close(self) -> None:
        self.writer.close()
        if self.handle is not None:
            self.handle.close()


def _encode(table: pa.Table, fmt: str, metadata: dict[bytes, bytes]) -> pa.Table:
    if fmt == "csv":
        return table
    geometry = wkb_points(table["x"].to_numpy(), table["y"].to_numpy())
    return table.append_column("geometry", geometry).replace_schema_metadata(metadata)


def write_register(
    path: Path, n: int, *, fmt: str = "csv", partitions: int | None = None, seed: int = 0
) -> list[Path]:
    """Write ``n`` rows to ``path`` (a folder of ``partitions`` files if given); the files."""
    model = Model()
    metadata = {b"geo": json.dumps(geo_metadata()).encode()}
    schema = _encode(model.chunk(0, np.random.default_rng(0)), fmt, metadata).schema
    if partitions is None:
        targets, quotas = [path], [n]
    else:
        path.mkdir(parents=True, exist_ok=True)
        targets = [path / f"part-{i:05d}.{fmt}" for i in range(partitions)]
        quotas = _split(n, partitions)
    stream = chunks(n, seed=seed, model=model)
    pending = model.chunk(0, np.random.default_rng(0))
    for target, quota in zip(targets, quotas, strict=True):
        writer = _Writer(target, fmt, schema)
        left = quota
        while left:
            if pending.num_rows == 0:
                pending = next(stream)
            take = min(left, pending.num_rows)
            writer.writer.write_table(_encode(pending.slice(0, take), fmt, metadata))
            pending, left = pending.slice(take), left - take
        writer.close()
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="number of establishments")
    parser.add_argument("-o", "--output", type=Path, help="file (or folder with --partitions)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--partitions", type=int, help="write K files into the folder PATH")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.n < 0 or (args.partitions is not None and args.partitions < 1):
        parser.error("N must be >= 0 and K >= 1")
    suffix = "" if args.partitions else f".{args.format}"
    output = args.output or Path(f"sirene-{args.n}{suffix}")
    files = write_register(
        output, args.n, fmt=args.format, partitions=args.partitions, seed=args.seed
    )
    print(f"wrote {args.n} establishments to {output} ({len(files)} file(s))", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
