"""Request every page and API route of every cluster from a running clustermap server.

python scripts/smoke_server.py http://127.0.0.1:8000

Each answer must be 200, or 404 where the docs say so (``/api/clusters/<id>/isochrones``
of a cluster with no street network, answered as ``NetworkUnavailable``). Every route of
the app's URL map must be reached, so a new route cannot escape the check. Delft's page
must carry walking isochrones from the bundled network. Prints one line per failure and a
summary; exits 1 if anything failed. Used by ``.ci/run`` on the installed wheel.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from webmap import create_app


class Smoke:
    """Requests, the routes they reached, and what went wrong."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.adapter = create_app({"TESTING": True}).url_map.bind("localhost")
        self.reached: set[str] = set()
        self.failures: list[str] = []
        self.count = 0

    def get(self, path: str, *, data: bytes | None = None, headers: Any = None) -> Any:
        """Request ``path``; return (status, body bytes)."""
        self.count += 1
        rule, _ = self.adapter.match(path.split("?")[0], method="POST" if data else "GET",
                                     return_rule=True)  # fmt: skip
        self.reached.add(rule.rule)
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def expect(self, path: str, *, allowed: tuple[int, ...] = (200,), **kwargs: Any) -> bytes:
        status, body = self.get(path, **kwargs)
        if status not in allowed:
            self.failures.append(f"{path}: {status} (expected {allowed}): {body[:200]!r}")
        return body


def wait_until_up(base: str, *, timeout_s: float = 60.0) -> None:
    """Wait for ``/healthz`` to answer (the server may still be starting)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(base.rstrip("/") + "/healthz", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _analyst_routes(smoke: Smoke) -> None:
    """An upload, its page, downloads and figure; the upload form; the routes of published
    point files and named areas, none of which this server has."""
    points = b"name;latitude;longitude\nA;48,8566;2,3522\nB;48,8606;2,3376\nC;48,8530;2,3499\n"
    upload = smoke.expect(
        "/api/analyze", data=points, headers={"Content-Type": "text/csv"}, allowed=(201,)
    )
    token = json.loads(upload).get("token") if upload.startswith(b"{") else None
    if token:
        smoke.expect(f"/api/analyses/{token}")
        smoke.expect(f"/analyses/{token}")
        smoke.expect(f"/analyses/{token}/download/measures.json")
        smoke.expect(f"/analyses/{token}/download/points.geojson")
        smoke.expect(f"/analyses/{token}/figure.svg")
        # an upload read in memory has no tiles (a spooled one has)
        smoke.expect(f"/analyses/{token}/tiles.json", allowed=(404,))
        smoke.expect(f"/analyses/{token}/tiles/0/0/0.mvt", allowed=(404,))
    smoke.expect("/analyze")
    # no point file is published (serve --points) and no named area imported here
    for path in ("/points/none", "/points/none/tiles.json", "/points/none/tiles/0/0/0.mvt"):
        smoke.expect(path, allowed=(404,))
    for measure in ("isochrones", "distances", "accessibility"):
        smoke.expect(f"/api/network/nowhere/{measure}?lat=52&lon=4.35", allowed=(404,))


def main(base: str) -> int:
    wait_until_up(base)
    smoke = Smoke(base)
    for path in ("/", "/healthz", "/openapi.json", "/openapi", "/ogc", "/ogc/conformance",
                 "/compare", "/compare?as_of=2016-10", "/compare.csv", "/compare.svg",
                 "/basemap/countries.geojson"):  # fmt: skip
        smoke.expect(path)
    # the switcher's route (303 to the page, which urllib follows), and a French page
    smoke.expect("/language/fr?next=/compare")
    french = smoke.expect("/clusters/delft?lang=fr").decode("utf-8", "replace")
    if '<html lang="fr">' not in french or "Densité" not in french:
        smoke.failures.append("/clusters/delft?lang=fr: not French (is the catalogue compiled?)")
    clusters = json.loads(smoke.expect("/api/clusters"))["clusters"]
    for cluster in clusters:
        cid = cluster["id"]
        for tail in ("", "/sites", "/measures", "/density"):
            smoke.expect(f"/api/clusters/{cid}{tail}")
        status, body = smoke.get(f"/api/clusters/{cid}/isochrones")
        if not (status == 200 or (status == 404 and b"NetworkUnavailable" in body)):
            smoke.failures.append(f"/api/clusters/{cid}/isochrones: {status}: {body[:200]!r}")
        for page in (f"/clusters/{cid}", f"/embed/{cid}"):
            html = smoke.expect(page).decode("utf-8", "replace")
            for asset in sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))):
                smoke.expect(asset)
            # the oEmbed discovery link, as a CMS follows it (absolute, from our origin)
            for link in re.findall(r'type="application/json\+oembed" href="([^"]+)"', html):
                smoke.expect(
                    urlsplit(link.replace("&amp;", "&"))._replace(scheme="", netloc="").geturl()
                )
        smoke.expect(f"/clusters/{cid}/sites.csv")
        smoke.expect(f"/clusters/{cid}/measures.json")
        smoke.expect(f"/clusters/{cid}/figure.svg")
    smoke.expect("/clusters/atlantis", allowed=(404,))
    smoke.expect("/oembed?url=http%3A%2F%2Fevil.example%2Fclusters%2Fdelft", allowed=(404,))
    for tail in ("figure.pdf", "figure.png?dpi=72"):
        smoke.expect(f"/clusters/delft/{tail}")
    smoke.expect("/basemap/streets/delft.geojson")
    smoke.expect("/basemap/streets/genopole.geojson", allowed=(404,))
    delft = smoke.expect("/clusters/delft").decode("utf-8", "replace")
    if "isochrone" not in delft.lower():
        smoke.failures.append("/clusters/delft: no walking isochrones on the page")
    for collection in json.loads(smoke.expect("/ogc/collections?f=json"))["collections"]:
        cid = collection["id"]
        smoke.expect(f"/ogc/collections/{cid}?f=json")
        items = json.loads(smoke.expect(f"/ogc/collections/{cid}/items?f=json&limit=1"))
        for feature in items["features"]:
            smoke.expect(f"/ogc/collections/{cid}/items/{feature['id']}?f=json")
    _analyst_routes(smoke)
    missed = sorted({r.rule for r in smoke.adapter.map.iter_rules()} - smoke.reached)
    smoke.failures += [f"route never requested: {rule}" for rule in missed]
    for failure in smoke.failures:
        print(f"FAIL {failure}")
    print(
        f"smoke: {smoke.count} requests, {len(clusters)} clusters, "
        f"{len(smoke.reached)} routes: {len(smoke.failures)} failure(s)"
    )
    return 1 if smoke.failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="server URL")
    sys.exit(main(parser.parse_args().url))
