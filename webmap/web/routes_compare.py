"""``/compare``: the benchmark page, every cluster side by side.

A locator map of the clusters over country outlines (:mod:`webmap.web.locator`), a table of
each cluster's measures (sortable by any column with ``?sort=KEY&order=asc|desc``,
no JavaScript needed), and every epicentre drawn as server-rendered SVG at one common
scale. ``?as_of=YYYY[-MM[-DD]]`` applies to the whole page. ``/compare.csv`` downloads the
table, ``/compare.svg`` the small multiples.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from geo.compare import COLUMNS, Comparison, EpicentreFrame, compare_clusters
from geo.errors import ParameterError, quote
from geo.registry import Registry, date_key
from webmap.api.cluster_analysis import ClusterAnalysis, cluster_analysis
from webmap.web.caching import cached_page, get_cache
from webmap.web.locator import locator
from webmap.web.state import get_registry

bp = Blueprint("compare", __name__)

#: Every frame shows this many metres across, with the same scale bar.
FRAME_SIDE_M = 3000.0
FRAME_PX = 220
SCALE_BAR_M = 1000.0
_KEYS = tuple(key for key, _, _ in COLUMNS)


@dataclass(frozen=True)
class Panel:
    """One epicentre frame in SVG pixels (y down), for the template."""

    frame: EpicentreFrame
    members: list[tuple[str, float, float]]
    sides: list[tuple[float, float, float, float]]
    footprints: list[str]


def _px(x: float, y: float) -> tuple[float, float]:
    scale = FRAME_PX / FRAME_SIDE_M
    return FRAME_PX / 2 + x * scale, FRAME_PX / 2 - y * scale


def _panel(frame: EpicentreFrame) -> Panel:
    sides = [(*_px(*a), *_px(*b)) for a, b in frame.sides]
    return Panel(
        frame=frame,
        members=[(name, *_px(x, y)) for _, name, x, y in frame.members],
        sides=[tuple(round(v, 1) for v in side) for side in sides],  # type: ignore[misc]
        footprints=[
            " ".join(f"{px:.1f},{py:.1f}" for px, py in (_px(x, y) for x, y in ring))
            for ring in frame.footprints
        ],
    )


def _as_of() -> str | None:
    as_of = request.args.get("as_of") or None
    if as_of is not None:
        try:
            date_key(as_of, field="as_of")
        except ParameterError as exc:
            abort(400, description=str(exc))
    return as_of


def _sort_order() -> tuple[str, str]:
    """``sort`` and ``order`` of the request, checked before any work; else ``400``."""
    key = request.args.get("sort", "name")
    order = request.args.get("order", "asc")
    if key not in _KEYS or order not in ("asc", "desc"):
        abort(
            400,
            description=f"sort must be one of {', '.join(_KEYS)} and order asc or desc, "
            f"not {quote(key)} / {quote(order)}",
        )
    return key, order


def _sorted(rows: list[dict[str, Any]], key: str, order: str) -> list[dict[str, Any]]:
    present = [r for r in rows if r[key] is not None]
    absent = [r for r in rows if r[key] is None]

    def value(row: dict[str, Any]) -> Any:
        return str(row[key]).casefold() if isinstance(row[key], str) else row[key]

    present.sort(key=value, reverse=order == "desc")
    return present + absent  # missing values last, whatever the order


def _comparison(as_of: str | None) -> Comparison:
    """Every cluster analysed once, its sites as of ``as_of``: each analysis is the one
    the cluster's page, measures and figure share (from the app's cache)."""
    cache_dir = current_app.config.get("NETWORK_CACHE_DIR")
    cache = get_cache()

    def analyse(
        registry: Registry, cluster_id: str, *, as_of: str | None, today: datetime.date
    ) -> ClusterAnalysis:
        return cluster_analysis(registry, cluster_id, as_of=as_of, today=today, cache=cache)

    return compare_clusters(
        get_registry(), as_of=as_of, cache_dir=cache_dir, side_m=FRAME_SIDE_M, analyse=analyse
    )


def _svg(frames: list[EpicentreFrame]) -> str:
    return render_template(
        "compare_multiples.svg",
        panels=[_panel(frame) for frame in frames],
        frame_px=FRAME_PX,
        frame_side_m=FRAME_SIDE_M,
        scale_bar_m=SCALE_BAR_M,
        scale_bar_px=SCALE_BAR_M * FRAME_PX / FRAME_SIDE_M,
    )


@bp.get("/compare")
def compare() -> Response:
    """The benchmark table and the small multiples (parameters checked before any work)."""
    as_of = _as_of()
    key, order = _sort_order()
    return _compare_page(as_of, key=key, order=order)


@cached_page(params=("as_of", "sort", "order"))
def _compare_page(as_of: str | None, *, key: str, order: str) -> str:
    comparison = _comparison(as_of)
    rows = _sorted(comparison.rows, key, order)
    registry = get_registry()
    places = registry.cluster_locations()
    names = {str(cid): str(registry.cluster(cid)["name"]) for cid in places.index}
    return render_template(
        "compare.html",
        rows=rows,
        columns=COLUMNS,
        sort=key,
        order=order,
        as_of=as_of,
        svg=_svg(comparison.frames),
        locator=locator(places, names) if len(places) else None,
    )


@bp.get("/compare.csv")
@cached_page(params=("as_of",), localized=False)
def compare_csv() -> Response:
    """The table as CSV (one row per cluster, the page's columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", *(f"{label} ({unit})" if unit else label for _, label, unit in COLUMNS)])
    for row in _comparison(_as_of()).rows:
        writer.writerow([row["id"], *("" if row[k] is None else row[k] for k in _KEYS)])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="clusters-compared.csv"'},
    )


@bp.get("/compare.svg")
@cached_page(params=("as_of",))
def compare_svg() -> Response:
    """The small multiples as one SVG file."""
    return Response(
        _svg(_comparison(_as_of()).frames),
        mimetype="image/svg+xml",
        headers={"Content-Disposition": 'attachment; filename="epicentres-compared.svg"'},
    )
