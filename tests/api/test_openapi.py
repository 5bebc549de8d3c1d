"""The OpenAPI document: version 3.1, valid against the 3.1 meta-schema, made from the
schemas that validate requests, every error documented as problem details, bearer declared."""

from __future__ import annotations

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from complaints_app.api import PUBLIC_ENDPOINTS
from complaints_app.api.problems import MEDIA_TYPE, PROBLEMS

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(spec: dict, response: dict) -> dict:
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        return spec["components"]["responses"][name]
    return response


def test_it_is_openapi_3_1_and_valid(spec):
    assert spec["openapi"] == "3.1.0"
    OPENAPI_31_VALIDATOR.validate(spec)


def test_it_describes_every_route(spec):
    operations = {(p, m) for p, m, _ in _operations(spec)}
    assert operations == {
        ("/api/v1/complaints", "get"),
        ("/api/v1/complaints", "post"),
        ("/api/v1/complaints/{reference}", "get"),
        ("/api/v1/complaints/{reference}/messages", "get"),
        ("/api/v1/complaints/{reference}/messages", "post"),
        ("/api/v1/complaints/{reference}/attachments", "post"),
        ("/api/v1/stats", "get"),
    }


def test_bearer_tokens_are_declared_and_only_stats_is_open(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert spec["security"] == [{"bearerAuth": []}]
    open_ones = {p for p, _m, op in _operations(spec) if op.get("security") == []}
    assert open_ones == {"/api/v1/stats"}
    assert {"api.stats"} == PUBLIC_ENDPOINTS


def test_every_error_response_is_problem_details(spec):
    for path, method, operation in _operations(spec):
        codes = set(operation["responses"])
        assert "default" in codes, (path, method)
        if path != "/api/v1/stats":
            assert {"401", "429", "500"} <= codes, (path, method)
        if "{reference}" in path:
            assert "404" in codes, (path, method)
        if method == "post":
            assert {"403", "422"} <= codes, (path, method)
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")) or code == "default":
                content = _resolve(spec, response)["content"]
                assert list(content) == [MEDIA_TYPE], (path, method, code)
                schema = content[MEDIA_TYPE]["schema"]["$ref"]
                assert schema.endswith("/ProblemOut")


def test_the_problem_types_are_listed(spec):
    for slug in PROBLEMS:
        assert f"/api/v1/problems/{slug}" in spec["info"]["description"]


def test_request_bodies_carry_an_example(spec):
    for path, method, operation in _operations(spec):
        body = operation.get("requestBody")
        if body is None or "application/json" not in body["content"]:
            continue
        assert "example" in body["content"]["application/json"], (path, method)


def test_the_message_example_is_accepted_as_is(spec, db, make_advocate, api_as, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    example = spec["paths"]["/api/v1/complaints/{reference}/messages"]["post"]["requestBody"][
        "content"
    ]["application/json"]["example"]
    response = api_as(advocate).post(f"/complaints/{case.reference}/messages", json=example)
    assert response.status_code == 201


def test_no_viewer_is_served(client):
    for path in ("/api/v1/redoc", "/api/v1/swagger-ui", "/api/v1/docs", "/api/v1/rapidoc"):
        assert client.get(path).status_code == 404
