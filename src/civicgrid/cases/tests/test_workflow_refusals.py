"""Every kind of illegal move is refused with a clear code, and a refused move changes nothing."""

from __future__ import annotations

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    NORTH_2,
    api_move,
    as_user,
    assert_error,
    move,
    refused,
    run_to,
    snapshot,
    submit,
)
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def roads_case(routed_world, categories, monday):
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


def api_refused(client, case, action: str, status: int, code: str, **data) -> dict:
    """POST the move, expect the error, and check the case, its events and deadlines are unchanged."""
    before = snapshot(case)
    body = assert_error(api_move(client, case.number, action, **data), status, code)
    assert snapshot(case) == before, f"refused {action} changed the case"
    return body


# --- wrong state: 409 illegal_transition -----------------------------------------------------------

WRONG_STATE = [
    # (case status, action, persona, note/payload)
    ("reported", "dispatch", "dispatcher", {}),
    ("reported", "close", "dispatcher", {}),
    ("reported", "resume", "dispatcher", {}),
    ("reported", "hang", "dispatcher", {"note": "挂账"}),
    ("registered", "register", "dispatcher", {}),
    ("registered", "reject", "dispatcher", {"note": "不予立案"}),
    ("dispatched", "dispatch", "dispatcher", {}),
    ("dispatched", "feedback", "roads_handler", {"note": "已处理"}),
    ("dispatched", "verify", "dispatcher", {}),
    ("accepted", "accept", "roads_handler", {}),
    ("accepted", "close", "dispatcher", {}),
    ("handled", "return", "roads_handler", {"note": "退回"}),
    ("handled", "request_extension", "roads_handler", {"note": "延期", "hours": "4"}),
    ("handled", "hang", "dispatcher", {"note": "挂账"}),
    ("handled", "rate", "citizen", {"rating": "satisfied"}),
    ("verified", "verify", "dispatcher", {}),
    ("closed", "rework", "dispatcher", {"note": "返工"}),
    ("closed", "supervise", "leader", {"note": "督办"}),
    ("closed", "dispatch", "dispatcher", {}),
    ("closed", "approve_extension", "dispatcher", {}),
]


@pytest.mark.parametrize(
    ("status", "action", "persona", "data"), WRONG_STATE, ids=[f"{a}-on-{s}" for s, a, _, _ in WRONG_STATE]
)
def test_move_from_the_wrong_state_is_a_409(client, routed_world, roads_case, status, action, persona, data):
    run_to(roads_case, status, routed_world)
    as_user(client, getattr(routed_world, persona))
    body = api_refused(client, roads_case, action, 409, "illegal_transition")
    assert body["field"] == "action"


@pytest.mark.parametrize("final", ["rejected", "merged"])
def test_final_cases_accept_no_move(client, routed_world, categories, roads_case, final):
    w = routed_world
    if final == "rejected":
        case = move(roads_case, "reject", w.dispatcher, "不属城市管理范围")
    else:
        case = submit(w.grid_member, NORTH_1, category=categories["06013"])
        assert case.status == "merged"
    as_user(client, w.dispatcher)
    for action in ("register", "reject", "dispatch", "hang", "resume", "close"):
        api_refused(client, case, action, 409, "illegal_transition", note="说明")


# --- wrong role: 403 forbidden_role ----------------------------------------------------------------


def test_citizen_may_not_register_or_reject_own_report(client, routed_world, roads_case):
    as_user(client, routed_world.citizen)
    api_refused(client, roads_case, "register", 403, "forbidden_role")
    api_refused(client, roads_case, "reject", 403, "forbidden_role", note="算了")


def test_handler_may_not_dispatch(client, routed_world, categories):
    w = routed_world
    case = submit(w.roads_handler, NORTH_2, category=categories["06013"])  # the handler's own report
    move(case, "register", w.dispatcher)
    api_refused(
        as_user(client, w.roads_handler), case, "dispatch", 403, "forbidden_role", department="ZJJ-SZ"
    )
    # The service refuses the same move for a case the handler cannot even see.
    other = submit(w.citizen, NORTH_1, category=categories["04002"])
    move(other, "register", w.dispatcher)
    assert refused(other, "dispatch", w.roads_handler).code == "forbidden_role"
    assert refused(other, "dispatch", w.parks_handler).code == "forbidden_role"


