"""Random sequences of moves — by the right and the wrong people — keep the case loop consistent.

A hypothesis RuleBasedStateMachine reports a case (taken some way along the normal loop) and maybe
a second one (a duplicate when it is the same problem), then drives them through
`case_transition` with any action by any persona (mostly refused), with the moves the detail page
offers (`allowed_actions`), with the next step of the normal loop, and lets working time pass.
After every step it checks, for every case:

- replaying the events (from_status → to_status) gives the current status, each event starting
  where the previous one ended;
- a closed case went through REGISTER, DISPATCH, FEEDBACK, VERIFY and CLOSE;
- every deadline is due at calendar.add(started_at, limit + extended hours, unit), and its
  extended hours are the sum of the APPROVE_EXTENSION events for it (no deadline moves silently);
- a timed status has exactly one running clock, of the step that status waits for, shown on the
  case; other statuses none;
- the counters (returns, reworks, reopens, me-too) match the events;

that a refused move changed nothing at all, and that no move succeeded for someone a separately
written table of who-may-do-what (`may`) does not allow.

Each example runs inside a savepoint that is rolled back, so every example starts from the same
test city with no cases, and with the clock frozen on Monday 2026-11-23 09:00 (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from civicgrid.cases.access import allowed_actions
from civicgrid.cases.choices import TIMED_STATUSES, Action, CaseStatus
from civicgrid.cases.deadlines import STEP_FOR_STATUS, YELLOW_SHARE
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent, ExtensionRequest
from civicgrid.cases.tests.helpers import CELL_NORTH_1, LAKE, NORTH_1, NORTH_2, local, north_of, snapshot
from civicgrid.cases.workflow import MOVES, MoveInput, case_transition
from civicgrid.core.errors import DomainError
from civicgrid.worktime.calendar import get_calendar

PERSONAS = [
    "citizen",
    "grid_member",
    "dispatcher",
    "roads_handler",
    "parks_handler",
    "department_admin",
    "inspector",
    "leader",
    "admin",
    None,
]
PLACES = [NORTH_1, north_of(NORTH_1, 20), NORTH_2, LAKE]
CATEGORIES = ["06013", "04002", "09006", None]
DEPARTMENTS = [None, "ZJJ_SZ", "YLZX", "ZJJ"]
NOTES = ["", "  ", "说明理由"]
RATINGS = ["satisfied", "basically", "unsatisfied", "great", None]
HOURS = [None, "0", "0.5", "7", "2001"]
NEEDS_DEPARTMENT_STATUSES = {
    CaseStatus.DISPATCHED,
    CaseStatus.ACCEPTED,
    CaseStatus.HANDLED,
    CaseStatus.VERIFIED,
    CaseStatus.CLOSED,
}
NO_DEPARTMENT_STATUSES = {
    CaseStatus.REPORTED,
    CaseStatus.REGISTERED,
    CaseStatus.RETURNED,
    CaseStatus.REJECTED,
    CaseStatus.MERGED,
}


class CaseLoop(RuleBasedStateMachine):
    world = None  # set by the test: the personas and departments of the test city
    categories = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._travel = time_machine.travel(local(2026, 11, 23, 9, 0), tick=False)
        self.clock = self._travel.start()
        self.cases: list[Case] = []
        self.refusals = 0
        self.successes = 0

    def teardown(self) -> None:
        self._travel.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------

    def persona(self, name):
        return None if name is None else getattr(self.world, name)

    def department(self, key):
        return None if key is None else self.world.departments[key]

    def report(self, reporter: str, place, category: str | None) -> None:
        submission = Submission(
            description="随机上报",
            lat=place[0],
            lon=place[1],
            category=self.categories[category] if category else None,
        )
        result = case_submit(reporter=self.persona(reporter), submission=submission)
        case, created = result.case, result.created
        assert created
        self.cases.append(case)

    def may(self, actor, action: str, case: Case) -> bool:
        """Who may make which move, written out independently of workflow.MOVES (the oracle)."""
        if actor is None:
            return False
        w = self.world
        if action == Action.RATE:
            return actor.pk == case.reporter_id
        if action in (Action.VERIFY, Action.REWORK) and actor.pk == w.grid_member.pk:
            return case.cell_id == w.cells[CELL_NORTH_1].pk  # 李强's only cell
        centre = {w.dispatcher.pk, w.admin.pk}
        if action in (
            Action.REGISTER,
            Action.REJECT,
            Action.DISPATCH,
            Action.HANG,
            Action.RESUME,
            Action.VERIFY,
            Action.REWORK,
            Action.CLOSE,
            Action.APPROVE_EXTENSION,
            Action.REFUSE_EXTENSION,
            Action.REDISPATCH,
            Action.RECALL,
            Action.MERGE,
            Action.UNMERGE,
        ):
            return actor.pk in centre
        if action == Action.SUPERVISE:
            return actor.pk in {w.leader.pk, w.admin.pk}
        d = w.departments
        acts_for = {
            w.roads_handler.pk: {d["ZJJ_SZ"].pk},
            w.parks_handler.pk: {d["YLZX"].pk},
            w.department_admin.pk: {d["ZJJ"].pk, d["ZJJ_SZ"].pk},
        }
        return case.department_id in acts_for.get(actor.pk, set())  # accept, return, extension, feedback

    def attempt(self, case: Case, action: str, actor, note: str, payload: MoveInput) -> None:
        """The move either succeeds and appends its event, or is refused and changes nothing."""
        before = snapshot(case)
        permitted = self.may(actor, action, Case.objects.get(pk=case.pk))
        events_before = CaseEvent.objects.filter(case=case).count()
        try:
            event = case_transition(case=case, action=action, actor=actor, note=note, payload=payload)
        except DomainError:
            assert snapshot(case) == before, f"refused {action} changed case {case.pk}"
            self.refusals += 1
            return
        self.successes += 1
        assert permitted, f"{actor} was allowed to {action} case {case.pk}"
        assert event.action == action
        assert CaseEvent.objects.filter(case=case).count() > events_before
        if action in MOVES and MOVES[action].target is not None and action != Action.RATE:
            # Auto-dispatch may move on after a registration; otherwise the move's own target.
            assert event.to_status == MOVES[action].target

    # --- rules -------------------------------------------------------------------------------

    @initialize(
        reporter=st.sampled_from(["citizen", "grid_member"]),
        place=st.sampled_from(PLACES),
        category=st.sampled_from(CATEGORIES),
        department=st.sampled_from(DEPARTMENTS[1:]),
        forward=st.integers(min_value=0, max_value=6),
    )
    def first_report(self, reporter, place, category, department, forward):
        """Report, then go `forward` steps along the normal loop, so examples start anywhere in it."""
        self.report(reporter, place, category)
        case = self.cases[0]
        for _ in range(forward):
            case.refresh_from_db()
            w = self.world
            handler = {
                w.departments["ZJJ_SZ"].pk: w.roads_handler,
                w.departments["YLZX"].pk: w.parks_handler,
                w.departments["ZJJ"].pk: w.department_admin,
            }.get(case.department_id)
            action, actor, payload = {
                CaseStatus.REPORTED: (
                    Action.REGISTER,
                    w.dispatcher,
                    MoveInput(category=None if case.category_id else self.categories["04002"]),
                ),
                CaseStatus.REGISTERED: (
                    Action.DISPATCH,
                    w.dispatcher,
                    MoveInput(department=self.department(department)),
                ),
                CaseStatus.DISPATCHED: (Action.ACCEPT, handler, MoveInput()),
                CaseStatus.ACCEPTED: (Action.FEEDBACK, handler, MoveInput()),
                CaseStatus.HANDLED: (Action.VERIFY, w.dispatcher, MoveInput()),
                CaseStatus.VERIFIED: (Action.CLOSE, w.dispatcher, MoveInput()),
            }.get(case.status, (None, None, None))
            if action is None:
                break
            self.attempt(case, action, actor, "按流程办理", payload)
            self.clock.shift(timedelta(hours=1))

    @precondition(lambda self: len(self.cases) < 2)
    @rule(
        reporter=st.sampled_from(["citizen", "grid_member", "roads_handler"]),
        place=st.sampled_from(PLACES),
        category=st.sampled_from(CATEGORIES),
    )
    def another_report(self, reporter, place, category):
        self.report(reporter, place, category)  # same place and category: merged into the open one

    @rule(
        data=st.data(),
        kind=st.sampled_from(
            ["next", "next", "next", "stranger", "stranger", "offered", "offered", "any", "wait"]
        ),
    )
    def act(self, data, kind):
        """Mostly a move of the loop from the current status — by the right person, or by anyone —
        often a move the page offers, sometimes anything at all, sometimes a pause."""
        case = data.draw(st.sampled_from(self.cases))
        if kind in ("next", "stranger"):
            stranger = self.persona(data.draw(st.sampled_from(PERSONAS))) if kind == "stranger" else False
            self.next_step(
                data,
                case,
                data.draw(st.sampled_from(RATINGS[:3])),
                data.draw(st.sampled_from(DEPARTMENTS[1:])),
                stranger=stranger,
            )
        elif kind == "offered":
            self.offered_move(
                data,
                case,
                data.draw(st.sampled_from(PERSONAS[:-1])),
                data.draw(st.sampled_from(DEPARTMENTS)),
                data.draw(st.sampled_from(RATINGS[:3])),
                data.draw(st.sampled_from(["0.5", "7", "10.25"])),
            )
        elif kind == "any":
            self.any_move(
                case,
                data.draw(st.sampled_from(list(MOVES))),
                data.draw(st.sampled_from(PERSONAS)),
                data.draw(st.sampled_from(NOTES)),
                data.draw(st.sampled_from(DEPARTMENTS)),
                data.draw(st.sampled_from(RATINGS)),
                data.draw(st.sampled_from(HOURS)),
            )
        else:
            self.clock.shift(timedelta(hours=data.draw(st.sampled_from([0.25, 1, 3, 8, 30, 100]))))

    def any_move(self, case, action, persona, note, department, rating, hours):
        """Any action by anyone with any input: mostly refused."""
        payload = MoveInput(
            department=self.department(department), rating=rating, hours=Decimal(hours) if hours else None
        )
        self.attempt(case, action, self.persona(persona), note, payload)

    def offered_move(self, data, case, persona, department, rating, hours):
        """A move the detail page offers this persona (it may still need input, e.g. a department)."""
        case.refresh_from_db()
        user = self.persona(persona)
        offered = allowed_actions(user, case)
        if not offered:
            return
        action = data.draw(st.sampled_from(offered))
        payload = MoveInput(
            department=self.department(department),
            rating=rating,
            hours=Decimal(hours),
            category=self.categories["06013"] if case.category_id is None else None,
        )
        self.attempt(case, action, user, "说明理由", payload)

    def next_step(self, data, case, rating, department, *, stranger=False):
        """A move of the loop from the case's status, by the right person (or by `stranger`): usually
        forward, sometimes a return, an extension (asked, approved, refused), a rework, a rejection or
        the long-term list."""
        case.refresh_from_db()
        w = self.world
        handler = {
            w.departments["ZJJ_SZ"].pk: w.roads_handler,
            w.departments["YLZX"].pk: w.parks_handler,
            w.departments["ZJJ"].pk: w.department_admin,
        }.get(case.department_id)
        to = MoveInput(department=self.department(department))
        hours = MoveInput(hours=Decimal(data.draw(st.sampled_from(["0.5", "7", "10.25"]))))
        extension = [
            (Action.REQUEST_EXTENSION, handler, hours),
            (Action.APPROVE_EXTENSION, w.dispatcher, MoveInput()),
            (Action.REFUSE_EXTENSION, w.dispatcher, MoveInput()),
        ]
        forward = {
            CaseStatus.REPORTED: (
                Action.REGISTER,
                w.dispatcher,
                MoveInput(category=None if case.category_id else self.categories["04002"]),
            ),
            CaseStatus.REGISTERED: (Action.DISPATCH, w.dispatcher, to),
            CaseStatus.RETURNED: (Action.DISPATCH, w.dispatcher, to),
            CaseStatus.DISPATCHED: (Action.ACCEPT, handler, MoveInput()),
            CaseStatus.ACCEPTED: (Action.FEEDBACK, handler, MoveInput()),
            CaseStatus.HANDLED: (Action.VERIFY, w.dispatcher, MoveInput()),
            CaseStatus.VERIFIED: (Action.CLOSE, w.dispatcher, MoveInput()),
            CaseStatus.CLOSED: (Action.RATE, case.reporter, MoveInput(rating=rating)),
            CaseStatus.LONG_TERM: (Action.RESUME, w.dispatcher, MoveInput()),
        }
        others = [c for c in self.cases if c.pk != case.pk]
        aside = {
            CaseStatus.REPORTED: [
                (Action.REJECT, w.dispatcher, MoveInput()),
                *[(Action.MERGE, w.dispatcher, MoveInput(original=o)) for o in others],
            ],
            CaseStatus.MERGED: [(Action.UNMERGE, w.dispatcher, MoveInput())],
            CaseStatus.REGISTERED: [(Action.HANG, w.dispatcher, MoveInput())],
            CaseStatus.DISPATCHED: [
                (Action.RETURN, handler, MoveInput()),
                (Action.REDISPATCH, w.dispatcher, to),
                (Action.RECALL, w.dispatcher, MoveInput()),
                *extension,
                (Action.SUPERVISE, w.leader, MoveInput()),
            ],
            CaseStatus.ACCEPTED: [
                (Action.RETURN, handler, MoveInput()),
                *extension,
                (Action.HANG, w.dispatcher, MoveInput()),
            ],
            CaseStatus.HANDLED: [(Action.REWORK, w.dispatcher, MoveInput()), *extension[1:]],
            CaseStatus.VERIFIED: [(Action.REWORK, w.grid_member, MoveInput())],
        }
        if case.status not in forward and case.status not in aside:
            return
        choices = [forward[case.status]] * 2 if case.status in forward else []
        choices += aside.get(case.status, [])
        if case.extension_requests.filter(status="pending").exists():
            choices += extension[1:] * 2  # a request waits: decide it more often than not
        action, actor, payload = data.draw(st.sampled_from(choices))
        self.attempt(case, action, actor if stranger is False else stranger, "按流程办理", payload)

    # --- invariants (one pass per case: the row, its events, deadlines and extension requests) --

    @invariant()
    def every_case_is_consistent(self):
        calendar = get_calendar()
        for case in self.cases:
            row = Case.objects.get(pk=case.pk)
            events = list(
                CaseEvent.objects.filter(case=case)
                .order_by("created_at", "id")
                .values("id", "action", "from_status", "to_status", "data")
            )
            deadlines = list(CaseDeadline.objects.filter(case=case))
            pending = ExtensionRequest.objects.filter(case=case, status="pending").count()
            self.history_replays_to_the_status(row, events)
            self.deadlines_move_only_by_approved_extensions(row, events, deadlines, calendar)
            self.the_running_clock_is_on_the_case(row, deadlines)
            self.counters_and_department_match_the_events(row, events)
            assert pending <= 1

    @staticmethod
    def history_replays_to_the_status(row: Case, events: list[dict]) -> None:
        chain = [(e["action"], e["from_status"], e["to_status"]) for e in events]
        assert chain[0] == (Action.REPORT, "", CaseStatus.REPORTED)
        for (_, _, previous_to), (action, from_status, _) in zip(chain, chain[1:], strict=False):
            assert from_status == previous_to, (row.pk, action, chain)
        assert chain[-1][2] == row.status, (row.pk, chain)
        if row.status == CaseStatus.CLOSED:
            done = {action for action, _, _ in chain}
            assert {Action.REGISTER, Action.DISPATCH, Action.FEEDBACK, Action.VERIFY, Action.CLOSE} <= done

    @staticmethod
    def deadlines_move_only_by_approved_extensions(row, events, deadlines, calendar) -> None:
        approved: dict[int, Decimal] = {}
        for e in events:
            if e["action"] == Action.APPROVE_EXTENSION:
                key = e["data"]["deadline"]
                approved[key] = approved.get(key, Decimal(0)) + Decimal(e["data"]["hours"])
        for d in deadlines:
            assert d.extended_hours == approved.get(d.pk, Decimal(0)), (d.pk, d.extended_hours, approved)
            total = d.limit_hours + d.extended_hours
            assert d.due_at == calendar.add(d.started_at, total, d.unit)
            assert d.warn_at == calendar.add(d.started_at, total * YELLOW_SHARE, d.unit)
            assert (d.completed_at is None) == (d.on_time is None)

    @staticmethod
    def the_running_clock_is_on_the_case(row, deadlines) -> None:
        running = [d for d in deadlines if d.completed_at is None]
        if row.status in TIMED_STATUSES:
            assert len(running) == 1, (row.status, running)
            [d] = running
            assert d.step == STEP_FOR_STATUS[row.status], (row.status, d.step)
            assert (row.step, row.due_at, row.warn_at) == (d.step, d.due_at, d.warn_at)
        else:
            assert running == [], (row.status, running)
            assert (row.step, row.due_at, row.warn_at) == ("", None, None)

    @staticmethod
    def counters_and_department_match_the_events(row, events) -> None:
        def count(action, **data):
            return sum(
                1
                for e in events
                if e["action"] == action and all(e["data"].get(k) == v for k, v in data.items())
            )

        assert row.return_count == count(Action.RETURN)
        assert row.rework_count == count(Action.REWORK)
        assert row.reopen_count == count(Action.RATE, reopened=True)
        assert row.me_too_count == count(Action.ME_TOO)
        assert row.supervised == bool(count(Action.SUPERVISE))
        if row.status in NEEDS_DEPARTMENT_STATUSES:
            assert row.department_id is not None, row.status
        if row.status in NO_DEPARTMENT_STATUSES:
            assert row.department_id is None, row.status


@pytest.mark.django_db
def test_random_move_sequences_keep_the_loop_consistent(routed_world, categories):
    CaseLoop.world = routed_world
    CaseLoop.categories = categories
    try:
        run_state_machine_as_test(
            CaseLoop,
            settings=settings(
                max_examples=30,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        CaseLoop.world = CaseLoop.categories = None
