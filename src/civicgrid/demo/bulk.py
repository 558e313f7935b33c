"""Bulk historical cases (批量历史案件) for scale tests: `civicgrid demo --cases N --bulk`.

`demo/history.py` replays a year through `case_submit` and `case_transition`, which costs a few
milliseconds per move; a million cases that way takes hours. This module writes the same rows
directly — COPY on PostgreSQL (psycopg 3 `cursor.copy`), `executemany` on SQLite — in one
transaction, from a simulation that applies the effects of `cases.workflow` (EFFECTS) and
`cases.deadlines` move by move:

- `Case` rows numbered YYYYMMDD + 5 digits per local day (the `CaseCounter` rows advance by as
  many numbers as were used), at a point inside a unit grid cell with its community and street,
  the category's default urgency, the department `taxonomy.routing.route` picks, and the same
  counters, timestamps and current clock (`step`, `due_at`, `warn_at`) the workflow leaves;
- the `CaseEvent` chain (report → register/reject/merge → dispatch → accept → [return →
  dispatch] → [supervise] → [extension] → feedback → [rework → feedback] → verify → close →
  [rate → reopen → …]; hang and resume), with the actors, roles, departments, notes, data and
  `on_time` flags the effects write; merged duplicates add the ME_TOO event, the follower row
  and `me_too_count` on their original;
- `CaseDeadline` rows with due/warn on the working calendar (`FastCalendar`: the calendar's
  working hours laid out as a cumulative line once, so each `add()` is a binary search, giving
  exactly `WorkingCalendar.add`), `completed_at`/`on_time` as `deadline_finish` sets them, and
  `ExtensionRequest` rows for extensions.

Most cases are closed; a few thousand (however large N is) are still open, in every status,
some overdue (red) or yellow. Running it again APPENDS N more cases (new numbers after the last
of each day): nothing existing is changed. It is meant for demo and benchmark databases: the case
tables are locked while it runs, and from BIG_LOAD cases on their secondary indexes are dropped
and built again inside the transaction, so readers wait too. Throughput on the shared 2-vCPU
machine: about 700 cases/s (1 M cases in 28 min with PostgreSQL, rollup rebuild included) — the
simulation in Python is most of it. Not written: outbox notifications (a historical
notification has long been delivered) and the points ledger's awards (the points app's hook).
"""

from __future__ import annotations

import bisect
import json
import random
import time as pytime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy
from django.db import connection, transaction
from django.db.models import Max

from civicgrid.accounts.roles import Role
from civicgrid.cases.choices import OPEN_STATUSES, Action, CaseKind, CaseStatus, Channel, Rating
from civicgrid.cases.deadlines import FALLBACK_LIMITS, YELLOW_SHARE
from civicgrid.cases.models import Case, CaseCounter, CaseDeadline, CaseEvent, CaseFollower, ExtensionRequest
from civicgrid.core.errors import DomainError
from civicgrid.demo.history import ADDRESSES, COMMON, _cast
from civicgrid.grids.models import Cell, CellMember
from civicgrid.taxonomy.choices import Step, Urgency
from civicgrid.taxonomy.models import Category, TimeLimit
from civicgrid.taxonomy.routing import active_rules, matches, route
from civicgrid.worktime.calendar import NATURAL, WORKING, WorkingCalendar, get_calendar

S = CaseStatus
US_HOUR = 3_600_000_000
US_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SOURCE_REF = "bulk"  # every bulk case carries it, so they can be told from replayed and real ones
CHUNK = 20_000  # cases simulated and written per round; a duplicate's original is in the same round
OPEN_TARGET = 3_000  # about this many cases stopped in mid-loop, whatever N (a share of small N)

# Local hour of day → weight (reports come in the day, peaking mid-morning and mid-afternoon).
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.4, 1, 3, 6, 10, 13, 14, 12, 8, 9, 12, 13, 12, 10, 8, 7, 6, 5, 3, 2]
WEEKDAY_WEIGHTS = [1.0, 1.0, 0.97, 0.95, 0.93, 0.62, 0.55]  # Monday … Sunday
KINDS = [(CaseKind.COMPLAINT, 80), (CaseKind.HELP, 10), (CaseKind.TIP_OFF, 5), (CaseKind.SUGGESTION, 3),
         (CaseKind.INQUIRY, 2)]
CHANNELS = [(Channel.APP, 52), (Channel.GRID, 30), (Channel.HOTLINE, 10), (Channel.CODE_SCAN, 5),
            (Channel.MAILBOX, 3)]
# Hours a step takes: lognormal (mu, sigma) of natural hours. Some exceed their limit (late).
DELAYS = {Action.REGISTER: (-0.7, 0.9), Action.REJECT: (-0.5, 0.8), Action.DISPATCH: (-1.2, 0.9),
          Action.ACCEPT: (-0.5, 1.0), Action.RETURN: (0.0, 1.0), Action.SUPERVISE: (1.0, 1.0),
          Action.REQUEST_EXTENSION: (1.0, 0.8), Action.APPROVE_EXTENSION: (-0.5, 0.8),
          Action.FEEDBACK: (2.0, 1.0), Action.REWORK: (0.5, 0.8), Action.VERIFY: (0.3, 1.0),
          Action.CLOSE: (-0.5, 0.8), Action.HANG: (1.0, 1.0), Action.RESUME: (5.5, 0.8), Action.RATE: (2.0, 1.2)}
STOPPABLE = [Action.REGISTER, Action.DISPATCH, Action.ACCEPT, Action.FEEDBACK, Action.VERIFY, Action.CLOSE,
             Action.RATE]
