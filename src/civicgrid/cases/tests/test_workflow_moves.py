"""Every legal move of the case loop through POST /api/cases/{n}/actions/{action}."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, ExtensionRequest
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    NORTH_2,
    api_move,
    as_user,
    assert_error,
    jpeg_bytes,
    move,
    run_to,
    submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def roads_case(routed_world, categories, monday):
    """A citizen's report of a damaged road (06013, routed to 住建局市政科) in 李强's cell."""
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


def ok(response) -> dict:
    assert response.status_code == 200, response.content.decode()
    return response.json()


def last_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-created_at", "-id").first()


def open_steps(case: Case) -> list[str]:
    return list(
        CaseDeadline.objects.filter(case=case, completed_at__isnull=True).values_list("step", flat=True)
    )


def test_the_whole_loop_through_the_api(client, routed_world, roads_case, monday):
    w, n = routed_world, roads_case.number
    body = ok(api_move(as_user(client, w.dispatcher), n, "register"))
    assert (body["status"], body["routed_department"], body["step"]) == ("registered", "ZJJ-SZ", "dispatch")
    assert body["registered_at"] is not None

    monday.shift(timedelta(minutes=10))
    body = ok(api_move(client, n, "dispatch"))  # no department given: the routed one
    assert (body["status"], body["department"], body["step"]) == ("dispatched", "ZJJ-SZ", "handle")
    assert body["events"][-1]["data"] == {"department": "ZJJ-SZ", "routed": True}

    monday.shift(timedelta(minutes=10))
    body = ok(api_move(as_user(client, w.roads_handler), n, "accept"))
    assert body["status"] == "accepted"

    monday.shift(timedelta(hours=1))
    as_user(client, w.roads_handler)  # an hour away: signed in again (staff sessions end when idle)
    photo = SimpleUploadedFile("fixed.jpg", jpeg_bytes(colour=(30, 160, 30)), content_type="image/jpeg")
    r = client.post(f"/api/cases/{n}/actions/feedback", data={"note": "已修补坑洞", "photos": [photo]})
    body = ok(r)
    assert (body["status"], body["step"]) == ("handled", "verify")
    feedback = body["events"][-1]
    assert feedback["action"] == "feedback" and feedback["note"] == "已修补坑洞"
    assert len(feedback["photos"]) == 1
    assert [p["stage"] for p in body["photos"]] == ["feedback"]
    assert body["handled_at"] is not None

    body = ok(api_move(as_user(client, w.dispatcher), n, "verify"))
    assert (body["status"], body["step"]) == ("verified", "close")
    body = ok(api_move(client, n, "close"))
    assert (body["status"], body["step"], body["due_at"]) == ("closed", "", None)
    assert body["closed_at"] is not None

    body = ok(api_move(as_user(client, w.citizen), n, "rate", rating="satisfied", note="修得很快"))
    assert (body["status"], body["rating"], body["rating_comment"]) == ("closed", "satisfied", "修得很快")

    assert [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]] == [
        ("report", "", "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("feedback", "accepted", "handled"),
        ("verify", "handled", "verified"),
        ("close", "verified", "closed"),
        ("rate", "closed", "closed"),
    ]
    # Each timed step was closed in time and nothing is left running.
    deadlines = body["deadlines"]
    assert [d["step"] for d in deadlines] == ["register", "dispatch", "handle", "verify", "close"]
    assert all(d["completed_at"] and d["on_time"] for d in deadlines)


def test_register_can_set_the_category(client, routed_world, monday):
    case = submit(routed_world.citizen, NORTH_1)  # no category
    r = api_move(as_user(client, routed_world.dispatcher), case.number, "register")
    assert_error(r, 422, "category_required", "category")
    body = ok(api_move(client, case.number, "register", category="04002"))
    assert (body["category"], body["routed_department"]) == ("04002", "YLZX")


def test_register_under_another_category_records_the_reported_one(client, routed_world, roads_case):
    """A citizen picked a neighbouring category; the dispatcher registers the right one, and the event
    keeps what was reported (the correction a classifier learns from)."""
    body = ok(
        api_move(as_user(client, routed_world.dispatcher), roads_case.number, "register", category="04002")
    )
    assert (body["category"], body["routed_department"]) == ("04002", "YLZX")
    assert body["events"][-1]["data"] == {
        "category": "04002",
        "routed_department": "YLZX",
        "reported_category": "06013",
        "reported_kind": "matter",
    }


def test_register_under_the_reported_category_records_no_correction(client, routed_world, roads_case):
    body = ok(
        api_move(as_user(client, routed_world.dispatcher), roads_case.number, "register", category="06013")
    )
    assert "reported_category" not in body["events"][-1]["data"]


def test_reject_ends_the_case_with_the_reason(client, routed_world, roads_case):
    body = ok(
        api_move(as_user(client, routed_world.dispatcher), roads_case.number, "reject", note="重复上报")
    )
    assert (body["status"], body["step"], body["due_at"]) == ("rejected", "", None)
    assert body["events"][-1]["note"] == "重复上报"
    assert open_steps(roads_case) == []


def test_dispatch_to_another_department_than_routed(client, routed_world, roads_case):
    move(roads_case, "register", routed_world.dispatcher)
    body = ok(
        api_move(as_user(client, routed_world.dispatcher), roads_case.number, "dispatch", department="YLZX")
    )
    assert (body["department"], body["routed_department"]) == ("YLZX", "ZJJ-SZ")
    assert body["events"][-1]["data"] == {"department": "YLZX", "routed": False}


@pytest.mark.parametrize("from_status", ["dispatched", "accepted"])
def test_return_and_redispatch(client, routed_world, roads_case, from_status):
    w = routed_world
    run_to(roads_case, from_status, w)
    body = ok(
        api_move(as_user(client, w.roads_handler), roads_case.number, "return", note="属园林绿化中心管辖")
    )
    assert (body["status"], body["department"], body["return_count"], body["step"]) == (
        "returned",
        None,
        1,
        "dispatch",
    )
    assert open_steps(roads_case) == ["dispatch"]
    assert body["events"][-1]["action"] == "return"
    # The returning department no longer sees the case.
    assert client.get(f"/api/cases/{roads_case.number}").status_code == 404

    body = ok(api_move(as_user(client, w.dispatcher), roads_case.number, "dispatch", department="YLZX"))
    assert (body["status"], body["department"]) == ("dispatched", "YLZX")
    body = ok(api_move(as_user(client, w.parks_handler), roads_case.number, "accept"))
    assert body["status"] == "accepted"


def test_extension_request_approved_and_refused(client, routed_world, roads_case):
    w, n = routed_world, roads_case.number
    run_to(roads_case, "accepted", w)
    due = Case.objects.get(pk=roads_case.pk).due_at
    body = ok(
        api_move(as_user(client, w.roads_handler), n, "request_extension", hours="7", note="需要采购材料")
    )
    assert body["status"] == "accepted"
    assert body["events"][-1]["action"] == "request_extension"
    assert ExtensionRequest.objects.get(case=roads_case).status == "pending"

    body = ok(api_move(as_user(client, w.dispatcher), n, "approve_extension"))
    assert body["status"] == "accepted"
    assert ExtensionRequest.objects.get(case=roads_case).status == "approved"
    new_due = Case.objects.get(pk=roads_case.pk).due_at
    assert new_due > due
    data = body["events"][-1]["data"]
    assert datetime.fromisoformat(data["old_due"]) == due
    assert datetime.fromisoformat(data["new_due"]) == new_due

    ok(api_move(as_user(client, w.roads_handler), n, "request_extension", hours="3", note="再延一点"))
    body = ok(api_move(as_user(client, w.dispatcher), n, "refuse_extension", note="时限已够"))
    assert Case.objects.get(pk=roads_case.pk).due_at == new_due
    assert "new_due" not in body["events"][-1]["data"]
    assert list(
        ExtensionRequest.objects.filter(case=roads_case).order_by("id").values_list("status", flat=True)
    ) == ["approved", "refused"]


@pytest.mark.parametrize("from_status", ["handled", "verified"])
def test_rework_sends_the_case_back_to_the_department(client, routed_world, roads_case, from_status):
    w = routed_world
    run_to(roads_case, from_status, w)
    body = ok(api_move(as_user(client, w.dispatcher), roads_case.number, "rework", note="坑洞仍在"))
    assert (body["status"], body["rework_count"], body["step"], body["handled_at"]) == (
        "accepted",
        1,
        "handle",
        None,
    )
    assert open_steps(roads_case) == ["handle"]
    body = ok(api_move(as_user(client, w.roads_handler), roads_case.number, "feedback", note="重新修补"))
    assert body["status"] == "handled"


def test_grid_member_verifies_and_sends_back_in_their_own_cell(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "handled", w)
    # Without photos (JSON): the category asks for none (the evidence rule: mobile/tests/test_grid_member.py).
    roads_case.category.verify_evidence = False
    roads_case.category.save(update_fields=["verify_evidence"])
    body = ok(api_move(as_user(client, w.grid_member), roads_case.number, "rework", note="现场核查未修好"))
    assert body["status"] == "accepted"
    move(roads_case, "feedback", w.roads_handler, "已再次修补")
    body = ok(api_move(client, roads_case.number, "verify"))
    assert body["status"] == "verified"
    assert last_event(roads_case).actor == w.grid_member


def test_a_grid_member_on_site_check_through_the_api_needs_a_photo(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "handled", w)
    r = api_move(as_user(client, w.grid_member), roads_case.number, "verify", note="已修好")
    assert_error(r, 422, "verify_photo_required", "photos")
    r = client.post(
        f"/api/cases/{roads_case.number}/actions/verify",
        {
            "note": "已修好",
            "photos": [SimpleUploadedFile("site.jpg", jpeg_bytes(), content_type="image/jpeg")],
        },
    )
    assert ok(r)["status"] == "verified"


@pytest.mark.parametrize("from_status", ["registered", "dispatched", "accepted", "returned"])
def test_hang_stops_the_clock_and_resume_restarts_it(client, routed_world, roads_case, from_status):
    w = routed_world
    if from_status == "returned":
        run_to(roads_case, "dispatched", w)
        move(roads_case, "return", w.roads_handler, "不属本部门")
    else:
        run_to(roads_case, from_status, w)
    body = ok(api_move(as_user(client, w.dispatcher), roads_case.number, "hang", note="需列入明年改造计划"))
    assert (body["status"], body["step"], body["due_at"], body["light"]) == ("long_term", "", None, "none")
    assert open_steps(roads_case) == []
    body = ok(api_move(client, roads_case.number, "resume"))
    assert (body["status"], body["department"], body["step"]) == ("registered", None, "dispatch")
    assert open_steps(roads_case) == ["dispatch"]
    body = ok(api_move(client, roads_case.number, "dispatch"))
    assert (body["status"], body["department"]) == ("dispatched", "ZJJ-SZ")


def test_leader_supervises_once(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "dispatched", w)
    body = ok(api_move(as_user(client, w.leader), roads_case.number, "supervise", note="请尽快处理"))
    assert (body["status"], body["supervised"]) == ("dispatched", True)
    assert_error(api_move(client, roads_case.number, "supervise", note="再催"), 409, "already_supervised")


def test_unsatisfied_rating_reopens_once_then_no_more(client, routed_world, roads_case, monday):
    w, n = routed_world, roads_case.number
    run_to(roads_case, "closed", w)
    monday.shift(timedelta(hours=1))
    body = ok(api_move(as_user(client, w.citizen), n, "rate", rating="unsatisfied", note="还是有坑"))
    assert (body["status"], body["department"], body["reopen_count"], body["step"]) == (
        "dispatched",
        "ZJJ-SZ",
        1,
        "handle",
    )
    assert body["closed_at"] is None
    rate, reopen = body["events"][-2:]
    assert (rate["action"], rate["data"]) == ("rate", {"rating": "unsatisfied", "reopened": True})
    assert (rate["from_status"], rate["to_status"]) == ("closed", "closed")
    # 重办 is its own event, made by the platform: back to the department.
    assert (reopen["action"], reopen["from_status"], reopen["to_status"]) == (
        "reopen",
        "closed",
        "dispatched",
    )
    assert (reopen["department"], reopen["actor"]) == ("住建局市政科", "系统")
    # The earlier rating stays on the case until the next result is rated.
    assert body["rating"] == "unsatisfied"

    monday.shift(timedelta(hours=1))
    roads_case.refresh_from_db()
    run_to(roads_case, "closed", w)
    monday.shift(timedelta(hours=1))
    body = ok(api_move(as_user(client, w.citizen), n, "rate", rating="unsatisfied", note="仍不满意"))
    assert (body["status"], body["reopen_count"], body["rating"]) == ("closed", 1, "unsatisfied")
    assert "reopened" not in body["events"][-1]["data"]
    # One rating per result.
    assert_error(api_move(client, n, "rate", rating="satisfied"), 409, "already_rated")
    # Nobody reopens a closed case by hand: only an unsatisfied rating does.
    for user in (w.citizen, w.dispatcher, w.admin):
        assert_error(api_move(as_user(client, user), n, "reopen", note="重办"), 403, "forbidden_role")


def test_rating_twice_is_refused(client, routed_world, roads_case):
    run_to(roads_case, "closed", routed_world)
    as_user(client, routed_world.citizen)
    ok(api_move(client, roads_case.number, "rate", rating="basically"))
    before = Case.objects.get(pk=roads_case.pk)
    assert_error(api_move(client, roads_case.number, "rate", rating="satisfied"), 409, "already_rated")
    after = Case.objects.get(pk=roads_case.pk)
    assert (
        (after.rating, after.rated_at) == (before.rating, before.rated_at) == ("basically", before.rated_at)
    )


def test_rating_must_be_one_of_three(client, routed_world, roads_case):
    run_to(roads_case, "closed", routed_world)
    assert_error(
        api_move(as_user(client, routed_world.citizen), roads_case.number, "rate", rating="great"),
        422,
        "rating_invalid",
        "rating",
    )


def test_department_admin_of_the_bureau_acts_for_its_section(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "dispatched", w)
    as_user(client, w.department_admin)
    assert ok(api_move(client, roads_case.number, "accept"))["status"] == "accepted"
    assert ok(api_move(client, roads_case.number, "feedback", note="科室已处理"))["status"] == "handled"
    assert last_event(roads_case).actor == w.department_admin


def test_department_admin_acts_on_own_bureaus_case(client, routed_world, categories):
    w = routed_world
    case = submit(w.citizen, NORTH_2, category=categories["06013"])
    move(case, "register", w.dispatcher)
    move(case, "dispatch", w.dispatcher, department=w.departments["ZJJ"])
    assert ok(api_move(as_user(client, w.department_admin), case.number, "accept"))["status"] == "accepted"
