"""OGC API - Features, Part 1: Core, as plain functions (no Flask).

Collections: ``sites`` (every site listed, with its ``state`` today: ``open``, ``closed``
or ``not_yet``; null geometry when unlocated), ``clusters`` (the city reference point of
each cluster, with its registry columns and its counts of the sites open and closed today)
and ``epicentres`` (the polygon, or line, joining the located member sites). Each is one
:class:`Collection` record of :data:`COLLECTIONS` (id, title, description, the function
building its features), as pygeoapi adds a provider: the landing page, ``/collections``,
the items, paging and the OpenAPI document iterate the records. Every function takes the registry,
the absolute root URL of the service (``https://host/prefix/``, so links stay right
behind a reverse proxy) and the query arguments, and returns an
:class:`webmap.api.response.ApiResponse` whose body is the JSON document;
:mod:`webmap.web.routes_ogc` renders the same body as HTML when asked.

Conformance classes are constants here, so the landing page, ``/conformance`` and the
OpenAPI document cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
import shapely

from geo import schema
from geo.errors import clip
from geo.jsonable import to_jsonable
from geo.proximity import epicentre_geometry
from geo.registry import Registry, site_states
from webmap.api.memo import LruCache, day_key
from webmap.api.params import Param, parse_params
from webmap.api.response import (
    GEOJSON,
    JSON,
    OPENAPI_MEDIA_TYPE,
    ApiResponse,
    answers_errors,
    error,
)

__all__ = [
    "COLLECTIONS",
    "CONFORMANCE",
    "CRS84",
    "ITEMS_PARAMS",
    "collection",
    "collections",
    "conformance",
    "feature",
    "items",
    "landing",
    "negotiate",
]

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
HTML = "text/html"
PREFIX = "ogc"

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

F_PARAM = Param("f", "string", "Response format (default: from the Accept header).",
                choices=("json", "html"))  # fmt: skip
ITEMS_PARAMS = (
    Param("bbox", "bbox", "Only features whose geometry intersects this box: "
          "minx,miny,maxx,maxy in lon/lat degrees (CRS84).  minx > maxx crosses the "
          "antimeridian."),
    Param("limit", "integer", f"Features per page; larger values are clamped to {MAX_LIMIT}.",
          default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT, clamp=True),
    Param("offset", "integer", "Features to skip (the next and prev links set it).",
          default=0, minimum=0, maximum=1_000_000_000),
    F_PARAM,
)  # fmt: skip
ITEMS_KNOWN = frozenset(p.name for p in ITEMS_PARAMS)


def negotiate(f: str | None, *, prefers_html: bool) -> str:
    """``"json"`` or ``"html"``: ``f`` wins, else the client's Accept preference.

    Raises
    ------
    ParameterError
        For an ``f`` other than json or html.
    """
    if f is None or not f.strip():
        return "html" if prefers_html else "json"
    return str(parse_params((F_PARAM,), {"f": f})["f"])


def _url(root: str, path: str, **query: Any) -> str:
    url = f"{root.rstrip('/')}/{PREFIX}{path}"
    query = {k: v for k, v in query.items() if v is not None}
    return f"{url}?{urlencode(query)}" if query else url


def _pair(
    root: str, path: str, rel: str, title: str, json_type: str = JSON
) -> list[dict[str, str]]:
    """The JSON and HTML links of one resource (``rel`` for JSON; ``alternate`` for HTML)."""
    alternate = "alternate" if rel == "self" else rel
    return [
        {
            "href": _url(root, path, f="json"),
            "rel": rel,
            "type": json_type,
            "title": f"{title} (JSON)",
        },
        {
            "href": _url(root, path, f="html"),
            "rel": alternate,
            "type": HTML,
            "title": f"{title} (HTML)",
        },
    ]


def _json(body: dict[str, Any], content_type: str = JSON) -> ApiResponse:
    return ApiResponse(200, body, {"Content-Type": content_type})


def landing(root: str) -> ApiResponse:
    """``GET /ogc``: the landing page, linking the API definition, conformance and data."""
    base = root.rstrip("/")
    links = [
        *_pair(root, "", "self", "This document"),
        {"href": f"{base}/openapi.json", "rel": "service-desc", "type": OPENAPI_MEDIA_TYPE,
         "title": "The API definition (OpenAPI 3.0)"},
        {"href": f"{base}/openapi", "rel": "service-doc", "type": HTML,
         "title": "The API documentation"},
        {"href": _url(root, "/conformance"), "rel": "conformance", "type": JSON,
         "title": "Conformance classes"},
        {"href": _url(root, "/conformance"),
         "rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance", "type": JSON,
         "title": "Conformance classes"},
        {"href": _url(root, "/collections"), "rel": "data", "type": JSON,
         "title": "Feature collections"},
        {"href": _url(root, "/collections"),
         "rel": "http://www.opengis.net/def/rel/ogc/1.0/data", "type": JSON,
         "title": "Feature collections"},
    ]  # fmt: skip
    return _json(
        {
            "title": "clustermap",
            "description": "Business and innovation clusters, their sites and epicentres, "
            "as OGC API - Features.",
            "links": links,
        }
    )


def conformance(root: str) -> ApiResponse:
    """``GET /ogc/conformance``: the conformance classes implemented."""
    return _json(
        {
            "conformsTo": list(CONFORMANCE),
            "links": _pair(root, "/conformance", "self", "Conformance"),
        }
    )


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Table:
    """A collection ready to serve: feature dicts, their geometries and the extent."""

    ids: list[str]
    features: list[dict[str, Any]]
    geometries: np.ndarray  # shapely geometries (None when unlocated)
    bbox: list[float] | None


def _table(ids: list[str], geometries: list[Any], properties: list[dict[str, Any]]) -> _Table:
    features = [
        {
            "type": "Feature",
            "id": fid,
            "geometry": None if geom is None or geom.is_empty else geom.__geo_interface__,
            "properties": to_jsonable(props),
        }
        for fid, geom, props in zip(ids, geometries, properties, strict=True)
    ]
    geoms = np.array(
        [g if g is not None and not g.is_empty else None for g in geometries], dtype=object
    )
    located = [g for g in geoms if g is not None]
    bbox = list(shapely.total_bounds(np.array(located, dtype=object))) if located else None
    return _Table(ids=ids, features=features, geometries=geoms, bbox=bbox)


def _sites(registry: Registry) -> _Table:
    """Every site listed, with every registry column and its ``state`` today (a closed site
    is listed and marked closed)."""
    sites = registry.sites
    columns = [c for c in sites.columns if c != "geometry"]
    states = site_states(sites)
    return _table(
        [str(i) for i in sites.index],
        list(sites.geometry),
        [
            {"id": str(i), **row, "state": state}
            for i, row, state in zip(
                sites.index, sites[columns].to_dict("records"), states, strict=True
            )
        ],
    )


#: the site counts the ``clusters`` collection adds to the registry columns
CLUSTER_COUNTS = ("n_sites", "n_located", "n_closed")


def _clusters(registry: Registry) -> _Table:
    """Every cluster at its city's point, with every registry column (practices as a comma
    list of their names) and its counts of sites today."""
    clusters = registry.clusters
    columns = schema.table_columns(schema.CLUSTER_FIELDS)  # read per request: tests add fields
    props = []
    for cid in clusters.index:
        info = {"id": str(cid), **registry.cluster(str(cid))}
        summary = registry.summary(str(cid))  # today's sites
        row = {column: info.get(column) for column in columns}
        row["practices"] = ",".join(summary["practices"])
        props.append({**row, **{count: summary[count] for count in CLUSTER_COUNTS}})
    return _table([str(i) for i in clusters.index], list(clusters.geometry), props)


def _epicentres(registry: Registry) -> _Table:
    """Every epicentre as the outline joining its located members."""
    epicentres = registry.epicentres
    geoms = []
    props = []
    for eid, row in epicentres.iterrows():
        drawn = epicentre_geometry(registry.sites, list(row["members"]))
        geoms.append(drawn.outline)
        props.append(
            {
                "id": str(eid),
                "cluster": row["cluster"],
                "name": row["name"],
                "members": ",".join(row["members"]),
                "n_located_members": len(drawn.located),
                "description": row["description"],
            }
        )
    return _table([str(i) for i in epicentres.index], geoms, props)


@dataclass(frozen=True)
class Collection:
    """One collection: its id, title and description, and the function that builds its
    features from the registry (a :class:`_Table`: the features, their geometries and
    extent). Paging, ``bbox``, links and the HTML view are the same for every collection."""

    id: str
    title: str
    description: str
    features: Callable[[Registry], _Table]


COLLECTIONS: dict[str, Collection] = {
    collection.id: collection
    for collection in (
        Collection(
            "sites",
            "Sites",
            "Every site of every cluster (campuses, incubators, flagship buildings) with its "
            "source and location precision; sites of unknown location have a null geometry.",
            _sites,
        ),
        Collection(
            "clusters",
            "Clusters",
            "Business and innovation clusters, at the reference point of their city.",
            _clusters,
        ),
        Collection(
            "epicentres",
            "Epicentres",
            "Multi-site epicentres: the polygon (or line) joining their located member sites.",
            _epicentres,
        ),
    )
}


def _data(registry: Registry, collection_id: str, cache: LruCache) -> _Table:
    return cache.get_or_compute(
        # the clusters' site counts are today's
        ("ogc", collection_id, registry.version, day_key(None)),
        lambda: COLLECTIONS[collection_id].features(registry),
    )


def _unknown_collection(collection_id: str) -> ApiResponse:
    del collection_id  # never echoed
    return error(404, "NotFound", f"unknown collection; use one of {', '.join(COLLECTIONS)}")


def _collection_doc(root: str, collection_id: str, table: _Table) -> dict[str, Any]:
    info = COLLECTIONS[collection_id]
    path = f"/collections/{collection_id}"
    extent: dict[str, Any] = {
        "spatial": {"bbox": [table.bbox or [-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}
    }
    return {
        "id": collection_id,
        "title": info.title,
        "description": info.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            *_pair(root, path, "self", info.title),
            {"href": _url(root, f"{path}/items", f="json"), "rel": "items", "type": GEOJSON,
             "title": f"{info.title} (GeoJSON)"},
            {"href": _url(root, f"{path}/items", f="html"), "rel": "items", "type": HTML,
             "title": f"{info.title} (HTML)"},
        ],
    }  # fmt: skip


def collections(registry: Registry, root: str, *, cache: LruCache) -> ApiResponse:
    """``GET /ogc/collections``: every collection with its extent and links."""
    return _json(
        {
            "links": _pair(root, "/collections", "self", "Collections"),
            "collections": [
                _collection_doc(root, cid, _data(registry, cid, cache)) for cid in COLLECTIONS
            ],
        }
    )


def collection(
    registry: Registry, root: str, collection_id: str, *, cache: LruCache
) -> ApiResponse:
    """``GET /ogc/collections/{collectionId}``."""
    if collection_id not in COLLECTIONS:
        return _unknown_collection(collection_id)
    return _json(_collection_doc(root, collection_id, _data(registry, collection_id, cache)))


def _bbox_mask(geometries: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    minx, miny, maxx, maxy = bbox
    if minx <= maxx:
        boxes = [shapely.box(minx, miny, maxx, maxy)]
    else:  # crosses the antimeridian
        boxes = [shapely.box(minx, miny, 180.0, maxy), shapely.box(-180.0, miny, maxx, maxy)]
    located = np.array([g is not None for g in geometries], dtype=bool)
    mask = np.zeros(len(geometries), dtype=bool)
    if located.any():
        geoms = geometries[located]
        hit = np.zeros(len(geoms), dtype=bool)
        for box in boxes:
            hit |= shapely.intersects(geoms, box)
        mask[located] = hit
    return mask


@answers_errors
def items(
    registry: Registry, root: str, collection_id: str, args: Mapping[str, str], *, cache: LruCache
) -> ApiResponse:
    """``GET /ogc/collections/{collectionId}/items``: one page of features.

    ``bbox`` filters, ``limit`` (default 100, clamped to 10,000) and ``offset`` page;
    ``next``/``prev`` links are absolute. Unknown query parameters are refused (``400``).
    """
    if collection_id not in COLLECTIONS:
        return _unknown_collection(collection_id)
    unknown = sorted(set(args) - ITEMS_KNOWN)
    if unknown:
        return error(
            400,
            "InvalidParameterValue",
            f"{len(unknown)} unknown query parameter(s); use {', '.join(sorted(ITEMS_KNOWN))}",
        )
    opts = parse_params(ITEMS_PARAMS, args)
    table = _data(registry, collection_id, cache)
    indices = np.arange(len(table.features))
    if opts["bbox"] is not None:
        indices = indices[_bbox_mask(table.geometries, opts["bbox"])]
    limit, offset = int(opts["limit"]), int(opts["offset"])
    page = indices[offset : offset + limit]
    matched = len(indices)
    path = f"/collections/{collection_id}/items"
    bbox = None if opts["bbox"] is None else ",".join(f"{v:g}" for v in opts["bbox"])
    query = {"bbox": bbox, "limit": limit}
    links = [
        {"href": _url(root, path, **query, offset=offset or None, f="json"), "rel": "self",
         "type": GEOJSON, "title": "This page (GeoJSON)"},
        {"href": _url(root, path, **query, offset=offset or None, f="html"), "rel": "alternate",
         "type": HTML, "title": "This page (HTML)"},
        {"href": _url(root, f"/collections/{collection_id}", f="json"), "rel": "collection",
         "type": JSON, "title": COLLECTIONS[collection_id].title},
    ]  # fmt: skip
    if offset + limit < matched:
        links.append(
            {"href": _url(root, path, **query, offset=offset + limit, f="json"), "rel": "next",
             "type": GEOJSON, "title": "Next page"}
        )  # fmt: skip
    if offset > 0:
        previous = max(0, offset - limit)
        links.append(
            {"href": _url(root, path, **query, offset=previous or None, f="json"), "rel": "prev",
             "type": GEOJSON, "title": "Previous page"}
        )  # fmt: skip
    return _json(
        {
            "type": "FeatureCollection",
            "features": [table.features[i] for i in page],
            "numberMatched": matched,
            "numberReturned": len(page),
            "links": links,
        },
        GEOJSON,
    )


def feature(
    registry: Registry, root: str, collection_id: str, feature_id: str, *, cache: LruCache
) -> ApiResponse:
    """``GET /ogc/collections/{collectionId}/items/{featureId}``."""
    if collection_id not in COLLECTIONS:
        return _unknown_collection(collection_id)
    table = _data(registry, collection_id, cache)
    try:
        position = table.ids.index(feature_id)
    except ValueError:
        return error(404, "NotFound", f"no such feature in the collection {clip(collection_id)!r}")
    path = f"/collections/{collection_id}/items/{quote(feature_id, safe='')}"
    body = {
        **table.features[position],
        "links": [
            *_pair(root, path, "self", "This feature", GEOJSON),
            {"href": _url(root, f"/collections/{collection_id}", f="json"), "rel": "collection",
             "type": JSON, "title": COLLECTIONS[collection_id].title},
        ],
    }  # fmt: skip
    return _json(body, GEOJSON)
