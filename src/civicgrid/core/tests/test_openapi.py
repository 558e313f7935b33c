"""The published OpenAPI document (/api/openapi.json) is one a generated client can use: valid
OpenAPI 3.1, every reference resolves inside it, and every operation declares its refusals with
the error body the API really sends."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

URL = "/api/openapi.json"


@pytest.fixture
def document(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    return response.json()


def _refs(node, where="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, f"{where}/{i}")


def _resolve(document, ref: str):
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve (no {part!r})"
        node = node[part]
    return node


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_reference_resolves_in_the_document(document):
    refs = list(_refs(document))
    assert len(refs) > 30
    for where, ref in refs:
        assert isinstance(_resolve(document, ref), dict), f"{where}: {ref}"


def test_the_report_form_enums_are_components(document):
    # They were nested in the hand-written request body under a `$defs` no reference could reach.
    body = document["paths"]["/api/cases"]["post"]["requestBody"]["content"]
    for content in body.values():
        assert "$defs" not in content["schema"]
        assert content["schema"]["properties"]["crs"]["$ref"] == "#/components/schemas/CoordSystem"
    schemas = document["components"]["schemas"]
    for name in ("CoordSystem", "CaseKind", "Channel"):
        assert schemas[name]["enum"]


def _error_ref(operation, status):
    response = operation["responses"].get(str(status))
    assert response is not None, f"{operation['operationId']} does not declare {status}"
    return response["content"]["application/json"]["schema"]["$ref"]


def test_every_operation_declares_its_refusals_with_the_error_body(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = {400}
            if method in {"post", "put", "patch"}:
                expected.add(415)
            if method == "post":
                expected.add(429)
            if operation.get("security"):
                expected |= {401, 403}
            if "{" in path:
                expected.add(404)
            if operation.get("parameters") or operation.get("requestBody"):
                expected.add(422)
            if operation.get("security") and method == "post":
                expected.add(409)
            for status in expected:
                assert _error_ref(operation, status) == "#/components/schemas/Error", (method, path)
    case_move = document["paths"]["/api/cases/{number}/actions/{action}"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(case_move["responses"])
    # Only a URL with a control character is refused by the cheapest endpoint.
    assert set(document["paths"]["/api/health"]["get"]["responses"]) == {"200", "400"}


def _error_schema(document):
    return {**document["components"]["schemas"]["Error"], "components": document["components"]}


def test_the_error_schema_describes_what_the_api_sends(client, world, document):
    schema = document["components"]["schemas"]["Error"]
    bodies = [
        client.get("/api/accounts/me").json(),  # 401
        client.get("/api/public/cases/NO-SUCH-CASE").json(),  # 404 (DomainError)
        client.get("/api/grids/locate?lat=north").json(),  # 422 (the validator)
    ]
    client.force_login(world.citizen)
    bodies.append(client.get("/api/cases/indicators?start=2026-01-01&end=2026-02-01").json())  # 403
    for body in bodies:
        jsonschema.validate(body, schema)
        assert body["message_zh"] and body["message_en"]


@pytest.mark.parametrize(
    "url", ["/api/codes/null,null", "/api/points/catalogue/x/redeem", "/api/no-such-endpoint"]
)
def test_an_api_url_no_operation_matches_is_a_json_404(client, world, url):
    # An `int` path parameter that is not a number matches no URL: Django's HTML page answered.
    client.force_login(world.admin)
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "not_found"


def test_a_page_url_that_matches_nothing_is_still_the_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_body_that_is_not_json_is_a_422_json_invalid(client, world):
    # Ninja answered 400 "Cannot parse request body", a status the operations do not declare.
    client.force_login(world.admin)
    response = client.post("/api/codes", data=b"\xa3)\xf1\xff", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"] == "json_invalid"


def test_a_forged_voucher_token_is_a_declared_400(client, world, document):
    operation = document["paths"]["/api/points/vouchers/use"]["post"]
    assert _error_ref(operation, 400) == _error_ref(operation, 404) == "#/components/schemas/Error"
    client.force_login(world.admin)
    response = client.post("/api/points/vouchers/use", {"token": "a.b.c"}, content_type="application/json")
    assert response.status_code == 400
    jsonschema.validate(response.json(), document["components"]["schemas"]["Error"])