WRONG_ROLE = [
    ("dispatched", "accept", "dispatcher", {}),
    ("dispatched", "accept", "leader", {}),
    ("accepted", "feedback", "dispatcher", {"note": "已处理"}),
    ("accepted", "return", "dispatcher", {"note": "退回"}),
    ("handled", "verify", "leader", {}),
    ("handled", "verify", "citizen", {}),
    ("handled", "rework", "citizen", {"note": "没修好"}),
    ("verified", "close", "leader", {}),
    ("verified", "close", "roads_handler", {}),
    ("dispatched", "supervise", "dispatcher", {"note": "督办"}),
    ("dispatched", "supervise", "roads_handler", {"note": "督办"}),
    ("registered", "hang", "leader", {"note": "挂账"}),
]


@pytest.mark.parametrize(
    ("status", "action", "persona", "data"), WRONG_ROLE, ids=[f"{p}-{a}" for _, a, p, _ in WRONG_ROLE]
)
def test_move_by_the_wrong_role_is_a_403(client, routed_world, roads_case, status, action, persona, data):
    run_to(roads_case, status, routed_world)
    api_refused(
        as_user(client, getattr(routed_world, persona)), roads_case, action, 403, "forbidden_role", **data
    )


def test_handler_may_not_decide_own_extension(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "accepted", w)
    move(roads_case, "request_extension", w.roads_handler, "需要更多时间", hours=7)
    as_user(client, w.roads_handler)
    api_refused(client, roads_case, "approve_extension", 403, "forbidden_role")
    api_refused(client, roads_case, "refuse_extension", 403, "forbidden_role", note="不批")


def test_anonymous_and_inactive_actors_are_refused(routed_world, roads_case):
    w = routed_world
    assert refused(roads_case, "register", None).code == "forbidden_role"
    w.dispatcher.is_active = False
    assert refused(roads_case, "register", w.dispatcher).code == "forbidden_role"


# --- wrong department: 403 forbidden_department ----------------------------------------------------


def test_parks_handler_may_not_accept_a_roads_case(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "dispatched", w)
    assert refused(roads_case, "accept", w.parks_handler).code == "forbidden_department"
    # Through the API the case does not even exist for the parks handler …
    assert api_move(as_user(client, w.parks_handler), roads_case.number, "accept").status_code == 404
    assert snapshot(roads_case).status == "dispatched"


def test_parks_handler_who_reported_a_roads_case_still_may_not_handle_it(client, routed_world, categories):
    w = routed_world
    case = submit(w.parks_handler, NORTH_2, category=categories["06013"])
    run_to(case, "dispatched", w)
    as_user(client, w.parks_handler)
    api_refused(client, case, "accept", 403, "forbidden_department")
    api_refused(client, case, "return", 403, "forbidden_department", note="不归我们")
    api_refused(client, case, "request_extension", 403, "forbidden_department", note="延期", hours="2")


def test_bureau_admin_may_not_act_for_another_department(routed_world, categories):
    w = routed_world
    case = submit(w.citizen, NORTH_1, category=categories["04002"])
    run_to(case, "dispatched", w)  # to 园林绿化中心
    assert refused(case, "accept", w.department_admin).code == "forbidden_department"


def test_section_handler_may_not_act_for_the_bureau(routed_world, categories):
    w = routed_world
    case = submit(w.citizen, NORTH_1, category=categories["06013"])
    move(case, "register", w.dispatcher)
    move(case, "dispatch", w.dispatcher, department=w.departments["ZJJ"])  # the bureau, above the section
    assert refused(case, "accept", w.roads_handler).code == "forbidden_department"


# --- grid members: on-site checks only in their own cells ------------------------------------------


def test_grid_member_may_not_verify_in_another_cell(client, routed_world, categories):
    w = routed_world
    case = submit(w.grid_member, NORTH_2, category=categories["06013"])  # auto-registered, cell …002
    assert case.status == "registered"
    run_to(case, "handled", w)
    as_user(client, w.grid_member)
    api_refused(client, case, "verify", 403, "forbidden_role")
    api_refused(client, case, "rework", 403, "forbidden_role", note="没修好")


def test_grid_member_may_not_close_even_in_own_cell(client, routed_world, roads_case):
    run_to(roads_case, "verified", routed_world)
    api_refused(as_user(client, routed_world.grid_member), roads_case, "close", 403, "forbidden_role")


# --- only the reporter rates, once ----------------------------------------------------------------


