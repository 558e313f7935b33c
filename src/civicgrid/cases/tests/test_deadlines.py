"""Time limits (时限) through the case loop: the working-hour clock, holidays, urgent cases, extensions.

The working day is 08:30–12:00 and 14:30–18:00 (7 working hours). Every expected moment below is
worked out by hand in the comment next to it, then compared with what the loop stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from civicgrid.cases.models import Case, CaseDeadline, CaseEvent
from civicgrid.cases.tests.helpers import (
    NORTH_1,
    NORTH_2,
    api_move,
    as_user,
    local,
    move,
    post_json,
    report_body,
    run_to,
    submit,
)
from civicgrid.taxonomy.models import TimeLimit
from civicgrid.worktime.calendar import get_calendar

pytestmark = pytest.mark.django_db


def report_at(client, user, moment: datetime, **fields) -> dict:
    with time_machine.travel(moment, tick=False):
        r = post_json(as_user(client, user), "/api/cases", report_body(**fields))
    assert r.status_code == 201, r.content
    return r.json()


def due_of(body: dict) -> datetime:
    return datetime.fromisoformat(body["due_at"])


# --- the 立案 limit (2 working hours) over weekends and the 2026 holidays -------------------------

REGISTER_DUE = [
    # Friday 17:00: 1 h left on Friday (17:00–18:00), 1 h on Monday from 08:30 → Monday 09:30.
    (local(2026, 11, 27, 17, 0), local(2026, 11, 30, 9, 30)),
    # Wednesday 30 Sep 17:00: 1 h that day, then the National Day holiday (1–7 Oct) → Thu 8 Oct 09:30.
    (local(2026, 9, 30, 17, 0), local(2026, 10, 8, 9, 30)),
    # Friday 9 Oct 17:00: 1 h on Friday, Saturday 10 Oct is a make-up workday → Saturday 09:30.
    (local(2026, 10, 9, 17, 0), local(2026, 10, 10, 9, 30)),
    # Friday 9 Oct 17:30: only 0.5 h on Friday, 1.5 h on Saturday from 08:30 → Saturday 10:00.
    (local(2026, 10, 9, 17, 30), local(2026, 10, 10, 10, 0)),
    # Thursday 24 Sep 17:00: Friday 25 Sep is the Mid-Autumn holiday, then a weekend → Monday 28 Sep 09:30.
    (local(2026, 9, 24, 17, 0), local(2026, 9, 28, 9, 30)),
    # Saturday 19 Sep 17:00 (no work): Sunday 20 Sep is a make-up workday, 08:30 + 2 h → Sunday 10:30.
    (local(2026, 9, 19, 17, 0), local(2026, 9, 20, 10, 30)),
    # During the holiday, Saturday 3 Oct 10:00: nothing counts until Thursday 8 Oct 08:30 → 10:30.
    (local(2026, 10, 3, 10, 0), local(2026, 10, 8, 10, 30)),
    # Monday 11:00: 1 h before lunch, 1 h after 14:30 → 15:30 the same day.
    (local(2026, 11, 23, 11, 0), local(2026, 11, 23, 15, 30)),
    # A report at 11:00 with exactly 2 h to the end of a period ends there, not after lunch.
    (local(2026, 11, 23, 10, 0), local(2026, 11, 23, 12, 0)),
]


@pytest.mark.parametrize(
    ("reported", "due"), REGISTER_DUE, ids=[f"{r:%a-%m%d-%H%M}" for r, _ in REGISTER_DUE]
)
def test_register_limit_counts_working_hours(client, routed_world, reported, due):
    body = report_at(client, routed_world.citizen, reported)
    assert due_of(body) == due
    assert datetime.fromisoformat(body["deadlines"][0]["due_at"]) == due
    assert get_calendar().add(reported, 2, "working") == due  # the calendar agrees with the hand count


def test_the_clock_through_the_whole_loop(client, routed_world, categories):
    w = routed_world
    body = report_at(client, w.citizen, local(2026, 11, 27, 17, 0), category="06013")
    n = body["number"]
    assert due_of(body) == local(2026, 11, 30, 9, 30)

    with time_machine.travel(local(2026, 11, 30, 9, 0), tick=False) as t:
        body = api_move(as_user(client, w.dispatcher), n, "register").json()
        # 派遣 1 working hour from Monday 09:00 → 10:00.
        assert (body["step"], due_of(body)) == ("dispatch", local(2026, 11, 30, 10, 0))
        t.move_to(local(2026, 11, 30, 9, 30))
        body = api_move(client, n, "dispatch").json()
        # 处置 21 working hours from Monday 09:30: Monday 6 h (2.5 + 3.5), Tuesday 7, Wednesday 7
        # = 20 h, the last hour on Thursday 08:30–09:30.
        assert (body["step"], due_of(body)) == ("handle", local(2026, 12, 3, 9, 30))
        t.move_to(local(2026, 12, 1, 9, 0))
        api_move(as_user(client, w.roads_handler), n, "accept")
        t.move_to(local(2026, 12, 3, 10, 0))  # half an hour late
        # Two days later the handler signs in again (staff sessions end after 30 idle minutes).
        body = api_move(as_user(client, w.roads_handler), n, "feedback", note="已修复").json()
        # 核查 4 working hours from Thursday 10:00: 2 h before noon, 2 h from 14:30 → 16:30.
        assert (body["step"], due_of(body)) == ("verify", local(2026, 12, 3, 16, 30))
        t.move_to(local(2026, 12, 3, 16, 0))
        body = api_move(as_user(client, w.dispatcher), n, "verify").json()
        # 结案 2 working hours from Thursday 16:00 → 18:00 exactly (the end of the day, not Friday).
        assert (body["step"], due_of(body)) == ("close", local(2026, 12, 3, 18, 0))
        t.move_to(local(2026, 12, 4, 9, 0))  # the next morning: late
        body = api_move(as_user(client, w.dispatcher), n, "close").json()

    steps = [(d["step"], datetime.fromisoformat(d["due_at"]), d["on_time"]) for d in body["deadlines"]]
    assert steps == [
        ("register", local(2026, 11, 30, 9, 30), True),
        ("dispatch", local(2026, 11, 30, 10, 0), True),
        ("handle", local(2026, 12, 3, 9, 30), False),
        ("verify", local(2026, 12, 3, 16, 30), True),
        ("close", local(2026, 12, 3, 18, 0), False),
    ]
    on_time = {e["action"]: e["on_time"] for e in body["events"]}
    assert on_time == {
        "report": None,
        "register": True,
        "dispatch": True,
        "accept": None,
        "feedback": False,
        "verify": True,
        "close": False,
    }


def test_urgent_category_runs_on_natural_hours(client, routed_world, categories):
    categories["06013"].default_urgency = "urgent"
    categories["06013"].save(update_fields=["default_urgency"])
    # Friday 17:30 + 1 natural hour (urgent 立案) → 18:30, though the office closes at 18:00.
    body = report_at(client, routed_world.citizen, local(2026, 11, 27, 17, 30), category="06013")
    assert body["urgency"] == "urgent"
    assert (body["deadlines"][0]["unit"], due_of(body)) == ("natural", local(2026, 11, 27, 18, 30))
    # On a holiday night: 2 Oct 23:30 + 1 h → 3 Oct 00:30.
    body = report_at(
        client,
        routed_world.citizen,
        local(2026, 10, 2, 23, 30),
        category="06013",
        lat=NORTH_2[0],
        lon=NORTH_2[1],
    )
    assert due_of(body) == local(2026, 10, 3, 0, 30)


def test_urgency_given_with_the_report_wins(client, routed_world, categories):
    body = report_at(
        client, routed_world.citizen, local(2026, 11, 28, 10, 0), category="06013", urgency="urgent"
    )
    assert due_of(body) == local(2026, 11, 28, 11, 0)  # Saturday, natural hours


def test_configured_time_limits_beat_the_built_in_ones(client, routed_world, categories):
    TimeLimit.objects.create(step="register", urgency="normal", hours=Decimal("4"), unit="working")
    TimeLimit.objects.create(
        category=categories["06013"], step="register", urgency="normal", hours=Decimal("8"), unit="natural"
    )
    # Every category: 4 working hours from Monday 09:00 → 3 h before noon, 1 h from 14:30 → 15:30.
    body = report_at(client, routed_world.citizen, local(2026, 11, 23, 9, 0))
    assert due_of(body) == local(2026, 11, 23, 15, 30)
    # 06013 has its own limit: 8 natural hours → 17:00.
    body = report_at(
        client,
        routed_world.citizen,
        local(2026, 11, 23, 9, 0),
        category="06013",
        lat=NORTH_2[0],
        lon=NORTH_2[1],
    )
    assert due_of(body) == local(2026, 11, 23, 17, 0)
    assert body["deadlines"][0]["limit_hours"] == "8.00"


# --- extensions ------------------------------------------------------------------------------------


@pytest.fixture
def handling(routed_world, categories):
    """A roads case accepted on Monday 2026-11-23, its 处置 clock started at 09:00 (dispatch)."""
    w = routed_world
    with time_machine.travel(local(2026, 11, 23, 8, 40), tick=False) as t:
        case = submit(w.citizen, NORTH_1, category=categories["06013"])
        t.move_to(local(2026, 11, 23, 8, 50))
        move(case, "register", w.dispatcher)
        t.move_to(local(2026, 11, 23, 9, 0))
        move(case, "dispatch", w.dispatcher)
        move(case, "accept", w.roads_handler)
    return case


def test_approved_extension_moves_the_due_time(client, routed_world, handling):
    w, n = routed_world, handling.number
    # 21 working hours from Monday 09:00: Monday 6.5 h, Tuesday and Wednesday 14 h, the last 0.5 h
    # on Thursday from 08:30 → Thursday 09:00.
    assert handling.due_at == local(2026, 11, 26, 9, 0)
    with time_machine.travel(local(2026, 11, 25, 10, 0), tick=False):
        api_move(as_user(client, w.roads_handler), n, "request_extension", hours="10.5", note="需要采购井盖")
        assert Case.objects.get(pk=handling.pk).due_at == local(2026, 11, 26, 9, 0)  # asking moves nothing
        body = api_move(as_user(client, w.dispatcher), n, "approve_extension").json()
    # 21 + 10.5 = 31.5 working hours from Monday 09:00: Monday 6.5 h (3 + 3.5), Tuesday to Thursday
    # 21 h = 27.5 h; the last 4 h on Friday: 08:30–12:00 is 3.5 h, 14:30 + 0.5 h → Friday 15:00.
    new_due = local(2026, 11, 27, 15, 0)
    assert due_of(body) == new_due
    event = CaseEvent.objects.get(case=handling, action="approve_extension")
    assert datetime.fromisoformat(event.data["old_due"]) == local(2026, 11, 26, 9, 0)
    assert datetime.fromisoformat(event.data["new_due"]) == new_due
    assert event.data["hours"] == "10.50"
    deadline = CaseDeadline.objects.get(case=handling, step="handle")
    assert (deadline.limit_hours, deadline.extended_hours, deadline.due_at) == (
        Decimal("21"),
        Decimal("10.5"),
        new_due,
    )
    # The yellow light moves too: 80 % of 31.5 h = 25.2 h; Monday to Wednesday give 20.5 h, the
    # remaining 4.7 h on Thursday: 3.5 h before noon, 1.2 h from 14:30 → 15:42.
    assert deadline.warn_at == local(2026, 11, 26, 15, 42)
    assert body["deadlines"][-1]["extended_hours"] == "10.50"


def test_refused_extension_does_not_move_the_due_time(client, routed_world, handling):
    w, n = routed_world, handling.number
    before = CaseDeadline.objects.get(case=handling, step="handle")
    with time_machine.travel(local(2026, 11, 25, 10, 0), tick=False):
        api_move(as_user(client, w.roads_handler), n, "request_extension", hours="7", note="需要采购井盖")
        body = api_move(as_user(client, w.dispatcher), n, "refuse_extension", note="时限充足").json()
    after = CaseDeadline.objects.get(case=handling, step="handle")
    assert (after.due_at, after.warn_at, after.extended_hours) == (before.due_at, before.warn_at, Decimal(0))
    assert due_of(body) == local(2026, 11, 26, 9, 0)
    assert "new_due" not in CaseEvent.objects.get(case=handling, action="refuse_extension").data


def test_two_approved_extensions_add_up(routed_world, handling):
    w = routed_world
    with time_machine.travel(local(2026, 11, 24, 10, 0), tick=False):
        move(handling, "request_extension", w.roads_handler, "第一次", hours=7)
        move(handling, "approve_extension", w.dispatcher)
        move(handling, "request_extension", w.roads_handler, "第二次", hours=Decimal("3.5"))
        move(handling, "approve_extension", w.dispatcher)
    deadline = CaseDeadline.objects.get(case=handling, step="handle")
    assert deadline.extended_hours == Decimal("10.5")
    assert deadline.due_at == local(2026, 11, 27, 15, 0)  # same as one extension of 10.5 h
    assert handling.due_at == deadline.due_at


def test_the_deadline_history_keeps_what_was_due_when(routed_world, handling):
    w = routed_world
    with time_machine.travel(local(2026, 11, 23, 10, 0), tick=False) as t:
        move(handling, "return", w.roads_handler, "非本科室职责")  # 处置 ends at 10:00, on time
        t.move_to(local(2026, 11, 23, 11, 0))
        move(handling, "dispatch", w.dispatcher, department=w.departments["YLZX"])  # 派遣 took 1 h: on time
        move(handling, "accept", w.parks_handler)
        t.move_to(local(2026, 11, 24, 9, 0))
        move(handling, "feedback", w.parks_handler, "已处理")
        t.move_to(local(2026, 11, 24, 10, 0))
        move(handling, "rework", w.dispatcher, "未处理干净")
    rows = list(
        CaseDeadline.objects.filter(case=handling)
        .order_by("started_at", "id")
        .values_list("step", "started_at", "due_at", "completed_at", "on_time")
    )
    assert rows == [
        (
            "register",
            local(2026, 11, 23, 8, 40),
            local(2026, 11, 23, 10, 40),
            local(2026, 11, 23, 8, 50),
            True,
        ),
        ("dispatch", local(2026, 11, 23, 8, 50), local(2026, 11, 23, 9, 50), local(2026, 11, 23, 9, 0), True),
        ("handle", local(2026, 11, 23, 9, 0), local(2026, 11, 26, 9, 0), local(2026, 11, 23, 10, 0), True),
        # After the return: 派遣 1 h from 10:00 → 11:00; dispatched at 11:00 exactly is on time.
        (
            "dispatch",
            local(2026, 11, 23, 10, 0),
            local(2026, 11, 23, 11, 0),
            local(2026, 11, 23, 11, 0),
            True,
        ),
        # 21 h from Monday 11:00: Monday 4.5 h, Tue 7, Wed 7 = 18.5, Thursday 2.5 h from 08:30 → 11:00.
        ("handle", local(2026, 11, 23, 11, 0), local(2026, 11, 26, 11, 0), local(2026, 11, 24, 9, 0), True),
        # 核查 4 h from Tuesday 09:00 → 09:00–12:00 3 h + 14:30–15:30.
        ("verify", local(2026, 11, 24, 9, 0), local(2026, 11, 24, 15, 30), local(2026, 11, 24, 10, 0), True),
        # After the rework a fresh 处置 limit: 21 h from Tuesday 10:00 → Friday 10:00; still running.
        ("handle", local(2026, 11, 24, 10, 0), local(2026, 11, 27, 10, 0), None, None),
    ]
    handling.refresh_from_db()
    assert (handling.step, handling.due_at) == ("handle", local(2026, 11, 27, 10, 0))


def test_late_step_is_recorded_as_late(routed_world, handling):
    with time_machine.travel(local(2026, 11, 26, 9, 0, 1), tick=False):  # one second past the limit
        move(handling, "feedback", routed_world.roads_handler, "已处理")
    deadline = CaseDeadline.objects.get(case=handling, step="handle")
    assert deadline.on_time is False
    assert CaseEvent.objects.get(case=handling, action="feedback").on_time is False


def test_long_term_stops_and_resume_restarts_the_clock(routed_world, handling):
    w = routed_world
    with time_machine.travel(local(2026, 11, 24, 9, 0), tick=False) as t:
        move(handling, "hang", w.dispatcher, "需要大修")
        assert (handling.step, handling.due_at) == ("", None)
        t.move_to(local(2026, 12, 21, 9, 0))  # weeks later
        move(handling, "resume", w.dispatcher)
    # A fresh 派遣 clock from the resumption: 1 h → 10:00.
    assert (handling.step, handling.due_at) == ("dispatch", local(2026, 12, 21, 10, 0))
    handle = CaseDeadline.objects.get(case=handling, step="handle")
    assert (handle.completed_at, handle.on_time) == (local(2026, 11, 24, 9, 0), True)


def test_the_case_carries_the_clock_of_its_running_step(routed_world, categories, monday):
    case = submit(routed_world.citizen, NORTH_1, category=categories["06013"])
    for status in ("registered", "dispatched", "accepted", "handled", "verified"):
        case = run_to(case, status, routed_world)
        open_ = CaseDeadline.objects.get(case=case, completed_at__isnull=True)
        assert (case.step, case.due_at, case.warn_at) == (open_.step, open_.due_at, open_.warn_at)
    monday.shift(timedelta(minutes=1))
    case = run_to(case, "closed", routed_world)
    assert not CaseDeadline.objects.filter(case=case, completed_at__isnull=True).exists()
