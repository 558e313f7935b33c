"""改派, 撤回, 并案 by hand and 撤销并案 through POST /api/cases/{n}/actions/{action}."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, CaseFollower
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    NORTH_2,
    api_move,
    as_user,
    assert_error,
    east_of,
    run_to,
    snapshot,
    submit,
)
from civicgrid.notifications.models import Notification
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(routed_world, categories, monday):
    """A damaged road (06013) dispatched to 住建局市政科, not accepted yet."""
    case = submit(routed_world.citizen, NORTH_1, category=categories["06013"])
    return run_to(case, "dispatched", routed_world)


def ok(response) -> dict:
    assert response.status_code == 200, response.content.decode()
    return response.json()


def running_steps(case: Case) -> list[str]:
    return list(
        CaseDeadline.objects.filter(case=case, completed_at__isnull=True).values_list("step", flat=True)
    )


def numbers_seen(client, user) -> set[str]:
    return {c["number"] for c in ok(as_user(client, user).get("/api/cases"))}


# --- 改派 and 撤回 -----------------------------------------------------------------------------------


def test_redispatch_moves_the_case_to_another_department_with_a_reason(
    client, routed_world, dispatched, monday
):
    w, n = routed_world, dispatched.number
    assert n in numbers_seen(client, w.roads_handler)
    monday.shift(timedelta(minutes=30))
    body = ok(api_move(as_user(client, w.dispatcher), n, "redispatch", department="YLZX", note="属园林绿化"))
    assert (body["status"], body["department"], body["step"]) == ("dispatched", "YLZX", "handle")
    event = body["events"][-1]
    assert event["action"] == "redispatch" and event["note"] == "属园林绿化"
    assert event["data"] == {"department": "YLZX", "from_department": "ZJJ-SZ"}
    # The department that lost it no longer sees it; the new one does, with a fresh handling limit.
    assert n not in numbers_seen(client, w.roads_handler)
    assert n in numbers_seen(client, w.parks_handler)
    assert running_steps(dispatched) == ["handle"]
    handle = CaseDeadline.objects.filter(case=dispatched, step="handle").order_by("-id").first()
    assert handle.started_at == CaseEvent.objects.get(case=dispatched, action="redispatch").created_at
    assert Notification.objects.filter(recipient=w.parks_handler, title__contains="改派").exists()
    assert Notification.objects.filter(recipient=w.roads_handler, title__contains="改派").exists()


def test_recall_takes_the_case_back_to_dispatch(client, routed_world, dispatched):
    w, n = routed_world, dispatched.number
    body = ok(api_move(as_user(client, w.dispatcher), n, "recall", note="派错了，重新研判"))
    assert (body["status"], body["department"], body["step"]) == ("registered", None, "dispatch")
    assert body["events"][-1]["data"] == {"from_department": "ZJJ-SZ"}
    assert n not in numbers_seen(client, w.roads_handler)
    assert running_steps(dispatched) == ["dispatch"]
    # Dispatched again, as any registered case.
    body = ok(api_move(as_user(client, w.dispatcher), n, "dispatch", department="YLZX"))
    assert body["status"] == "dispatched" and body["department"] == "YLZX"


@pytest.mark.parametrize("action", ["redispatch", "recall"])
def test_redispatch_and_recall_need_a_reason(client, routed_world, dispatched, action):
    before = snapshot(dispatched)
    r = api_move(as_user(client, routed_world.dispatcher), dispatched.number, action, department="YLZX")
    assert_error(r, 422, "note_required", "note")
    assert snapshot(dispatched) == before


@pytest.mark.parametrize("action", ["redispatch", "recall"])
def test_an_accepted_case_is_not_redispatched_or_recalled(client, routed_world, dispatched, action):
    w = routed_world
    ok(api_move(as_user(client, w.roads_handler), dispatched.number, "accept"))
    before = snapshot(dispatched)
    r = api_move(as_user(client, w.dispatcher), dispatched.number, action, department="YLZX", note="改")
    assert_error(r, 409, "illegal_transition", "action")
    assert snapshot(dispatched) == before


def test_redispatch_refusals_change_nothing(client, routed_world, dispatched):
    w, n = routed_world, dispatched.number
    before = snapshot(dispatched)
    assert_error(
        api_move(as_user(client, w.dispatcher), n, "redispatch", note="改"), 422, "department_required"
    )
    assert_error(
        api_move(client, n, "redispatch", department="ZJJ-SZ", note="改"),
        422,
        "department_unchanged",
        "department",
    )
    assert_error(api_move(client, n, "redispatch", department="NOPE", note="改"), 422, "department_unknown")
    # A handler may not move the case to another department.
    r = api_move(as_user(client, w.roads_handler), n, "redispatch", department="YLZX", note="不归我们")
    assert_error(r, 403, "forbidden_role")
    assert snapshot(dispatched) == before


# --- 并案 by hand and 撤销并案 -------------------------------------------------------------------------


@pytest.fixture
def two_reports(routed_world, categories, monday):
    """A registered case and a second report of the same problem 80 m away (not merged by the intake)."""
    w = routed_world
    original = run_to(submit(w.citizen, NORTH_1, category=categories["06013"]), "registered", w)
    neighbour = user_create(phone="13900000077", password=PASSWORD, real_name="赵敏", role=Role.CITIZEN)
    other = submit(neighbour, east_of(NORTH_1, 80), description="路口人行道塌了一块")
    assert other.status == "reported" and other.duplicate_of_id is None
    return original, other


def test_a_dispatcher_merges_a_report_into_an_open_case(client, routed_world, two_reports):
    w = routed_world
    original, other = two_reports
    body = ok(
        api_move(
            as_user(client, w.dispatcher), other.number, "merge", original=original.number, note="同一坑洞"
        )
    )
    assert body["status"] == "merged"
    assert body["events"][-1]["data"] == {"original": original.number}
    original.refresh_from_db()
    other.refresh_from_db()
    assert other.duplicate_of_id == original.pk and running_steps(other) == []
    # As the intake's merges: one more report of the original, whose follower the reporter becomes.
    assert original.me_too_count == 1
    assert CaseFollower.objects.filter(case=original, user=other.reporter).exists()
    assert CaseEvent.objects.filter(case=original, action="me_too", actor=other.reporter).exists()
    told = Notification.objects.get(recipient=other.reporter, title__contains="并入")
    assert original.number in told.title and told.link == f"/m/cases/{original.number}/"


def test_merge_refusals_change_nothing(client, routed_world, categories, two_reports):
    w = routed_world
    original, other = two_reports
    closed = run_to(submit(w.citizen, NORTH_2, category=categories["06013"]), "closed", w)
    before, before_original = snapshot(other), snapshot(original)
    as_user(client, w.dispatcher)
    cases = [
        ({"note": "同一问题"}, 422, "original_required"),
        ({"original": "20990101000001", "note": "同一问题"}, 422, "original_unknown"),
        ({"original": other.number, "note": "同一问题"}, 422, "original_invalid"),
        ({"original": closed.number, "note": "同一问题"}, 422, "original_not_open"),
        ({"original": original.number}, 422, "note_required"),
    ]
    for data, status, code in cases:
        assert_error(api_move(client, other.number, "merge", **data), status, code)
    r = api_move(as_user(client, w.roads_handler), other.number, "merge", original=original.number, note="同")
    assert r.status_code in (403, 404)
    assert snapshot(other) == before and snapshot(original) == before_original


def test_a_wrong_automatic_merge_is_undone(client, routed_world, categories, monday):
    w = routed_world
    original = submit(w.citizen, NORTH_1, category=categories["06013"])
    neighbour = user_create(phone="13900000077", password=PASSWORD, real_name="赵敏", role=Role.CITIZEN)
    duplicate = submit(neighbour, NORTH_1, category=categories["06013"], description="另一处井盖")
    assert duplicate.status == "merged" and duplicate.duplicate_of_id == original.pk
    original.refresh_from_db()
    assert original.me_too_count == 1

    body = ok(
        api_move(as_user(client, w.dispatcher), duplicate.number, "unmerge", note="不是同一处，另一井盖")
    )
    assert (body["status"], body["step"]) == ("reported", "register")
    assert body["events"][-1]["data"] == {"original": original.number}
    duplicate.refresh_from_db()
    original.refresh_from_db()
    assert duplicate.duplicate_of_id is None and running_steps(duplicate) == ["register"]
    # The original keeps its history (a report did join it); the reporter no longer follows it.
    assert original.me_too_count == 1
    assert not CaseFollower.objects.filter(case=original, user=neighbour).exists()
    assert Notification.objects.filter(recipient=neighbour, title__contains="独立案件").exists()
    # It is a case of its own again: registered and dispatched as any.
    body = ok(api_move(client, duplicate.number, "register"))
    assert body["status"] == "registered"


def test_unmerge_needs_a_reason_and_the_centre(client, routed_world, categories, monday):
    w = routed_world
    original = submit(w.citizen, NORTH_1, category=categories["06013"])
    duplicate = submit(w.leader, NORTH_1, category=categories["06013"])
    before, before_original = snapshot(duplicate), snapshot(original)
    assert_error(api_move(as_user(client, w.dispatcher), duplicate.number, "unmerge"), 422, "note_required")
    r = api_move(as_user(client, w.leader), duplicate.number, "unmerge", note="不是同一处")
    assert_error(r, 403, "forbidden_role")
    assert snapshot(duplicate) == before and snapshot(original) == before_original
