"""The OpenAPI document is valid OpenAPI 3.1 and describes every API route."""

import re

from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_api_route_is_described(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    described = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_document":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in described, f"{method} {path} is not in the OpenAPI document"


def test_errors_are_described_as_problem_documents(client):
    document = client.get("/api/v1/openapi.json").get_json()
    put = document["paths"]["/services/{service_id}/capacity"]["put"]
    assert "application/problem+json" in put["responses"]["422"]["content"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "CapacityPost"
    )


def test_every_operation_describes_the_refusals_that_come_before_its_view(client):
    """Hostile input (400), no token (401), a body too large (413), an address too long (414)
    and, for changes, a read-only token (403) can answer any operation."""
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = {"400", "401", "413", "414"} | ({"403"} if method != "get" else set())
            responses = operation["responses"]
            assert expected <= set(responses), f"{method} {path}"
            for status in expected:
                assert "application/problem+json" in responses[status]["content"]


def test_path_ids_are_described_as_the_ids_the_addresses_take(client):
    document = client.get("/api/v1/openapi.json").get_json()
    get = document["paths"]["/referrals/{referral_id}"]["get"]
    [parameter] = [p for p in get["parameters"] if p["in"] == "path"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
