"""A cold cluster page runs each step of the analysis once, and its measures and map agree.

Every step is counted wherever it is imported (any ``geo``/``webmap`` module holding the
function), so a second path to the same computation is counted too.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import geo.cores
import geo.density
import geo.hexbins
import geo.kde
import geo.measures
import geo.network.engine
import geo.proximity
from geo.measures import CLAIMS, analyse_cluster
from geo.overlays import cluster_overlays
from geo.registry import Registry
from webmap.web.app import create_app

STEPS: dict[str, Callable[..., Any]] = {
    "kde": geo.kde.kde_surface_xy,
    "hexbins": geo.hexbins.hexbin_counts,
    "cores": geo.cores.dense_cores_xy,
    "density": geo.density.sites_per_km2,
    "clark_evans": geo.density.clark_evans_xy,
    "nearest_neighbours": geo.proximity.nearest_neighbours,
    "epicentre_geometry": geo.proximity.epicentre_geometry,
    "load_engine": geo.network.engine.load_engine,
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count each step's calls, through every module that imported it."""
    counts: Counter[str] = Counter()

    def counted(step: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[step] += 1
            return func(*args, **kwargs)

        return wrapper

    for step, func in STEPS.items():
        wrapper = counted(step, func)
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] not in ("geo", "webmap") or module is None:
                continue
            for attr, value in list(vars(module).items()):
                if value is func:
                    monkeypatch.setattr(module, attr, wrapper)
    return counts


def _claims(registry: Registry, cluster_id: str) -> int:
    """Epicentres whose text makes a claim (each is checked once more, at its date)."""
    import re

    n = 0
    for _, row in registry.epicentres_of(cluster_id).iterrows():
        text = " ".join(str(row.get(k) or "") for k in ("evidence", "description"))
        n += any(re.search(c.pattern, text, flags=re.IGNORECASE) for c in CLAIMS)
    return n


def test_a_cold_cluster_page_runs_each_step_once(
    calls: Counter[str], registry: Registry, tmp_path: Any
) -> None:
    from tests.helpers import DATA

    app = create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path / "cache")}
    )
    response = app.test_client().get("/clusters/delft")
    assert response.status_code == 200
    n_epicentres = len(registry.epicentres_of("delft"))
    assert n_epicentres >= 1
    assert calls["epicentre_geometry"] == n_epicentres + _claims(registry, "delft")
    del calls["epicentre_geometry"]
    assert calls == dict.fromkeys([s for s in STEPS if s != "epicentre_geometry"], 1), (
        "each step of the analysis runs once per cold page"
    )
    calls.clear()
    assert app.test_client().get("/clusters/delft").status_code == 200
    assert not calls, "a warm page computes nothing"


def test_the_map_draws_what_the_measures_say(registry: Registry) -> None:
    for cluster_id in registry.clusters.index:
        analysis = analyse_cluster(registry, cluster_id)
        measures = analysis.to_dict()
        overlays = cluster_overlays(analysis)
        density = measures["density"]
        if density is None:
            assert overlays.cores.empty and overlays.hexbins.empty
            continue
        assert len(overlays.cores) == density["cores"]["n_cores"]
        assert len(overlays.hexbins) == density["hexbins"]["n_cells"]
        assert overlays.hexbins["count"].sum() == measures["n_places"]
        assert overlays.caveats == density["caveats"]
        for link in overlays.nn_links.itertuples():
            (site,) = [s for s in measures["sites"] if s["id"] == link.from_id]
            assert site["nearest_site"] == link.to_id
            assert site["nn_distance_m"] == pytest.approx(link.distance_m)


@pytest.mark.parametrize(
    "paths",
    [
        ("/clusters/delft", "/api/clusters/delft/measures", "/clusters/delft/figure.svg",
         "/compare"),
        ("/compare", "/clusters/delft/figure.pdf", "/api/clusters/delft/measures?eps=200",
         "/clusters/delft/measures.json", "/clusters/delft"),
    ],
)  # fmt: skip
def test_the_page_measures_figure_and_compare_share_one_analysis_of_a_cluster(
    monkeypatch: pytest.MonkeyPatch, registry: Registry, tmp_path: Any, paths: tuple[str, ...]
) -> None:
    from tests.helpers import DATA

    analysed: Counter[tuple[str, str | None]] = Counter()
    real = geo.measures.analyse_cluster

    def counted(registry: Any, cluster_id: str, *args: Any, **kwargs: Any) -> Any:
        analysed[cluster_id, kwargs.get("as_of")] += 1
        return real(registry, cluster_id, *args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("geo", "webmap") and module is not None:
            for attr, value in list(vars(module).items()):
                if value is real:
                    monkeypatch.setattr(module, attr, counted)
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(DATA), "NETWORK_CACHE_DIR": str(tmp_path / "cache")}
    )
    client = app.test_client()
    for path in paths:
        assert client.get(path).status_code == 200, path
    assert analysed["delft", None] == 1, "one analysis of delft for every view"
    assert analysed == dict.fromkeys(((str(c), None) for c in registry.clusters.index), 1)
    # another date is another analysis, and it too is shared
    assert client.get("/api/clusters/delft/measures?as_of=2016-10").status_code == 200
    assert client.get("/clusters/delft/figure.svg?as_of=2016-10").status_code == 200
    assert analysed["delft", "2016-10"] == 1
