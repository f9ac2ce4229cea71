"""Uploads above the inline limit: spooled to disk, measured in columns, mapped as tiles.

A ``POST /api/analyze`` body larger than ``MAX_CONTENT_LENGTH`` (or of unknown length) is
never held in memory: :func:`spool_body` copies the request's stream, 1 MiB at a time, to
``upload.part`` in a new folder of the analyses' files folder (``uploads/<id>/`` in the
cache folder), counting the bytes as they arrive and stopping at ``UPLOAD_SPOOL_BYTES``
(``413``; the partial file is deleted). A body that turns out no larger than the inline
limit is read back and analysed in memory, as any other upload.

A larger one must be CSV or GeoParquet, the formats the columnar reader streams
(:mod:`geo.columns`); any other answers ``413`` naming both limits. It is measured by
:func:`measure_spooled` in its own cage (``UPLOAD_SPOOL_MEMORY_BYTES``,
``UPLOAD_SPOOL_SECONDS``), whose only input is the file's folder: the columnar analysis
(:func:`geo.column_analysis.analyse_file`) and the file's tile index
(:func:`geo.tiles.build_index`, written atomically into the same folder). The upload itself
is then deleted; the index stays, owned by the analysis, and is deleted with it
(:mod:`webmap.api.analysis_db`). On any failure the folder is deleted: nothing is left
half-written.
"""

from __future__ import annotations

import os
import secrets
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from geo.errors import ClustermapError, ParameterError, TooLargeError
from webmap.api.analysis_db import Analysis, AnalysisStore
from webmap.api.cage import Cage
from webmap.api.measures_api import quietly
from webmap.api.params import parse_params
from webmap.api.response import ApiResponse, answers_errors, from_exception
from webmap.api.selection_api import selection_of_params
from webmap.api.uploads_api import (
    ANALYSIS_SCHEMA,
    ANALYZE_PARAMS,
    MAX_CORE_POINTS,
    MAX_TEXT_CHARS,
    created,
    map_layers,
    proximity_summary,
    read_options,
    upload_options,
)

__all__ = [
    "PROXIMITY_POINTS",
    "SPOOL_KINDS",
    "SpoolJob",
    "Spooled",
    "analyze_spooled",
    "discard",
    "measure_spooled",
    "spool_body",
    "spooled_kind",
]

#: The formats a spooled upload may have (those :mod:`geo.columns` reads in chunks).
SPOOL_KINDS = ("csv", "parquet")
#: Bytes read from the request at a time.
CHUNK_BYTES = 1 << 20
#: Bytes of the upload's head kept to recognise its format.
HEAD_BYTES = 65536
#: Nearest-neighbour distances are measured for spooled uploads of at most this many
#: points (read whole for the geodesic ranking); above it the proximity fields are null.
PROXIMITY_POINTS = 1_000_000
_PART = "upload.part"


@dataclass(frozen=True)
class Spooled:
    """An upload body written to disk by :func:`spool_body`.

    Attributes
    ----------
    path
        The file (``upload.part`` in its own folder).
    size
        Its bytes.
    head
        Its first :data:`HEAD_BYTES` bytes (to recognise its format).
    """

    path: Path
    size: int
    head: bytes


def spool_body(stream: IO[bytes], files_dir: Path, *, limit: int) -> Spooled:
    """Copy ``stream`` into a new folder of ``files_dir``, at most ``limit`` bytes.

    Raises
    ------
    TooLargeError
        When the body passes ``limit`` (the folder is deleted, having received at most
        ``limit`` bytes).
    ParameterError
        When the body is empty.
    """
    folder = files_dir / secrets.token_hex(16)
    folder.mkdir(parents=True)
    path = folder / _PART
    size, head = 0, b""
    try:
        with path.open("wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    msg = f"the upload is larger than UPLOAD_SPOOL_BYTES ({limit:,} bytes)"
                    raise TooLargeError(msg)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                out.write(chunk)
        if not head.strip():
            raise ParameterError("the request body is empty: send a CSV or GeoJSON")
    except BaseException:
        discard(path)
        raise
    return Spooled(path, size, head)


def discard(path: Path) -> None:
    """Delete the folder of a spooled upload (nothing if it is gone already)."""
    shutil.rmtree(path.parent, ignore_errors=True)


def spooled_kind(spooled: Spooled, *, inline: int, limit: int) -> str:
    """The format of an upload above the inline limit: ``"csv"`` or ``"parquet"``.

    Raises
    ------
    TooLargeError
        For any other format (GeoJSON, zips, GeoPackage...): those are read whole, in
        memory, so only up to the inline limit.
    InputDataError
        For content of no accepted format (as :func:`geo.formats.sniff`).
    """
    from geo.formats import sniff

    kind = sniff(spooled.head, name="upload")
    if kind not in SPOOL_KINDS:
        msg = (
            f"an upload above MAX_CONTENT_LENGTH ({inline:,} bytes) must be CSV or GeoParquet "
            f"(up to UPLOAD_SPOOL_BYTES, {limit:,} bytes), not {kind}: send a CSV or "
            "GeoParquet, or a smaller file"
        )
        raise TooLargeError(msg)
    return kind


@dataclass(frozen=True)
class SpoolJob:
    """What the spool cage receives: the upload's folder, its file name, query and limit."""

    folder: str
    name: str
    args: dict[str, str]
    max_points: int | None = None


@answers_errors
def analyze_spooled(
    spooled: Spooled,
    args: Mapping[str, str],
    *,
    store: AnalysisStore,
    cage: Cage,
    inline: int,
    limit: int,
    max_points: int | None = None,
    base_url: str = "/",
) -> ApiResponse:
    """``POST /api/analyze`` of a spooled upload (see the module rules): ``201`` with the
    answer of :func:`webmap.api.uploads_api.analyze`, the analysis's map drawing every point
    through its tiles. The upload is deleted in any case; its folder too unless the
    analysis is kept."""
    kept = False
    try:
        opts = parse_params(ANALYZE_PARAMS, args)
        selection_of_params(opts)
        if opts["cell"] is not None:
            msg = f"cell is not accepted above MAX_CONTENT_LENGTH ({inline:,} bytes)"
            raise ParameterError(msg)
        kind = spooled_kind(spooled, inline=inline, limit=limit)
        name = f"upload.{kind}"
        spooled.path.replace(spooled.path.with_name(name))
        job = SpoolJob(str(spooled.path.parent), name, dict(args), max_points)
        measured = cage.run(measure_spooled, job)
        spooled.path.with_name(name).unlink(missing_ok=True)
        if isinstance(measured, ApiResponse):
            return measured
        answer = created(measured, store=store, base_url=base_url)
        kept = answer.status == 201
        return answer
    finally:
        if not kept:
            discard(spooled.path)


def measure_spooled(job: SpoolJob) -> Analysis | ApiResponse:
    """Measure and index one spooled upload (in the cage): its :class:`Analysis`, or the
    ``4xx`` answer to a file that cannot be read. The child works in the upload's folder,
    so messages name the upload, never the server's folders."""
    try:
        os.chdir(job.folder)
        return _measure_spooled(job)
    except ClustermapError as exc:
        return from_exception(exc)


def _measure_spooled(job: SpoolJob) -> Analysis:
    from geo.column_analysis import analyse_file
    from geo.points import read_points
    from geo.tiles import build_index

    opts = parse_params(ANALYZE_PARAMS, job.args)
    selection = selection_of_params(opts)
    read = read_options(opts, max_points=job.max_points)
    # its size is unknown before it is read: HDBSCAN (uploads of MAX_CORE_POINTS points at
    # most) is never run on a spooled upload; DBSCAN's grid is
    options = upload_options(opts, MAX_CORE_POINTS + 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analysis = quietly(analyse_file, job.name, options, read=read, selection=selection)
    notes = [str(w.message) for w in caught]
    if opts["cores"] == "hdbscan":
        notes.append("no HDBSCAN cores above MAX_CONTENT_LENGTH (dbscan has no such limit)")
    proximity = proximity_summary(None)
    if analysis.n_points <= PROXIMITY_POINTS:
        from webmap.api.uploads_api import proximity_of

        points = quietly(
            read_points,
            job.name,
            **read,
            attributes=selection.columns,
            max_chars=MAX_TEXT_CHARS,
        )
        proximity = proximity_of(points[selection.mask_frame(points)], analysis.crs)
    else:
        notes.append(
            f"nearest-neighbour distances are measured for at most {PROXIMITY_POINTS:,} points"
        )
    index = build_index(job.name, cache_dir=".", read=read)
    density_body = analysis.to_dict()
    density_body["warnings"] = notes + density_body["warnings"]
    layers = map_layers(analysis, opts, None)  # no links: a spooled upload is large
    west, south, east, north = index.bounds
    return Analysis(
        measures={"schema": ANALYSIS_SCHEMA, "density": density_body, "proximity": proximity},
        points=[],
        labels=None,
        layers=layers,
        bounds=[[south, west], [north, east]],
        files=f"{Path(job.folder).name}/{index.path.relative_to('.').as_posix()}",
    )
