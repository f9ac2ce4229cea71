"""The on-disk store of uploaded analyses: an SQLite file shared by processes.

Everything is stored as JSON (measures; points, labels, layers and bounds), never pickled,
and nothing of one server process: no drawn page (each process draws and keeps its own,
with its own secrets; :mod:`webmap.web.upload_store`). Each operation opens its own connection
(WAL journal, a busy timeout) and runs in one transaction, so threads and processes share
the file safely. A database file found corrupt (at start or later) is moved aside and
recreated, its analyses lost; a place where no database can be created raises
:class:`AnalysisStoreError`.

An analysis of a spooled upload also owns files: a folder of ``files_dir`` (its tile index,
:attr:`Analysis.files`). The folder is deleted with the analysis, when it expires or is
dropped to keep the store under its cap; a folder that no analysis owns (its upload failed
while the server died) is deleted once it is :data:`ORPHAN_SECONDS` old.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from geo.errors import ClustermapError

__all__ = [
    "DATABASE_NAME",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TTL_SECONDS",
    "Analysis",
    "AnalysisStore",
    "AnalysisStoreError",
    "is_token",
]

DATABASE_NAME = "analyses.sqlite3"
DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: One analysis may take at most this share of the cap (1/4): a large upload evicts a few
#: older ones, never the store.
ENTRY_SHARE = 4
BUSY_TIMEOUT_SECONDS = 10.0
#: Folders of ``files_dir`` older than this (real time) that no analysis owns are deleted.
ORPHAN_SECONDS = 3600.0
#: The folder, next to the database, of the files of spooled uploads.
FILES_FOLDER = "uploads"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SCHEMA_VERSION = 3
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS analyses ("
    " seq INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, created REAL NOT NULL,"
    " size INTEGER NOT NULL, measures TEXT NOT NULL, view TEXT NOT NULL, files TEXT)",
    "CREATE INDEX IF NOT EXISTS analyses_created ON analyses (created)",
)
# version 1 kept the page drawn by one process, its nonce marker inside: drop it
_MIGRATE_FROM_1 = (
    "ALTER TABLE analyses DROP COLUMN html",
    "UPDATE analyses SET size = length(CAST(measures AS BLOB)) + length(CAST(view AS BLOB))",
)
# version 2 had no files of spooled uploads
_MIGRATE_FROM_2 = ("ALTER TABLE analyses ADD COLUMN files TEXT",)
_MIGRATIONS = {0: _SCHEMA, 1: _MIGRATE_FROM_1 + _MIGRATE_FROM_2, 2: _MIGRATE_FROM_2, 3: _SCHEMA}
_CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)

log = logging.getLogger(__name__)
T = TypeVar("T")


class AnalysisStoreError(ClustermapError):
    """The analyses' database cannot be opened or created (the server does not start)."""


def is_token(text: str) -> bool:
    """Whether ``text`` has the shape of a token (checked before any lookup)."""
    return bool(_TOKEN.match(text))


@dataclass
class Analysis:
    """One upload's results.

    Attributes
    ----------
    measures
        The JSON body returned to the uploader (density and proximity measures).
    points
        ``[lat, lon]`` pairs of the upload (a sample above ``MAP_POINTS``), for the map.
    labels
        The points' names (escaped when drawn), or None when the upload has no name column.
    layers
        GeoJSON FeatureCollections (EPSG:4326) drawn on the map, by name.
    bounds
        ``[[south, west], [north, east]]`` of the upload.
    extras
        What the analysis page and its downloads need beyond the map (JSON-able, bounded
        by :mod:`webmap.api.uploads_api`): the query it was measured with (``args``), each kept
        point's nearest-neighbour distance (``nn_distance_m``), whether the points are a
        sample (``sampled``) and the kernel-density grid (``kde_grid``).
    size
        Bytes stored (set by the store): its JSON.
    created
        When it was stored (the store's clock, seconds).
    files
        For a spooled upload, its tile index: a path relative to the store's ``files_dir``
        whose first part is the folder the analysis owns; None otherwise.
    """

    measures: dict[str, Any]
    points: list[list[float]]
    labels: list[str] | None
    layers: dict[str, dict[str, Any]]
    bounds: list[list[float]]
    size: int = 0
    created: float = field(default=0.0)
    extras: dict[str, Any] = field(default_factory=dict)
    files: str | None = None


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _CORRUPT


