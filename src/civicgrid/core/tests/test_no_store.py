"""What a signed-in person sees is never stored by a browser or a proxy: `Cache-Control: private, no-store`."""

from __future__ import annotations

import pytest

from civicgrid.accounts.clients import api_personal_key_issue

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.parametrize(
    "persona, path",
    [
        ("dispatcher", "/console/queue/new/"),
        ("leader", "/dashboard/"),
        ("leader", "/screen/"),
        ("citizen", "/m/"),
        ("citizen", "/m/cases/"),
        ("citizen", "/m/points/"),
        ("grid_member", "/m/grid/"),
        ("citizen", "/api/cases"),
        ("dispatcher", "/api/cases"),
        ("admin", "/admin/"),
        ("admin", "/admin/accounts/user/"),
        ("citizen", "/"),
    ],
)
def test_pages_and_answers_for_a_signed_in_person_are_not_stored(client, world, persona, path):
    client.force_login(getattr(world, persona))
    response = client.get(path)
    assert response.status_code == 200, path
    assert no_store(response), (path, response.get("Cache-Control"))


def test_api_answers_to_a_token_are_not_stored(client, world):
    _token, raw = api_personal_key_issue(user=world.citizen, name="app")
    response = client.get("/api/cases", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and no_store(response)


def test_an_error_for_a_signed_in_person_is_not_stored_either(client, world):
    client.force_login(world.citizen)
    response = client.get("/m/cases/NO-SUCH-CASE/")
    assert response.status_code == 404 and no_store(response)


def test_public_pages_for_anonymous_visitors_may_be_cached(client, world):
    response = client.get("/reports/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_an_answer_that_sets_its_own_caching_keeps_it(client, world):
    client.force_login(world.leader)
    response = client.get("/api/map/layers/boundaries", {"bbox": "109.76,39.60,109.79,39.62", "zoom": 13})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private, max-age=")
