"""`civicgrid demo --cases N --bulk`: the rows written in bulk are those the service layer writes.

One demo city with 300 bulk cases (ending Monday 2026-11-23 10:00, Asia/Shanghai) is built once
for the module and rolled back at the end. Every case is checked against the rules of the case
loop: its events replay through `cases.workflow.MOVES` to its status, its counters match its
events, its deadlines are due where `cases.deadlines` and the working calendar put them, its
number is unique and continues the day's counter, its point lies in its cell. Cases that make
every move are replayed through the live loop (`case_report`, `case_transition`), which must
write the same rows; and the bulk history must make every move the loop has.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Max

from civicgrid.accounts.models import Department
from civicgrid.cases.choices import FINAL_STATUSES, OPEN_STATUSES, TIMED_STATUSES, Action, CaseStatus, Light
from civicgrid.cases.deadlines import STEP_FOR_STATUS, YELLOW_SHARE, light_of, limit_for
from civicgrid.cases.indicators import compute
from civicgrid.cases.intake import AUTO_REGISTER_NOTE
from civicgrid.cases.models import Case, CaseCounter, CaseDeadline, CaseEvent, CaseFollower, ExtensionRequest
from civicgrid.cases.workflow import ARRIVALS, MOVES, MoveInput, case_report, case_transition
from civicgrid.core import clock
from civicgrid.demo.bulk import SOURCE_REF, FastCalendar, build_bulk
from civicgrid.demo.calibration import STRESSED
from civicgrid.demo.city import build_city
from civicgrid.grids.services import place_resolve
from civicgrid.taxonomy.choices import Urgency
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.routing import route_case
from civicgrid.worktime.calendar import NATURAL, WORKING, get_calendar, invalidate

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
N = 300
ON_TIME_ACTIONS = {
    Action.REGISTER,
    Action.REJECT,
    Action.DISPATCH,
    Action.RETURN,
    Action.FEEDBACK,
    Action.VERIFY,
    Action.REWORK,
    Action.CLOSE,
}


@pytest.fixture(scope="module")
def bulk_city(django_db_setup, django_db_blocker):
    """The demo city and N bulk cases, in a transaction rolled back after the module's tests."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            invalidate()
            build_city()
            # the city under strain: every open status and light, at N = 300 already
            summary = build_bulk(N, now=NOW, seed=7, profile=STRESSED)
            yield summary
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def bulk(bulk_city, db):
    return bulk_city


def _events_by_case() -> dict[int, list[CaseEvent]]:
    out: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in CaseEvent.objects.order_by("created_at", "id"):
        out[event.case_id].append(event)
    return out


def test_the_summary_counts_what_was_written(bulk):
    assert bulk.cases == N == Case.objects.filter(source_ref=SOURCE_REF).count()
    assert bulk.events == CaseEvent.objects.count()
    assert bulk.deadlines == CaseDeadline.objects.count()
    assert bulk.open == Case.objects.open().count()
    assert bulk.by_status == dict(Counter(Case.objects.values_list("status", flat=True)))


