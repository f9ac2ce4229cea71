"""GDAL locked down for untrusted files: an allow-list of drivers and no network.

A file can name another data source that GDAL would open on the reader's behalf (a VRT's
``SrcDataSource``, a GDALG pipeline's ``read`` step, a WFS URL), or run work before its
driver is checked (GDALG runs its pipeline when it is opened). So a process that opens
uploads registers only the drivers of :data:`PROCESS_DRIVERS` and skips every other one:

* :func:`gdal_environment` gives the environment variables that do it before GDAL loads
  (``GDAL_SKIP`` is read when GDAL registers its drivers): a child process that reads an
  upload sets them before it imports pyogrio.
* :func:`restrict_drivers` does the same in a process where GDAL is already loaded: it
  sets ``GDAL_SKIP`` and registers the drivers again, which unloads the skipped ones (for
  the whole process, for good). Every read of a vector file calls it first.

Uploads are opened by :data:`UPLOAD_DRIVERS` only (:mod:`geo.formats` checks which one
opened a file); ``GeoJSON`` and ``TopoJSON`` stay registered for the application's own
files (GeoJSON written by the command line, the bundled country outlines), and never see an
upload: GeoJSON uploads are parsed by Python (:mod:`geo._geojson`).

No path GDAL opens starts with ``/vsi`` (uploads are bytes or local paths), and
:data:`GDAL_CONFIG` shuts the network virtual file systems twice over: an extension no URL
is allowed to have (a check that a ``#`` suffix defeats, so not trusted alone) and a proxy
on a closed loopback port, through which every HTTP request GDAL makes fails.
"""

from __future__ import annotations

__all__ = [
    "GDAL_CONFIG",
    "PROCESS_DRIVERS",
    "UPLOAD_DRIVERS",
    "gdal_environment",
    "restrict_drivers",
]

#: GDAL drivers that may open an upload.
UPLOAD_DRIVERS = ("GPKG", "ESRI Shapefile", "FlatGeobuf")
#: GDAL drivers registered in a process that opens uploads: :data:`UPLOAD_DRIVERS`, and
#: the application's own GeoJSON output and bundled TopoJSON outlines.
PROCESS_DRIVERS = (*UPLOAD_DRIVERS, "GeoJSON", "TopoJSON")

#: GDAL settings for every read: no network virtual file system answers, no directory
#: listing, no SQLite access to other files.
GDAL_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".clustermap-no-network",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "CPL_AWS_AUTODETECT_EC2": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "TRUE",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
}


def _skipped() -> str:
    """Every vector driver of this GDAL build but :data:`PROCESS_DRIVERS`, comma-separated
    (driver names hold spaces): those registered now, and those already skipped (a
    driver skipped once stays skipped; an empty ``GDAL_SKIP`` would register them all)."""
    import pyogrio

    already = str(pyogrio.get_gdal_config_option("GDAL_SKIP") or "")
    names = set(pyogrio.list_drivers()) | {n.strip() for n in already.split(",") if n.strip()}
    return ",".join(sorted(names - set(PROCESS_DRIVERS)))


def gdal_environment() -> dict[str, str]:
    """Environment variables that lock GDAL down in a new process (see the module doc).

    Set them before the process imports pyogrio (or GDAL in any other way): ``GDAL_SKIP``
    is read once, when GDAL registers its drivers. The list is computed from the drivers of
    this GDAL build, so it imports pyogrio in the calling process.

    Examples
    --------
    >>> env = gdal_environment()
    >>> "GDALG" in env["GDAL_SKIP"].split(",") and "GPKG" not in env["GDAL_SKIP"].split(",")
    True
    """
    return {"GDAL_SKIP": _skipped(), **GDAL_CONFIG}


def restrict_drivers() -> None:
    """Unload every GDAL driver but :data:`PROCESS_DRIVERS` from this process, and apply
    :data:`GDAL_CONFIG` (idempotent; about a millisecond)."""
    import pyogrio
    from pyogrio._ogr import _register_drivers  # the only way pyogrio re-reads GDAL_SKIP

    pyogrio.set_gdal_config_options({**GDAL_CONFIG, "GDAL_SKIP": _skipped()})
    _register_drivers()
