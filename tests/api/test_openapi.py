"""The OpenAPI document: valid OpenAPI 3, and it describes every route of the API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db

NOT_RESOURCES = {"openapi.json", "docs/"}


def api_routes() -> set[str]:
    """Every resource route under /api/v1/, as the document writes paths (``{id}``)."""
    api = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/"
    )
    routes = set()
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if route in NOT_RESOURCES or route.startswith("^"):
            continue
        routes.add("/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return routes


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_it_is_valid_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    validate(document)


def test_it_covers_every_route_with_its_methods(document: dict[str, Any]) -> None:
    assert set(document["paths"]) == api_routes()
    methods = {path: set(item) - {"parameters"} for path, item in document["paths"].items()}
    assert methods["/api/v1/jobs/{id}/"] == {"get", "patch", "delete"}
    assert methods["/api/v1/clusters/"] == {"get", "post"}


def test_it_describes_bodies_from_the_forms(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["NewClusterRequest"]["properties"]) == {
        "identifier",
        "size",
        "lifetime",
        "ssh_key",
        "emr_release",
    }
    assert schemas["NewSparkJobRequest"]["properties"]["notebook"]["format"] == "binary"
    assert document["components"]["securitySchemes"]["accessToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal access token (`atmo_…`) from the API tokens page.",
    }


def test_an_unknown_url_under_the_api_is_a_problem(api: Any) -> None:
    assert_problem(api.get("/api/v1/nothing-here/"), 404, "No API endpoint at /api/v1/nothing-here/.")
    assert_problem(api.get("/api/v2/"), 404)


def test_a_method_a_route_does_not_take_is_a_405_problem(api: Any) -> None:
    response = api.put("/api/v1/clusters/", {}, format="json")
    assert_problem(response, 405, 'Method "PUT" not allowed.')
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_is_a_problem(api: Any) -> None:
    response = api.post("/api/v1/ssh-keys/", "{nope", content_type="application/json")
    assert_problem(response, 400)
    response = api.post("/api/v1/ssh-keys/", "[1, 2]", content_type="application/json")
    assert_problem(response, 400)
