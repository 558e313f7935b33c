"""A second report of the same problem (same category, ≤ 50 m, ≤ 72 h, original open) is merged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, CaseFollower
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    as_user,
    east_of,
    move,
    north_of,
    post_json,
    report_body,
    submit,
)
from civicgrid.grids.coords import distance_m
from civicgrid.testing import PASSWORD

# Transactional: the API's reports run in autocommit as behind the server, which on PostgreSQL is the
# path where a report is written by one statement outside any transaction (cases/intake.IntakeRows).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def neighbour(routed_world):
    return user_create(phone="13900000011", password=PASSWORD, real_name="赵丽", role=Role.CITIZEN)


@pytest.fixture
def original(routed_world, categories, monday):
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


def report(client, user, point, category="06013"):
    r = post_json(as_user(client, user), "/api/cases", report_body(point, category=category))
    assert r.status_code == 201, r.content
    return r.json()


def test_report_within_50_m_and_72_h_is_merged(client, routed_world, original, neighbour, monday):
    point = north_of(NORTH_1, 40)
    assert 39 < distance_m(*NORTH_1, *point) < 41
    monday.shift(timedelta(hours=71))
    body = report(client, neighbour, point)
    assert body["status"] == "merged"
    assert body["duplicate_of"] == original.number
    assert body["step"] == "" and body["due_at"] is None and body["light"] == "none"
    assert [(e["action"], e["to_status"]) for e in body["events"]] == [
        ("report", "reported"),
        ("merge", "merged"),
    ]
    assert CaseDeadline.objects.filter(case__number=body["number"]).count() == 0

    original.refresh_from_db()
    assert original.me_too_count == 1
    assert original.status == "reported"
    me_too = CaseEvent.objects.get(case=original, action="me_too")
    assert me_too.actor == neighbour
    assert CaseFollower.objects.filter(case=original, user=neighbour).exists()

    # The neighbour sees the original (followed) and their own merged report.
    listed = {c["number"] for c in client.get("/api/cases").json()}
    assert listed == {original.number, body["number"]}
    detail = client.get(f"/api/cases/{original.number}")
    assert detail.status_code == 200
    assert body["number"] in detail.json()["duplicates"]


def test_third_report_merges_into_the_original_not_the_duplicate(client, routed_world, original, neighbour):
    report(client, neighbour, north_of(NORTH_1, 10))
    body = report(client, routed_world.grid_member, east_of(NORTH_1, 10))
    assert body["duplicate_of"] == original.number
    original.refresh_from_db()
    assert original.me_too_count == 2
    # A grid member's merged report is not auto-registered.
    assert Case.objects.get(number=body["number"]).status == "merged"


def test_report_at_60_m_is_a_new_case(client, original, neighbour):
    point = north_of(NORTH_1, 60)
    assert 59 < distance_m(*NORTH_1, *point) < 61
    body = report(client, neighbour, point)
    assert (body["status"], body["duplicate_of"]) == ("reported", None)
    original.refresh_from_db()
    assert original.me_too_count == 0


def test_report_in_the_search_box_but_beyond_50_m_is_a_new_case(client, original, neighbour):
    # 45 m north and 45 m east: inside the ±50 m box the search reads (case_near_idx), 64 m away.
    point = east_of(north_of(NORTH_1, 45), 45)
    assert 63 < distance_m(*NORTH_1, *point) < 65
    body = report(client, neighbour, point)
    assert (body["status"], body["duplicate_of"]) == ("reported", None)
    assert Case.objects.get(number=body["number"]).deadlines.count() == 1
    original.refresh_from_db()
    assert original.me_too_count == 0 and not original.followers.exists()
    # … and a third report next to the first merges into it, not into the second.
    again = report(client, neighbour, north_of(NORTH_1, 3))
    assert again["duplicate_of"] == original.number


def test_report_after_73_h_is_a_new_case(client, original, neighbour, monday):
    monday.shift(timedelta(hours=73))
    body = report(client, neighbour, north_of(NORTH_1, 5))
    assert (body["status"], body["duplicate_of"]) == ("reported", None)


def test_report_of_another_category_is_a_new_case(client, original, neighbour):
    body = report(client, neighbour, north_of(NORTH_1, 5), category="06010")
    assert (body["status"], body["duplicate_of"]) == ("reported", None)


def test_report_without_a_category_is_never_merged(client, original, neighbour):
    r = post_json(as_user(client, neighbour), "/api/cases", report_body(NORTH_1))
    assert r.json()["status"] == "reported"


@pytest.mark.parametrize("end", ["closed", "rejected"])
def test_report_near_a_finished_case_is_a_new_case(client, routed_world, original, neighbour, end):
    from civicgrid.cases.tests.helpers import run_to

    if end == "closed":
        run_to(original, "closed", routed_world)
    else:
        move(original, "reject", routed_world.dispatcher, "描述不清")
    body = report(client, neighbour, north_of(NORTH_1, 5))
    assert (body["status"], body["duplicate_of"]) == ("reported", None)


def test_nearest_open_original_wins(client, routed_world, categories, neighbour, monday):
    far = submit(routed_world.citizen, north_of(NORTH_1, 45), category=categories["06013"])
    monday.shift(timedelta(hours=1))
    near = submit(routed_world.grid_member, north_of(NORTH_1, -45), category=categories["06013"])
    assert near.duplicate_of is None  # 90 m from the first one
    body = report(client, neighbour, north_of(NORTH_1, -30))  # 15 m from `near`, 75 m from `far`
    assert body["duplicate_of"] == near.number
    far.refresh_from_db()
    assert far.me_too_count == 0


def test_the_duplicate_search_picks_what_the_nearby_list_puts_first(routed_world, categories, monday):
    # find_original runs a hand-written statement on the partial index case_near_idx; the nearby list
    # (the form's "same problem near you") is the ORM query. They must agree on every point.
    import random

    from django.conf import settings

    from civicgrid.cases.intake import find_original, nearby_open_cases
    from civicgrid.core import clock

    rng = random.Random(7)
    reporters = [routed_world.citizen, routed_world.grid_member, routed_world.dispatcher]
    for i in range(24):
        point = north_of(east_of(NORTH_1, rng.uniform(-120, 120)), rng.uniform(-120, 120))
        category = categories["06013"] if i % 3 else categories["06010"]
        submit(reporters[i % 3], point, category=category, description=f"第 {i} 处")
        monday.shift(timedelta(hours=5))
    since = clock.now() - timedelta(hours=settings.CIVICGRID_DUPLICATE_WINDOW_HOURS)
    radius = settings.CIVICGRID_DUPLICATE_RADIUS_M
    found = 0
    for _ in range(60):
        lat, lon = north_of(east_of(NORTH_1, rng.uniform(-150, 150)), rng.uniform(-150, 150))
        for category in (categories["06013"], categories["06010"]):
            nearest = nearby_open_cases(
                category=category, lat=lat, lon=lon, radius_m=radius, since=since, limit=1
            )
            original = find_original(category=category, lat=lat, lon=lon, at=clock.now())
            assert original == (nearest[0] if nearest else None)
            found += original is not None
    assert 10 < found < 110  # both outcomes were exercised
