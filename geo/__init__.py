"""clustermap's computation layer: registry, density, proximity, networks. No web code.

The analysis API gives typed results, whose ``to_dict()`` is the documented JSON
(``docs/measures.md``):

>>> import geopandas as gpd
>>> from geo import AnalysisOptions, analyse_points
>>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.37, 4.38, 4.39, 4.38],
...                        [52.00, 51.99, 52.00, 52.01]), crs="EPSG:4326")
>>> result = analyse_points(pts, AnalysisOptions(cores=None))
>>> result.density.area_method, round(result.density.area_km2, 2), result.crs.to_epsg()
('hull', 1.53, 32631)
>>> from geo.measures import measures
>>> [m.key for m in measures(AnalysisOptions(cores=None))]
['density', 'clark_evans', 'kde', 'hexbins']

:func:`analyse_file` measures a point file of any size, read in chunks as columns, and
:func:`analyse_cluster` a registry cluster (:func:`load_registry`); every measure is one
declaration in :mod:`geo.measures`, listed in order by :func:`geo.measures.measures`
(``CONTRIBUTING.md`` shows how to add one).
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from geo.errors import (
    ClustermapError,
    InputDataError,
    NetworkUnavailableError,
    ParameterError,
    RegistryError,
    UnknownIdError,
)
from geo.options import AnalysisOptions
from geo.registry import Registry, load_registry

if TYPE_CHECKING:
    from geo.analysis import PointAnalysis, analyse_points
    from geo.clusters import ClusterAnalysis, analyse_cluster
    from geo.column_analysis import ColumnAnalysis, analyse_file
    from geo.measures import Measure, register

#: The analysis API, imported on first use: the command line starts without pandas.
_LAZY = {
    "PointAnalysis": "geo.analysis",
    "analyse_points": "geo.analysis",
    "ClusterAnalysis": "geo.clusters",
    "analyse_cluster": "geo.clusters",
    "ColumnAnalysis": "geo.column_analysis",
    "analyse_file": "geo.column_analysis",
    "Measure": "geo.measures",
    "register": "geo.measures",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    msg = f"module 'geo' has no attribute {name!r}"
    raise AttributeError(msg)


try:
    __version__ = version("clustermap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "AnalysisOptions",
    "ClusterAnalysis",
    "ClustermapError",
    "ColumnAnalysis",
    "InputDataError",
    "Measure",
    "NetworkUnavailableError",
    "ParameterError",
    "PointAnalysis",
    "Registry",
    "RegistryError",
    "UnknownIdError",
    "analyse_cluster",
    "analyse_file",
    "analyse_points",
    "load_registry",
    "register",
]
