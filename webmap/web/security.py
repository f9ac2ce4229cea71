"""Response headers that keep pages safe: Content-Security-Policy and friends.

Inline scripts run only with the per-response nonce of the page. Templates write the
inline scripts we generate (Folium's map script and its header snippet) with
``nonce="{{ csp_nonce }}"`` or through the ``nonced`` filter; that value is
:data:`NONCE_MARKER`, a random string of this process that never leaves it: each HTML
response replaces it by a fresh nonce (:func:`page_nonce`), which the policy names. A
script injected into a page (say through a registry text that escaped escaping) carries no
nonce and does not run, and cached pages stay byte-identical until they are sent.

Folium's inline ``<style>`` blocks and ``style="..."`` attributes are allowed by hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable

from markupsafe import Markup

NONCE_MARKER = "cmnonce" + secrets.token_hex(16)

_INLINE_SCRIPT_TAG = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)", re.I)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
# style="..." attributes Folium writes (popup wrappers), also inside its JS strings; user
# text cannot add one: escape_text turns its quotes into &quot;
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')


def nonced(html: str) -> Markup:
    """Markup we generated (Folium's header) with the nonce marker on its inline scripts."""
    return Markup(_INLINE_SCRIPT_TAG.sub(f'<script nonce="{NONCE_MARKER}"', html))


def page_nonce(html: bytes) -> str | None:
    """A fresh nonce for a page that has nonced scripts (None for one that has none); the
    caller puts it in place of the marker (:mod:`webmap.web.compression` does)."""
    return secrets.token_urlsafe(18) if NONCE_MARKER.encode() in html else None


def _hashes(blocks: Iterable[str]) -> list[str]:
    out = []
    for block in blocks:
        digest = hashlib.sha256(block.encode("utf-8")).digest()
        out.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return sorted(set(out))


def content_security_policy(
    html: bytes,
    *,
    nonce: str | None,
    tile_origins: Iterable[str],
    frame_ancestors: Iterable[str],
    etag: str | None = None,
) -> str:
    """The CSP for one HTML page.

    Parameters
    ----------
    html
        The page as rendered (with the marker, not the nonce): its inline styles are
        allowed by hash (memoised on the page's strong ETag, else its digest: cached pages
        are sent many times and scanning them each time would cost more than serving them).
    etag
        The page's strong ETag, when it has one.
    nonce
        The nonce of this response's inline scripts, or None: no inline script runs.
    tile_origins
        Where basemap tiles may load from (images only).
    frame_ancestors
        Who may frame the page: ``'self'`` for ordinary pages, the configured origins for
        ``/embed/``.
    """
    key = etag or hashlib.blake2b(html, digest_size=16).hexdigest()
    styles = _MEMO.get(key)
    if styles is None:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        styles = _MEMO[key] = _styles(html.decode("utf-8"))
    scripts = "'self'" if nonce is None else f"'self' 'nonce-{nonce}'"
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


_MEMO: dict[str, str] = {}
_MEMO_SIZE = 256


def _styles(html: str) -> str:
    """The style-src sources of a page: ours, and its inline blocks and attributes by hash."""
    attributes = _hashes(_STYLE_ATTR.findall(html))
    return " ".join(
        [
            "'self'",
            *_hashes(_STYLE.findall(html)),
            *(["'unsafe-hashes'", *attributes] if attributes else []),
        ]
    )