class AnalysisStore:
    """Token -> :class:`Analysis` in an SQLite file, with an age limit and a size cap.

    Safe to share between threads and processes: every operation opens its own connection.

    Parameters
    ----------
    path
        The database file (created with its folder if missing).
    ttl_seconds
        Analyses older than this are gone.
    max_bytes
        The total bytes stored; the oldest analyses are dropped beyond it.
    max_entry_bytes
        The bytes of one analysis at most (default: a quarter of ``max_bytes``); a larger
        one is not kept, and evicts nothing.
    clock
        Seconds since the epoch (shared by processes and restarts); tests pass a fake one.
    files_dir
        The folder of the spooled uploads' files (default: ``uploads`` next to ``path``).

    Raises
    ------
    AnalysisStoreError
        When no database can be opened or created at ``path``.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_entry_bytes: int | None = None,
        clock: Callable[[], float] = time.time,
        files_dir: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.files_dir = Path(files_dir) if files_dir else self.path.parent / FILES_FOLDER
        self.ttl_seconds = float(ttl_seconds)
        self.max_bytes = int(max_bytes)
        self.max_entry_bytes = min(
            self.max_bytes,
            self.max_bytes // ENTRY_SHARE if max_entry_bytes is None else max_entry_bytes,
        )
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._recover()
        except (OSError, sqlite3.Error) as exc:
            msg = f"cannot open the analyses' database {self.path}: {exc}"
            raise AnalysisStoreError(msg) from exc

    @property
    def total_bytes(self) -> int:
        """The bytes stored (expired analyses count until they are swept)."""
        return int(
            self._use(lambda db: db.execute("SELECT TOTAL(size) FROM analyses").fetchone()[0])
        )

    def __len__(self) -> int:
        now = self._clock()
        return int(
            self._use(
                lambda db: db.execute(
                    "SELECT COUNT(*) FROM analyses WHERE created > ?", (now - self.ttl_seconds,)
                ).fetchone()[0]
            )
        )

    def __contains__(self, token: object) -> bool:
        """Whether ``token`` is an analysis still kept (nothing of it is read)."""
        return isinstance(token, str) and self._live(token, "1") is not None

    def put(self, analysis: Analysis) -> str | None:
        """Store ``analysis`` and return its new token, dropping the oldest analyses to stay
        under the cap; None (nothing stored, nothing dropped) if it alone takes more than
        ``max_entry_bytes``."""
        measures = json.dumps(analysis.measures, separators=(",", ":"))
        view = json.dumps(
            [analysis.points, analysis.labels, analysis.layers, analysis.bounds, analysis.extras],
            separators=(",", ":"),
        )
        analysis.size = len(measures.encode()) + len(view.encode())
        if analysis.size > self.max_entry_bytes:
            return None
        token = secrets.token_urlsafe(18)
        analysis.created = self._clock()
        row = (token, analysis.created, analysis.size, measures, view, analysis.files)

        def insert(db: sqlite3.Connection) -> list[str]:
            db.execute(
                "INSERT INTO analyses (token, created, size, measures, view, files)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            return self._shrink(db)

        self.remove_files(self._use(insert, write=True))
        return token

    def get(self, token: str) -> Analysis | None:
        """The analysis of ``token``, or None when unknown, expired or dropped."""
        row = self._live(token, "measures, view, size, created, files")
        if row is None:
            return None
        measures, view, size, created, files = row
        points, labels, layers, bounds, *extras = json.loads(view)  # no extras before 2
        return Analysis(
            json.loads(measures),
            points,
            labels,
            layers,
            bounds,
            size,
            created,
            extras[0] if extras else {},
            files,
        )

    def files_of(self, token: str) -> Path | None:
        """The tile index of the spooled upload ``token``, or None (unknown, expired, dropped
        or not spooled)."""
        row = self._live(token, "files")
        return None if row is None or row[0] is None else self.files_dir / row[0]

    def remove_files(self, files: list[str]) -> None:
        """Delete the folders owning ``files`` (paths relative to ``files_dir``)."""
        for relative in files:
            folder = Path(relative).parts[0] if relative else ""
            if folder and folder not in (".", ".."):
                shutil.rmtree(self.files_dir / folder, ignore_errors=True)

    def measures(self, token: str) -> dict[str, Any] | None:
        """Only the measures of ``token`` (the map data is not read), or None as :meth:`get`."""
        row = self._live(token, "measures")
        return None if row is None else dict(json.loads(row[0]))

    def _live(self, token: str, columns: str) -> tuple[Any, ...] | None:
        """``columns`` (our own list, never user input) of the row of ``token`` if it is
        a token still kept, else None."""
        if not is_token(token):
            return None
        since = self._clock() - self.ttl_seconds
        query = f"SELECT {columns} FROM analyses WHERE token = ? AND created > ?"
        return self._use(lambda db: db.execute(query, (token, since)).fetchone())

    def expires_in(self, token: str) -> float | None:
        """Seconds left before ``token`` expires, or None."""
        row = self._use(
            lambda db: db.execute(
                "SELECT created FROM analyses WHERE token = ?", (token,)
            ).fetchone()
        )
        if row is None:
            return None
        return max(0.0, row[0] + self.ttl_seconds - self._clock())

    def expire(self) -> None:
        """Delete the analyses older than the age limit and give their pages back."""
        since = self._clock() - self.ttl_seconds

        def delete(db: sqlite3.Connection) -> tuple[list[str], set[str]]:
            gone = db.execute(
                "DELETE FROM analyses WHERE created <= ? RETURNING files", (since,)
            ).fetchall()
            db.execute("PRAGMA incremental_vacuum").fetchall()
            owned = db.execute("SELECT files FROM analyses WHERE files IS NOT NULL").fetchall()
            return [f for (f,) in gone if f], {Path(f).parts[0] for (f,) in owned}

        gone, owned = self._use(delete, write=True)
        self.remove_files(gone)
        self._remove_orphans(owned)

    def _remove_orphans(self, owned: set[str]) -> None:
        """Delete the folders of ``files_dir`` that no analysis owns and that are older than
        :data:`ORPHAN_SECONDS` (a younger one may belong to an upload being measured)."""
        if not self.files_dir.is_dir():
            return
        old = time.time() - ORPHAN_SECONDS
        for folder in self.files_dir.iterdir():
            try:
                stale = folder.name not in owned and folder.stat().st_mtime < old
            except OSError:
                continue
            if stale:
                shutil.rmtree(folder, ignore_errors=True)

    def _shrink(self, db: sqlite3.Connection) -> list[str]:
        """Drop the oldest analyses until the newest ones fit in ``max_bytes`` (the newest
        itself always fits: it takes at most ``max_entry_bytes``); the files they owned."""
        gone = db.execute(
            "DELETE FROM analyses WHERE seq IN (SELECT seq FROM (SELECT seq, SUM(size)"
            " OVER (ORDER BY seq DESC) AS kept FROM analyses) WHERE kept > ?) RETURNING files",
            (self.max_bytes,),
        ).fetchall()
        return [f for (f,) in gone if f]

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """A connection of its own, in one transaction (a write one takes the lock first)."""
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        finally:
            db.close()  # an open transaction is rolled back

    def _use(self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """``work`` in a transaction; on a corrupt file, recreate it and do it once more."""
        try:
            with self._connect(write=write) as db:
                return work(db)
        except sqlite3.DatabaseError as exc:
            if not _is_corrupt(exc):
                raise
            self._recover()
            with self._connect(write=write) as db:
                return work(db)

    def _recover(self) -> None:
        """Create the schema; a corrupt file (or one of another schema) is moved aside to
        ``<name>.corrupt-<time>`` and recreated. Processes take turns (a file lock)."""
        with self.path.with_name(self.path.name + ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._create():
                return
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.warning("the analyses' database %s is unreadable: moved to %s", self.path, aside)
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
            if not self._create():
                raise AnalysisStoreError(f"cannot create the analyses' database {self.path}")

    def _create(self) -> bool:
        """Create the schema if missing; False when the file is corrupt or foreign."""
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in _MIGRATIONS:
                return False
            if version == 0:
                db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _MIGRATIONS[version]:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            db.execute("COMMIT")
            return bool(db.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        except sqlite3.DatabaseError as exc:
            if _is_corrupt(exc):
                return False
            raise
        finally:
            db.close()
