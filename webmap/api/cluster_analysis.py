"""One analysis per cluster: the page, its measures, its figure and ``/compare`` share it.

:func:`cluster_analysis` is the one place :mod:`webmap` calls
:func:`geo.measures.analyse_cluster`. Given the app's cache, it keeps each
:class:`~geo.measures.ClusterAnalysis` there per (registry version, cluster, options,
``as_of``, and today's date without ``as_of``: "today"'s sites change with the date), within
the cache's bound on bytes (:class:`webmap.api.memo.LruCache`), so the views of one cluster
derive from one analysis, whichever view is asked first. Without a cache (the command line)
it analyses the cluster each time.
"""

from __future__ import annotations

import datetime
import warnings

from geo.measures import ClusterAnalysis, analyse_cluster
from geo.options import AnalysisOptions
from geo.registry import Registry
from webmap.api.memo import LruCache, Runner, day_key, run_inline

__all__ = ["ClusterAnalysis", "cluster_analysis"]


def cluster_analysis(
    registry: Registry,
    cluster_id: str,
    options: AnalysisOptions | None = None,
    *,
    as_of: str | None = None,
    today: datetime.date | None = None,
    cache: LruCache | None = None,
    run: Runner = run_inline,
) -> ClusterAnalysis:
    """The analysis of a registry cluster (:func:`geo.measures.analyse_cluster`), from
    ``cache`` when it holds it.

    Parameters
    ----------
    registry, cluster_id, options, as_of, today
        As :func:`geo.measures.analyse_cluster` takes them (``options`` default
        :class:`~geo.options.AnalysisOptions`, ``today`` default the current date).
    cache
        The app's cache; ``None`` analyses the cluster with no memory (its warnings are
        then raised as Python warnings, for the command line to print; a cached analysis
        is computed with warnings silenced: they are in its result).
    run
        Runs an analysis missing from ``cache`` (the app's work pool; inline when the
        caller already runs in it).

    Raises
    ------
    UnknownIdError
        For an unknown cluster id.
    """
    options = options if options is not None else AnalysisOptions()
    today = today or datetime.date.today()
    if cache is None:
        return analyse_cluster(registry, cluster_id, options, as_of=as_of, today=today)

    def analyse() -> ClusterAnalysis:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return analyse_cluster(registry, cluster_id, options, as_of=as_of, today=today)

    key = (
        "analysis",
        registry.version,
        cluster_id,
        options,
        as_of,
        day_key(as_of, today=today),
    )
    return cache.get_or_compute(key, analyse, run=run)
