"""Mapbox Vector Tile 2.1 encoding of point features (no geometry other than points).

A tile holds one layer; each feature is one point (``MoveTo`` with one zigzag-encoded
position in the tile's ``extent``) whose properties index the layer's ``keys`` and
``values`` tables, each key and value stored once. Integers are ``uint_value``, text is
``string_value``. The protobuf fields written are those of the MVT 2.1 schema
(``vector_tile.proto``): ``Tile.layers`` (3); ``Layer.version`` (15), ``name`` (1),
``features`` (2), ``keys`` (3), ``values`` (4), ``extent`` (5); ``Feature.tags`` (2,
packed), ``type`` (3, ``POINT`` = 1), ``geometry`` (4, packed).

Written here rather than with the ``mapbox-vector-tile`` package: that package builds a
shapely geometry and a protobuf object per feature, which takes far longer than a whole
tile's budget for thousands of points (``scripts/bench_tiles.py`` prints both); tests
decode our tiles with ``mapbox_vector_tile.decode``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["EXTENT", "encode_points"]

#: Tile coordinates run over [0, EXTENT) on each axis.
EXTENT = 4096

_MOVE_TO_ONE = (1 & 0x7) | (1 << 3)  # command MoveTo, count 1
_VARINTS = [bytes([i]) if i < 128 else bytes([(i & 0x7F) | 0x80, i >> 7]) for i in range(16384)]


def _varint(value: int) -> bytes:
    if value < 16384:
        return _VARINTS[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _Varints:
    """Varints of any size, indexed like :data:`_VARINTS` (for the rare tile whose values
    or coordinates exceed that table)."""

    def __getitem__(self, value: int) -> bytes:
        return _varint(value)

    def __len__(self) -> int:
        return 1 << 63


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _value_field(value: int | str) -> bytes:
    """``Layer.values`` (4) holding a ``Value``: ``string_value`` (1, tag 0x0A) for text,
    ``uint_value`` (5, tag 0x28) for integers >= 0."""
    if isinstance(value, str):
        text = value.encode("utf-8")
        message = b"\x0a" + _varint(len(text)) + text
    else:
        message = b"\x28" + _varint(value)
    return b"\x22" + _varint(len(message)) + message


def encode_points(
    x: np.ndarray,
    y: np.ndarray,
    properties: Mapping[str, Sequence[int] | Sequence[str]],
    *,
    layer: str,
    extent: int = EXTENT,
) -> bytes:
    """One MVT layer of point features, as the bytes of a ``Tile`` message.

    Parameters
    ----------
    x, y
        Integer tile coordinates of each point, in [0, ``extent``), ``y`` down.
    properties
        Property name -> one value per point (non-negative integers or text).
    layer
        The layer's name.
    extent
        The tile's extent.

    Returns
    -------
    bytes
        The tile; empty (a tile with no layer) when there is no point.
    """
    if len(x) == 0:
        return b""
    keys = list(properties)
    values: dict[int | str, int] = {}  # value -> its index (an int never equals a str)
    indices = [[values.setdefault(v, len(values)) for v in properties[k]] for k in keys]
    xs = (np.asarray(x, dtype=np.int64) * 2).tolist()  # zigzag of a non-negative number
    ys = (np.asarray(y, dtype=np.int64) * 2).tolist()
    small = max(len(values), len(keys), max(xs), max(ys)) < len(_VARINTS)
    v: list[bytes] | _Varints = _VARINTS if small else _Varints()
    # each feature's tags: key index, value index, ... as packed varints
    pairs = [[v[k] + v[i] for i in column] for k, column in enumerate(indices)]
    tags = list(map(b"".join, zip(*pairs, strict=True)))
    geometries = [v[_MOVE_TO_ONE] + v[a] + v[b] for a, b in zip(xs, ys, strict=True)]
    bodies = [
        b"\x12" + v[len(t)] + t + b"\x18\x01\x22" + v[len(g)] + g  # tags, type POINT, geometry
        for t, g in zip(tags, geometries, strict=True)
    ]
    features = b"".join(b"\x12" + v[len(body)] + body for body in bodies)
    parts = [
        _varint((15 << 3) | 0) + _varint(2),  # version 2
        _field(1, layer.encode("utf-8")),
        features,
        b"".join(_field(3, key.encode("utf-8")) for key in keys),
        b"".join(map(_value_field, values)),
        _varint((5 << 3) | 0) + _varint(extent),
    ]
    return _field(3, b"".join(parts))
