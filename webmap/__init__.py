"""clustermap's web layer: a Flask app serving Folium maps and a JSON/GeoJSON API.

Use :func:`create_app`; there is no app object at import time. Importing this package is
cheap (Flask and Folium load with the app), so that the command line starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; see :func:`webmap.web.app.create_app`."""
    from webmap.web.app import create_app as build

    return build(config)


__all__ = ["create_app"]
