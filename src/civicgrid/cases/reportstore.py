"""How a new report reaches the database: the intake's statements, behind four functions.

The rules of the intake (cases/intake.py) and of the loop (cases/workflow.py) decide what a
report writes; this module only writes it, fast:

- `report_write(rows)`: the case with its number, its events, its first deadline, the
  reporter's receipt and the rows its channel keeps beside it, as hand-built INSERTs (`core/rawsql.ModelInsert`: exactly the values the
  ORM binds, without compiling a query per row) — the same statements on both databases.
  `report_write_orm(rows)` writes the same rows through the ORM: the test oracle
  (cases/tests/test_reportstore.py compares the two row by row).
- `me_too_write(event, follower, sources)`: a me-too (附议) — the original's count (if it is still
  open), its follower and its ME_TOO event, in one statement on PostgreSQL; `me_too_write_orm` is its
  oracle. `case_lock(case)` locks and reads a case first where a rule needs more than its status.
- `duplicate_candidates(...)`: the open cases of a category in a box, from the partial index
  `case_near_idx`; its ORM twin is `cases.intake.nearby_open_cases` (a test compares them).
- `duplicate_box_lock(...)`: serializes reports that could be duplicates of each other, so that
  two reports of one problem arriving together make one case and one me-too.
- `next_case_number(day)`: YYYYMMDD + the day's 5-digit sequence (`case_number`).

Everything here runs inside the intake's transaction.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Model
from django.utils import timezone

from civicgrid.cases.models import Case, CaseCounter, CaseDeadline, CaseEvent, CaseFollower
from civicgrid.core.rawsql import ModelInsert, prepared_cursor
from civicgrid.notifications.models import Notification

METRES_PER_DEGREE = 111_320.0


@dataclass
class ReportRows:
    """What one report writes: the case (unsaved, without its number), its events (REPORT, and MERGE
    for a duplicate), the deadline of its first step (None for a duplicate), the receipt (回执) and
    the rows its channel keeps beside it (`beside`: an Open311 request's record).

    The receipt's title is completed with the case number once it is known; a receipt without a
    case (`case_id` None) is linked to the new case. A row beside is an unsaved instance whose `case`
    the new case fills, of a model without signal receivers (its INSERT is written by hand too).
    """

    case: Case
    events: list[CaseEvent]
    deadline: CaseDeadline | None
    receipt: Notification
    beside: list[Model] = field(default_factory=list)

    @property
    def children(self) -> list[Model]:
        return [*self.events, *([self.deadline] if self.deadline is not None else []), *self.beside]


def case_day(case: Case) -> str:
    """The local day (YYYYMMDD) a case was reported on: the first part of its number."""
    return timezone.localtime(case.created_at).strftime("%Y%m%d")


def next_case_number(day: str) -> str:
    """YYYYMMDD + 5-digit sequence of that (local) day, unique under concurrency.

    The counter row is locked by the UPDATE until the transaction commits, so two intakes can
    never read the same value (on SQLite the transaction holds the whole database anyway).
    """
    table = CaseCounter._meta.db_table
    with prepared_cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])  # noqa: S608
        row = cursor.fetchone()
        if row is None:  # the day's first case
            CaseCounter.objects.bulk_create([CaseCounter(day=day, last=0)], ignore_conflicts=True)
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])  # noqa: S608
            row = cursor.fetchone()
    return case_number(day, row[0])


def case_number(day: str, sequence: int) -> str:
    """The number of the day's `sequence`-th case: YYYYMMDD + 5 digits (more past 99 999)."""
    return f"{day}{sequence:05d}"


class _Inserts(dict):
    """The INSERT of each model the intake writes, made at its first use."""

    def __missing__(self, model: type[Model]) -> ModelInsert:
        self[model] = ModelInsert(model)
        return self[model]


@functools.cache
def _inserts() -> _Inserts:
    return _Inserts()


def report_write(rows: ReportRows) -> None:
    """Write the rows (inside the caller's transaction) and leave the objects as saved.

    SQLite, whose transaction already holds the whole database, runs one short statement per row.
    PostgreSQL gets one statement for all of them, sent last in the transaction so that the day's
    counter row, which every report locks, is held for the shortest time.
    """
    if connection.vendor == "postgresql":
        _write_one_statement(rows)
        return
    inserts = _inserts()
    case = rows.case
    case.number = next_case_number(case_day(case))
    with prepared_cursor() as cursor:
        cursor.execute(*inserts[Case].statement(case))
        ModelInsert.saved(case, cursor.fetchone()[0])
        for obj in rows.children:
            obj.case = case
            cursor.execute(*inserts[type(obj)].statement(obj))
            ModelInsert.saved(obj, cursor.fetchone()[0])
        _receipt_complete(rows)
        cursor.execute(*inserts[Notification].statement(rows.receipt))
        ModelInsert.saved(rows.receipt, cursor.fetchone()[0])


def _write_one_statement(rows: ReportRows) -> None:
    """`WITH n (the day's counter), c (the case, numbered from n), x0… (its events and deadline), r (the
    receipt) SELECT the ids` — every row after c points at it through the id the statement gives it."""
    inserts, case, receipt, day = _inserts(), rows.case, rows.receipt, case_day(rows.case)
    sql, params = inserts[Case].statement(
        case,
        source="n",
        returning=("number",),
        expressions={"number": ("%s || lpad(n.last::text, greatest(5, length(n.last::text)), '0')", [day])},
    )
    parts, params = [f"c AS ({sql})"], [day, *params]
    to_case = {"case_id": ("c.id", [])}
    receipt_links = {"title": ("%s || c.number", [receipt.title])}
    if receipt.case_id is None:
        receipt_links |= {**to_case, "link": ("%s || c.number || %s", ["/m/cases/", "/"])}
    children = [*rows.children, receipt]
    for i, obj in enumerate(children):
        sql, values = inserts[type(obj)].statement(
            obj, source="c", expressions=receipt_links if obj is receipt else to_case
        )
        parts.append(f"x{i} AS ({sql})")
        params += values
    counter = CaseCounter._meta.db_table
    statement = (
        f"WITH n (last) AS (UPDATE {counter} SET last = last + 1 WHERE day = %s RETURNING last), "  # noqa: S608
        + ", ".join(parts)
        + f" SELECT c.id, c.number, {', '.join(f'(SELECT id FROM x{i})' for i in range(len(children)))} FROM c"
    )
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
        if row is None:  # the day's first case: its counter row does not exist yet, so nothing was written
            CaseCounter.objects.bulk_create([CaseCounter(day=day, last=0)], ignore_conflicts=True)
            cursor.execute(statement, params)
            row = cursor.fetchone()
    case_id, case.number, *ids = row
    ModelInsert.saved(case, case_id)
    for obj, pk in zip(children, ids, strict=True):
        ModelInsert.saved(obj, pk)
    for obj in rows.children:
        obj.case = case
    _receipt_complete(rows)


def report_write_orm(rows: ReportRows) -> None:
    """The same rows through the ORM's save(): the oracle `report_write` is tested against."""
    case = rows.case
    case.number = next_case_number(case_day(case))
    case.save(force_insert=True)
    for obj in rows.children:
        obj.case = case
        obj.save(force_insert=True)
    _receipt_complete(rows)
    rows.receipt.save(force_insert=True)


def _receipt_complete(rows: ReportRows) -> None:
    case, receipt = rows.case, rows.receipt
    receipt.title = f"{receipt.title}{case.number}"
    if receipt.case_id is None:
        receipt.case_id, receipt.link = case.pk, f"/m/cases/{case.number}/"


# --- me-too (附议) ----------------------------------------------------------------------------------

LOCKED_FIELDS = ("status", "reporter_id", "me_too_count")


def case_lock(case: Case) -> None:
    """Lock the case's row until the transaction ends and read into `case` what a me-too needs
    (LOCKED_FIELDS, whatever `case` had loaded)."""
    t = connection.ops.quote_name
    lock = (
        " FOR UPDATE" if connection.vendor == "postgresql" else ""
    )  # SQLite: the transaction holds everything
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {t('status')}, {t('reporter_id')}, {t('me_too_count')} "  # noqa: S608
            f"FROM {t(Case._meta.db_table)} WHERE {t('id')} = %s{lock}",
            [case.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Case.DoesNotExist(f"case {case.pk}")
    for name, value in zip(LOCKED_FIELDS, row, strict=True):
        setattr(case, name, value)


def me_too_write(*, event: CaseEvent, follower: CaseFollower, sources: frozenset[str]) -> str | None:
    """One more report of `event.case` if its status is one of `sources`: its me_too_count + 1 (which
    locks its row until the transaction ends), `follower` (unless they follow it already) and the ME_TOO
    event, whose from/to status are the case's status as it is counted. Returns that status (and sets
    the case's count as written), or None, having written nothing, when the status is not one of
    `sources`."""
    inserts, t, case = _inserts(), connection.ops.quote_name, event.case
    statuses = sorted(sources)
    count = (
        f"UPDATE {t(Case._meta.db_table)} SET {t('me_too_count')} = {t('me_too_count')} + 1 "  # noqa: S608
        f"WHERE {t('id')} = %s AND {t('status')} IN ({', '.join(['%s'] * len(statuses))}) "
        f"RETURNING {t('id')}, {t('status')}, {t('me_too_count')}"
    )
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            follow_sql, follow_params = inserts[CaseFollower].statement(
                follower, source="u", expressions={"case_id": ("u.id", [])}, on_conflict_ignore=True
            )
            event_sql, event_params = inserts[CaseEvent].statement(
                event,
                source="u",
                expressions={
                    "case_id": ("u.id", []),
                    "from_status": ("u.status", []),
                    "to_status": ("u.status", []),
                },
            )
            cursor.execute(
                f"WITH u AS ({count}), f AS ({follow_sql}), e AS ({event_sql}) "
                f"SELECT u.status, u.me_too_count, (SELECT id FROM e) FROM u",
                [case.pk, *statuses, *follow_params, *event_params],
            )
            row = cursor.fetchone()
            if row is None:
                return None
            status, case.me_too_count, event_id = row
        else:
            cursor.execute(count, [case.pk, *statuses])
            row = cursor.fetchone()
            if row is None:
                return None
            _, status, case.me_too_count = row
            event.from_status = event.to_status = status
            cursor.execute(*inserts[CaseFollower].statement(follower, on_conflict_ignore=True))
            cursor.execute(*inserts[CaseEvent].statement(event))
            event_id = cursor.fetchone()[0]
    event.from_status = event.to_status = status
    ModelInsert.saved(event, event_id)
    return status


def me_too_write_orm(*, event: CaseEvent, follower: CaseFollower, sources: frozenset[str]) -> str | None:
    """The same rows through the ORM: the oracle `me_too_write` is tested against."""
    case = event.case
    row = (
        Case.objects.select_for_update().filter(pk=case.pk, status__in=sources).values_list("status").first()
    )
    if row is None:
        return None
    Case.objects.filter(pk=case.pk).update(me_too_count=F("me_too_count") + 1)
    CaseFollower.objects.bulk_create([follower], ignore_conflicts=True)
    event.from_status = event.to_status = row[0]
    case.me_too_count = Case.objects.values_list("me_too_count", flat=True).get(pk=case.pk)
    event.save(force_insert=True)
    return row[0]


# --- duplicates ---------------------------------------------------------------------------------------


def box_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of the square of ± radius_m around a point."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def duplicate_candidates(
    *, category_id: int, statuses: list[str], box: tuple[float, float, float, float], since
) -> list[tuple[int, float, float, str, str]]:
    """(id, lat, lon, number, status, me_too_count) of the first 200 cases of the category in the box created since
    `since`, in one of `statuses` and not themselves duplicates, oldest first."""
    min_lon, min_lat, max_lon, max_lat = box
    with prepared_cursor() as cursor:
        cursor.execute(
            _candidates_sql(len(statuses)),
            [
                category_id,
                *statuses,
                min_lon,
                max_lon,
                min_lat,
                max_lat,
                connection.ops.adapt_datetimefield_value(since),
            ],
        )
        return cursor.fetchall()


@functools.cache
def _candidates_sql(n_statuses: int) -> str:
    t = connection.ops.quote_name
    statuses = ", ".join(["%s"] * n_statuses)
    # SQLite without ANALYZE statistics would take case_dup_idx (category, created_at) and read every
    # case of the category from the last 72 h; the box on the partial case_near_idx reads a handful.
    hint = " INDEXED BY case_near_idx" if connection.vendor == "sqlite" else ""
    return (
        f"SELECT {t('id')}, {t('lat')}, {t('lon')}, {t('number')}, {t('status')}, {t('me_too_count')} "  # noqa: S608
        f"FROM {t(Case._meta.db_table)}{hint} "
        f"WHERE {t('category_id')} = %s AND {t('status')} IN ({statuses}) AND {t('duplicate_of_id')} IS NULL "
        f"AND {t('lon')} >= %s AND {t('lon')} <= %s AND {t('lat')} >= %s AND {t('lat')} <= %s "
        f"AND {t('created_at')} >= %s ORDER BY {t('created_at')} LIMIT 200"
    )


def duplicate_box_lock(*, category_id: int, lat: float, lon: float, radius_m: float) -> None:
    """Hold, until the transaction ends, every report whose duplicate box overlaps this one's.

    The city is cut into squares of 2 × radius; a report locks each square its box touches. When a
    later report would find an earlier one (the earlier point lies in the later one's box), both lock
    the earlier point's square (every box covers its own point's square), so the later waits until the
    earlier has committed, then finds it. PostgreSQL: transaction-level advisory locks, taken in one
    order (no deadlock). SQLite: nothing to do — the write transaction (BEGIN IMMEDIATE) already holds
    the whole database. A hash collision between two keys only makes two reports wait for each other.
    """
    if connection.vendor != "postgresql":
        return
    keys = duplicate_box_keys(category_id=category_id, lat=lat, lon=lon, radius_m=radius_m)
    with prepared_cursor() as cursor:
        # PostgreSQL evaluates a select list left to right: the locks are taken in ascending order.
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys)), keys)


def duplicate_box_keys(*, category_id: int, lat: float, lon: float, radius_m: float) -> list[int]:
    """The lock keys (signed 64-bit, ascending) of the squares the report's duplicate box touches."""
    side = 2 * radius_m / METRES_PER_DEGREE  # degrees; squares are taller than wide away from the equator
    min_lon, min_lat, max_lon, max_lat = box_around(lat, lon, radius_m)
    squares = [
        (x, y)
        for x in range(math.floor(min_lon / side), math.floor(max_lon / side) + 1)
        for y in range(math.floor(min_lat / side), math.floor(max_lat / side) + 1)
    ]
    return sorted(_lock_key(f"duplicate-box:{category_id}:{x}:{y}") for x, y in squares)


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
