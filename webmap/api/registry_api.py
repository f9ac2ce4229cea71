"""The JSON/GeoJSON API as plain functions: parameters in, :class:`ApiResponse` out.

Nothing here knows Flask: :mod:`webmap.web.routes_api` adapts these functions to routes, and
tests can call them directly. Errors are ``{"code": ..., "description": ...}`` bodies
with a 4xx status; raw input is never echoed into HTML.

The registry endpoints live here; measures in :mod:`webmap.api.measures_api`, uploads in
:mod:`webmap.api.uploads_api`, and query parameters are declared with :mod:`webmap.api.params`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from geo import schema
from geo.registry import Registry, site_states
from webmap.api.response import GEOJSON, ApiResponse, answers_errors

if TYPE_CHECKING:
    import geopandas as gpd


def cluster_summary(registry: Registry, cluster_id: str) -> dict[str, Any]:
    """A cluster's id, name, place, practices and site counts."""
    return registry.summary(cluster_id)


def list_clusters(registry: Registry, *, practice: str | None = None) -> ApiResponse:
    """``GET /api/clusters``: every cluster, optionally only those with ``practice``."""
    items = [cluster_summary(registry, cid) for cid in registry.clusters.index]
    if practice:
        items = [c for c in items if practice in c["practices"]]
    return ApiResponse(200, {"clusters": items, "registry_version": registry.version})


@answers_errors
def cluster_detail(registry: Registry, cluster_id: str) -> ApiResponse:
    """``GET /api/clusters/<id>``: the summary's counts, every cluster field of
    :data:`geo.schema.CLUSTER_FIELDS` the tables list, practices with evidence, epicentres."""
    info = registry.cluster(cluster_id)
    body = cluster_summary(registry, cluster_id)
    # every field the tables list (geo.schema), then practices with their evidence
    listed = schema.table_columns(schema.CLUSTER_FIELDS)
    body.update({name: info[name] for name in listed if name not in body})
    body.update(
        practices=info["practices"],
        epicentres=[
            {
                "id": epi_id,
                "name": row["name"],
                "members": list(row["members"]),
                "description": row["description"],
            }
            for epi_id, row in registry.epicentres_of(cluster_id).iterrows()
        ],
        links={
            "sites": f"/api/clusters/{cluster_id}/sites",
            "measures": f"/api/clusters/{cluster_id}/measures",
            "density": f"/api/clusters/{cluster_id}/density",
            "isochrones": f"/api/clusters/{cluster_id}/isochrones",
            "map": f"/clusters/{cluster_id}",
        },
    )
    return ApiResponse(200, body)


def site_features(
    registry: Registry,
    cluster_id: str,
    *,
    as_of: str | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """A cluster's sites that existed at ``as_of`` (default ``today``, the current date;
    :meth:`geo.registry.Registry.sites_of`) as an RFC 7946 FeatureCollection (unlocated
    sites: null geometry; a site's ``footprint`` property holds its polygon as a GeoJSON
    geometry)."""
    return _collection(registry, registry.sites_of(cluster_id, as_of=as_of, today=today))


def site_listing(
    registry: Registry, cluster_id: str, *, today: datetime.date | None = None
) -> dict[str, Any]:
    """Every site the registry lists for a cluster, as :func:`site_features`, each with
    its ``state`` today (``open``, ``closed`` or ``not_yet``,
    :func:`geo.registry.site_states`): a closed site is listed and marked, not dropped."""
    sites = registry.registered(cluster_id)
    states = site_states(sites, today=today)
    return _collection(registry, sites, states=states)


def _collection(
    registry: Registry, sites: gpd.GeoDataFrame, *, states: list[str] | None = None
) -> dict[str, Any]:
    columns = [c for c in sites.columns if c != "geometry"]
    features = []
    for n, (site_id, geom, values) in enumerate(
        zip(sites.index, sites.geometry, sites[columns].itertuples(index=False), strict=True)
    ):
        props = {"id": site_id, **dict(zip(columns, values, strict=True))}
        if states is not None:
            props["state"] = states[n]
        if site_id in registry.footprints.index:  # the polygon itself, not its file name
            props["footprint"] = registry.footprints.geometry[site_id].__geo_interface__
        features.append(
            {
                "type": "Feature",
                "id": site_id,
                "geometry": None if geom is None else geom.__geo_interface__,
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@answers_errors
def cluster_sites(registry: Registry, cluster_id: str) -> ApiResponse:
    """``GET /api/clusters/<id>/sites``: GeoJSON FeatureCollection of every site listed,
    each with its ``state`` today (:func:`site_listing`)."""
    body = site_listing(registry, cluster_id)
    return ApiResponse(200, body, {"Content-Type": GEOJSON})


def health(registry: Registry) -> ApiResponse:
    """``GET /healthz``: the server is up and its registry loaded."""
    return ApiResponse(
        200,
        {
            "status": "ok",
            "registry_version": registry.version,
            "clusters": len(registry.clusters),
        },
    )
