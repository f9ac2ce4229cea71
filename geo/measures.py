"""JSON-able bundles of density and proximity measures, for the CLI and the web API.

:func:`point_measures` measures any point dataset (``clustermap density --json``, uploads);
:func:`cluster_measures` measures one registry cluster and its epicentres
(``clustermap measures --json``, ``/api/clusters/<id>/measures``). Both return plain dicts
of str, int, float, bool, None, lists and dicts (NaN and infinities become ``None``), whose
keys are stable and documented in ``docs/measures.md``.

Point measures (``schema: "clustermap.point_measures/1"``)
------------------------------------------------------------
``n_points``, ``crs`` (the metric CRS, e.g. ``"EPSG:32631"``), ``area_method``
(``hull``/``bbox``/``buffer:<m>``/``polygon``), ``area_km2``, ``n_points_in_area``,
``sites_per_km2``, ``mean_nn_distance_m``, ``expected_mean_nn_distance_m``,
``clark_evans_r``, ``clark_evans_z``, ``clark_evans_p``, ``kde`` (``kernel``,
``bandwidth_m``, ``bandwidth_rule``, ``cell_m``, ``rows``, ``cols``,
``peak_sites_per_km2``, ``peak_lon``, ``peak_lat``, ``integral_sites``) or ``None``,
``hexbins`` (``resolution``, ``n_cells``, ``max_count``, ``max_sites_per_km2``) or
``None``, ``cores`` (``method``, ``parameters``, ``n_cores``, ``n_noise``, ``cores``: list
of ``core``, ``n_sites``, ``area_km2``, ``sites_per_km2``, ``centroid_lon``,
``centroid_lat``) or ``None``, ``caveats`` (``{measure: reason}`` for ``clark_evans``,
``kde`` and ``cores`` computed on fewer than :data:`MIN_POINTS` points) and ``warnings``
(list of str).

Cluster measures (``schema: "clustermap.cluster_measures/1"``)
----------------------------------------------------------------
``cluster`` (``id``, ``name``, ``city``, ``country``), ``as_of``, ``n_sites``,
``n_sites_located``, ``n_places`` (distinct located points: sites sharing a point count
once), ``unlocated_sites`` (ids skipped for unknown location), ``density`` (the point
measures of the distinct places, without ``schema``), ``sites`` (list of ``id``, ``name``,
``role``, ``confidence``, ``lon``, ``lat``, ``same_point_as``, ``nearest_site``,
``nn_distance_m``: the nearest other place), ``epicentres`` (list of ``id``, ``name`` and
the fields of :class:`geo.proximity.EpicentreGeometry` — ``shape``, ``distances``,
``sides`` and ``longest_side`` each ``{a, b, centre_m, edge_m, relation, container}``,
``extent_m``, ``perimeter_m``, ``area_km2``, ``min_bounding_radius_m`` … — plus
``absent_at_date``, ``distance_methods`` and ``claim``: ``None`` or ``{text, meaning,
range_m, as_of, sides, methods}``, checked on the sites as of the source's date by each of
:data:`CLAIM_METHODS`), and ``warnings``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo._errors import ClustermapError
from geo.cores import CoreMethod, DenseCores, dense_cores
from geo.density import AreaMethod, clark_evans_xy, study_area
from geo.hexbins import hexbin_counts
from geo.kde import BandwidthRule, KDESurface, Kernel, kde_surface_xy
from geo.projection import metric_crs, site_points, xy_arrays
from geo.proximity import distinct_places, epicentre_geometry, nearest_neighbours

__all__ = [
    "CLAIMS",
    "CLUSTER_SCHEMA",
    "MIN_POINTS",
    "NOTE_DATE",
    "POINT_SCHEMA",
    "PointAnalysis",
    "SideClaim",
    "analyse_points",
    "cluster_measures",
    "point_measures",
]

#: Fewest points for which a measure means something (docs/measures.md explains each):
#: below it the measure is kept as a description, flagged in ``caveats`` and ``warnings``,
#: and the Clark-Evans test gives no z-score or p-value.
MIN_POINTS = {"clark_evans": 20, "kde": 10, "cores": 10}

POINT_SCHEMA = "clustermap.point_measures/1"
CLUSTER_SCHEMA = "clustermap.cluster_measures/1"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SideClaim:
    """A source's claim about the side length of an epicentre, as a range in metres.

    ``as_of`` is the source's date: the claim is checked on the sites that existed then,
    whatever date the rest of the measures are for.
    """

    pattern: str
    meaning: str
    min_m: float
    max_m: float
    as_of: str


#: The date of the source note (Ecodev Conseil, 17/10/2016).
NOTE_DATE = "2016-10"

#: Claims recognised in an epicentre's ``evidence`` (or ``description``) text.
#: "A few hundred metres" is read as 100 m to under 1 km.
CLAIMS: tuple[SideClaim, ...] = (
    SideClaim(
        pattern=r"quelques centaines de m[eè]tres|a few hundred met(?:re|er)s",
        meaning="a few hundred metres per side",
        min_m=100.0,
        max_m=1000.0,
        as_of=NOTE_DATE,
    ),
)

#: How each distance of an epicentre is measured (``{crs}``: the metric CRS).
DISTANCE_METHODS = {
    "centre_m": "centre to centre: geodesic distance on the WGS 84 ellipsoid between the "
    "sites' points",
    "edge_m": "edge to edge: shortest distance between footprints in {crs}, 0 with relation "
    "'inside' when one lies within the other's footprint; null when neither has a footprint",
}
#: How a claim is checked: each side's length by one method.
CLAIM_METHODS = {
    "centre_to_centre": "centre_m",
    "edge_to_edge": "edge_m",
}


def _json(value: Any) -> Any:
    """Plain JSON types; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class PointAnalysis:
    """Everything :func:`analyse_points` computed: the JSON summary and the layers behind it."""

    summary: dict[str, Any]
    surface: KDESurface | None = None
    hexbins: gpd.GeoDataFrame | None = None
    cores: DenseCores | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able summary (see the module doc for its keys); each caveat of a measure
        on too few points is also a warning."""
        caveats = [f"{key}: {text}" for key, text in self.summary.get("caveats", {}).items()]
        return _json(
            {"schema": POINT_SCHEMA, **self.summary, "warnings": [*self.warnings, *caveats]}
        )


def _lonlat(x: float, y: float, crs: pyproj.CRS) -> tuple[float, float]:
    lon, lat = pyproj.Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    return float(lon), float(lat)


def analyse_points(
    gdf: gpd.GeoDataFrame,
    *,
    area: AreaMethod | BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries = "hull",
    buffer_m: float | None = None,
    bandwidth: float | BandwidthRule = "scott",
    kernel: Kernel = "gaussian",
    cell_m: float | None = None,
    grid_size: int = 512,
    kde: bool = True,
    hex_resolution: int | None = None,
    cores: CoreMethod | None = None,
    eps_m: float = 500.0,
    min_samples: int = 5,
    min_cluster_size: int = 5,
    crs: Any = None,
    progress: Progress | None = None,
) -> PointAnalysis:
    """Compute every density measure of a point set (see :func:`point_measures`).

    ``progress`` is called with the name of each stage as it starts.
    """
    step = progress or (lambda _stage: None)
    notes: list[str] = []
    step("projecting")
    metric = metric_crs(gdf, crs=crs)
    points = site_points(gdf, crs=metric)
    xy = xy_arrays(points)
    n = len(xy)
    step("study area")
    region = study_area(points.to_frame("geometry"), area=area, buffer_m=buffer_m, crs=metric)
    n_in = n
    if region.method == "polygon":
        n_in = int(shapely.covers(region.geometry, points.values).sum())
    density = n_in / region.area_km2 if region.area_km2 > 0 else math.nan
    if not region.area_km2 > 0:
        notes.append(f"the study area ({region.method}) has no area: density undefined")
    step("nearest neighbours")
    mean_nn, expected, r, z, p = clark_evans_xy(xy, region.area_km2 * 1e6)
    if n < 2:
        notes.append("fewer than two points: no nearest-neighbour statistics")
    summary: dict[str, Any] = {
        "n_points": n,
        "crs": metric.to_string(),
        "area_method": region.method,
        "area_km2": region.area_km2,
        "n_points_in_area": n_in,
        "sites_per_km2": density,
        "mean_nn_distance_m": mean_nn,
        "expected_mean_nn_distance_m": expected,
        "clark_evans_r": r,
        "clark_evans_z": z,
        "clark_evans_p": p,
        "kde": None,
        "hexbins": None,
        "cores": None,
    }
    caveats: dict[str, str] = {}
    summary["caveats"] = caveats
    if 2 <= n < MIN_POINTS["clark_evans"]:
        caveats["clark_evans"] = (
            f"{n} points, fewer than the {MIN_POINTS['clark_evans']} a Clark-Evans test needs: "
            "R is descriptive only, no z-score or p-value"
        )
        summary["clark_evans_z"] = summary["clark_evans_p"] = None
    analysis = PointAnalysis(summary=summary, warnings=notes)
    if kde:
        step("kernel density")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                surface = kde_surface_xy(
                    xy,
                    bandwidth=bandwidth,
                    kernel=kernel,
                    cell_m=cell_m,
                    grid_size=grid_size,
                    crs=metric,
                )
            notes.extend(str(w.message) for w in caught)
        except ClustermapError as exc:
            notes.append(f"no kernel density: {exc}")
        else:
            analysis.surface = surface
            peak_lon, peak_lat = _lonlat(*surface.peak_xy, metric)
            rows, cols = surface.shape
            summary["kde"] = {
                "kernel": surface.kernel,
                "bandwidth_m": surface.bandwidth_m,
                "bandwidth_rule": surface.bandwidth_rule,
                "cell_m": surface.cell_m,
                "rows": rows,
                "cols": cols,
                "peak_sites_per_km2": surface.peak_per_km2,
                "peak_lon": peak_lon,
                "peak_lat": peak_lat,
                "integral_sites": surface.integral,
            }
            if n < MIN_POINTS["kde"]:
                caveats["kde"] = (
                    f"{n} points, fewer than the {MIN_POINTS['kde']} a density surface needs: "
                    "it shows the kernel around each point, not a pattern"
                )
    if hex_resolution is not None:
        step("hexagonal bins")
        bins = hexbin_counts(points.to_frame("geometry"), resolution=hex_resolution)
        analysis.hexbins = bins
        summary["hexbins"] = {
            "resolution": int(hex_resolution),
            "n_cells": len(bins),
            "max_count": int(bins["count"].max()) if len(bins) else 0,
            "max_sites_per_km2": float(bins["sites_per_km2"].max()) if len(bins) else None,
        }
    if cores is not None:
        step("dense cores")
        found = dense_cores(
            points.to_frame("geometry"),
            method=cores,
            eps_m=eps_m,
            min_samples=min_samples,
            min_cluster_size=min_cluster_size,
            crs=metric,
        )
        analysis.cores = found
        if n < MIN_POINTS["cores"]:
            caveats["cores"] = (
                f"{n} points, fewer than the {MIN_POINTS['cores']} dense cores need: any "
                f"{min_samples} sites within {eps_m:g} m make a 'core'"
            )
        table = found.cores
        centroids = table.geometry.centroid.to_crs(4326) if len(table) else None
        summary["cores"] = {
            "method": found.method,
            "parameters": found.parameters,
            "n_cores": len(table),
            "n_noise": found.n_noise,
            "cores": [
                {
                    "core": int(core),
                    "n_sites": int(row["n_sites"]),
                    "area_km2": float(row["area_km2"]),
                    "sites_per_km2": float(row["sites_per_km2"]),
                    "centroid_lon": float(centroids.loc[core].x) if centroids is not None else None,
                    "centroid_lat": float(centroids.loc[core].y) if centroids is not None else None,
                }
                for core, row in table.iterrows()
            ],
        }
    return analysis


def point_measures(
    gdf: gpd.GeoDataFrame,
    *,
    area: AreaMethod | BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries = "hull",
    buffer_m: float | None = None,
    bandwidth: float | BandwidthRule = "scott",
    kernel: Kernel = "gaussian",
    cell_m: float | None = None,
    hex_resolution: int | None = None,
    cores: CoreMethod | None = None,
    eps_m: float = 500.0,
    min_samples: int = 5,
    crs: Any = None,
) -> dict[str, Any]:
    """Density and nearest-neighbour measures of any point dataset, as a JSON-able dict.

    Parameters are those of :func:`geo.density.study_area`, :func:`geo.kde.kde_surface`,
    :func:`geo.hexbins.hexbin_counts` (``hex_resolution``; none by default) and
    :func:`geo.cores.dense_cores` (``cores``: none by default). Keys: see the module doc.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([4.37, 4.38, 4.39, 4.38],
    ...                        [52.00, 51.99, 52.00, 52.01]), crs="EPSG:4326")
    >>> m = point_measures(pts)
    >>> m["n_points"], m["area_method"], m["crs"]
    (4, 'hull', 'EPSG:32631')
    """
    return analyse_points(
        gdf,
        area=area,
        buffer_m=buffer_m,
        bandwidth=bandwidth,
        kernel=kernel,
        cell_m=cell_m,
        hex_resolution=hex_resolution,
        cores=cores,
        eps_m=eps_m,
        min_samples=min_samples,
        crs=crs,
    ).to_dict()


def _claim(text: str, sides_as_of: Callable[[str], list[dict[str, Any]]]) -> dict[str, Any] | None:
    """Check the first claim found in ``text`` on the epicentre's sides at the claim's date
    (``sides_as_of(date)``), by each method of :data:`CLAIM_METHODS`. Edge to edge, a side
    between two points (no footprint) is their centre distance: a point has no edge."""
    for claim in CLAIMS:
        match = re.search(claim.pattern, text, flags=re.IGNORECASE)
        if match is None:
            continue
        sides = sides_as_of(claim.as_of)
        methods = {}
        for method, key in CLAIM_METHODS.items():
            lengths = [float(s[key]) if s[key] is not None else float(s["centre_m"]) for s in sides]
            inside = sum(claim.min_m <= v < claim.max_m for v in lengths)
            methods[method] = {
                "lengths_m": lengths,
                "n_sides": len(lengths),
                "sides_in_range": inside,
                "holds": bool(lengths) and inside == len(lengths),
            }
        return {
            "text": match.group(0),
            "meaning": claim.meaning,
            "range_m": [claim.min_m, claim.max_m],
            "as_of": claim.as_of,
            "sides": [
                {k: s[k] for k in ("a", "b", "centre_m", "edge_m", "relation")} for s in sides
            ],
            "methods": methods,
        }
    return None


def cluster_measures(
    registry: Any,
    cluster_id: str,
    *,
    bandwidth: float | BandwidthRule = "scott",
    kernel: Kernel = "gaussian",
    cell_m: float | None = None,
    hex_resolution: int | None = 9,
    cores: CoreMethod | None = "dbscan",
    eps_m: float = 500.0,
    min_samples: int = 3,
    crs: Any = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """All measures of one registry cluster and its epicentres, as a JSON-able dict.

    Sites of unknown location are skipped and listed in ``unlocated_sites``. Measures that
    need more located sites than the cluster has are ``None``, with a note in ``warnings``.
    Never raises for a small or partly located cluster; raises
    :class:`~geo._errors.UnknownIdError` for an unknown id.

    Parameters
    ----------
    registry
        A :class:`geo.registry.Registry`.
    cluster_id
        The cluster's id.
    bandwidth, kernel, cell_m
        Kernel density options (:func:`geo.kde.kde_surface`).
    hex_resolution
        H3 resolution of the hexagonal bins (``None`` for none).
    cores, eps_m, min_samples
        Dense-core options (:func:`geo.cores.dense_cores`); ``cores=None`` for none.
    crs
        Metric CRS (default UTM).
    as_of
        Only the sites that existed at this date (``YYYY[-MM[-DD]]``), e.g. ``"2016-10"``
        for the note's configuration; default every site.
    """
    info = registry.cluster(cluster_id)
    sites = registry.sites_of(cluster_id, as_of=as_of)
    epicentres = registry.epicentres_of(cluster_id)
    footprints = registry.footprints.geometry
    has_geom = ~(sites.geometry.isna() | sites.geometry.is_empty)
    located = sites[has_geom]
    notes: list[str] = []
    out: dict[str, Any] = {
        "schema": CLUSTER_SCHEMA,
        "cluster": {k: info.get(k) for k in ("id", "name", "city", "country")},
        "as_of": as_of,
        "n_sites": len(sites),
        "n_sites_located": len(located),
        "n_places": 0,
        "unlocated_sites": [str(i) for i in sites.index[~has_geom]],
        "density": None,
        "sites": [],
        "epicentres": [],
    }
    metric = None
    if len(located):
        metric = metric_crs(located, crs=crs)
        centres = site_points(located, crs=metric)
        places, groups = distinct_places(xy_arrays(centres))
        distinct = located.iloc[places]
        out["n_places"] = len(places)
        if len(places) < len(located):
            notes.append(
                f"{len(located) - len(places)} located site(s) share a point with another "
                f"site: density and nearest neighbours count {len(places)} distinct places"
            )
        analysis = analyse_points(
            distinct,
            bandwidth=bandwidth,
            kernel=kernel,
            cell_m=cell_m,
            hex_resolution=hex_resolution,
            cores=cores,
            eps_m=eps_m,
            min_samples=min_samples,
            crs=metric,
        )
        density = analysis.to_dict()
        density.pop("schema")
        notes.extend(density.pop("warnings"))
        out["density"] = density
        nn = nearest_neighbours(distinct, k=1, crs=metric) if len(places) >= 2 else None
        lonlat = centres.to_crs(4326)
        place_of = {j: (place, group) for place, group in zip(places, groups, strict=True)
                    for j in group}  # fmt: skip
        for j, (site_id, row) in enumerate(located.iterrows()):
            place, group = place_of[j]
            first = located.index[place]
            out["sites"].append(
                {
                    "id": str(site_id),
                    "name": row.get("name"),
                    "role": row.get("role"),
                    "confidence": row.get("confidence"),
                    "lon": float(lonlat.loc[site_id].x),
                    "lat": float(lonlat.loc[site_id].y),
                    "same_point_as": [str(located.index[k]) for k in group if k != j],
                    "nearest_site": None if nn is None else str(nn.loc[first, "neighbour_1"]),
                    "nn_distance_m": None if nn is None else float(nn.loc[first, "distance_1_m"]),
                }
            )
    else:
        notes.append("no site of this cluster is located: no measures")
    epi_crs = crs if crs is not None else metric  # the CRS distance_methods names
    for epi_id, row in epicentres.iterrows():
        members = [str(m) for m in row["members"]]
        geometry = epicentre_geometry(sites, members, footprints=footprints, crs=epi_crs)
        entry = {"id": str(epi_id), "name": row.get("name"), **geometry.to_dict()}
        entry["absent_at_date"] = [m for m in members if m not in sites.index]
        entry["missing"] = [m for m in geometry.missing if m in sites.index]
        entry["distance_methods"] = {
            key: text.format(crs=metric.to_string() if metric is not None else "the UTM zone")
            for key, text in DISTANCE_METHODS.items()
        }

        def sides_as_of(date: str, members: list[str] = members) -> list[dict[str, Any]]:
            then = registry.sites_of(cluster_id, as_of=date)
            found = epicentre_geometry(then, members, footprints=footprints, crs=epi_crs)
            return [asdict(side) for side in found.sides]

        text = " ".join(str(row.get(k) or "") for k in ("evidence", "description"))
        entry["claim"] = _claim(text, sides_as_of)
        if entry["missing"]:
            notes.append(
                f"epicentre {epi_id}: members without location: {', '.join(entry['missing'])}"
            )
        out["epicentres"].append(entry)
    out["warnings"] = notes
    return _json(out)
