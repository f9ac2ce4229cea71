"""Tabular exports shared by the command line and the pages: sites as CSV."""

from __future__ import annotations

import csv
import datetime
import io

from geo import schema
from geo.registry import Registry, site_states


def sites_csv(registry: Registry, cluster_id: str, *, today: datetime.date | None = None) -> str:
    """Every site the registry lists for a cluster as CSV: one row per site, ``lon``/``lat``
    of a representative point (empty when the location is unknown), ``state`` its state
    ``today`` (``open``, ``closed`` or ``not_yet``, :func:`geo.registry.site_states`;
    default the current date): a closed site is listed and marked, not dropped. The
    columns are :data:`geo.schema.SITE_FIELDS`' table columns, in their order."""
    sites = registry.registered(cluster_id)
    states = dict(zip(sites.index, site_states(sites, today=today), strict=True))
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=schema.table_columns(schema.SITE_FIELDS), extrasaction="ignore"
    )
    writer.writeheader()
    for site_id, geom in sites.geometry.items():
        row = {"id": site_id, **sites.loc[site_id].drop("geometry").to_dict()}
        row["state"] = states[site_id]
        if geom is not None:
            point = geom.representative_point()
            row.update(lon=round(point.x, 7), lat=round(point.y, 7), geometry_type=geom.geom_type)
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