def test_every_case_replays_through_the_moves_to_its_status(bulk):
    events = _events_by_case()
    for case in Case.objects.all():
        chain = events[case.pk]
        assert chain[0].action == Action.REPORT and chain[0].from_status == ""
        assert chain[0].to_status == CaseStatus.REPORTED and chain[0].created_at == case.created_at
        status = CaseStatus.REPORTED
        for event in chain[1:]:
            assert event.from_status == status, (case.number, event)
            assert event.created_at >= chain[0].created_at
            if event.action == Action.MERGE:
                assert (event.from_status, event.to_status) == (CaseStatus.REPORTED, CaseStatus.MERGED)
            elif event.action == Action.ME_TOO:
                assert event.to_status == event.from_status and event.from_status in OPEN_STATUSES
            else:
                move = MOVES[event.action]
                assert event.from_status in move.sources, (case.number, event)
                assert event.to_status == (move.target or event.from_status), (case.number, event)
            status = event.to_status
        assert status == case.status, case.number
        actions = Counter(e.action for e in chain)
        assert case.return_count == actions[Action.RETURN]
        assert case.rework_count == actions[Action.REWORK]
        assert (
            case.reopen_count
            == actions[Action.REOPEN]
            == sum(1 for e in chain if e.action == Action.RATE and e.data.get("reopened"))
        )
        # A report merged by mistake and undone (撤销并案) stays counted; its reporter no longer follows.
        unmerged = CaseEvent.objects.filter(action=Action.UNMERGE, data__original=case.number).count()
        assert case.me_too_count == actions[Action.ME_TOO] == case.followers.count() + unmerged
        assert case.supervised == (actions[Action.SUPERVISE] > 0)
        if case.status == CaseStatus.CLOSED:
            assert {Action.REGISTER, Action.DISPATCH, Action.FEEDBACK, Action.VERIFY, Action.CLOSE} <= set(
                actions
            )
            assert case.closed_at == max(e.created_at for e in chain if e.action == Action.CLOSE)
        if case.status in FINAL_STATUSES or case.status == CaseStatus.LONG_TERM:
            assert case.step == "" and case.due_at is None and case.warn_at is None


def test_merged_cases_follow_an_open_original_nearby(bulk):
    merged = list(Case.objects.filter(status=CaseStatus.MERGED).select_related("duplicate_of"))
    assert merged, "a few reports are duplicates"
    for case in merged:
        original = case.duplicate_of
        assert original.category_id == case.category_id and original.duplicate_of_id is None
        assert timedelta(0) <= case.created_at - original.created_at <= timedelta(hours=72)
        assert abs(case.lat - original.lat) < 2e-4 and abs(case.lon - original.lon) < 2e-4
        assert not case.deadlines.exists()
        merge = case.events.get(action=Action.MERGE)
        assert merge.data == {"original": original.number} and merge.actor_id is None
        me_too = original.events.get(
            action=Action.ME_TOO, actor_id=case.reporter_id, created_at=case.created_at
        )
        assert me_too.data == {}
        assert CaseFollower.objects.filter(case=original, user_id=case.reporter_id).exists()


def test_deadlines_are_where_cases_deadlines_puts_them(bulk):
    calendar = get_calendar()
    events = _events_by_case()
    cases = Case.objects.in_bulk()
    approved = Counter()
    for event in CaseEvent.objects.filter(action=Action.APPROVE_EXTENSION):
        approved[event.data["deadline"]] += 1
    for deadline in CaseDeadline.objects.all():
        case = cases[deadline.case_id]
        hours, unit = limit_for(case.category, deadline.step, case.urgency)
        assert (deadline.limit_hours, deadline.unit) == (hours, unit)
        assert deadline.extended_hours == Decimal("7.00") * approved[deadline.pk]
        total = deadline.limit_hours + deadline.extended_hours
        assert deadline.due_at == calendar.add(deadline.started_at, total, unit)
        assert deadline.warn_at == calendar.add(deadline.started_at, total * YELLOW_SHARE, unit)
        if deadline.completed_at is not None:
            assert deadline.on_time == (deadline.completed_at <= deadline.due_at)
        else:
            assert deadline.on_time is None
    for case in cases.values():
        running = [d for d in case.deadlines.all() if d.completed_at is None]
        if case.status in TIMED_STATUSES:
            assert len(running) == 1, case.number
            assert running[0].step == STEP_FOR_STATUS[case.status] == case.step
            assert (case.due_at, case.warn_at) == (running[0].due_at, running[0].warn_at)
        else:
            assert running == [], case.number
        # The on-time flag of each move that ends a step is the flag of the deadline it completed.
        finished = {(d.completed_at, d.on_time) for d in case.deadlines.all() if d.completed_at}
        for event in events[case.pk]:
            if event.action in ON_TIME_ACTIONS and event.on_time is not None:
                assert (event.created_at, event.on_time) in finished, (case.number, event)


