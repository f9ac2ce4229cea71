"""Every setting of the service: its default, its one environment variable, its type.

:func:`load` fills a Flask config from :data:`SETTINGS`: an override given to
``create_app`` wins, else the setting's environment variable, else its default. Values are
parsed and checked once, here, so the server refuses to start on a bad value instead of
failing on a request. ``docs/api.md`` lists the same table (a test keeps them equal).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import ClustermapError, Problems, clip
from geo.paths import ENV_CACHE_DIR
from geo.registry import DATA_ENV, default_data_dir

PREFIX = "CLUSTERMAP_"
MIB = 1024 * 1024


class ConfigError(ClustermapError, ValueError):
    """A setting whose value cannot be used: the server does not start."""


def _integer(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be >= 0")
    return number


def _seconds(value: Any) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be > 0")
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        if value.strip().lower() not in ("true", "false", "1", "0", ""):
            raise ValueError("must be true or false")
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _slots(value: Any) -> int | None:
    return None if value in (None, "", "none") else max(1, _integer(value))


def _queue(value: Any) -> int | None:
    return None if value in (None, "", "none") else _integer(value)


def _memory(value: Any) -> int:
    number = _integer(value)
    if number < 256 * MIB:
        raise ValueError("must be >= 268435456 (256 MB): the process's libraries need that")
    return number


def _cpu_seconds(value: Any) -> int:
    number = _integer(value)
    if number < 1:
        raise ValueError("must be >= 1")
    return number


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _folder(value: Any) -> str | None:
    return None if value in (None, "") else str(Path(str(value)).expanduser())


def _origins(value: Any) -> list[str]:
    """A list of origins: a list, a JSON list, or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", '"')):
            value = json.loads(text)
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of origins")
    return [str(part) for part in value]


#: A published point file's name: letters, digits, ``_`` and ``-``.
POINT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def point_files(value: Any) -> dict[str, dict[str, str | None]]:
    """Point files to publish as tiles: ``NAME=FILE`` or ``NAME=FILE@CRS`` items (a list, or
    one comma-separated string), or a mapping (``{name: path}``, or this function's result);
    each name once, each file existing.

    Returns ``{name: {"path": absolute path, "crs": CRS or None}}``.
    """
    if isinstance(value, Mapping):  # {name: path} or this function's own result
        value = [
            f"{name}={spec['path']}" + (f"@{spec['crs']}" if spec.get("crs") else "")
            if isinstance(spec, Mapping)
            else f"{name}={spec}"
            for name, spec in value.items()
        ]
    elif isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValueError("must be NAME=FILE items")
    found: dict[str, dict[str, str | None]] = {}
    for item in value:
        name, sep, spec = str(item).partition("=")
        if not sep:
            raise ValueError(f"{clip(item)!r} is not NAME=FILE")
        name, spec = name.strip(), spec.strip()
        if not POINT_NAME.fullmatch(name):
            raise ValueError(f"{clip(name)!r}: a name is 1-64 letters, digits, '_' or '-'")
        if name in found:
            raise ValueError(f"{name!r} is given twice")
        path, crs = spec, None
        if "@" in spec and not Path(spec).is_file():
            path, _, crs = spec.rpartition("@")
        file = Path(path).expanduser()
        if not file.is_file():
            raise ValueError(f"{name}: no such file {clip(path)!r}")
        found[name] = {"path": str(file.resolve()), "crs": crs or None}
    return found


