"""Distances on the WGS 84 ellipsoid: the one geodesic of clustermap.

Light on purpose (pyproj and numpy only), so the registry's validation can use it without
loading geopandas.
"""

from __future__ import annotations

import numpy as np
import pyproj

#: The WGS 84 ellipsoid's geodesic.
GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_distance_m(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Geodesic distance in metres on the WGS 84 ellipsoid, element-wise (broadcasting).

    Examples
    --------
    >>> round(float(geodesic_distance_m(4.0, 52.0, 4.0, 53.0)))
    111277
    """
    a, b, c, d = np.broadcast_arrays(
        np.asarray(lon1, dtype=float),
        np.asarray(lat1, dtype=float),
        np.asarray(lon2, dtype=float),
        np.asarray(lat2, dtype=float),
    )
    _, _, dist = GEOD.inv(a.ravel(), b.ravel(), c.ravel(), d.ravel())
    return np.asarray(dist, dtype=float).reshape(a.shape)
