"""Response headers that keep pages safe: Content-Security-Policy and friends.

Folium writes its map as inline ``<script>`` and ``<style>`` blocks. Rather than allowing
every inline script (``'unsafe-inline'``), the policy lists the SHA-256 hash of each inline
block of the page being sent, so an injected script, whose hash is not listed, never runs.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
# style="..." attributes Folium writes (popup wrappers), also inside its JS strings; user
# text cannot add one: escape_text turns its quotes into &quot;
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')


def _hashes(blocks: Iterable[str]) -> list[str]:
    out = []
    for block in blocks:
        digest = hashlib.sha256(block.encode("utf-8")).digest()
        out.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return sorted(set(out))


def content_security_policy(
    html: str, *, tile_origins: Iterable[str], frame_ancestors: Iterable[str]
) -> str:
    """The CSP for one HTML page (memoised on the page's digest: cached pages are sent
    many times and scanning them each time would cost more than serving them)."""
    key = (hashlib.sha256(html.encode("utf-8")).digest(), *tile_origins, "|", *frame_ancestors)
    policy = _MEMO.get(key)
    if policy is None:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        policy = _MEMO[key] = _policy(html, tile_origins, frame_ancestors)
    return policy


_MEMO: dict[tuple[object, ...], str] = {}
_MEMO_SIZE = 256


def _policy(html: str, tile_origins: Iterable[str], frame_ancestors: Iterable[str]) -> str:
    """Build the CSP of one HTML page.

    Parameters
    ----------
    html
        The page as sent; its inline scripts and styles are allowed by hash.
    tile_origins
        Where basemap tiles may load from (images only).
    frame_ancestors
        Who may frame the page: ``'self'`` for ordinary pages, the configured origins for
        ``/embed/``.
    """
    scripts = " ".join(["'self'", *_hashes(_SCRIPT.findall(html))])
    attributes = _hashes(_STYLE_ATTR.findall(html))
    styles = " ".join(
        [
            "'self'",
            *_hashes(_STYLE.findall(html)),
            *(["'unsafe-hashes'", *attributes] if attributes else []),
        ]
    )
    images = " ".join(["'self'", "data:", *tile_origins])
    ancestors = " ".join(frame_ancestors) or "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            f"style-src {styles}",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )
