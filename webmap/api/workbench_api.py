"""The upload page's logic, free of Flask: the form's fields, a cheap preview of an upload,
staged uploads between the preview and the analysis, and the downloads of a kept analysis.

The form's analysis options are :data:`webmap.api.uploads_api.ANALYZE_PARAMS`, themselves built
from :mod:`geo.options` (:func:`webmap.api.options_api.api_param`), so the page, the API, its
OpenAPI document and the command line share defaults and ranges.

The preview reads at most :data:`PREVIEW_BYTES` of a text upload (a CSV cut at its last
whole line) with the loader's own CSV rules (:func:`geo.csv_reader.read_csv_bytes`) and column
detection (:func:`geo.points.coordinate_columns`, :func:`geo.points.label_column_of`):
a few kilobytes of parsing, done in the server. A binary upload (GeoPackage, zip, Parquet,
FlatGeobuf) or a GeoJSON is not previewed (its reading belongs in the cage); its columns
are detected when it is analysed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import ClustermapError, ParameterError
from webmap.api.analysis_db import Analysis
from webmap.api.params import Param
from webmap.api.uploads_api import ANALYZE_PARAMS
from webmap.i18n import N_

#: Bytes of a CSV read for its preview.
PREVIEW_BYTES = 64 * 1024
#: Rows shown in a preview.
PREVIEW_ROWS = 8
#: How long a staged upload waits for its analysis.
STAGE_TTL_SECONDS = 15 * 60
#: Parameters the page asks through the column pickers and the selection fields, not the
#: generated options list.
COLUMN_PARAMS = ("lat", "lon", "x", "y", "crs")
SELECTION_NAMES = ("where", "by", "lq")
_TEXT_START = (b"{", b"[")
_BINARY_MAGIC = (b"PK\x03\x04", b"SQLite format 3", b"PAR1", b"fgb", b"\x1f\x8b")


def option_fields() -> tuple[Param, ...]:
    """The analysis options offered by the form, with their defaults and ranges."""
    skipped = {*COLUMN_PARAMS, *SELECTION_NAMES, "format"}
    return tuple(p for p in ANALYZE_PARAMS if p.name not in skipped)


def selection_fields() -> tuple[Param, ...]:
    """``where``, ``by`` and ``lq``, as declared for the API."""
    return tuple(p for p in ANALYZE_PARAMS if p.name in SELECTION_NAMES)


def query_of_form(form: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The API query of a submitted form: known parameters with a non-empty value."""
    known = {p.name for p in ANALYZE_PARAMS}
    return {k: v.strip() for k, v in form if k in known and v.strip()}


@dataclass(frozen=True)
class Preview:
    """The first rows of an upload and what was detected in them.

    ``columns`` is empty and ``note`` says why when the format is not previewed.
    """

    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    x: str | None = None
    y: str | None = None
    crs: str | None = None
    geographic: bool = True
    label: str | None = None
    category: str | None = None
    note: str | None = None


def preview_upload(data: bytes, *, name: str, query: dict[str, str]) -> Preview:
    """The :class:`Preview` of an upload's first :data:`PREVIEW_BYTES` (a CSV only).

    Raises
    ------
    InputDataError
        If the start of a CSV cannot be read (the message names the line).
    """
    from geo.csv_reader import read_csv_bytes
    from geo.points import coordinate_columns, label_column_of

    head = data[:PREVIEW_BYTES]
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        return Preview(note="a binary file (GeoPackage, zip, Parquet, FlatGeobuf): no preview; "
                       "its columns are found when it is analysed")  # fmt: skip
    if head.lstrip().startswith(_TEXT_START):
        return Preview(note="GeoJSON: coordinates come from its geometries; no preview")
    if len(data) > PREVIEW_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n")]
    frame = read_csv_bytes(head, name=name)
    columns = [str(c) for c in frame.columns]
    xcol: str | None = None
    ycol: str | None = None
    crs = None
    with contextlib.suppress(ClustermapError):  # none detected: the analyst chooses them
        xcol, ycol, crs = coordinate_columns(columns, query)
    rows = [
        ["" if v != v else str(v) for v in row]
        for row in frame.head(PREVIEW_ROWS).itertuples(index=False)
    ]
    label = label_column_of(frame)
    return Preview(
        columns=columns,
        rows=rows,
        x=xcol,
        y=ycol,
        crs=None if crs is None else crs.to_string(),
        geographic=bool(crs is None or crs.is_geographic),
        label=label,
        category=_category_column(frame, skip={xcol, ycol, label}),
    )