def test_extension_requests_match_their_events(bulk):
    requests = list(ExtensionRequest.objects.select_related("deadline"))
    # Some handlers ask for more time: granted, refused, or lapsed when the step ended undecided.
    assert {r.status for r in requests} == {"approved", "refused", "lapsed"}
    for request in requests:
        assert request.deadline.case_id == request.case_id and request.deadline.step == "handle"
        asked = request.case.events.get(action=Action.REQUEST_EXTENSION)
        assert asked.created_at == request.created_at and asked.actor_id == request.requested_by_id
        if request.status == "approved":
            approval = request.case.events.get(action=Action.APPROVE_EXTENSION)
            assert approval.data["request"] == request.pk and approval.created_at == request.decided_at


def test_fast_calendar_adds_exactly_like_the_working_calendar(bulk):
    calendar = get_calendar()
    fast = FastCalendar(calendar, NOW.date() - timedelta(days=400), NOW.date() + timedelta(days=60))
    start = NOW - timedelta(days=380)
    moments = [start + timedelta(minutes=37 * i + i * i % 11, microseconds=i) for i in range(0, 14000, 7)]
    moments += [
        datetime(2026, 10, 9, 12, 0, tzinfo=SH),
        datetime(2026, 10, 1, 9, 0, tzinfo=SH),
        datetime(2026, 11, 20, 18, 0, tzinfo=SH),
        datetime(2026, 11, 21, 3, 0, tzinfo=SH),
    ]
    for hours in (
        Decimal("0.4"),
        Decimal("1.6"),
        Decimal("2"),
        Decimal("3.5"),
        Decimal("7"),
        Decimal("16.8"),
        Decimal("21"),
        Decimal("105"),
    ):
        for moment in moments:
            for unit in (WORKING, NATURAL):
                assert fast.add(moment, hours, unit) == calendar.add(moment, hours, unit)


def test_numbers_are_unique_and_continue_the_day_counters(bulk):
    numbers = list(Case.objects.values_list("number", "created_at"))
    assert len({n for n, _ in numbers}) == len(numbers) == N
    last: dict[str, int] = defaultdict(int)
    for number, created in numbers:
        assert len(number) == 13 and number[:8] == created.astimezone(SH).strftime("%Y%m%d")
        last[number[:8]] = max(last[number[:8]], int(number[8:]))
    assert dict(CaseCounter.objects.values_list("day", "last")) == dict(last)


def test_numbers_continue_a_day_as_the_intake_numbers_it(bulk):
    """The bulk history numbers a case as `reportstore.next_case_number` does, past 99 999 a day too."""
    from civicgrid.cases.reportstore import next_case_number
    from civicgrid.demo.bulk.write import CaseNumbers

    for day, last in (("20260105", 41), ("20260106", 99_999)):
        CaseCounter.objects.update_or_create(day=day, defaults={"last": last})
        moment = datetime(int(day[:4]), int(day[4:6]), int(day[6:]), 23, 59, tzinfo=SH)
        bulk_number = CaseNumbers()(Case(created_at=moment))
        assert bulk_number == next_case_number(day)
    assert bulk_number == "20260106100000"


def test_places_departments_and_lights(bulk):
    for case in Case.objects.select_related("cell", "category")[:120]:
        assert place_resolve(lat=case.lat, lon=case.lon).cell == case.cell
        assert (case.community_id, case.street_id) == (case.cell.community_id, case.cell.street_id)
        assert case.urgency == case.category.default_urgency
        if case.registered_at is not None:
            routed = route_case(case.category, case.cell.code)
            assert case.routed_department_id == (routed.pk if routed else None)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {
        CaseStatus.CLOSED,
        CaseStatus.REPORTED,
        CaseStatus.REGISTERED,
        CaseStatus.DISPATCHED,
        CaseStatus.ACCEPTED,
        CaseStatus.HANDLED,
        CaseStatus.VERIFIED,
    } <= statuses
    closed_share = Case.objects.filter(status=CaseStatus.CLOSED).count() / N
    assert closed_share > 0.5
    lights = Counter(light_of(case, NOW) for case in Case.objects.open())
    assert lights[Light.RED] and lights[Light.GREEN], lights
    created = list(Case.objects.values_list("created_at", flat=True))
    assert max(created) <= NOW and min(created) >= NOW - timedelta(days=366)
    hours = Counter(moment.astimezone(SH).hour for moment in created)
    assert sum(hours[h] for h in range(8, 19)) > 2 * sum(hours[h] for h in [*range(0, 7), 22, 23])


