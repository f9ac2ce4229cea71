"""HTML pages: the overview map, each cluster's map, and the embeddable map."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, render_template, request, url_for

from geo.clusters import NOTE_DATE
from geo.errors import ParameterError, UnknownIdError, quote
from geo.measures import rows_of
from geo.network import NetworkLayers
from geo.schema import PRACTICES
from webmap.api.mapdata_api import ClusterMapData
from webmap.api.registry_api import list_clusters, site_features
from webmap.api.ripley_plot import ripley_plot
from webmap.api.tables import sites_csv
from webmap.i18n import N_, gettext
from webmap.layer_registry import map_layers
from webmap.maps.cluster_map import (
    available_layers,
    cluster_map,
    is_approximate,
    layer_keys,
    overview_map,
    render_parts,
)
from webmap.maps.view import VIEW_PARAMS, MapView, parse_view
from webmap.web.caching import cached_page
from webmap.web.language import page_language
from webmap.web.mapdata_cache import cluster_map_data, request_network_signature
from webmap.web.routes_embed import (
    EMBED_PARAMS,
    builder_choices,
    embed_query,
    oembed_link,
    parse_lang,
)
from webmap.web.state import get_registry

if TYPE_CHECKING:
    import folium

    from geo.registry import Registry

bp = Blueprint("pages", __name__)

#: How pages name the practices (translated where drawn: ``{{ label|tr }}``).
PRACTICE_LABELS = {
    "business_services": N_("Business services"),
    "rd_links": N_("R&D links"),
    "demonstrators": N_("Demonstrators"),
    "creative_ecosystem": N_("Creative ecosystem"),
    "industry_governance": N_("Industry-led governance"),
    "branding": N_("Branding"),
    "emblematic_place": N_("Emblematic place"),
    "human_resources": N_("Human resources"),
}


@bp.get("/")
@cached_page(params=("practice",))
def overview() -> str:
    """Every located cluster on a map of Europe, with a list filtered by practice."""
    registry = get_registry()
    practice = request.args.get("practice") or None
    if practice is not None and practice not in PRACTICES:
        practice = None
    clusters = list_clusters(registry, practice=practice).body["clusters"]
    fmap = overview_map(registry, [c["id"] for c in clusters])
    return render_template(
        "overview.html",
        clusters=clusters,
        practice=practice,
        practices=PRACTICE_LABELS,
        map=render_parts(fmap, static_root=request.script_root),
    )


def _cluster_or_404(cluster_id: str) -> dict[str, object]:
    try:
        return get_registry().cluster(cluster_id)
    except UnknownIdError:
        lang = page_language()
        abort(
            404,
            description=gettext(
                "There is no cluster with the id %(id)s.", lang=lang, id=quote(cluster_id)
            ),
        )


def _view() -> MapView:
    """The request's view (layers, basemap, centre, zoom, ``as_of``); 400 when invalid."""
    available = available_layers(has_network=request_network_signature() is not None)
    try:
        return parse_view(request.args, available=available)
    except ParameterError as exc:
        abort(400, description=str(exc))


def _variant() -> tuple[object, ...]:
    """What a cluster page or embed depends on besides its query: the street network and
    the language."""
    return (request_network_signature(), page_language())


def _page_map(
    registry: Registry, cluster_id: str, data: ClusterMapData, view: MapView
) -> folium.Map:
    """The cluster's Folium map for a page or an embed, in the page's language."""
    return cluster_map(
        registry,
        cluster_id,
        overlays=data.overlays,
        network=_fetched(data, cluster_id),
        view=view,
        lang=page_language(),
    )


def _fetched(data: ClusterMapData, cluster_id: str) -> NetworkLayers | None:
    """The network layers, whose streets the offline basemap fetches from our server when it
    is shown (most visits never need them: 165 KB a page saved)."""
    if data.network is None:
        return None
    return replace(data.network, streets=url_for("basemap.streets", cluster_id=cluster_id))


