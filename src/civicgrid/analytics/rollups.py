"""Keeping the rollups current: `apply_pending` (incremental, run by `civicgrid worker`) and
`rebuild` (everything again from the events, in SQL).

What each counter counts is the table RULES below (events) and `cohort_of` (registration cohort);
`selectors.drilldown` filters cases with the same rules, and `cases.indicators` is the reference
both must agree with (tests/test_rollups.py, tests/test_indicators.py).

Attribution: an event counts on its local day, under its own department and under the street,
cell, category and channel its case has in `CaseTally` — the case's current ones once the
worker has seen the case's latest event. When a case changes dimension (立案 may reclassify it),
the worker moves the events already counted from the old dimensions to the new ones.

Concurrency: events are claimed with `SELECT … FOR UPDATE SKIP LOCKED` and a conditional
`UPDATE … SET counted = true WHERE NOT counted`, tallies are locked in case order and rollup rows
are upserted in key order, all in one transaction — two workers never count an event twice and
never lose one. On PostgreSQL `rebuild` takes an exclusive advisory lock that the workers share.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.analytics.models import (
    COHORT_COUNTERS,
    COUNTERS,
    DIMENSIONS,
    EVENT_COUNTERS,
    ROLLUPS,
    CaseTally,
    FlowCounts,
    Rollup,
)
from civicgrid.cases.choices import Action, CaseStatus, Channel, Rating
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent

logger = logging.getLogger("civicgrid.analytics")

# --- what is counted -----------------------------------------------------------------------------

SATISFIED = (Rating.SATISFIED, Rating.BASICALLY)  # 满意 + 基本满意, as in cases.indicators


@dataclass(frozen=True)
class Rule:
    counter: str
    action: str
    only: str | None = None  # None, "on_time" (the move ended its step within the limit) or "satisfied"

    def q(self, prefix: str = "") -> Q:
        """The events this counter counts, as a filter (prefix "events__" from Case)."""
        q = Q(**{f"{prefix}action": self.action})
        if self.only == "on_time":
            q &= Q(**{f"{prefix}on_time": True})
        elif self.only == "satisfied":
            q &= Q(**{f"{prefix}data__rating__in": list(SATISFIED)})
        return q

    def matches(self, action: str, on_time: bool | None, data: dict | None) -> bool:
        if action != self.action:
            return False
        if self.only == "on_time":
            return on_time is True
        if self.only == "satisfied":
            return (data or {}).get("rating") in SATISFIED
        return True


RULES: dict[str, Rule] = {
    r.counter: r
    for r in (
        Rule("reported", Action.REPORT),
        Rule("registered", Action.REGISTER),
        Rule("registered_on_time", Action.REGISTER, "on_time"),
        Rule("rejected", Action.REJECT),
        Rule("merged", Action.MERGE),
        Rule("me_too", Action.ME_TOO),
        Rule("dispatched", Action.DISPATCH),
        Rule("returned", Action.RETURN),
        Rule("handled", Action.FEEDBACK),
        Rule("handled_on_time", Action.FEEDBACK, "on_time"),
        Rule("reworked", Action.REWORK),
        Rule("closed", Action.CLOSE),
        Rule("closed_on_time", Action.CLOSE, "on_time"),
        Rule("rated", Action.RATE),
        Rule("satisfied", Action.RATE, "satisfied"),
        Rule("supervised", Action.SUPERVISE),
    )
}
assert tuple(RULES) == EVENT_COUNTERS
COUNTED_ACTIONS = frozenset(r.action for r in RULES.values())


def counters_of(action: str, on_time: bool | None, data: dict | None) -> list[str]:
    return [r.counter for r in RULES.values() if r.matches(action, on_time, data)]


def late_deadline_exists(case_ref: str = "pk") -> Exists:
    """A step of the case ended (or is) past its limit: the case is not closed on time."""
    return Exists(CaseDeadline.objects.filter(case=OuterRef(case_ref), on_time=False))


def by_grid_q() -> Q:
    """监督举报: reported by a grid member, through the grid channel or the app alike."""
    return Q(channel=Channel.GRID) | Q(
        Exists(User.objects.filter(pk=OuterRef("reporter_id"), role=Role.GRID_MEMBER))
    )


# --- the tables ----------------------------------------------------------------------------------

# (model, dimensions, grain) of every rollup table: grain "month" rows hold the sums of the month
# under day = the 1st
TABLES: tuple[tuple[type[FlowCounts], tuple[str, ...], str], ...] = tuple(
    (model, rollup.dims, grain) for rollup in ROLLUPS for model, grain in rollup.tables
)


def column(dim: str) -> str:
    return "channel" if dim == "channel" else f"{dim}_id"


def dims_key(values: Iterable) -> str:
    """The text key of a grouping set: "12||7|app" (empty = none); see FlowCounts.dims."""
    return "|".join("" if v is None else str(v) for v in values)


def local_day(moment) -> date:
    return timezone.localtime(moment).date()


# --- incremental ---------------------------------------------------------------------------------

Point = tuple  # (street, cell, department, category, channel)


class _Deltas:
    """Increments per (table, day, dims) gathered in Python, written with one upsert per table."""

    def __init__(self) -> None:
        self.rows: list[dict] = [defaultdict(lambda: defaultdict(int)) for _ in TABLES]

    def add(self, day: date, point: Point, counters: Iterable[str], sign: int = 1) -> None:
        values = dict(zip(DIMENSIONS, point, strict=True))
        for index, (_model, dims, grain) in enumerate(TABLES):
            key = (day if grain == "day" else day.replace(day=1), tuple(values[d] for d in dims))
            row = self.rows[index][key]
            for counter in counters:
                row[counter] += sign

    def write(self) -> int:
        written = 0
        for index, (model, dims, _grain) in enumerate(TABLES):
            rows = [(k, v) for k, v in self.rows[index].items() if any(v.values())]
            rows.sort(key=lambda kv: (kv[0][0], dims_key(kv[0][1])))  # one lock order for every worker
            for start in range(0, len(rows), 400):
                _upsert(model, dims, rows[start : start + 400])
            written += len(rows)
        return written


def _upsert(model: type[FlowCounts], dims: tuple[str, ...], rows: list) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ["day", "dims", *(column(d) for d in dims), *COUNTERS]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params: list = []
    for (day, values), counts in rows:
        params += [day, dims_key(values), *values, *(counts.get(c, 0) for c in COUNTERS)]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT (day, dims) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


ADVISORY_KEY = 0x5C1F17  # rebuild (exclusive) against apply_pending (shared), PostgreSQL only


def _advisory(shared: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [ADVISORY_KEY])


def _case_state(case_ids: list[int]) -> dict[int, dict]:
    rows = (
        Case.objects.filter(pk__in=case_ids)
        .annotate(
            late=late_deadline_exists(), grid=ExpressionWrapper(by_grid_q(), output_field=BooleanField())
        )
        .values(
            "pk",
            "street_id",
            "cell_id",
            "category_id",
            "channel",
            "department_id",
            "registered_at",
            "status",
            "late",
            "grid",
        )
    )
    return {r["pk"]: r for r in rows}


def cohort_of(state: dict) -> tuple | None:
    """(registered day, department, closed, closed on time, by grid) or None when not registered."""
    if state["registered_at"] is None:
        return None
    closed = state["status"] == CaseStatus.CLOSED
    return (
        local_day(state["registered_at"]),
        state["department_id"],
        closed,
        closed and not state["late"],
        bool(state["grid"]),
    )


def _cohort_counters(cohort: tuple) -> list[str]:
    _day, _dept, closed, on_time, grid = cohort
    return [
        "due_to_close",
        *(["closed_now"] if closed else []),
        *(["closed_on_time_now"] if on_time else []),
        *(["by_grid"] if grid else []),
    ]


def _tally_cohort(t: CaseTally) -> tuple | None:
    if t.registered_day is None:
        return None
    return (t.registered_day, t.department_id, t.closed, t.closed_on_time, t.by_grid)


def apply_pending(batch: int = 5000) -> int:
    """Count up to `batch` uncounted events into the rollups; returns how many were counted."""
    with transaction.atomic():
        _advisory(shared=True)
        ids = list(
            CaseEvent.objects.filter(counted=False)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return 0
        claimed = CaseEvent.objects.filter(id__in=ids, counted=False).update(counted=True)
        if claimed != len(ids):  # another worker got there first (SQLite): leave the batch to it
            transaction.set_rollback(True)
            return 0
        events = list(
            CaseEvent.objects.filter(id__in=ids)
            .order_by("id")
            .values_list("case_id", "action", "on_time", "department_id", "created_at", "data")
        )
        case_ids = sorted({e[0] for e in events})
        state = _case_state(case_ids)
        # A tally row per case, created with the case's current dimensions if it is new.
        CaseTally.objects.bulk_create(
            [
                CaseTally(
                    case_id=pk,
                    street_id=s["street_id"],
                    cell_id=s["cell_id"],
                    category_id=s["category_id"],
                    channel=s["channel"],
                )
                for pk, s in sorted(state.items())
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        tallies = {
            t.case_id: t
            for t in CaseTally.objects.filter(case_id__in=case_ids).order_by("case_id").select_for_update()
        }
        state = _case_state(case_ids)  # read again under the tally locks: the case as it is now
        deltas = _Deltas()
        changed = []
        moved: dict[int, tuple] = {}  # case → the dimensions its counted events are under
        for pk in case_ids:
            t, s = tallies[pk], state[pk]
            old_dims = (t.street_id, t.cell_id, t.category_id, t.channel)
            new_dims = (s["street_id"], s["cell_id"], s["category_id"], s["channel"])
            old_cohort, new_cohort = _tally_cohort(t), cohort_of(s)
            if old_dims != new_dims:
                moved[pk] = old_dims
            if old_dims != new_dims or old_cohort != new_cohort:
                if old_cohort is not None:
                    deltas.add(
                        old_cohort[0], _point(old_dims, old_cohort[1]), _cohort_counters(old_cohort), -1
                    )
                if new_cohort is not None:
                    deltas.add(new_cohort[0], _point(new_dims, new_cohort[1]), _cohort_counters(new_cohort))
                t.street_id, t.cell_id, t.category_id, t.channel = new_dims
                t.registered_day, t.department_id, t.closed, t.closed_on_time, t.by_grid = new_cohort or (
                    None,
                    None,
                    False,
                    False,
                    False,
                )
                changed.append(t)
        if moved:  # events counted earlier under the case's old dimensions go to the new ones
            earlier = (
                CaseEvent.objects.filter(case_id__in=list(moved), counted=True, action__in=COUNTED_ACTIONS)
                .exclude(id__in=ids)
                .values_list("case_id", "action", "on_time", "department_id", "created_at", "data")
            )
            for case_id, action, on_time, department_id, created_at, data in earlier:
                counters = counters_of(action, on_time, data)
                day = local_day(created_at)
                deltas.add(day, _point(moved[case_id], department_id), counters, -1)
                s = state[case_id]
                deltas.add(
                    day,
                    _point((s["street_id"], s["cell_id"], s["category_id"], s["channel"]), department_id),
                    counters,
                )
        for case_id, action, on_time, department_id, created_at, data in events:
            counters = counters_of(action, on_time, data)
            if counters:
                s = state[case_id]
                deltas.add(
                    local_day(created_at),
                    _point((s["street_id"], s["cell_id"], s["category_id"], s["channel"]), department_id),
                    counters,
                )
        deltas.write()
        if changed:
            CaseTally.objects.bulk_update(
                changed,
                [
                    "street_id",
                    "cell_id",
                    "category_id",
                    "channel",
                    "registered_day",
                    "department_id",
                    "closed",
                    "closed_on_time",
                    "by_grid",
                ],
                batch_size=500,
            )
    return len(ids)


def _point(dims: tuple, department_id: int | None) -> Point:
    street, cell, category, channel = dims
    return (street, cell, department_id, category, channel)


# --- rebuild -------------------------------------------------------------------------------------

FINE = "analytics_fine_tmp"


def _source(rollup: Rollup) -> Rollup | None:
    """The rollup a daily table is summed from in `rebuild`: the smallest one with more dimensions
    (the city from the channels, a street from the streets × departments …), None for the finest
    grouping sets (from the fine rows). A monthly table is summed from its daily twin."""
    return next((other for other in ROLLUPS if set(other.dims) > set(rollup.dims)), None)


@contextmanager
def _without_indexes(model: type[FlowCounts]):
    """On PostgreSQL, drop the secondary indexes while a table is filled and build them after
    (one sort per index instead of millions of index insertions)."""
    if connection.vendor != "postgresql" or not model._meta.indexes:
        yield
        return
    with connection.schema_editor(atomic=False) as editor:
        for index in model._meta.indexes:
            editor.remove_index(model, index)
    yield
    with connection.schema_editor(atomic=False) as editor:
        for index in model._meta.indexes:
            editor.add_index(model, index)


def _month_sql() -> str:
    """The first day of the month of the fine table's `day`, in this database's SQL."""
    if connection.vendor == "postgresql":
        return "CAST(date_trunc('month', day) AS date)"
    return "date(day, 'start of month')"


def _subquery_insert(table: str, columns: list[str], queryset) -> None:
    """INSERT INTO table (columns) SELECT k_<column> … FROM (the queryset's SQL)."""
    sql, params = queryset.query.sql_with_params()
    select = ", ".join(f"k_{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM ({sql}) sub", params)


def rebuild() -> dict[str, int]:
    """Recompute every rollup table and every tally from the events and cases, in SQL; mark the
    events counted. Events committed while it runs stay uncounted for the next `apply_pending`."""
    tz = timezone.get_current_timezone()
    q = connection.ops.quote_name
    with transaction.atomic():
        _advisory(shared=False)
        CaseEvent.objects.filter(counted=False).update(counted=True)
        for model, _dims, _grain in TABLES:
            model.objects.all().delete()
        CaseTally.objects.all().delete()
        # 1. tallies: the dimensions and the cohort of every case as it is now
        closed = Q(status=CaseStatus.CLOSED)
        tally_columns = [
            "case_id",
            "street_id",
            "cell_id",
            "category_id",
            "channel",
            "registered_day",
            "department_id",
            "closed",
            "closed_on_time",
            "by_grid",
        ]
        cases = Case.objects.order_by().values(
            k_case_id=F("id"),
            k_street_id=F("street_id"),
            k_cell_id=F("cell_id"),
            k_category_id=F("category_id"),
            k_channel=F("channel"),
            k_registered_day=TruncDate("registered_at", tzinfo=tz),
            k_department_id=F("department_id"),
            k_closed=ExpressionWrapper(closed, output_field=BooleanField()),
            k_closed_on_time=ExpressionWrapper(
                closed & ~Q(late_deadline_exists()), output_field=BooleanField()
            ),
            k_by_grid=ExpressionWrapper(by_grid_q(), output_field=BooleanField()),
        )
        _subquery_insert(q(CaseTally._meta.db_table), tally_columns, cases)
        # 2. the finest grain: events per day × street × cell × department × category × channel …
        fine_columns = ["day", "street_id", "cell_id", "department_id", "category_id", "channel", *COUNTERS]
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {FINE}")
        events = (
            CaseEvent.objects.filter(counted=True, action__in=COUNTED_ACTIONS)
            .order_by()
            .values(
                k_day=TruncDate("created_at", tzinfo=tz),
                k_street_id=F("case__tally__street_id"),
                k_cell_id=F("case__tally__cell_id"),
                k_department_id=F("department_id"),
                k_category_id=F("case__tally__category_id"),
                k_channel=F("case__tally__channel"),
            )
            .annotate(
                **{f"k_{c}": Count("id", filter=RULES[c].q()) for c in EVENT_COUNTERS},
                **{f"k_{c}": Value(0) for c in COHORT_COUNTERS},
            )
        )
        sql, params = events.query.sql_with_params()
        select = ", ".join(f"k_{c} AS {c}" for c in fine_columns)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {FINE} AS SELECT {select} FROM ({sql}) sub", params)
        # … and the registration cohorts from the tallies
        zero = ", ".join("0" for _ in EVENT_COUNTERS)
        true = "true" if connection.vendor == "postgresql" else "1"
        tally = q(CaseTally._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FINE} ({', '.join(fine_columns)}) "
                f"SELECT registered_day, street_id, cell_id, department_id, category_id, channel, {zero}, "
                f"COUNT(*), SUM(CASE WHEN closed = {true} THEN 1 ELSE 0 END), "
                f"SUM(CASE WHEN closed_on_time = {true} THEN 1 ELSE 0 END), "
                f"SUM(CASE WHEN by_grid = {true} THEN 1 ELSE 0 END) FROM {tally} "
                f"WHERE registered_day IS NOT NULL "
                f"GROUP BY registered_day, street_id, cell_id, department_id, category_id, channel"
            )
            # 3. the cubes from the fine rows, every other table from a finer rollup
            counts = {}
            # every daily table after the ones it is summed from (they have more dimensions), then the months
            daily = sorted(ROLLUPS, key=lambda rollup: -len(rollup.dims))
            steps = [(r.day, r.dims, "day", _source(r)) for r in daily] + [
                (r.month, r.dims, "month", r) for r in daily
            ]
            for model, dims, grain, source in steps:
                source_table = q(source.day._meta.db_table) if source else FINE
                cols = [column(d) for d in dims]
                key = " || '|' || ".join(f"COALESCE(CAST({c} AS TEXT), '')" for c in cols) or "''"
                sums = ", ".join(f"SUM({c})" for c in COUNTERS)
                day = "day" if grain == "day" else _month_sql()
                group = ", ".join([day, *cols])
                with _without_indexes(model):
                    cursor.execute(
                        f"INSERT INTO {q(model._meta.db_table)} (day, dims, {', '.join([*cols, *COUNTERS])}) "
                        f"SELECT {day}, {key}, {', '.join([*cols, sums])} FROM {source_table} GROUP BY {group} "
                        f"ORDER BY {group}"
                    )  # in key order: the unique index grows at its end
                    counts[model.__name__] = cursor.rowcount
            cursor.execute(f"DROP TABLE {FINE}")
            if (
                connection.vendor == "postgresql"
            ):  # statistics for the planner now, not when autovacuum comes by
                for model, _dims, _grain in TABLES:
                    cursor.execute(f"ANALYZE {q(model._meta.db_table)}")
    return counts