def test_indicators_and_rollups_agree_on_the_bulk_cases(bulk):
    from civicgrid.analytics.selectors import StatsFilter, indicators

    f = StatsFilter(start=(NOW - timedelta(days=370)).date(), end=NOW.date())
    for group in ("department", "street", "cell"):
        expected = [row.as_dict() for row in compute(group=group, start=f.start_at, end=f.end_before)]
        assert expected, group
        assert [row.as_dict() for row in indicators(group, f)] == expected, group


def test_a_second_run_appends_with_new_numbers(bulk):
    before = Case.objects.count()
    top = Case.objects.aggregate(top=Max("pk"))["top"]
    second = build_bulk(40, now=NOW, seed=8)
    assert second.cases == 40 and Case.objects.count() == before + 40
    assert Case.objects.filter(pk__gt=top).count() == 40
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    for day, last in CaseCounter.objects.values_list("day", "last"):
        assert last == max(int(n[8:]) for n in numbers if n.startswith(day))


def test_the_demo_command_appends_bulk_cases(bulk, capsys):
    before = Case.objects.filter(source_ref=SOURCE_REF).count()
    call_command("demo", cases=60, bulk=True, days=30)
    assert re.search(r"Bulk: 60 cases, \d+ events, \d+ deadlines in [\d.]+ s", capsys.readouterr().out)
    assert Case.objects.filter(source_ref=SOURCE_REF).count() == before + 60
    assert not CaseEvent.objects.filter(counted=False).exists()  # written counted, then the rollups rebuilt


def test_every_reference_points_at_a_row(bulk):
    """PostgreSQL loads skip the per-row foreign-key triggers: every reference is checked here."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Case, CaseEvent, CaseDeadline, ExtensionRequest, CaseFollower):
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                table, target = q(model._meta.db_table), q(f.related_model._meta.db_table)
                cursor.execute(
                    f"SELECT count(*) FROM {table} a LEFT JOIN {target} b ON a.{q(f.column)} = b.id "  # noqa: S608
                    f"WHERE a.{q(f.column)} IS NOT NULL AND b.id IS NULL"
                )
                assert cursor.fetchone()[0] == 0, (model.__name__, f.name)


def test_a_big_load_builds_the_same_indexes_again(bulk, monkeypatch):
    from civicgrid.demo.bulk import write

    def indexes():
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
                    "('cases_case', 'cases_caseevent', 'cases_casedeadline') ORDER BY 1"
                )
                return cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('cases_case', 'cases_caseevent', 'cases_casedeadline') ORDER BY 1"
            )
            # PostgreSQL prints the casts of a rebuilt partial index's predicate differently: compare without them.
            return [
                (name, re.sub(r"::[a-z ]+(\[\])?|[()]", "", definition))
                for name, definition in cursor.fetchall()
            ]

    before = indexes()
    assert len(before) > 10
    monkeypatch.setattr(write, "BIG_LOAD", 10)
    assert build_bulk(30, now=NOW, seed=9).cases == 30
    assert indexes() == before
    test_every_reference_points_at_a_row(bulk)


def test_bulk_cases_have_their_own_texts_and_end_where_their_category_routes(bulk):
    """Texts from demo/texts.py; a few reports under a neighbouring category, registered under the right
    one; a few first dispatches to a wrong department, corrected: a closed case's department is the
    routed one (what a classifier learns)."""
    cases = list(Case.objects.select_related("category", "cell"))
    assert len({c.description for c in cases}) > 0.9 * len(cases)
    corrected = CaseEvent.objects.filter(action=Action.REGISTER, data__has_key="reported_category")
    assert corrected.exists()
    assert all(
        e.data["reported_category"] != e.data["category"] or e.data["reported_kind"] != e.case.category.kind
        for e in corrected
    )
    assert CaseEvent.objects.filter(action=Action.DISPATCH, data__routed=False).exists()
    closed = [c for c in cases if c.status == CaseStatus.CLOSED]
    assert closed
    for case in closed:
        assert case.department_id == route_case(case.category, case.cell.code).pk, case.number


def test_the_bulk_history_makes_every_move_of_the_loop(bulk):
    """A move added to the loop (MOVES, ARRIVALS) must be added to the bulk cases' lives too
    (demo/bulk/simulate.py `Simulation.life`): their effect is the loop's own, their place in a life is not."""
    made = set(CaseEvent.objects.values_list("action", flat=True).distinct())
    assert made == set(MOVES) | set(ARRIVALS)


