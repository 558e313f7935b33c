"""`allowed_actions` in GET /api/cases/{n} is exactly what the viewer may do now — no more, no less."""

from __future__ import annotations

import pytest

from civicgrid.cases.access import allowed_actions
from civicgrid.cases.tests.helpers import NORTH_1, NORTH_2, api_move, as_user, move, run_to, submit
from civicgrid.cases.workflow import MOVES, MoveInput, case_transition
from civicgrid.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def roads_case(routed_world, categories, monday):
    return submit(routed_world.citizen, NORTH_1, category=categories["06013"])


def shown(client, user, case) -> set[str]:
    r = as_user(client, user).get(f"/api/cases/{case.number}")
    assert r.status_code == 200, r.content
    return set(r.json()["allowed_actions"])


def test_dispatcher_on_a_reported_case(client, routed_world, roads_case):
    assert shown(client, routed_world.dispatcher, roads_case) == {"register", "reject", "merge"}


def test_roads_handler_on_a_dispatched_case(client, routed_world, roads_case):
    run_to(roads_case, "dispatched", routed_world)
    assert shown(client, routed_world.roads_handler, roads_case) == {"accept", "return", "request_extension"}


def test_citizen_on_a_closed_case_until_rated(client, routed_world, roads_case):
    run_to(roads_case, "closed", routed_world)
    assert shown(client, routed_world.citizen, roads_case) == {"rate"}
    api_move(client, roads_case.number, "rate", rating="satisfied")
    assert shown(client, routed_world.citizen, roads_case) == set()


@pytest.mark.parametrize(
    ("status", "persona", "expected"),
    [
        ("reported", "citizen", set()),
        ("registered", "dispatcher", {"dispatch", "hang"}),
        ("dispatched", "dispatcher", {"hang", "redispatch", "recall"}),
        ("dispatched", "leader", {"supervise"}),
        ("dispatched", "department_admin", {"accept", "return", "request_extension"}),
        ("accepted", "roads_handler", {"return", "request_extension", "feedback"}),
        ("handled", "dispatcher", {"verify", "rework"}),
        ("handled", "grid_member", {"verify", "rework"}),
        ("handled", "roads_handler", set()),
        ("verified", "dispatcher", {"close", "rework"}),
        ("closed", "dispatcher", set()),
        ("closed", "leader", set()),
    ],
)
def test_buttons_per_status_and_persona(client, routed_world, roads_case, status, persona, expected):
    run_to(roads_case, status, routed_world)
    assert shown(client, getattr(routed_world, persona), roads_case) == expected


def test_extension_decisions_appear_only_while_a_request_is_pending(client, routed_world, roads_case):
    w = routed_world
    run_to(roads_case, "accepted", w)
    assert shown(client, w.dispatcher, roads_case) == {"hang"}
    move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
    assert shown(client, w.dispatcher, roads_case) == {"hang", "approve_extension", "refuse_extension"}
    # With a request pending the department cannot ask again, so the button is gone.
    assert shown(client, w.roads_handler, roads_case) == {"return", "feedback"}
    move(roads_case, "approve_extension", w.dispatcher)
    assert shown(client, w.dispatcher, roads_case) == {"hang"}
    assert shown(client, w.roads_handler, roads_case) == {"return", "request_extension", "feedback"}


def test_a_stale_extension_request_lapses_and_is_not_offered(client, routed_world, roads_case):
    from civicgrid.cases.models import ExtensionStatus

    w = routed_world
    run_to(roads_case, "accepted", w)
    move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
    move(roads_case, "feedback", w.roads_handler, "提前修好了")
    # The 处置 step it was for has ended: the request lapsed, so neither approve nor refuse is offered.
    assert shown(client, w.dispatcher, roads_case) == {"verify", "rework"}
    assert list(roads_case.extension_requests.values_list("status", flat=True)) == [ExtensionStatus.LAPSED]


def test_supervise_disappears_once_supervised(client, routed_world, roads_case):
    run_to(roads_case, "dispatched", routed_world)
    move(roads_case, "supervise", routed_world.leader, "限期办结")
    assert shown(client, routed_world.leader, roads_case) == set()


def test_grid_member_in_another_cell_gets_no_buttons(client, routed_world, categories):
    case = submit(routed_world.grid_member, NORTH_2, category=categories["06013"])
    run_to(case, "handled", routed_world)
    assert shown(client, routed_world.grid_member, case) == set()


def attempt(case, action, user, *, department=None, original=None) -> bool:
    """Try the move with a plausible payload inside a savepoint that is always rolled back."""
    from django.db import transaction

    from civicgrid.cases.photos import process_photo
    from civicgrid.cases.tests.helpers import jpeg_bytes

    photos = [process_photo(jpeg_bytes())] if action in ("verify", "rework") else []  # on-site evidence
    payload = MoveInput(hours=4, rating="satisfied", department=department, original=original, photos=photos)
    try:
        with transaction.atomic():
            case_transition(case=case, action=action, actor=user, note="说明", payload=payload)
            raise _Undo
    except _Undo:
        return True
    except DomainError:
        return False


class _Undo(Exception):
    pass


@pytest.mark.parametrize(
    "status",
    [
        "reported",
        "registered",
        "dispatched",
        "accepted",
        "accepted+pending",
        "handled",
        "handled+stale",
        "verified",
        "closed",
        "long_term",
        "returned",
    ],
)
def test_allowed_actions_agree_with_what_the_choke_point_accepts(routed_world, roads_case, status):
    """For every persona and every action: listed ⇔ the move would succeed (with a sensible payload)."""
    w = routed_world
    if status == "accepted+pending":
        run_to(roads_case, "accepted", w)
        move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
    elif status == "handled+stale":  # asked for more time, then finished the step anyway
        run_to(roads_case, "accepted", w)
        move(roads_case, "request_extension", w.roads_handler, "材料未到", hours=7)
        move(roads_case, "feedback", w.roads_handler, "提前修好了")
    elif status == "long_term":
        run_to(roads_case, "dispatched", w)
        move(roads_case, "hang", w.dispatcher, "列入改造计划")
    elif status == "returned":
        run_to(roads_case, "dispatched", w)
        move(roads_case, "return", w.roads_handler, "不属本部门")
    else:
        run_to(roads_case, status, w)
    personas = [
        w.citizen,
        w.grid_member,
        w.dispatcher,
        w.roads_handler,
        w.parks_handler,
        w.department_admin,
        w.inspector,
        w.leader,
        w.admin,
    ]
    # Another open case to merge into (并案), another department to re-dispatch to (改派).
    other = submit(w.citizen, NORTH_2, description="另一处问题")
    parks = w.departments["YLZX"]
    for user in personas:
        roads_case.refresh_from_db()
        listed = set(allowed_actions(user, roads_case))
        possible = {
            action
            for action in MOVES
            if attempt(
                roads_case,
                action,
                user,
                department=parks if action == "redispatch" else None,
                original=other,
            )
        }
        assert listed == possible, (user.role, status)
