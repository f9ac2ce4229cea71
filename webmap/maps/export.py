"""Self-contained HTML exports of Folium maps: one file that opens from ``file://``.

Leaflet, its plugins and their CSS (icons as ``data:`` URIs) are copied into the page from
the vendored files, so the page needs nothing but itself; only basemap tiles come from the
network, and markers and popups work without them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import folium

from webmap.maps.assets import INLINE_PREFIX, inline_assets, use_local_assets
from webmap.maps.elements import zoomable

__all__ = ["standalone_html"]

# use_local_assets sets class attributes: two exports at once must not interleave
_LOCK = threading.Lock()


@contextmanager
def _inline_asset_links() -> Iterator[None]:
    """Point Folium's asset links at inline placeholders, then back at the server's files
    (the default of :func:`~webmap.maps.assets.use_local_assets`).

    The links are class attributes: a server page rendered in another thread during an
    export would get placeholders, so exports should not run inside the web server's
    request threads while pages render (the command line is the intended caller).
    """
    with _LOCK:
        use_local_assets(INLINE_PREFIX)
        try:
            yield
        finally:
            use_local_assets()


def standalone_html(fmap: folium.Map) -> str:
    """The whole page of ``fmap`` with every script and stylesheet inlined.

    The map can be rendered again afterwards (for the server or another export).
    """
    with _inline_asset_links():
        html = fmap.get_root().render()
    return zoomable(inline_assets(html))
