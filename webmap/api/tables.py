"""Tabular exports shared by the command line and the pages: sites as CSV."""

from __future__ import annotations

import csv
import io

from geo.registry import Registry

SITE_CSV_COLUMNS = [
    "id", "cluster", "name", "role", "lon", "lat", "geometry_type", "address",
    "location_precision", "confidence", "approximates", "uncertainty_m", "footprint", "source",
    "valid_from", "valid_to", "notes",
]  # fmt: skip


def sites_csv(registry: Registry, cluster_id: str) -> str:
    """A cluster's sites as CSV: one row per site, ``lon``/``lat`` of a representative
    point (empty when the location is unknown)."""
    sites = registry.sites_of(cluster_id)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SITE_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for site_id, geom in sites.geometry.items():
        row = {"id": site_id, **sites.loc[site_id].drop("geometry").to_dict()}
        if geom is not None:
            point = geom.representative_point()
            row.update(lon=round(point.x, 7), lat=round(point.y, 7), geometry_type=geom.geom_type)
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
