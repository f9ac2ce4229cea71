"""HTML pages: the overview map and each cluster's map."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from geo._errors import UnknownIdError
from geo._validate import PRACTICES
from webmap import api, maps
from webmap.state import get_registry

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
        map=maps.render_parts(fmap),
    )


@bp.get("/clusters/<cluster_id>")
def cluster(cluster_id: str) -> str:
    """One cluster: its map, description, practices and sites."""
    registry = get_registry()
    try:
        info = registry.cluster(cluster_id)
    except UnknownIdError:
        abort(404, description=f"There is no cluster with the id '{cluster_id}'.")
    return render_template(
        "cluster.html",
        cluster=info,
        sites=[
            {**feature["properties"], "located": feature["geometry"] is not None}
            for feature in api.site_features(registry, cluster_id)["features"]
        ],
        epicentres=[
            {"id": eid, **row.to_dict()}
            for eid, row in registry.epicentres_of(cluster_id).iterrows()
        ],
        practices=PRACTICE_LABELS,
        map=maps.render_parts(maps.cluster_map(registry, cluster_id)),
    )
