"""HTML pages: the overview map, each cluster's map, and the embeddable map."""

from __future__ import annotations

import json
from dataclasses import replace

from flask import Blueprint, Response, abort, render_template, request, url_for

from geo._errors import ParameterError, UnknownIdError, quote
from geo._validate import PRACTICES
from geo.clusters import NOTE_DATE
from geo.measures import rows_of
from geo.network import NetworkLayers
from webmap.api import registry as api
from webmap.api.mapdata import ClusterMapData
from webmap.api.ripley_plot import ripley_plot
from webmap.api.tables import sites_csv
from webmap.maps import cluster as maps
from webmap.maps.layers import LAYERS
from webmap.maps.view import VIEW_PARAMS, MapView, parse_view
from webmap.web.caching import cached_page
from webmap.web.mapdata import cluster_map_data, request_network_signature
from webmap.web.state import get_registry

bp = Blueprint("pages", __name__)

PRACTICE_LABELS = {
    "business_services": "Business services",
    "rd_links": "R&D links",
    "demonstrators": "Demonstrators",
    "creative_ecosystem": "Creative ecosystem",
    "industry_governance": "Industry-led governance",
    "branding": "Branding",
    "emblematic_place": "Emblematic place",
    "human_resources": "Human resources",
}


@bp.get("/")
@cached_page(params=("practice",))
def overview() -> str:
    """Every located cluster on a map of Europe, with a list filtered by practice."""
    registry = get_registry()
    practice = request.args.get("practice") or None
    if practice is not None and practice not in PRACTICES:
        practice = None
    clusters = api.list_clusters(registry, practice=practice).body["clusters"]
    fmap = maps.overview_map(registry, [c["id"] for c in clusters])
    return render_template(
        "overview.html",
        clusters=clusters,
        practice=practice,
        practices=PRACTICE_LABELS,
        map=maps.render_parts(fmap, static_root=request.script_root),
    )


def _cluster_or_404(cluster_id: str) -> dict[str, object]:
    try:
        return get_registry().cluster(cluster_id)
    except UnknownIdError:
        abort(404, description=f"There is no cluster with the id {quote(cluster_id)}.")


def _view() -> MapView:
    """The request's view (layers, basemap, centre, zoom, ``as_of``); 400 when invalid."""
    available = maps.available_layers(has_network=request_network_signature() is not None)
    try:
        return parse_view(request.args, available=available)
    except ParameterError as exc:
        abort(400, description=str(exc))


def _fetched(data: ClusterMapData, cluster_id: str) -> NetworkLayers | None:
    """The network layers, whose streets the offline basemap fetches from our server when it
    is shown (most visits never need them: 165 KB a page saved)."""
    if data.network is None:
        return None
    return replace(data.network, streets=url_for("basemap.streets", cluster_id=cluster_id))


@bp.get("/clusters/<cluster_id>")
@cached_page(params=VIEW_PARAMS, vary=request_network_signature)
def cluster(cluster_id: str) -> str:
    """One cluster: its map, description, practices, measures, sites and downloads."""
    info = _cluster_or_404(cluster_id)
    registry = get_registry()
    view = _view()
    data = cluster_map_data(registry, cluster_id, as_of=view.as_of)
    if view.layers is not None:  # on the full page, listed layers are the ones shown
        view = replace(view, layers=None)
    fmap = maps.cluster_map(
        registry, cluster_id, overlays=data.overlays, network=_fetched(data, cluster_id), view=view
    )
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
                "approximate": feature["geometry"] is not None
                and maps.is_approximate(feature["properties"]),
            }
            for feature in api.site_features(registry, cluster_id, as_of=view.as_of)["features"]
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
        map=maps.render_parts(fmap, static_root=request.script_root),
        layer_keys=json.dumps(maps.layer_keys(fmap)),
        embed_url=url_for("pages.embed", cluster_id=cluster_id),
        page_url=url_for("pages.cluster", cluster_id=cluster_id),
        basemap=view.basemap,
    )


@bp.get("/embed/<cluster_id>")
@cached_page(params=VIEW_PARAMS, vary=request_network_signature)
def embed(cluster_id: str) -> str:
    """The map alone, filling its frame: ``layers``, ``basemap``, ``lat``, ``lon``, ``zoom``
    and ``as_of`` (the sites of that date, e.g. ``2016-10``).

    Only the origins in ``EMBED_ORIGINS`` (and ours) may frame it.
    """
    _cluster_or_404(cluster_id)
    registry = get_registry()
    view = _view()
    data = cluster_map_data(registry, cluster_id, as_of=view.as_of)
    if view.layers is None:
        view = replace(view, layers=tuple(k for k, spec in LAYERS.items() if spec.default))
    fmap = maps.cluster_map(
        registry, cluster_id, overlays=data.overlays, network=_fetched(data, cluster_id), view=view
    )
    return render_template(
        "embed.html",
        cluster=registry.cluster(cluster_id),
        map=maps.render_parts(fmap, static_root=request.script_root),
        page_url=url_for("pages.cluster", cluster_id=cluster_id),
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
