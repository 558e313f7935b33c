"""An API client limited to streets (ApiClient.streets) sees, acts on and reports cases only there."""

from __future__ import annotations

import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.cases.access import visible_cases
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import LAKE, NORTH_1, move, report_body, submit

pytestmark = pytest.mark.django_db


def client_key(user, streets):
    client = api_client_create(
        name="街道系统", user=user, scopes=["cases:read", "cases:act", "cases:create"], streets=streets
    )
    key, raw = api_key_issue(client=client)
    return client, {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def cases(routed_world, categories):
    in_street = submit(routed_world.citizen, NORTH_1, category=categories["06013"])
    move(in_street, "register", routed_world.dispatcher)
    in_lake = submit(routed_world.citizen, LAKE, category=categories["06010"])  # no cell, no street
    return in_street, in_lake


def test_the_list_holds_only_the_clients_streets(client, routed_world, cases):
    in_street, in_lake = cases
    _, headers = client_key(routed_world.dispatcher, [routed_world.street.code])
    numbers = {c["number"] for c in client.get("/api/cases", headers=headers).json()}
    assert in_street.number in numbers and in_lake.number not in numbers
    _, elsewhere = client_key(routed_world.dispatcher, ["150603999"])
    assert client.get("/api/cases", headers=elsewhere).json() == []


def test_no_streets_is_no_limit(client, routed_world, cases):
    _, headers = client_key(routed_world.dispatcher, [])
    numbers = {c["number"] for c in client.get("/api/cases", headers=headers).json()}
    assert {c.number for c in cases} <= numbers


def test_a_case_outside_is_not_found_and_cannot_be_moved(client, routed_world, cases):
    in_street, _ = cases
    _, elsewhere = client_key(routed_world.dispatcher, ["150603999"])
    assert client.get(f"/api/cases/{in_street.number}", headers=elsewhere).status_code == 404
    response = client.post(
        f"/api/cases/{in_street.number}/actions/dispatch",
        data={"department": "ZJJ-SZ"},
        content_type="application/json",
        headers=elsewhere,
    )
    assert response.status_code == 404
    in_street.refresh_from_db()
    assert in_street.status == "registered"
    _, inside = client_key(routed_world.dispatcher, [routed_world.street.code])
    assert client.get(f"/api/cases/{in_street.number}", headers=inside).status_code == 200


def test_visible_cases_of_the_account_carries_the_limit(routed_world, cases):
    client, _ = client_key(routed_world.dispatcher, ["150603999"])
    user = routed_world.dispatcher
    assert visible_cases(user).count() == 2  # the account itself: no limit
    user.api_client = client
    assert visible_cases(user).count() == 0


def test_a_report_outside_the_streets_is_refused_and_stores_nothing(client, routed_world, cases):
    _, elsewhere = client_key(routed_world.citizen, ["150603999"])
    before = Case.objects.count()
    response = client.post(
        "/api/cases", data=report_body(NORTH_1), content_type="application/json", headers=elsewhere
    )
    assert response.status_code == 403
    assert response.json()["error"] == "street_not_allowed"
    assert response.json()["message_zh"] and response.json()["message_en"]
    assert Case.objects.count() == before
    _, inside = client_key(routed_world.citizen, [routed_world.street.code])
    response = client.post(
        "/api/cases", data=report_body(NORTH_1), content_type="application/json", headers=inside
    )
    assert response.status_code in (200, 201), response.content
