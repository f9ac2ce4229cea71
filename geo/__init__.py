"""clustermap's computation layer: registry, density, proximity, networks. No web code."""

from importlib.metadata import PackageNotFoundError, version

from geo.errors import (
    ClustermapError,
    InputDataError,
    NetworkUnavailableError,
    ParameterError,
    RegistryError,
    UnknownIdError,
)
from geo.registry import Registry, load_registry

try:
    __version__ = version("clustermap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ClustermapError",
    "InputDataError",
    "NetworkUnavailableError",
    "ParameterError",
    "Registry",
    "RegistryError",
    "UnknownIdError",
    "load_registry",
]
