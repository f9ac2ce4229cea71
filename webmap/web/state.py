"""Per-application state: the registry the app serves."""

from __future__ import annotations

from flask import current_app

from geo.registry import Registry

REGISTRY_KEY = "clustermap.registry"


def get_registry() -> Registry:
    """The registry loaded by :func:`webmap.create_app` for the current app."""
    registry: Registry = current_app.extensions[REGISTRY_KEY]
    return registry