@dataclass(frozen=True)
class Setting:
    """One setting: its name in the Flask config, default, parser and doc."""

    name: str
    default: Any
    parse: Callable[[Any], Any]
    doc: str
    env_name: str | None = None

    @property
    def env(self) -> str:
        """The one environment variable of the setting."""
        return self.env_name or PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", None, _folder, "Registry folder (default: the bundled one).", DATA_ENV),
    Setting(
        "NETWORK_CACHE_DIR",
        None,
        _folder,
        "Street networks, engines and analyses (default: ~/.cache/clustermap).",
        ENV_CACHE_DIR,
    ),
    Setting("EMBED_ORIGINS", [], _origins, "Origins allowed to frame /embed/ pages."),
    Setting("CORS_ORIGINS", ["*"], _origins, "Origins allowed to read the API (CORS)."),
    Setting(
        "MAX_CONTENT_LENGTH",
        20 * MIB,
        _integer,
        "Largest request body read in memory (an upload's inline limit), in bytes.",
    ),
    Setting(
        "UPLOAD_SPOOL_BYTES",
        384 * MIB,
        _integer,
        "Largest CSV or GeoParquet upload body, in bytes: above MAX_CONTENT_LENGTH it is "
        "spooled to the cache folder, read in columns and mapped as vector tiles.",
    ),
    Setting("MAX_SPOOLED_POINTS", 5_000_000, _integer, "Most points in one spooled upload."),
    Setting("MAX_UPLOAD_POINTS", 2_000_000, _integer, "Most points in one upload."),
    Setting("MAX_UPLOAD_DECODED_BYTES", 256 * MIB, _integer, "Largest upload once decompressed."),
    Setting("ANALYSIS_TTL_SECONDS", 3600, _seconds, "How long an upload's analysis is kept."),
    Setting("ANALYSIS_MAX_BYTES", 256 * MIB, _integer, "Bytes of kept analyses at most."),
    Setting("CACHE_ENTRIES", 512, _integer, "Entries of the in-memory cache at most."),
    Setting("CACHE_MAX_BYTES", 256 * MIB, _integer, "Bytes of the in-memory cache at most."),
    Setting(
        "POINTS",
        {},
        point_files,
        "Point files served as vector tiles at /points/NAME: NAME=FILE[@CRS], comma-separated.",
    ),
    Setting("PROXY_COUNT", 0, _integer, "Trusted reverse proxies in front of the server."),
    Setting("PUBLIC_URL", None, _text, "The service's public URL (scheme, host, prefix)."),
    Setting("SERVER_CHANNEL_TIMEOUT", 30, _integer, "Seconds before an idle connection closes."),
    Setting("SERVER_CONNECTION_LIMIT", 1000, _integer, "Open connections at most."),
    Setting("WORK_SLOTS", None, _slots, "Heavy computations at once (default: the CPU cores)."),
    Setting("WORK_TIMEOUT_SECONDS", 60, _seconds, "Seconds a request waits for a slot."),
    Setting("WORK_QUEUE", None, _queue, "Computations waiting for a slot (default: 4 per slot)."),
    Setting("WORK_QUEUE_SECONDS", 10, _seconds, "Seconds a computation waits for a slot."),
    Setting("UPLOAD_MEMORY_BYTES", 1536 * MIB, _memory, "Address space of an upload's process."),
    Setting("UPLOAD_CPU_SECONDS", 40, _cpu_seconds, "CPU seconds of an upload's process."),
    Setting("UPLOAD_WALL_SECONDS", 45, _seconds, "Seconds an upload's process may run."),
    Setting(
        "UPLOAD_SPOOL_MEMORY_BYTES",
        2048 * MIB,
        _memory,
        "Address space of a spooled upload's process (analysis and tile index).",
    ),
    Setting(
        "UPLOAD_SPOOL_SECONDS",
        300,
        _cpu_seconds,
        "CPU seconds, and wall-clock seconds, of a spooled upload's process.",
    ),
    Setting("TESTING", False, _flag, "Flask's testing mode (tests only)."),
    Setting(
        "TEST_WORKER_HEADER", False, _flag, "With TESTING: name the answering process (tests)."
    ),
)

#: Environment names of earlier releases, still read with a warning.
DEPRECATED_ENV = {
    "CLUSTERMAP_DATA_DIR": "DATA_DIR",
    "CLUSTERMAP_NETWORK_CACHE_DIR": "NETWORK_CACHE_DIR",
}


def _raw(setting: Setting, overrides: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    if setting.name in overrides:
        return overrides[setting.name]
    if setting.env in environ:
        return environ[setting.env]
    for old, name in DEPRECATED_ENV.items():
        if name == setting.name and old in environ:
            warnings.warn(f"{old} is deprecated; set {setting.env}", FutureWarning, stacklevel=4)
            return environ[old]
    return setting.default


def load(
    overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every setting's value (overrides, else environment, else default), parsed.

    Keys of ``overrides`` that are not settings (``TESTING``...) are kept as given.

    Raises
    ------
    ConfigError
        With one problem per setting whose value cannot be used.
    """
    overrides = overrides or {}
    environ = os.environ if environ is None else environ
    values = dict(overrides)
    problems = Problems()
    for setting in SETTINGS:
        raw = _raw(setting, overrides, environ)
        try:
            values[setting.name] = setting.parse(raw)
        except (TypeError, ValueError) as exc:
            problems.add(f"{clip(raw)!r}: {exc}", where=f"{setting.name} ({setting.env})")
    if values["DATA_DIR"] is None:
        values["DATA_DIR"] = str(default_data_dir())
    problems.raise_if_any(ConfigError, "invalid configuration")
    return values


def settings_table() -> str:
    """The settings as a Markdown table (``docs/api.md`` holds it)."""
    rows = ["| setting | environment variable | default | what |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = "—" if s.default in (None, [], {}) else f"`{json.dumps(s.default)}`"
        rows.append(f"| `{s.name}` | `{s.env}` | {default} | {s.doc} |")
    return "\n".join(rows)