@bp.get("/clusters/<cluster_id>")
@cached_page(params=VIEW_PARAMS, vary=_variant)
def cluster(cluster_id: str) -> str:
    """One cluster: its map, description, practices, measures, sites and downloads."""
    info = _cluster_or_404(cluster_id)
    registry = get_registry()
    view = _view()
    data = cluster_map_data(registry, cluster_id, as_of=view.as_of)
    if view.layers is not None:  # on the full page, listed layers are the ones shown
        view = replace(view, layers=None)
    fmap = _page_map(registry, cluster_id, data, view)
    available = available_layers(has_network=request_network_signature() is not None)
    walking = []
    if data.network is not None:
        walking = data.network.paths.drop(columns="geometry").to_dict("records")
    return render_template(
        "cluster.html",
        cluster=info,
        sites=[
            {
                **feature["properties"],
                "located": feature["geometry"] is not None,
                "lonlat": (feature["geometry"] or {}).get("coordinates"),
                "approximate": feature["geometry"] is not None
                and is_approximate(feature["properties"]),
            }
            for feature in site_features(registry, cluster_id, as_of=view.as_of)["features"]
        ],
        as_of=view.as_of,
        note_date=NOTE_DATE,
        epicentres=[
            {"id": eid, **row.to_dict()}
            for eid, row in registry.epicentres_of(cluster_id).iterrows()
        ],
        measures=data.measures,
        measure_rows=rows_of(data.measures.get("density"), brief=True),
        ripley=ripley_plot(data.places),
        walking=walking,
        practices=PRACTICE_LABELS,
        map=render_parts(fmap, static_root=request.script_root),
        layer_keys=json.dumps(layer_keys(fmap)),
        embed_url=url_for("pages.embed", cluster_id=cluster_id),
        page_url=url_for("pages.cluster", cluster_id=cluster_id),
        basemap=view.basemap,
        builder=builder_choices(str(info["name"]), available=available),
        oembed_url=oembed_link(
            cluster_id, {"as_of": view.as_of} if view.as_of else {}, page="clusters"
        ),
    )


@bp.get("/embed/<cluster_id>")
@cached_page(params=EMBED_PARAMS, vary=_variant)
def embed(cluster_id: str) -> str:
    """The map alone, filling its frame (any height): ``layers``, ``basemap``, ``lat``,
    ``lon``, ``zoom``, ``as_of`` (the sites of that date, e.g. ``2016-10``) and ``lang``.

    Only the origins in ``EMBED_ORIGINS`` (and ours) may frame it.
    """
    _cluster_or_404(cluster_id)
    registry = get_registry()
    view = _view()
    try:
        lang = parse_lang(request.args)
    except ParameterError as exc:
        abort(400, description=str(exc))
    query = embed_query(view, lang=lang)
    data = cluster_map_data(registry, cluster_id, as_of=view.as_of)
    if view.layers is None:
        view = replace(view, layers=map_layers(has_network=True, defaults=True))
    fmap = _page_map(registry, cluster_id, data, view)
    return render_template(
        "embed.html",
        cluster=registry.cluster(cluster_id),
        map=render_parts(fmap, static_root=request.script_root),
        page_url=url_for("pages.cluster", cluster_id=cluster_id),
        oembed_url=oembed_link(cluster_id, query, page="embed"),
    )


@bp.get("/clusters/<cluster_id>/sites.csv")
def sites_download(cluster_id: str) -> Response:
    """The cluster's sites as a CSV download."""
    _cluster_or_404(cluster_id)
    body = sites_csv(get_registry(), cluster_id)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{cluster_id}-sites.csv"'},
    )


@bp.get("/clusters/<cluster_id>/measures.json")
def measures_download(cluster_id: str) -> Response:
    """The cluster's measures (the ``clustermap measures --json`` schema) as a download;
    ``as_of`` as on the page."""
    _cluster_or_404(cluster_id)
    measures = cluster_map_data(get_registry(), cluster_id, as_of=_view().as_of).measures
    return Response(
        json.dumps(measures, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{cluster_id}-measures.json"'},
    )
