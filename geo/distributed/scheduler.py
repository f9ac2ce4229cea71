"""The Dask client of a run: a scheduler's address, or a local cluster of processes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from geo.errors import EngineUnavailableError, ParameterError, clip, quote

__all__ = ["CONNECT_TIMEOUT_S", "dask_client", "require_dask"]

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT_S = 10.0


def require_dask() -> None:
    """Raise :class:`~geo.errors.EngineUnavailableError` unless the ``dask`` extra is
    installed."""
    try:
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        msg = f"the dask engine needs the 'dask' extra (pip install 'clustermap[dask]'): {exc}"
        raise EngineUnavailableError(msg) from None


@contextmanager
def dask_client(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    timeout_s: float | None = None,
) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``scheduler`` (``tcp://HOST:PORT``),
    or of a local cluster of ``workers`` processes (one thread each; default 2) started for
    the block and closed after it.

    Raises
    ------
    EngineUnavailableError
        If dask is not installed, or no scheduler answers at ``scheduler`` within
        ``timeout_s`` seconds (default :data:`CONNECT_TIMEOUT_S`).
    """
    require_dask()
    from distributed import Client, LocalCluster

    if scheduler is not None and workers is not None:
        msg = "give either a scheduler address or a number of workers, not both"
        raise ParameterError(msg)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout_s or CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            msg = f"cannot reach the Dask scheduler {quote(scheduler)}: {clip(exc, limit=120)}"
            raise EngineUnavailableError(msg) from None
        except ValueError as exc:
            msg = f"not a Dask scheduler address: {quote(scheduler)} ({clip(exc, limit=120)})"
            raise ParameterError(msg) from None
        with client:
            yield client
        return
    count = 2 if workers is None else workers
    if count < 1:
        msg = f"--workers must be at least 1, not {count}"
        raise ParameterError(msg)
    with (
        _quiet_scheduler(),
        LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: 8787 may be another cluster's
            memory_limit=memory_limit or "auto",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextmanager
def _quiet_scheduler() -> Iterator[None]:
    """A local scheduler's routine log lines (each shuffle started and ended, a worker's
    closing) at level WARNING or below stay out of the user's terminal."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