def _replay_sample() -> list[Case]:
    """A few cases for every action, with the originals and duplicates of those merged."""
    chosen: set[int] = set()
    for action in sorted(set(MOVES) | set(ARRIVALS)):
        chosen.update(
            CaseEvent.objects.filter(action=action).order_by("id").values_list("case_id", flat=True)[:3]
        )
    chosen.update(ExtensionRequest.objects.values_list("case_id", flat=True))  # approved, refused, lapsed
    chosen.update(list(Case.objects.order_by("id").values_list("id", flat=True))[::15])
    merged = Case.objects.filter(duplicate_of__isnull=False)
    chosen.update(merged.filter(duplicate_of__in=chosen).values_list("id", flat=True))
    chosen.update(merged.filter(id__in=chosen).values_list("duplicate_of_id", flat=True))
    # A merge undone (撤销并案): the report and the case it was merged into.
    unmerged = CaseEvent.objects.filter(action=Action.UNMERGE, case_id__in=chosen)
    chosen.update(
        Case.objects.filter(number__in=[e.data["original"] for e in unmerged]).values_list("id", flat=True)
    )
    return list(Case.objects.filter(id__in=chosen).select_related("category", "cell", "reporter"))


def _replay(cases: list[Case]) -> dict[int, Case]:
    """The cases made again through the live loop, move by move at the moments of their events."""
    replayed: dict[int, Case] = {}
    events = CaseEvent.objects.filter(case__in=cases).select_related("actor").order_by("created_at", "id")
    for event in events:
        if event.action in (Action.MERGE, Action.ME_TOO) or (event.actor_id is None):
            continue  # made by the report of a duplicate, or a follow-up the loop makes itself (auto-dispatch)
        bulk = next(c for c in cases if c.pk == event.case_id)
        with clock.at(event.created_at):
            if event.action == Action.REPORT:
                # Reported under another category than registered: the one the registration names.
                corrected = CaseEvent.objects.filter(
                    case=bulk, action=Action.REGISTER, data__has_key="reported_category"
                ).first()
                reported = corrected and Category.objects.get(
                    kind=corrected.data["reported_kind"], code=corrected.data["reported_category"]
                )
                case = Case(
                    kind=bulk.kind,
                    channel=bulk.channel,
                    category=reported or bulk.category,
                    urgency=(reported.default_urgency or Urgency.NORMAL) if reported else bulk.urgency,
                    description=bulk.description,
                    address=bulk.address,
                    lat=bulk.lat,
                    lon=bulk.lon,
                    cell=bulk.cell,
                    community_id=bulk.community_id,
                    street_id=bulk.street_id,
                    reporter=bulk.reporter,
                    source_ref="replay",
                    created_at=bulk.created_at,
                )
                merged = CaseEvent.objects.filter(case=bulk, action=Action.MERGE).first()  # undone since?
                into = next((c.pk for c in cases if merged and c.number == merged.data["original"]), None)
                case_report(case=case, original=replayed.get(bulk.duplicate_of_id or into), data=event.data)
                replayed[bulk.pk] = case
                continue
            payload = MoveInput(
                rating=event.data.get("rating"),
                hours=Decimal(event.data["hours"]) if "hours" in event.data else None,
                # 改派 names its department; a dispatch goes where routing says, but for a mistaken one.
                department=(
                    Department.objects.get(code=event.data["department"])
                    if event.action == Action.REDISPATCH
                    or (event.action == Action.DISPATCH and event.data.get("routed") is False)
                    else None
                ),
                category=bulk.category if "reported_category" in event.data else None,
            )
            # The intake registers a grid member's report as a system move; every other move is checked.
            system = event.action == Action.REGISTER and event.note == AUTO_REGISTER_NOTE
            case_transition(
                case=replayed[bulk.pk],
                action=event.action,
                actor=event.actor,
                note=event.note,
                payload=payload,
                system=system,
            )
    return replayed