def _category_column(frame: Any, *, skip: set[str | None]) -> str | None:
    """The first text column with repeated values (few distinct values for its rows)."""
    for column in frame.columns:
        if column in skip or frame[column].dtype.kind not in "OSU":
            continue
        values = frame[column].dropna()
        if len(values) >= 2 and values.nunique() <= max(1, len(values) // 2):
            return str(column)
    return None


class StagedUploads:
    """Uploads kept on disk between their preview and their analysis, under random tokens.

    Each lives at most :data:`STAGE_TTL_SECONDS`; together they take at most ``max_bytes``
    (the oldest dropped first). Files are written atomically in ``folder``.
    """

    def __init__(self, folder: str | Path, *, max_bytes: int) -> None:
        self.folder = Path(folder)
        self.max_bytes = int(max_bytes)

    def put(self, data: bytes, *, name: str) -> str:
        """Keep ``data`` (its file name ``name``) and return its token."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sweep(room=len(data))
        token = secrets.token_urlsafe(18)
        tmp = self.folder / f".{token}.tmp"
        meta = json.dumps({"name": name}).encode()
        tmp.write_bytes(len(meta).to_bytes(4, "big") + meta + data)
        tmp.replace(self.folder / token)
        return token

    def get(self, token: str) -> tuple[bytes, str]:
        """The data and file name of ``token``.

        Raises
        ------
        ParameterError
            If the token is malformed, unknown or expired.
        """
        from webmap.api.analysis_db import is_token

        path = self.folder / token
        if not is_token(token) or not path.is_file() or self._expired(path):
            msg = "the previewed file is no longer kept: choose it again"
            raise ParameterError(msg)
        raw = path.read_bytes()
        size = int.from_bytes(raw[:4], "big")
        name = str(json.loads(raw[4 : 4 + size])["name"])
        return raw[4 + size :], name

    def _expired(self, path: Path) -> bool:
        return time.time() - path.stat().st_mtime > STAGE_TTL_SECONDS

    def _sweep(self, *, room: int) -> None:
        """Drop expired files, then the oldest until ``room`` more bytes fit."""
        files = sorted(
            (p for p in self.folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime
        )
        total = 0
        kept = []
        for path in files:
            if self._expired(path):
                path.unlink(missing_ok=True)
            else:
                kept.append(path)
                total += path.stat().st_size
        for path in kept:
            if total + room <= self.max_bytes:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)


def _geotiff(grid: dict[str, Any]) -> bytes:
    """The GeoTIFF of a kept kernel-density grid (:func:`geo.kde.write_geotiff`)."""
    import tempfile

    from geo.kde import write_geotiff
    from webmap.api.uploads_api import kde_surface_of

    with tempfile.TemporaryDirectory() as folder:
        return write_geotiff(kde_surface_of(grid), Path(folder) / "kde.tif").read_bytes()


# -- downloads of a kept analysis -------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """One file of an analysis: its bytes, media type and file name."""

    body: bytes
    media_type: str
    filename: str


#: Downloads offered, by key: (label, media type, file name).
DOWNLOADS = {
    "measures.json": (N_("Measures (JSON)"), "application/json"),
    "points.geojson": (
        N_("Points with nearest-neighbour distance (GeoJSON)"),
        "application/geo+json",
    ),
    "points.csv": (N_("Points with nearest-neighbour distance (CSV)"), "text/csv; charset=utf-8"),
    "kde.tif": (N_("Kernel density (GeoTIFF)"), "image/tiff"),
    "hexagons.geojson": (N_("Hexagons (GeoJSON)"), "application/geo+json"),
    "quotients.geojson": (N_("Location quotients (GeoJSON)"), "application/geo+json"),
}


def available_downloads(analysis: Analysis) -> list[str]:
    """The keys of :data:`DOWNLOADS` this analysis can give (what its record holds)."""
    keys = ["measures.json"]
    if analysis.points and not analysis.extras.get("sampled"):
        keys += ["points.geojson", "points.csv"]
    if analysis.extras.get("kde_grid"):
        keys.append("kde.tif")
    if analysis.layers.get("hexbins"):
        keys.append("hexagons.geojson")
    if analysis.layers.get("lq_cells"):
        keys.append("quotients.geojson")
    return keys


def download(analysis: Analysis, key: str) -> Download | None:
    """The file ``key`` of :data:`DOWNLOADS` from the stored analysis, or None."""
    if key not in available_downloads(analysis):
        return None
    media = DOWNLOADS[key][1]
    name = f"analysis-{key}"
    if key == "measures.json":
        return Download(json.dumps(analysis.measures, indent=1).encode(), media, name)
    if key == "kde.tif":
        return Download(_geotiff(analysis.extras["kde_grid"]), media, name)
    if key == "hexagons.geojson":
        return Download(json.dumps(analysis.layers["hexbins"]).encode(), media, name)
    if key == "quotients.geojson":
        return Download(json.dumps(analysis.layers["lq_cells"]).encode(), media, name)
    none: list[str | None] = [None] * len(analysis.points)
    labels: list[str | None] = list(analysis.labels) if analysis.labels else none
    nn = analysis.extras.get("nn_distance_m") or [None] * len(analysis.points)
    if key == "points.geojson":
        features = [
            {
                "type": "Feature",
                "properties": {"label": label, "nn_distance_m": d},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
            for (lat, lon), label, d in zip(analysis.points, labels, nn, strict=True)
        ]
        body = {"type": "FeatureCollection", "features": features}
        return Download(json.dumps(body).encode(), media, name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["label", "latitude", "longitude", "nn_distance_m"])
    for (lat, lon), label, d in zip(analysis.points, labels, nn, strict=True):
        writer.writerow(["" if label is None else label, lat, lon, "" if d is None else d])
    return Download(out.getvalue().encode("utf-8"), media, name)
