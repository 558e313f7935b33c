"""For every operation that needs a key: a key without its scope is refused (403 scope_missing) whatever
it sends, and a key with it is not refused for its scope."""

from __future__ import annotations

import re

import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.scopes import GRANTABLE, Scope
from civicgrid.api import api

SCHEMA = api.get_openapi_schema()
KEYED = [
    (method, path, operation["x-scope"])
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
    if operation["x-scope"] != Scope.PUBLIC
]


def concrete(path: str) -> str:
    """A URL for the path: a number for an id, a case number that does not exist for the others."""
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("_id") else "NOPE-1", path)


def key_for(user, scopes) -> str:
    client = api_client_create(name="matrix", user=user, scopes=[str(s) for s in scopes], kind="platform")
    return api_key_issue(client=client)[1]


def call(client, method: str, path: str, raw: str):
    headers = {"Authorization": f"Bearer {raw}"}
    send = getattr(client, method)
    if method == "get":
        return send(concrete(path), headers=headers)
    return send(concrete(path), data="{}", content_type="application/json", headers=headers)


@pytest.mark.parametrize(("method", "path", "scope"), KEYED, ids=[f"{m} {p}" for m, p, _ in KEYED])
def test_a_key_without_the_scope_is_refused(client, world, method, path, scope):
    raw = key_for(world.admin, [s for s in GRANTABLE if s != scope])
    response = call(client, method, path, raw)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "scope_missing"
    assert scope in response.json()["message_en"]


@pytest.mark.parametrize(("method", "path", "scope"), KEYED, ids=[f"{m} {p}" for m, p, _ in KEYED])
def test_a_key_with_the_scope_is_not_refused_for_it(client, world, method, path, scope):
    raw = key_for(world.admin, [scope])
    response = call(client, method, path, raw)
    assert response.status_code != 401
    if response.status_code == 403:
        assert response.json()["error"] != "scope_missing", response.content
