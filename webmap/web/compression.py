"""gzip for HTML, JSON and GeoJSON answers, compressed once and kept in the cache.

Pages carry a nonce that changes with every response (:mod:`webmap.web.security`), so a page
cannot be kept compressed as sent. It is kept cut at the nonce marker instead, each piece
raw-deflated on its own and ended by a sync flush, so no piece refers back to another:
for each response the pieces and the freshly deflated nonce are joined into one deflate
stream, behind a gzip header and ahead of the CRC-32 and length of the whole
(:func:`gzip_with`). That costs a CRC over the page, not a compression.

A compressed answer has its own ETag (the plain one with :data:`GZIP_SUFFIX`), and
``Vary: Accept-Encoding``.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

__all__ = [
    "COMPRESSIBLE",
    "GZIP_SUFFIX",
    "MIN_BYTES",
    "Spliced",
    "gzip_with",
    "splice",
]

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "application/json",
        "application/geo+json",
        "application/vnd.oai.openapi+json",
    }
)
MIN_BYTES = 1024
GZIP_SUFFIX = "-gz"
_LEVEL = 6
# magic, deflate, no flags, no mtime, no extra flags, unknown OS (RFC 1952)
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def _deflate(data: bytes, *, last: bool) -> bytes:
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    mode = zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    return compressor.compress(data) + compressor.flush(mode)


@dataclass(frozen=True)
class Spliced:
    """A body cut at a marker: the plain pieces and each piece raw-deflated on its own."""

    pieces: tuple[bytes, ...]
    deflated: tuple[bytes, ...]


def splice(body: bytes, marker: bytes) -> Spliced:
    """Cut ``body`` at every ``marker`` and deflate the pieces (once per cached body)."""
    pieces = tuple(body.split(marker))
    last = len(pieces) - 1
    return Spliced(pieces, tuple(_deflate(p, last=i == last) for i, p in enumerate(pieces)))


def gzip_with(spliced: Spliced, filler: bytes) -> bytes:
    """The gzip file of the body with ``filler`` in place of each marker."""
    out = [_HEADER]
    crc = 0
    size = 0
    between = _deflate(filler, last=False) if len(spliced.pieces) > 1 else b""
    for i, (piece, deflated) in enumerate(zip(spliced.pieces, spliced.deflated, strict=True)):
        if i:
            out.append(between)
            crc = zlib.crc32(filler, crc)
            size += len(filler)
        out.append(deflated)
        crc = zlib.crc32(piece, crc)
        size += len(piece)
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)