def _rows(case: Case, numbers: dict[str, str], ids: dict[int, int]) -> dict:
    """What the case's rows say, with the ids and numbers of other rows put through `ids` and `numbers`."""
    deadlines = list(case.deadlines.order_by("started_at", "id"))
    requests = list(ExtensionRequest.objects.filter(case=case).order_by("created_at", "id"))
    own = {d.pk: f"deadline {i}" for i, d in enumerate(deadlines)} | {
        r.pk: f"request {i}" for i, r in enumerate(requests)
    }

    def data(values: dict) -> dict:
        out = dict(values)
        for key in ("deadline", "request"):
            if key in out:
                out[key] = own[out[key]]
        if "duplicate" in out:
            out["duplicate"] = ids[out["duplicate"]]
        if "original" in out:
            out["original"] = numbers[out["original"]]
        return out

    skip = {"id", "number", "source_ref", "duplicate_of"}
    return {
        "case": {f.name: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.name not in skip},
        "original": ids.get(case.duplicate_of_id, case.duplicate_of_id),
        "events": [
            (
                e.action,
                e.from_status,
                e.to_status,
                e.actor_id,
                e.actor_role,
                e.department_id,
                e.note,
                data(e.data),
                e.on_time,
                e.created_at,
            )
            for e in case.events.order_by("created_at", "id")
        ],
        "deadlines": [
            (
                d.step,
                d.started_at,
                d.limit_hours,
                d.unit,
                d.extended_hours,
                d.due_at,
                d.warn_at,
                d.completed_at,
                d.on_time,
                d.overdue_notified,
            )
            for d in deadlines
        ],
        "requests": [
            (
                own[r.deadline_id],
                r.hours,
                r.reason,
                r.status,
                r.requested_by_id,
                r.decided_by_id,
                r.created_at,
                r.decided_at,
            )
            for r in requests
        ],
        "followers": sorted(case.followers.values_list("user_id", "created_at")),
    }


def test_bulk_cases_replayed_through_the_loop_write_the_same_rows(bulk):
    """The bulk history is the live loop's: the same moves through case_report and case_transition (with
    the working calendar, the database's deadlines and requests, the routing rules) write the same rows."""
    cases = _replay_sample()
    assert len(cases) >= 30
    replayed = _replay(cases)
    assert set(replayed) == {c.pk for c in cases}
    ids = {bulk_id: case.pk for bulk_id, case in replayed.items()}
    numbers = {c.number: replayed[c.pk].number for c in cases}
    made = set()
    for case in cases:
        again = Case.objects.get(pk=replayed[case.pk].pk)
        expected = _rows(again, {n: n for n in numbers.values()}, {v: v for v in ids.values()})
        assert _rows(case, numbers, ids) == expected, case.number
        made.update(e[0] for e in expected["events"])
    assert made == set(MOVES) | set(ARRIVALS)
