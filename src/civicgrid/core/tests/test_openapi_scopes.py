"""Every operation of the API declares the scope a client's key needs, and the document shows it."""

from __future__ import annotations

import pytest

from civicgrid.accounts.scopes import Scope
from civicgrid.api import api

SCHEMA = api.get_openapi_schema()
OPERATIONS = [
    (method, path, operation)
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
]


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_operation_declares_a_known_scope(method, path, operation):
    assert "x-scope" in operation, f"{method} {path} declares no scope (accounts.auth.api_scope)"
    assert operation["x-scope"] in Scope.values


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_the_bearer_requirement_names_the_scope(method, path, operation):
    security = operation.get("security")
    if operation["x-scope"] == Scope.PUBLIC:
        assert not security, f"{method} {path}: a public operation needs no key"
        return
    assert {"bearer": [operation["x-scope"]]} in security
    assert {"session": []} in security


def test_the_schemes_are_named_by_what_they_are():
    assert set(SCHEMA["components"]["securitySchemes"]) == {"bearer", "session"}
    assert SCHEMA["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_case_endpoints_declare_the_scopes_of_the_case_loop():
    scope = {(m, p): o["x-scope"] for m, p, o in OPERATIONS}
    assert scope["post", "/api/cases"] == Scope.CASES_CREATE
    assert scope["get", "/api/cases"] == Scope.CASES_READ
    assert scope["get", "/api/cases/{number}"] == Scope.CASES_READ
    assert scope["post", "/api/cases/{number}/actions/{action}"] == Scope.CASES_ACT
    assert scope["post", "/api/cases/{number}/me-too"] == Scope.CASES_ACT
    assert scope["put", "/api/cases/{number}/public-summary"] == Scope.CASES_ACT
    assert scope["get", "/api/stats/summary"] == Scope.STATS_READ
    assert scope["get", "/api/public/cases"] == Scope.PUBLIC
