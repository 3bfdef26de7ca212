"""The OpenAPI document: valid OpenAPI 3, and it describes every route of the API."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from tests.api.conftest import assert_problem, client_with

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
        "idle_timeout",
        "ssh_key",
        "emr_release",
    }
    assert schemas["NewSparkJobRequest"]["properties"]["notebook"]["format"] == "binary"
    for form in ("NewSparkJobRequest", "PatchedEditSparkJobRequest"):
        parameters = schemas[form]["properties"]["parameters"]
        assert parameters["items"]["$ref"] == "#/components/schemas/ParameterDefinition"
    assert set(schemas["ParameterDefinition"]["properties"]) == {"name", "type", "default"}
    run_now = document["paths"]["/api/v1/jobs/{id}/run/"]["post"]["requestBody"]["content"]
    assert run_now["application/json"]["schema"]["$ref"] == "#/components/schemas/RunNowRequest"
    assert set(schemas["RunNowRequest"]["properties"]) == {"parameters"}
    assert "outputs" in schemas["RunDetail"]["properties"]
    assert "outputs" not in schemas["Run"]["properties"]
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


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]


def test_every_operation_lists_the_problems_it_may_answer(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        for code in ("401", "403", "429"):
            assert responses[code] == {"$ref": f"#/components/responses/{code}"}, (method, path)
        if "{id}" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert "400" in responses, (method, path)
    paths = document["paths"]
    # A filter can be invalid, a cursor stale; a plain list, a delete or a show has no 400.
    assert {"400", "404"} <= set(paths["/api/v1/jobs/"]["get"]["responses"])
    assert not {"400", "404"} & set(paths["/api/v1/emr-releases/"]["get"]["responses"])
    assert "400" not in paths["/api/v1/ssh-keys/{id}/"]["delete"]["responses"]
    assert "400" not in paths["/api/v1/runs/{id}/"]["get"]["responses"]
    problems = document["components"]["responses"]
    assert problems["400"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    assert "Retry-After" in problems["429"]["headers"]
    assert "WWW-Authenticate" in problems["401"]["headers"]


def problem_schema(document: dict[str, Any], code: int) -> dict[str, Any]:
    """The documented schema of a ``code`` problem, resolvable on its own."""
    schema = document["components"]["responses"][str(code)]["content"]["application/problem+json"]["schema"]
    return {**schema, "components": document["components"]}


def test_the_problems_answered_are_the_ones_documented(
    document: dict[str, Any], user: Any, user2: Any, api_for: Any, live_setting: Any
) -> None:
    read_only = api_for(user, "read")
    answers = [
        (400, api_for(user).post("/api/v1/clusters/", {"size": 0}, format="json")),
        (401, client_with(None).get("/api/v1/clusters/")),
        (403, read_only.post("/api/v1/ssh-keys/", {}, format="json")),
        (404, api_for(user2).get("/api/v1/jobs/1000000/")),
        (404, read_only.get("/api/v1/jobs/?cursor=garbled")),
    ]
    live_setting(API_RATE_LIMIT=1)
    limited = api_for(user)
    limited.get("/api/v1/ssh-keys/")
    answers.append((429, limited.get("/api/v1/ssh-keys/")))
    for code, response in answers:
        body = assert_problem(response, code)
        jsonschema.validate(body, problem_schema(document, code))
