"""The OpenAPI document: valid OpenAPI 3.0, complete, and no 5xx for any generated request."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from tests.helpers import DATA
from webmap import create_app
from webmap.api.measures_api import DENSITY_PARAMS


def test_document_is_valid_openapi_3(client: Any) -> None:
    response = client.get("/openapi.json")
    assert response.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = response.get_json()
    validate(doc)  # raises on any deviation from the OpenAPI 3.0 schema
    assert doc["openapi"].startswith("3.0")


def test_every_api_and_ogc_route_is_documented(app: Any, client: Any) -> None:
    doc = client.get("/openapi.json").get_json()
    documented = set(doc["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/ogc")):
            path = rule.rule.replace("<", "{").replace(">", "}")
            assert path in documented, rule.rule
    assert "/api/analyze" in documented and "post" in doc["paths"]["/api/analyze"]


def test_parameters_are_documented_from_the_validation_declarations(client: Any) -> None:
    doc = client.get("/openapi.json").get_json()
    params = {
        p["name"]: p
        for p in doc["paths"]["/api/clusters/{cluster_id}/density"]["get"]["parameters"]
    }
    for param in DENSITY_PARAMS:
        assert params[param.name]["description"] == param.description
    assert params["hex_res"]["schema"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 15,
        "default": 9,
    }
    items = doc["paths"]["/ogc/collections/{collection_id}/items"]["get"]
    limit = next(p for p in items["parameters"] if p["name"] == "limit")
    assert "maximum" not in limit["schema"]  # clamped, not refused


def test_human_readable_page_lists_the_operations(client: Any) -> None:
    page = client.get("/openapi").get_data(as_text=True)
    assert "GET /api/clusters/{cluster_id}/density" in page
    assert "POST /api/analyze" in page


def _app() -> Any:
    return create_app({"TESTING": True, "DATA_DIR": str(DATA)})


schema = schemathesis.openapi.from_wsgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_server_error(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.query, response.text[:300])
