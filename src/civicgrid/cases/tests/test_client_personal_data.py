"""An API client without the scope cases:read:personal reads no names or phones, whatever its account's
role may see; with the scope it reads what the role allows."""

from __future__ import annotations

import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.cases.tests.helpers import NORTH_1, move, submit

pytestmark = pytest.mark.django_db


def key(user, scopes) -> dict:
    client = api_client_create(name="12345 热线", user=user, scopes=scopes, kind="hotline")
    return {"Authorization": f"Bearer {api_key_issue(client=client)[1]}"}


@pytest.fixture
def case(routed_world, categories):
    case = submit(routed_world.citizen, NORTH_1, category=categories["06013"], contact_phone="13912345678")
    move(case, "register", routed_world.dispatcher)
    return case


def test_without_the_scope_the_dispatch_centre_reads_masked_names_and_phones(client, routed_world, case):
    body = client.get(
        f"/api/cases/{case.number}", headers=key(routed_world.dispatcher, ["cases:read"])
    ).json()
    assert body["reporter"] == "王*"
    assert body["contact_phone"] == "139****5678"
    assert "王芳" not in str(body) and "13912345678" not in str(body)
    assert routed_world.citizen.phone not in str(body)


def test_with_the_scope_the_dispatch_centre_reads_them_as_its_role_allows(client, routed_world, case):
    headers = key(routed_world.dispatcher, ["cases:read", "cases:read:personal"])
    body = client.get(f"/api/cases/{case.number}", headers=headers).json()
    assert body["reporter"] == "王芳"
    assert body["contact_phone"] == "13912345678"


def test_the_scope_does_not_widen_a_role_that_may_not_see_them(client, routed_world, case):
    headers = key(routed_world.grid_member, ["cases:read", "cases:read:personal"])
    body = client.get(f"/api/cases/{case.number}", headers=headers).json()
    assert body["reporter"] == "王*"
    assert body["contact_phone"] == "139****5678"


def test_a_session_of_the_same_account_is_governed_by_its_role(client, routed_world, case):
    client.force_login(routed_world.dispatcher)
    body = client.get(f"/api/cases/{case.number}").json()
    assert body["reporter"] == "王芳"
    assert body["contact_phone"] == "13912345678"