NOTES = {
    Action.REJECT: "经核实不属于城市管理范围",
    Action.RETURN: "不属于本部门职责，请重新派遣",
    Action.SUPERVISE: "请加快处置",
    Action.REQUEST_EXTENSION: "需协调施工队",
    Action.APPROVE_EXTENSION: "同意延期",
    Action.FEEDBACK: "已处置完毕，现场已恢复",
    Action.REWORK: "现场核查未处置到位",
    Action.HANG: "涉及规划调整，暂无法解决，列入挂账",
}
EXTENSION_HOURS = Decimal("7.00")

CASE_COLUMNS = [
    "id", "number", "kind", "channel", "category_id", "urgency", "description", "address", "lat", "lon", "cell_id",
    "community_id", "street_id", "reporter_id", "contact_name", "contact_phone", "is_public", "source_ref",
    "status", "department_id", "routed_department_id", "duplicate_of_id", "me_too_count", "supervised",
    "rework_count", "return_count", "reopen_count", "rating", "rating_comment", "created_at", "registered_at",
    "dispatched_at", "handled_at", "closed_at", "rated_at", "step", "due_at", "warn_at", "idempotency_key",
]
CASE_TIMES = ("created_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "rated_at", "due_at",
              "warn_at")
EVENT_COLUMNS = ["id", "case_id", "action", "from_status", "to_status", "actor_id", "actor_role", "department_id",
                 "note", "data", "on_time", "created_at", "counted"]
DEADLINE_COLUMNS = ["id", "case_id", "step", "started_at", "limit_hours", "unit", "extended_hours", "due_at",
                    "warn_at", "completed_at", "on_time", "overdue_notified"]
EXTENSION_COLUMNS = ["id", "case_id", "deadline_id", "hours", "reason", "status", "requested_by_id",
                     "decided_by_id", "created_at", "decided_at"]
FOLLOWER_COLUMNS = ["id", "case_id", "user_id", "created_at"]


def hours_us(hours: Decimal) -> int:
    """Hours as whole microseconds, rounded as `WorkingCalendar` rounds them."""
    return int((hours * US_HOUR).to_integral_value())


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class FastCalendar:
    """`WorkingCalendar.add` for many starts: the working time of a range of days as one line.

    `cum[i]` is the working time (µs) before local day i; a start maps onto the line, the limit is
    added, and the earliest moment reaching that point (a period's end rather than the next
    period's start, as `add()` does) is found by binary search. Exact for the fixed-offset zones
    China uses (no daylight saving since 1991); `calendar.add` is used for anything else.
    """

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        self.spans = calendar._spans
        self.day_us = calendar._day_us
        noon = datetime(first.year, first.month, first.day, 12)
        offsets = {(noon + timedelta(days=d)).replace(tzinfo=calendar.tz).utcoffset()
                   for d in range(0, (last - first).days + 1, 7)}
        self.exact = len(offsets) == 1 and None not in offsets
        self.offset = next(iter(offsets)) // timedelta(microseconds=1) if self.exact else 0
        self.first = first
        self.day0 = (first - date(1970, 1, 1)).days
        days = (last - first).days + 1
        self.cum: list[int] = []
        self.cum_end: list[int] = []
        self.workday: list[bool] = []
        total = 0
        for i in range(days):
            work = calendar.is_workday(first + timedelta(days=i))
            self.workday.append(work)
            self.cum.append(total)
            total += self.day_us if work else 0
            self.cum_end.append(total)

    def add(self, start: int, hours: int, unit: str) -> int:
        """`calendar.add(start, hours, unit)` with start and result as UTC epoch µs, hours as µs."""
        if unit == NATURAL or hours == 0:
            return start + hours
        if unit != WORKING:
            raise ValueError(f"unit must be {WORKING!r} or {NATURAL!r}, not {unit!r}")
        local = start + self.offset
        i = local // US_DAY - self.day0
        if not self.exact or i < 0 or i >= len(self.cum):
            moment = self.calendar.add(from_us(start), Decimal(hours) / US_HOUR, unit)
            return to_us(moment)
        tod = local % US_DAY
        position = self.cum[i]
        if self.workday[i]:
            for begin, end in self.spans:
                if tod > begin:
                    position += (tod if tod < end else end) - begin
        target = position + hours
        j = bisect.bisect_left(self.cum_end, target)
        if j >= len(self.cum):
            moment = self.calendar.add(from_us(start), Decimal(hours) / US_HOUR, unit)
            return to_us(moment)
        remaining = target - self.cum[j]
        for begin, end in self.spans:
            if remaining <= end - begin:
                return (self.day0 + j) * US_DAY + begin + remaining - self.offset
            remaining -= end - begin
        raise AssertionError("unreachable: the day's working time holds the remainder")


@dataclass
class BulkSummary:
    cases: int = 0
    events: int = 0
    deadlines: int = 0
    open: int = 0
    merged: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


class _Ids:
    """The next primary key of each table; rows are written with explicit ids."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class _Case:
    """One case being simulated: the Case row's values plus the rows that belong to it."""

    __slots__ = ("row", "events", "deadlines", "extensions", "followers", "category", "cell_code", "reporter",
                 "deadline", "pending_extension", "routed")

    def __init__(self, row: dict) -> None:
        self.row = row
        self.events: list[list] = []  # [time, action, from, to, actor_id, role, department_id, note, data, on_time]
        self.deadlines: list[list] = []
        self.extensions: list[list] = []
        self.followers: list[tuple] = []
        self.deadline: list | None = None  # the running one
        self.pending_extension: list | None = None

    def status_at(self, moment: int) -> str:
        status = ""
        for event in self.events:
            if event[0] > moment:
                break
            status = event[3]
        return status