def test_only_the_reporter_may_rate(client, routed_world, categories, roads_case):
    w = routed_world
    run_to(roads_case, "closed", w)
    for persona in (w.dispatcher, w.leader, w.admin):
        api_refused(
            as_user(client, persona), roads_case, "rate", 403, "forbidden_reporter", rating="satisfied"
        )
    # A neighbour whose duplicate was merged follows the case, sees it, but did not report it.
    neighbour = user_create(phone="13900000011", password=PASSWORD, real_name="赵丽", role=Role.CITIZEN)
    case2 = submit(w.citizen, NORTH_2, category=categories["04002"])
    dup = submit(neighbour, NORTH_2, category=categories["04002"])
    assert dup.status == "merged"
    run_to(case2, "dispatched", w)
    move(case2, "accept", w.parks_handler)
    move(case2, "feedback", w.parks_handler, "已修剪")
    move(case2, "verify", w.dispatcher)
    move(case2, "close", w.dispatcher)
    api_refused(as_user(client, neighbour), case2, "rate", 403, "forbidden_reporter", rating="unsatisfied")


def test_rating_twice_is_a_409_and_changes_nothing(client, routed_world, roads_case):
    run_to(roads_case, "closed", routed_world)
    as_user(client, routed_world.citizen)
    assert api_move(client, roads_case.number, "rate", rating="satisfied").status_code == 200
    api_refused(client, roads_case, "rate", 409, "already_rated", rating="unsatisfied")


# --- a reason is required --------------------------------------------------------------------------

NOTE_REQUIRED = [
    ("reported", "reject", "dispatcher", {}),
    ("dispatched", "return", "roads_handler", {}),
    ("accepted", "return", "roads_handler", {}),
    ("accepted", "feedback", "roads_handler", {}),
    ("accepted", "request_extension", "roads_handler", {"hours": "4"}),
    ("handled", "rework", "dispatcher", {}),
    ("verified", "rework", "dispatcher", {}),
    ("registered", "hang", "dispatcher", {}),
    ("accepted", "hang", "dispatcher", {}),
]


@pytest.mark.parametrize("blank", ["", "   "])
@pytest.mark.parametrize(
    ("status", "action", "persona", "data"),
    NOTE_REQUIRED,
    ids=[f"{a}-on-{s}" for s, a, _, _ in NOTE_REQUIRED],
)
def test_missing_note_is_a_422(client, routed_world, roads_case, status, action, persona, data, blank):
    run_to(roads_case, status, routed_world)
    body = api_refused(
        as_user(client, getattr(routed_world, persona)),
        roads_case,
        action,
        422,
        "note_required",
        note=blank,
        **data,
    )
    assert body["field"] == "note"


def test_refusing_an_extension_needs_a_reason(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "accepted", w)
    move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
    api_refused(as_user(client, w.dispatcher), roads_case, "refuse_extension", 422, "note_required")


# --- bad inputs of otherwise legal moves -----------------------------------------------------------


def test_dispatch_to_an_unknown_department(client, routed_world, roads_case):
    run_to(roads_case, "registered", routed_world)
    api_refused(
        as_user(client, routed_world.dispatcher),
        roads_case,
        "dispatch",
        422,
        "department_unknown",
        department="NOPE",
    )


@pytest.mark.parametrize("value", ["0", "-3", "2001", "abc"])
def test_extension_hours_must_be_sensible(routed_world, roads_case, value):
    w = routed_world
    run_to(roads_case, "accepted", w)
    assert (
        refused(roads_case, "request_extension", w.roads_handler, "延期", hours=value).code == "hours_invalid"
    )


def test_second_pending_extension_is_refused(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "accepted", w)
    move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
    api_refused(
        as_user(client, w.roads_handler),
        roads_case,
        "request_extension",
        409,
        "extension_pending",
        note="再申请",
        hours="3",
    )


def test_deciding_without_a_pending_request_is_a_409(client, routed_world, roads_case):
    run_to(roads_case, "accepted", routed_world)
    as_user(client, routed_world.dispatcher)
    api_refused(client, roads_case, "approve_extension", 409, "no_extension_pending")
    api_refused(client, roads_case, "refuse_extension", 409, "no_extension_pending", note="不批")


def test_approving_a_lapsed_extension_is_refused(routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "accepted", w)
    move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
    move(roads_case, "feedback", w.roads_handler, "提前修好了")
    # The request lapsed when the step ended: there is nothing left to approve.
    assert refused(roads_case, "approve_extension", w.dispatcher).code == "no_extension_pending"


def test_unknown_action_is_refused(routed_world, roads_case):
    assert refused(roads_case, "teleport", routed_world.dispatcher).code == "unknown_action"
