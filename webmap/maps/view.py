"""What a map shows: layers, basemap and view, parsed from query parameters or options.

Parsing is strict: an unknown layer, an unknown basemap, a latitude, longitude or zoom
out of range, or a date that is not ``YYYY[-MM[-DD]]`` is a
:class:`geo.errors.ParameterError` with a readable message (answered ``400`` by the
pages), never a broken map.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geo.errors import ParameterError, quote
from geo.registry import date_key
from webmap.maps.basemaps import BASEMAPS, DEFAULT_BASEMAP

MAX_ZOOM = 19
VIEW_PARAMS = ("layers", "basemap", "lat", "lon", "zoom", "as_of")
_ZOOM = re.compile(r"[0-9]{1,2}")  # ASCII digits only: str.isdigit() accepts "²"


@dataclass(frozen=True)
class MapView:
    """Layers to draw (``None``: every layer, the default ones shown), the basemap, an
    optional centre and zoom (``None``: fit the data), and the date whose sites are shown
    (``as_of``, ``YYYY[-MM[-DD]]``; ``None``: today's registry)."""

    layers: tuple[str, ...] | None = None
    basemap: str = DEFAULT_BASEMAP
    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    as_of: str | None = None


def parse_layers(text: str, *, available: Iterable[str]) -> tuple[str, ...]:
    """A comma list of layer keys, each one of ``available``."""
    allowed = list(available)
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        msg = f"unknown layer {quote(unknown[0])}; layers: {', '.join(allowed)}"
        raise ParameterError(msg)
    if not keys:
        msg = f"layers is empty; layers: {', '.join(allowed)}"
        raise ParameterError(msg)
    return keys


def parse_basemap(args: Mapping[str, str]) -> str:
    """The ``basemap`` asked for, one of :data:`~webmap.maps.basemaps.BASEMAPS` (default
    :data:`~webmap.maps.basemaps.DEFAULT_BASEMAP`)."""
    basemap = args.get("basemap", DEFAULT_BASEMAP)
    if basemap not in BASEMAPS:
        msg = f"unknown basemap {quote(basemap)}; basemaps: {', '.join(BASEMAPS)}"
        raise ParameterError(msg)
    return basemap


def parse_view(args: Mapping[str, str], *, available: Iterable[str]) -> MapView:
    """A :class:`MapView` from ``layers``, ``basemap``, ``lat``, ``lon``, ``zoom`` and
    ``as_of``."""
    layers = parse_layers(args["layers"], available=available) if "layers" in args else None
    basemap = parse_basemap(args)
    lat = _number(args, "lat", -90, 90)
    lon = _number(args, "lon", -180, 180)
    if (lat is None) != (lon is None):
        msg = "lat and lon go together: give both or neither"
        raise ParameterError(msg)
    zoom = None
    if "zoom" in args:
        text = args["zoom"]
        if not _ZOOM.fullmatch(text) or int(text) > MAX_ZOOM:
            msg = f"zoom must be a whole number from 0 to {MAX_ZOOM}"
            raise ParameterError(msg)
        zoom = int(text)
    as_of = args.get("as_of") or None
    if as_of is not None:
        date_key(as_of, field="as_of")
    return MapView(layers=layers, basemap=basemap, lat=lat, lon=lon, zoom=zoom, as_of=as_of)


def _number(args: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    if name not in args:
        return None
    text = args[name]
    try:
        value = float(text) if len(text) <= 50 and text.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        msg = f"{name} must be a number from {low:g} to {high:g}"
        raise ParameterError(msg)
    return value