class _Generator:
    """Simulates cases with the effects of cases.workflow, writing rows instead of calling it."""

    def __init__(self, *, count: int, now: datetime, days: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = count
        self.now = to_us(now)
        self.start = self.now - days * US_DAY
        calendar = get_calendar()
        tz = calendar.tz
        first = (now - timedelta(days=days + 2)).astimezone(tz).date()
        # Time limits run past today for the open cases: lay out a few months more.
        self.calendar = FastCalendar(calendar, first, now.astimezone(tz).date() + timedelta(days=200))
        self.tz = tz
        self.cast = _cast()
        self.users = {u.id: u for u in [self.cast.dispatcher, self.cast.leader, *self.cast.citizens,
                                        *self.cast.grid_members]}
        for handlers in self.cast.handlers_by_department.values():
            self.users.update({u.id: u for u in handlers})
        self.cells = list(Cell.objects.order_by("code").only("id", "code", "community_id", "street_id", "min_lon",
                                                            "min_lat", "max_lon", "max_lat"))
        if not self.cells:
            raise DomainError("no_cells", "请先建立演示城市的单元网格", "build the demo city (its grid cells) first")
        self.cells_by_id = {c.id: c for c in self.cells}
        members: dict[int, list[int]] = {}
        for cell_id, user_id in CellMember.objects.values_list("cell_id", "user_id"):
            if user_id in self.users and self.users[user_id].role == Role.GRID_MEMBER:
                members.setdefault(cell_id, []).append(user_id)
        self.cell_members = members
        rng = self.rng
        self.busy = rng.sample(self.cells, k=max(1, len(self.cells) // 6))
        categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
        common = [(categories[(k, code)], w) for k, code, w, _t in COMMON if (k, code) in categories]
        texts = {(k, code): text for k, code, _w, text in COMMON}
        known = {c.id for c, _w in common}
        tail = [c for c in categories.values() if c.id not in known]
        # The common matters carry ~90 % of the reports; every other active category shares the rest.
        total = sum(w for _c, w in common) or 1
        self.categories = common + [(c, total / 9 / len(tail)) for c in tail] if tail else common
        if not self.categories:
            raise DomainError("no_categories", "请先建立演示城市的分类", "build the demo city (its categories) first")
        self.category_weights = list(_cumulative([w for _c, w in self.categories]))
        self.texts = {c.id: texts.get((c.kind, c.code), f"{c.name}，请尽快处理") for c, _w in self.categories}
        self.rules = active_rules()
        self.routes: dict[tuple[int, str], object] = {}
        self.rules_for: dict[int, list] = {}
        self.limits = self._limits()
        self.hour_cum = _cumulative(HOUR_WEIGHTS)
        self.departments = {}

    # --- configuration --------------------------------------------------------------------

    def _limits(self) -> dict[tuple, tuple[Decimal, str, int, int]]:
        """(category id or None, step, urgency) → (hours, unit, limit µs, yellow µs), as limit_for."""
        rows = {(cat, step, urgency): (Decimal(hours), unit) for cat, step, urgency, hours, unit in
                TimeLimit.objects.values_list("category_id", "step", "urgency", "hours", "unit")}
        for urgency in Urgency.values:
            hours_by_step, unit = FALLBACK_LIMITS[Urgency(urgency)]
            for step in Step.values:
                rows.setdefault((None, step, urgency), (Decimal(hours_by_step[step]), unit))
        return rows

    def limit(self, category_id: int, step: str, urgency: str) -> tuple[Decimal, str]:
        return self.limits.get((category_id, step, urgency)) or self.limits[(None, step, urgency)]

    def routed(self, category: Category, cell_code: str):
        key = (category.id, cell_code)
        if key not in self.routes:
            # The rules that can match the category at all, once per category; route() decides among them.
            rules = self.rules_for.get(category.id)
            if rules is None:
                rules = self.rules_for[category.id] = [r for r in self.rules if matches(r, category, r.area_code)]
            rule = route(category, cell_code, rules)
            self.routes[key] = rule.department if rule else None
        return self.routes[key]

    # --- the moments ----------------------------------------------------------------------

    def _days(self, span_days: float) -> tuple[list[int], list[float]]:
        """Local days (days since 1970) of the last `span_days` and their weights (weekly rhythm, growth)."""
        offset = self.calendar.offset if self.calendar.exact else 8 * US_HOUR
        first_day = (self.now - int(span_days * US_DAY) + offset) // US_DAY
        last_day = (self.now + offset) // US_DAY
        day_list = list(range(first_day, last_day + 1))
        # A city's reports grow a little over the year (more people use the app).
        weights = [WEEKDAY_WEIGHTS[(d + 3) % 7] * (0.8 + 0.4 * (i / max(1, len(day_list) - 1)))
                   for i, d in enumerate(day_list)]
        return day_list, weights

    def _in_day(self, day: int, count: int) -> list[int]:
        """`count` report times (UTC µs) on a local day, with the daily rhythm, sorted."""
        rng = self.rng
        offset = self.calendar.offset if self.calendar.exact else 8 * US_HOUR
        hours = rng.choices(range(24), cum_weights=self.hour_cum, k=count)
        out = []
        for h in hours:
            moment = day * US_DAY + h * US_HOUR + rng.randrange(US_HOUR) - offset
            if moment > self.now:  # today's reports are all in the past
                moment = self.now - rng.randrange(min(6 * US_HOUR, max(1, self.now - (day * US_DAY - offset))))
            out.append(moment)
        out.sort()
        return out

    def moments(self, count: int, *, recent_days: float) -> list[int]:
        """`count` report times over the last `recent_days`, sorted (for the few stopped cases)."""
        day_list, weights = self._days(recent_days)
        days = Counter(self.rng.choices(day_list, weights=weights, k=count))
        return sorted(m for day, n in days.items() for m in self._in_day(day, n))

    def plan(self, count: int, stuck: int) -> Iterator[list[tuple[int, str | None]]]:
        """(moment, stop) of every case in time order, a round at a time: memory stays flat for 10 M."""
        rng = self.rng
        # Stopped cases come from the last weeks: the newest are green or yellow, the older ones red.
        stopped: dict[int, list[tuple[int, str]]] = defaultdict(list)
        offset = self.calendar.offset if self.calendar.exact else 8 * US_HOUR
        for moment in self.moments(stuck // 2, recent_days=2) + self.moments(stuck - stuck // 2, recent_days=30):
            stopped[(moment + offset) // US_DAY].append((moment, rng.choice(STOPPABLE)))
        day_list, weights = self._days((self.now - self.start) / US_DAY)
        total = sum(weights)
        numbers = numpy.random.default_rng(rng.getrandbits(64)).multinomial(count - stuck, [w / total for w in weights])
        buffer: list[tuple[int, str | None]] = []
        for day, n in zip(day_list, numbers.tolist(), strict=True):
            today = [(m, None) for m in self._in_day(day, n)] + stopped.pop(day, [])
            today.sort(key=lambda p: p[0])
            buffer.extend(today)
            if len(buffer) >= CHUNK:
                yield buffer
                buffer = []
        leftover = [p for day in sorted(stopped) for p in stopped[day]]  # stopped before the period (tiny N)
        buffer = sorted(leftover + buffer, key=lambda p: p[0])
        if buffer:
            yield buffer

    # --- one case -------------------------------------------------------------------------

    def new_case(self, case_id: int, at: int, cell: Cell, category: Category, kind: str, channel: str,
                 reporter_id: int) -> _Case:
        rng = self.rng
        lat = rng.uniform(cell.min_lat + 1e-5, cell.max_lat - 1e-5)
        lon = rng.uniform(cell.min_lon + 1e-5, cell.max_lon - 1e-5)
        row = {
            "id": case_id, "number": None, "kind": kind, "channel": channel, "category_id": category.id,
            "urgency": category.default_urgency or Urgency.NORMAL, "description": self.texts[category.id],
            "address": rng.choice(ADDRESSES), "lat": lat, "lon": lon, "cell_id": cell.id,
            "community_id": cell.community_id, "street_id": cell.street_id, "reporter_id": reporter_id,
            "contact_name": "", "contact_phone": "", "is_public": True, "source_ref": SOURCE_REF,
            "status": S.REPORTED, "department_id": None, "routed_department_id": None, "duplicate_of_id": None,
            "me_too_count": 0, "supervised": False, "rework_count": 0, "return_count": 0, "reopen_count": 0,
            "rating": "", "rating_comment": "", "created_at": at, "registered_at": None, "dispatched_at": None,
            "handled_at": None, "closed_at": None, "rated_at": None, "step": "", "due_at": None, "warn_at": None,
            "idempotency_key": None,
        }
        case = _Case(row)
        case.category, case.cell_code, case.reporter = category, cell.code, reporter_id
        case.routed = None
        return case

    def event(self, case: _Case, at: int, action: str, from_status: str, actor_id: int | None, *,
              department_id: int | None = None, note: str = "", data: dict | None = None,
              on_time: bool | None = None, role: str | None = None) -> None:
        if role is None:
            role = self.users[actor_id].role if actor_id is not None else "system"
        case.events.append([at, action, from_status, case.row["status"], actor_id, role, department_id, note,
                            data or {}, on_time])

    def deadline_start(self, case: _Case, step: str, at: int, ids: _Ids) -> None:
        hours, unit = self.limit(case.row["category_id"], step, case.row["urgency"])
        due = self.calendar.add(at, hours_us(hours), unit)
        warn = self.calendar.add(at, hours_us(hours * YELLOW_SHARE), unit)
        deadline = [ids.take("deadline"), step, at, hours, unit, Decimal(0), due, warn, None, None]
        case.deadlines.append(deadline)
        case.deadline = deadline
        case.row["step"], case.row["due_at"], case.row["warn_at"] = step, due, warn

    def deadline_finish(self, case: _Case, at: int) -> bool | None:
        if not case.row["step"]:
            return None
        deadline = case.deadline
        case.row["step"], case.row["due_at"], case.row["warn_at"] = "", None, None
        case.deadline = None
        if deadline is None:
            return None
        on_time = at <= deadline[6]
        deadline[8], deadline[9] = at, on_time
        if case.pending_extension is not None:  # it can no longer be granted
            case.pending_extension[5], case.pending_extension[8] = "lapsed", at
            case.pending_extension = None
        return on_time

    def local_iso(self, us: int) -> str:
        return from_us(us).astimezone(self.tz).isoformat()

    # --- the moves (cases.workflow EFFECTS, in the same order of writes) -----------------

    def move(self, case: _Case, action: str, actor_id: int | None, at: int, ids: _Ids, *, note: str = "",
             rating: str = "") -> None:
        row = case.row
        before = row["status"]
        department = None
        on_time = None
        data: dict = {}
        follow_up = None
        if action == Action.REGISTER:
            on_time = self.deadline_finish(case, at)
            row["registered_at"] = at
            routed = self.routed(case.category, case.cell_code)
            row["routed_department_id"] = routed.id if routed else None
            self.deadline_start(case, Step.DISPATCH, at, ids)
            department = row["routed_department_id"]
            data = {"category": case.category.code, "routed_department": routed.code if routed else None}
            row["status"] = S.REGISTERED
            if routed is not None and case.category.auto_dispatch:
                follow_up = routed
        elif action == Action.REJECT:
            on_time = self.deadline_finish(case, at)
            row["status"] = S.REJECTED
        elif action == Action.DISPATCH:
            department = row["routed_department_id"]
            on_time = self.deadline_finish(case, at)
            row["department_id"] = department
            row["dispatched_at"] = at
            self.deadline_start(case, Step.HANDLE, at, ids)
            data = {"department": self.department_code(department),
                    "routed": (row["routed_department_id"] == department) if row["routed_department_id"] else None}
            row["status"] = S.DISPATCHED
        elif action == Action.ACCEPT:
            department = row["department_id"]
            row["status"] = S.ACCEPTED
        elif action == Action.RETURN:
            department = row["department_id"]
            on_time = self.deadline_finish(case, at)
            row["department_id"] = None
            row["return_count"] += 1
            self.deadline_start(case, Step.DISPATCH, at, ids)
            row["status"] = S.RETURNED
        elif action == Action.REQUEST_EXTENSION:
            deadline = case.deadline
            request = [ids.take("extension"), deadline[0], EXTENSION_HOURS, note, actor_id, "pending", None,
                       at, None, None]
            case.extensions.append(request)
            case.pending_extension = request
            department = row["department_id"]
            data = {"hours": str(EXTENSION_HOURS), "due_at": self.local_iso(deadline[6])}
        elif action == Action.APPROVE_EXTENSION:
            request = case.pending_extension
            request[5], request[6], request[8] = "approved", actor_id, at
            case.pending_extension = None
            deadline = next(d for d in case.deadlines if d[0] == request[1])
            old_due = deadline[6]
            deadline[5] += request[2]
            total = deadline[3] + deadline[5]
            deadline[6] = self.calendar.add(deadline[2], hours_us(total), deadline[4])
            deadline[7] = self.calendar.add(deadline[2], hours_us(total * YELLOW_SHARE), deadline[4])
            if row["step"] == deadline[1]:
                row["due_at"], row["warn_at"] = deadline[6], deadline[7]
            department = row["department_id"]
            data = {"hours": str(request[2]), "request": request[0], "old_due": self.local_iso(old_due),
                    "new_due": self.local_iso(deadline[6]), "deadline": deadline[0]}
        elif action == Action.FEEDBACK:
            on_time = self.deadline_finish(case, at)
            row["handled_at"] = at
            self.deadline_start(case, Step.VERIFY, at, ids)
            department = row["department_id"]
            row["status"] = S.HANDLED
        elif action == Action.VERIFY:
            on_time = self.deadline_finish(case, at)
            self.deadline_start(case, Step.CLOSE, at, ids)
            department = row["department_id"]
            row["status"] = S.VERIFIED
        elif action == Action.REWORK:
            on_time = self.deadline_finish(case, at)
            row["rework_count"] += 1
            row["handled_at"] = None
            self.deadline_start(case, Step.HANDLE, at, ids)
            department = row["department_id"]
            row["status"] = S.ACCEPTED
        elif action == Action.CLOSE:
            on_time = self.deadline_finish(case, at)
            row["closed_at"] = at
            department = row["department_id"]
            row["status"] = S.CLOSED
        elif action == Action.HANG:
            self.deadline_finish(case, at)
            department = row["department_id"]
            row["status"] = S.LONG_TERM
        elif action == Action.RESUME:
            row["department_id"] = None
            self.deadline_start(case, Step.DISPATCH, at, ids)
            row["status"] = S.REGISTERED
        elif action == Action.SUPERVISE:
            row["supervised"] = True
            department = row["department_id"]
        elif action == Action.RATE:
            row["rating"], row["rating_comment"], row["rated_at"] = rating, note[:500], at
            data = {"rating": rating}
            department = row["department_id"]
            if rating == Rating.UNSATISFIED and row["reopen_count"] < _reopen_limit() and row["department_id"]:
                row["reopen_count"] += 1
                row["closed_at"] = None
                self.deadline_start(case, Step.HANDLE, at, ids)
                data["reopened"] = True
                row["status"] = S.DISPATCHED
        else:  # pragma: no cover - the plan uses only the moves above
            raise ValueError(action)
        self.event(case, at, action, before, actor_id, department_id=department, note=note, data=data,
                   on_time=on_time, role="system" if actor_id is None else None)
        if follow_up is not None:
            self.move(case, Action.DISPATCH, None, at, ids, note="自动派遣 auto-dispatch")

    def department_code(self, department_id: int | None) -> str | None:
        if department_id is None:
            return None
        if not self.departments:
            from civicgrid.accounts.models import Department

            self.departments = dict(Department.objects.values_list("pk", "code"))
        return self.departments[department_id]

    # --- the life of a case ---------------------------------------------------------------

    def play(self, case: _Case, at: int, ids: _Ids, stop: str | None) -> None:
        """Walk the case along the loop as far as its fate and the present allow (as history._play)."""
        rng = self.rng
        row = case.row
        t = at
        cast = self.cast
        dispatcher = cast.dispatcher.id
        fate = rng.random()

        def step(action: str, actor_id: int | None, **kwargs) -> bool:
            nonlocal t
            mu, sigma = DELAYS[action]
            t += int(rng.lognormvariate(mu, sigma) * US_HOUR) + 1
            if t > self.now or action == stop:
                return False
            self.move(case, action, actor_id, t, ids, note=kwargs.pop("note", NOTES.get(action, "")), **kwargs)
            return True

        if row["status"] == S.REPORTED:
            if fate < 0.05:
                step(Action.REJECT, dispatcher)
                return
            if not step(Action.REGISTER, dispatcher):
                return
        if fate > 0.98:
            if not step(Action.HANG, dispatcher):
                return
            if rng.random() < 0.3 or not step(Action.RESUME, dispatcher):
                return  # still on the long-term list
        if row["status"] in (S.REGISTERED, S.RETURNED):
            if row["routed_department_id"] is None or not step(Action.DISPATCH, dispatcher):
                return
        handlers = cast.handlers_by_department.get(row["department_id"])
        if not handlers:
            return
        handler = rng.choice(handlers).id
        if 0.95 < fate <= 0.98 and step(Action.RETURN, handler):
            if not step(Action.DISPATCH, dispatcher):
                return
            handler = rng.choice(cast.handlers_by_department.get(row["department_id"]) or handlers).id
        if row["status"] == S.DISPATCHED and not step(Action.ACCEPT, handler):
            return
        if 0.90 < fate <= 0.93 and not step(Action.SUPERVISE, cast.leader.id):
            return
        if 0.85 < fate <= 0.90:
            if not step(Action.REQUEST_EXTENSION, handler) or not step(Action.APPROVE_EXTENSION, dispatcher):
                return
        if not step(Action.FEEDBACK, handler):
            return
        if 0.80 < fate <= 0.85:
            if not step(Action.REWORK, dispatcher) or not step(Action.FEEDBACK, handler, note="已重新处置"):
                return
        if not step(Action.VERIFY, dispatcher) or not step(Action.CLOSE, dispatcher):
            return
        reporter = self.users.get(case.reporter)
        if reporter is not None and reporter.role == Role.CITIZEN and rng.random() < 0.7:
            roll = rng.random()
            rating = Rating.SATISFIED if roll < 0.75 else Rating.BASICALLY if roll < 0.9 else Rating.UNSATISFIED
            note = "处理及时" if rating != Rating.UNSATISFIED else "问题没有彻底解决"
            if not step(Action.RATE, case.reporter, note=note, rating=rating):
                return
            if row["status"] == S.DISPATCHED:  # 不满意 → 重办, handled again
                for action in (Action.ACCEPT, Action.FEEDBACK, Action.VERIFY, Action.CLOSE):
                    actor = handler if action in (Action.ACCEPT, Action.FEEDBACK) else dispatcher
                    note = "已重新处置" if action == Action.FEEDBACK else NOTES.get(action, "")
                    if not step(action, actor, note=note):
                        return

    def report(self, case: _Case, ids: _Ids) -> None:
        """What case_submit writes for a case that is not a duplicate."""
        row = case.row
        at = row["created_at"]
        self.event(case, at, Action.REPORT, "", case.reporter, data={"channel": row["channel"], "crs": "wgs84"})
        self.deadline_start(case, Step.REGISTER, at, ids)
        if self.users[case.reporter].role == Role.GRID_MEMBER:
            # 网格员上报自动立案 (REPORT_TRUSTED), by the reporter, as a system move.
            self.move(case, Action.REGISTER, case.reporter, at, ids, note="网格员上报，自动立案")

    def merge(self, case: _Case, original: _Case) -> None:
        """What case_submit writes for a duplicate of an open case nearby."""
        row = case.row
        at = row["created_at"]
        row["duplicate_of_id"] = original.row["id"]
        self.event(case, at, Action.REPORT, "", case.reporter, data={"channel": row["channel"], "crs": "wgs84"})
        row["status"] = S.MERGED
        self.event(case, at, Action.MERGE, S.REPORTED, None, data={"original": original.row["number"]})
        status = original.status_at(at)
        me_too = [at, Action.ME_TOO, status, status, case.reporter, self.users[case.reporter].role, None, "",
                  {"duplicate": row["id"]}, None]
        position = bisect.bisect_right([e[0] for e in original.events], at)
        original.events.insert(position, me_too)
        original.row["me_too_count"] += 1
        original.followers.append((case.reporter, at))

    # --- a round of cases -----------------------------------------------------------------

    def reporter_for(self, channel: str, cell: Cell) -> int:
        rng = self.rng
        if channel == Channel.GRID:
            members = self.cell_members.get(cell.id)
            if members:
                return rng.choice(members)
            return rng.choice(self.cast.grid_members).id
        if channel in (Channel.HOTLINE, Channel.MAILBOX):
            return self.cast.dispatcher.id
        return rng.choice(self.cast.citizens).id

    def round(self, moments: list[int], stops: list[str | None], ids: _Ids, numbers: Callable[[int], str]
              ) -> list[_Case]:
        rng = self.rng
        cases: list[_Case] = []
        recent: list[_Case] = []  # candidates for a duplicate: open, not merged, reported in the last 72 h
        kinds, kind_weights = zip(*KINDS, strict=True)
        channels, channel_weights = zip(*CHANNELS, strict=True)
        kind_cum = list(_cumulative(kind_weights))
        channel_cum = list(_cumulative(channel_weights))
        for at, stop in zip(moments, stops, strict=True):
            channel = rng.choices(channels, cum_weights=channel_cum)[0]
            duplicate_roll = rng.random()
            original = None
            if duplicate_roll < 0.03 and recent:
                # The same problem reported again nearby while the first report is open (find_original):
                # a few hours after one of the latest reports (so small N has duplicates too).
                candidate = recent[-1 - rng.randrange(min(len(recent), 20))]
                seen = min(candidate.row["created_at"] + rng.randrange(600_000_000, 24 * US_HOUR), self.now)
                if seen > candidate.row["created_at"] and candidate.status_at(seen) in OPEN_STATUSES:
                    original, at = candidate, seen
            if original is not None:
                cell = self.cells_by_id[original.row["cell_id"]]
                reporter = self.reporter_for(channel, cell)
                if reporter in {f[0] for f in original.followers}:
                    original = None  # one follower row per person (casefollower_unique)
            if original is not None:
                case = self.new_case(ids.take("case"), at, cell, original.category,
                                     rng.choices(kinds, cum_weights=kind_cum)[0], channel, reporter)
                # Within a few metres of the original (the same problem, seen by someone else).
                case.row["lat"] = original.row["lat"] + rng.uniform(-1e-4, 1e-4)
                case.row["lon"] = original.row["lon"] + rng.uniform(-1e-4, 1e-4)
                case.row["number"] = numbers(at)
                self.merge(case, original)
                cases.append(case)
                continue
            cell = rng.choice(self.busy) if rng.random() < 0.5 else rng.choice(self.cells)
            index = bisect.bisect_left(self.category_weights, rng.random() * self.category_weights[-1])
            category = self.categories[index][0]
            reporter = self.reporter_for(channel, cell)
            case = self.new_case(ids.take("case"), at, cell, category, rng.choices(kinds, cum_weights=kind_cum)[0],
                                 channel, reporter)
            case.row["number"] = numbers(at)
            self.report(case, ids)
            self.play(case, at, ids, stop)
            cases.append(case)
            recent.append(case)
            if len(recent) > 400:
                recent = [c for c in recent[-300:] if at - c.row["created_at"] <= 72 * US_HOUR]
        return cases


def _same(value):
    return value


def _sqlite_time(us: int, _epoch=datetime(1970, 1, 1), _step=timedelta(microseconds=1)) -> str:
    """A UTC moment as Django writes it to SQLite: str() of the naive UTC datetime."""
    return str(_epoch + us * _step)


def _cumulative(weights) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _reopen_limit() -> int:
    from django.conf import settings

    return settings.CIVICGRID_REOPEN_LIMIT


# --- writing -----------------------------------------------------------------------------------------


class _Writer:
    """Rows to the database: COPY on PostgreSQL, executemany on SQLite (inside the caller's transaction)."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.time_positions = [CASE_COLUMNS.index(c) for c in CASE_TIMES]
        self.flag_positions = [CASE_COLUMNS.index(c) for c in ("is_public", "supervised")]
        if self.vendor == "postgresql":
            self.ts = from_us  # psycopg formats datetimes in C
            self.flag = _same  # psycopg writes True, False and None (NULL) as they are
            self.number = lambda d: d
        else:
            self.ts = _sqlite_time
            self.flag = lambda v: None if v is None else int(v)
            self.number = str

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        # Columns other apps add later (with a default) are written with their default.
        extras = [f for f in model._meta.concrete_fields if f.column not in columns]
        if extras:
            tail = tuple(self.extra_value(model, f) for f in extras)
            columns = [*columns, *(f.column for f in extras)]
            rows = [row + tail for row in rows]
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def extra_value(self, model, f):
        value = f.get_default()
        if isinstance(value, bool):
            return self.flag(value)
        return value

    def rows(self, cases: list[_Case], event_ids: _Ids, counted: bool) -> dict[str, list[tuple]]:
        ts, flag, number = self.ts, self.flag, self.number
        counted = flag(counted)
        out: dict[str, list[tuple]] = {"case": [], "event": [], "deadline": [], "extension": [], "follower": []}
        texts: dict[tuple, str] = {}  # most events carry one of a few data objects: serialise each once
        for case in cases:
            row = case.row
            values = [row[c] for c in CASE_COLUMNS]
            for i in self.time_positions:
                if values[i] is not None:
                    values[i] = ts(values[i])
            for i in self.flag_positions:
                values[i] = flag(values[i])
            out["case"].append(tuple(values))
            case_id = row["id"]
            for at, action, from_status, to_status, actor, role, department, note, data, on_time in case.events:
                if data:
                    key = tuple(data.items())
                    text = texts.get(key)
                    if text is None:
                        text = json.dumps(data)
                        if len(texts) < 10_000:
                            texts[key] = text
                else:
                    text = "{}"
                out["event"].append((event_ids.take("event"), case_id, action, from_status, to_status, actor, role,
                                     department, note, text, flag(on_time), ts(at), counted))
            for pk, step, started, hours, unit, extended, due, warn, completed, on_time in case.deadlines:
                out["deadline"].append((pk, case_id, step, ts(started), number(hours), unit, number(extended),
                                        ts(due), ts(warn), ts(completed) if completed is not None else None,
                                        flag(on_time), flag(False)))
            for pk, deadline, hours, reason, requested_by, status, decided_by, created, decided, _x in case.extensions:
                out["extension"].append((pk, case_id, deadline, number(hours), reason, status, requested_by,
                                         decided_by, ts(created), ts(decided) if decided is not None else None))
            for user, at in case.followers:
                out["follower"].append((event_ids.take("follower"), case_id, user, ts(at)))
        return out


def _start_ids() -> dict[str, int]:
    """The first free id of every table (and the sequences moved past what will be written)."""
    models = {"case": Case, "event": CaseEvent, "deadline": CaseDeadline, "extension": ExtensionRequest,
              "follower": CaseFollower}
    start = {}
    for key, model in models.items():
        top = model.objects.aggregate(top=Max("pk"))["top"] or 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
                sequence = cursor.fetchone()[0]
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
                last, called = cursor.fetchone()
                top = max(top, last if called else last - 1)
        start[key] = top + 1
    return start


def _finish_sequences(ids: _Ids) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id written
    models = {"case": Case, "event": CaseEvent, "deadline": CaseDeadline, "extension": ExtensionRequest,
              "follower": CaseFollower}
    with connection.cursor() as cursor:
        for key, model in models.items():
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                           [model._meta.db_table, ids.next[key]])


BIG_LOAD = 100_000  # from this many cases on, PostgreSQL builds the secondary indexes after the load


def _pg_fast_load(count: int) -> list[str]:
    """Make a big load cheap; returns the CREATE INDEX statements to run after it.

    Inside the transaction only (SET LOCAL, transactional DDL): foreign-key triggers are skipped
    when the role may (superuser, as pg_restore --disable-triggers does; the ids are handed out
    here and every reference points at a row that exists), and for a big load the secondary
    indexes of the three large tables are dropped and built again after the rows are in — one
    sort per index instead of millions of single inserts. Unique indexes stay, so numbers stay
    unique throughout.
    """
    if connection.vendor == "sqlite":
        return _sqlite_drop_indexes() if count >= BIG_LOAD else []
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        if count < BIG_LOAD:
            return []
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        tables = [m._meta.db_table for m in (Case, CaseEvent, CaseDeadline)]
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema() "
            "AND NOT x.indisunique AND NOT x.indisprimary", [tables])
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in indexes]


def _sqlite_drop_indexes() -> list[str]:
    """SQLite: the same for the secondary indexes (unique ones, written with the table, stay)."""
    tables = [m._meta.db_table for m in (Case, CaseEvent, CaseDeadline)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
                       f"tbl_name IN ({', '.join('%s' for _ in tables)})", tables)
        indexes = [(name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in indexes]


def _rebuild_indexes(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor != "postgresql":
            return
        for model in (Case, CaseEvent, CaseDeadline):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _lock_tables() -> None:
    """Hold off live intake while numbers and ids are handed out (PostgreSQL; SQLite locks on write)."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (CaseCounter, Case, CaseEvent, CaseDeadline, ExtensionRequest, CaseFollower)]
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")


class _Numbers:
    """Case numbers per local day, continuing each day's CaseCounter."""

    def __init__(self, tz, offset: int | None) -> None:
        self.tz = tz
        self.offset = offset
        self.last = dict(CaseCounter.objects.values_list("day", "last"))
        self.used: dict[str, int] = {}
        self.days: dict[int, str] = {}

    def __call__(self, at: int) -> str:
        if self.offset is not None:
            key = (at + self.offset) // US_DAY
            day = self.days.get(key)
            if day is None:
                day = self.days[key] = (date(1970, 1, 1) + timedelta(days=key)).strftime("%Y%m%d")
        else:
            day = from_us(at).astimezone(self.tz).strftime("%Y%m%d")
        seq = self.used.get(day)
        if seq is None:
            seq = self.last.get(day, 0)
        seq += 1
        if seq > 99_999:
            raise DomainError("too_many_cases_per_day", f"{day} 的案件编号已用完 (99999)",
                              f"more than 99,999 cases on {day}: the case number has 5 digits")
        self.used[day] = seq
        return f"{day}{seq:05d}"

    def save(self) -> None:
        existing = CaseCounter.objects.in_bulk(list(self.used), field_name="day")
        changed = []
        for day, last in self.used.items():
            counter = existing.get(day)
            if counter is None:
                continue
            counter.last = last
            changed.append(counter)
        CaseCounter.objects.bulk_update(changed, ["last"], batch_size=500)
        CaseCounter.objects.bulk_create([CaseCounter(day=day, last=last) for day, last in self.used.items()
                                         if day not in existing], batch_size=500)


def _rollups():
    """analytics.rollups when the analytics app is installed, else None."""
    from django.apps import apps

    if not apps.is_installed("civicgrid.analytics"):
        return None
    from civicgrid.analytics import rollups

    return rollups


def build_bulk(count: int, *, seed: int = 2026, now: datetime | None = None, days: int = 365,
               progress: Callable[[str], None] | None = None) -> BulkSummary:
    """Append `count` historical cases over the `days` before `now`; one transaction. See the module doc."""
    from civicgrid.core import clock

    if count < 0:
        raise DomainError("count_invalid", "案件数不能为负", "the number of cases must not be negative")
    started = pytime.monotonic()
    now = now or clock.now()
    summary = BulkSummary()
    if count == 0:
        return summary
    rollups = _rollups()
    with transaction.atomic():
        _lock_tables()
        indexes = _pg_fast_load(count)
        generator = _Generator(count=count, now=now, days=days, seed=seed)
        ids = _Ids(_start_ids())
        exact = generator.calendar.exact
        numbers = _Numbers(generator.tz, generator.calendar.offset if exact else None)
        # About OPEN_TARGET cases stop in mid-loop (a quarter of a small N), so every open status is seen.
        stuck = round(count * min(0.25, OPEN_TARGET / count) * 0.6)
        writer = _Writer()
        for part in generator.plan(count, stuck):
            cases = generator.round([m for m, _ in part], [s for _, s in part], ids, numbers)
            rows = writer.rows(cases, ids, counted=rollups is not None)
            writer.write(Case, CASE_COLUMNS, rows["case"])
            writer.write(CaseEvent, EVENT_COLUMNS, rows["event"])
            writer.write(CaseDeadline, DEADLINE_COLUMNS, rows["deadline"])
            writer.write(ExtensionRequest, EXTENSION_COLUMNS, rows["extension"])
            writer.write(CaseFollower, FOLLOWER_COLUMNS, rows["follower"])
            summary.cases += len(cases)
            summary.events += len(rows["event"])
            summary.deadlines += len(rows["deadline"])
            for case in cases:
                status = case.row["status"]
                summary.by_status[status] = summary.by_status.get(status, 0) + 1
            if progress is not None:
                rate = summary.cases / max(pytime.monotonic() - started, 1e-6)
                progress(f"  {summary.cases:,} / {count:,} cases ({rate:,.0f}/s)")
        numbers.save()
        _finish_sequences(ids)
        if indexes:
            if progress is not None:
                progress(f"  building {len(indexes)} indexes …")
            _rebuild_indexes(indexes)
        if rollups is not None:
            # The events were written as counted; one rebuild puts them (and everything else) in the rollups.
            if progress is not None:
                progress("  rebuilding the rollups …")
            rollups.rebuild()
    summary.open = sum(n for s, n in summary.by_status.items() if s in OPEN_STATUSES)
    summary.merged = summary.by_status.get(S.MERGED, 0)
    summary.seconds = pytime.monotonic() - started
    return summary


