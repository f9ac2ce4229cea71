"""Results as JSON: the one sanitiser of values and the one GeoJSON writer of frames."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars become Python ones, tuples lists, NaN and infinities
    None; dict keys become strings.

    Examples
    --------
    >>> to_jsonable({"r": np.float64(0.5), "p": float("nan"), 1: (np.int64(2),)})
    {'r': 0.5, 'p': None, '1': [2]}
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def feature_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """``frame`` as an RFC 7946 FeatureCollection (EPSG:4326; missing values null; no
    ``id`` member, an index with a name becomes a property)."""
    frame = frame.to_crs(4326)
    if frame.index.name is not None:
        frame = frame.reset_index()
    data: dict[str, Any] = json.loads(frame.to_json(drop_id=True, na="null"))
    return data
