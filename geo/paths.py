"""Where clustermap keeps its files: the cache folder, and the variable that names it.

A light module (no heavy imports), so the command line and the configuration can name the
folder without loading the network code.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE_DIR = "CLUSTERMAP_CACHE_DIR"
"""Environment variable naming the cache folder."""

DEFAULT_CACHE_DIR = Path("~/.cache/clustermap")


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the cache folder: ``cache_dir``, else ``$CLUSTERMAP_CACHE_DIR``, else the default.

    Parameters
    ----------
    cache_dir
        An explicit folder; wins over the environment variable.

    Returns
    -------
    Path
        The folder, user-expanded (it may not exist yet).
    """
    if cache_dir is not None and str(cache_dir) != "":
        return Path(cache_dir).expanduser()
    env = os.environ.get(ENV_CACHE_DIR, "")
    if env:
        return Path(env).expanduser()
    return DEFAULT_CACHE_DIR.expanduser()
