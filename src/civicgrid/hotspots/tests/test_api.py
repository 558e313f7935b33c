"""The hot issues API: staff only, command areas respected, bad input refused in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shapely.geometry import box

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.tests.helpers import as_user, assert_error
from civicgrid.grids.models import Street
from civicgrid.hotspots.services import hot_issues_refresh


@pytest.fixture
def refreshed(report_history):
    reported = report_history()
    hot_issues_refresh(now=reported.end - timedelta(days=8))
    return reported


@pytest.fixture
def other_street(world):
    street = Street(code="150603002", name="哈巴格希街道", district=world.district)
    street.set_shape(box(109.80, 39.60, 109.82, 39.62))
    street.save()
    return street


def scoped_leader(code: str):
    leader = user_create(phone="13900000028", password="x-pass-2026", real_name="钱勇", role=Role.LEADER)
    leader.command_area = code
    leader.save(update_fields=["command_area"])
    return leader


@pytest.mark.django_db
def test_top_lists_the_hottest_active_issues_first(client, world, refreshed):
    as_user(client, world.leader)
    r = client.get("/api/hotspots/top", {"limit": 5})
    assert r.status_code == 200, r.content
    rows = r.json()
    assert rows and len(rows) <= 5
    assert [x["heat"] for x in rows] == sorted((x["heat"] for x in rows), reverse=True)
    first = rows[0]
    assert (
        first["status"] == "active"
        and first["street"] == "150603001"
        and first["street_name"] == "青春山街道"
    )
    assert first["representative_text"] and first["representative_case"]
    assert first["case_count"] >= 1 and first["report_count"] >= 3
    # The street filter, and the per-street lists.
    r = client.get("/api/hotspots/top", {"street": "150603001"})
    assert [x["id"] for x in r.json()][:5] == [x["id"] for x in rows]
    r = client.get("/api/hotspots/streets")
    assert r.status_code == 200 and r.json()[0]["street"] == "150603001"
    # Cooled issues only on request.
    every = client.get("/api/hotspots/top", {"cooled": "true", "limit": 50}).json()
    assert len(every) > len(client.get("/api/hotspots/top", {"limit": 50}).json())


@pytest.mark.django_db
def test_one_issue_lists_its_cases(client, world, refreshed):
    as_user(client, world.dispatcher)
    top = client.get("/api/hotspots/top").json()[0]
    r = client.get(f"/api/hotspots/issues/{top['id']}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert len(body["cases"]) == body["case_count"]
    assert body["categories"] and sum(c["cases"] for c in body["categories"]) == body["case_count"]
    assert top["representative_case"] in [c["number"] for c in body["cases"]]
    assert_error(client.get("/api/hotspots/issues/999999"), 404, "hot_issue_not_found", "id")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["citizen", "roads_handler", "department_admin", "grid_member"])
def test_only_city_viewers_read_hot_issues(client, world, refreshed, persona):
    as_user(client, getattr(world, persona))
    assert_error(client.get("/api/hotspots/top"), 403, "forbidden_role")
    assert_error(client.get("/api/hotspots/streets"), 403, "forbidden_role")


@pytest.mark.django_db
def test_anonymous_is_refused(client, refreshed):
    assert client.get("/api/hotspots/top").status_code == 401


@pytest.mark.django_db
def test_a_command_area_sees_only_its_streets(client, world, refreshed, other_street):
    elsewhere = scoped_leader("150603002")
    as_user(client, elsewhere)
    assert client.get("/api/hotspots/top").json() == []
    assert client.get("/api/hotspots/streets").json() == []
    some = client.get("/api/hotspots/top", {"cooled": True}).json()
    assert some == []
    as_user(client, world.leader)
    issue_id = client.get("/api/hotspots/top").json()[0]["id"]
    as_user(client, elsewhere)
    assert_error(client.get(f"/api/hotspots/issues/{issue_id}"), 404, "hot_issue_not_found")
    assert_error(
        client.get("/api/hotspots/top", {"street": "150603001"}), 403, "outside_command_area", "street"
    )


@pytest.mark.django_db
def test_bad_input_is_refused(client, world, refreshed):
    as_user(client, world.leader)
    assert_error(client.get("/api/hotspots/top", {"street": "999999999"}), 422, "street_unknown", "street")
    assert client.get("/api/hotspots/top", {"limit": 0}).status_code == 422
    assert client.get("/api/hotspots/top", {"limit": 51}).status_code == 422
