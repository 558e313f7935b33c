"""GET /api/cases/nearby (join instead of reporting again) and POST /api/cases/{n}/me-too (附议)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    as_user,
    assert_error,
    move,
    north_of,
    post_json,
    run_to,
    submit,
)
from civicgrid.grids.coords import from_wgs84
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(routed_world):
    return user_create(phone="13900000011", password=PASSWORD, real_name="赵丽", role=Role.CITIZEN)


@pytest.fixture
def around(routed_world, categories, monday):
    """Open 06013 cases 5, 10, … 35 m north of NORTH_1 (73 h apart, so none is merged), plus decoys."""
    w = routed_world
    rejected = submit(w.citizen, north_of(NORTH_1, 1), category=categories["06013"])
    move(rejected, "reject", w.dispatcher, "无效上报")
    other_category = submit(w.citizen, north_of(NORTH_1, 2), category=categories["06010"])
    cases = {}
    for metres in (35, 5, 25, 60, 15, 30, 10, 20):
        monday.shift(timedelta(hours=73))
        cases[metres] = submit(w.citizen, north_of(NORTH_1, metres), category=categories["06013"])
        assert cases[metres].duplicate_of is None
    return {"cases": cases, "rejected": rejected, "other_category": other_category}


def test_nearby_lists_the_five_nearest_open_cases_of_the_category(client, routed_world, around):
    r = as_user(client, routed_world.citizen).get(
        "/api/cases/nearby", {"lat": NORTH_1[0], "lon": NORTH_1[1], "category": "06013"}
    )
    assert r.status_code == 200, r.content
    rows = r.json()
    cases = around["cases"]
    assert [row["number"] for row in rows] == [cases[m].number for m in (5, 10, 15, 20, 25)]
    assert [row["distance_m"] for row in rows] == pytest.approx([5, 10, 15, 20, 25], abs=0.2)
    assert all(row["category_name"] == "道路破损" for row in rows)


def test_nearby_leaves_out_cases_beyond_the_radius_and_finished_ones(client, routed_world, around):
    cases = around["cases"]
    run_to(cases[5], "closed", routed_world)
    move(cases[10], "register", routed_world.dispatcher)  # still open
    r = as_user(client, routed_world.citizen).get(
        "/api/cases/nearby", {"lat": NORTH_1[0], "lon": NORTH_1[1], "category": "matter:06013"}
    )
    assert [row["number"] for row in r.json()] == [cases[m].number for m in (10, 15, 20, 25, 30)]
    # Widening the radius reaches the case at 60 m (still at most five).
    r = client.get(
        "/api/cases/nearby",
        {"lat": north_of(NORTH_1, 60)[0], "lon": NORTH_1[1], "category": "06013", "radius_m": 100},
    )
    assert [row["number"] for row in r.json()][0] == cases[60].number
    assert len(r.json()) == 5


def test_nearby_accepts_gcj02(client, routed_world, around):
    lat, lon = from_wgs84(*NORTH_1, "gcj02")
    r = as_user(client, routed_world.citizen).get(
        "/api/cases/nearby", {"lat": lat, "lon": lon, "crs": "gcj02", "category": "06013"}
    )
    assert r.json()[0]["number"] == around["cases"][5].number


def test_nearby_with_an_unknown_category_is_a_422(client, routed_world):
    r = as_user(client, routed_world.citizen).get(
        "/api/cases/nearby", {"lat": NORTH_1[0], "lon": NORTH_1[1], "category": "99999"}
    )
    assert_error(r, 422, "category_unknown")


def test_nearby_without_a_category_is_a_422(client, routed_world):
    submit(routed_world.citizen, NORTH_1)  # an uncategorised case close by
    r = as_user(client, routed_world.citizen).get(
        "/api/cases/nearby", {"lat": NORTH_1[0], "lon": NORTH_1[1], "category": ""}
    )
    assert_error(r, 422, "category_required", "category")


@pytest.fixture
def case(routed_world, categories, monday):
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


def test_me_too_counts_once_per_person(client, routed_world, case, neighbour):
    as_user(client, neighbour)
    assert client.get(f"/api/cases/{case.number}").status_code == 404  # not followed yet
    r = post_json(client, f"/api/cases/{case.number}/me-too")
    assert r.status_code == 200, r.content
    assert r.json()["me_too_count"] == 1
    r = post_json(client, f"/api/cases/{case.number}/me-too")
    assert r.json()["me_too_count"] == 1
    assert CaseEvent.objects.filter(case=case, action="me_too").count() == 1
    # The neighbour now follows the case.
    assert client.get(f"/api/cases/{case.number}").status_code == 200
    assert case.number in {c["number"] for c in client.get("/api/cases").json()}

    r = post_json(as_user(client, routed_world.grid_member), f"/api/cases/{case.number}/me-too")
    assert r.json()["me_too_count"] == 2


def test_reporter_me_too_counts_nothing(client, routed_world, case):
    r = post_json(as_user(client, routed_world.citizen), f"/api/cases/{case.number}/me-too")
    assert r.status_code == 200
    assert r.json()["me_too_count"] == 0


def test_me_too_on_a_closed_case_is_a_409(client, routed_world, case, neighbour):
    run_to(case, "closed", routed_world)
    r = post_json(as_user(client, neighbour), f"/api/cases/{case.number}/me-too")
    assert_error(r, 409, "case_not_open")
    assert Case.objects.get(pk=case.pk).me_too_count == 0


def test_me_too_on_a_private_case_is_a_404(client, routed_world, categories, neighbour):
    private = submit(routed_world.citizen, NORTH_1, category=categories["04002"], is_public=False)
    r = post_json(as_user(client, neighbour), f"/api/cases/{private.number}/me-too")
    assert_error(r, 404, "case_not_found")
    assert Case.objects.get(pk=private.pk).me_too_count == 0
