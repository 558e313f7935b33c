"""The bulk rows to the database, inside the caller's transaction: COPY on PostgreSQL (psycopg 3
`cursor.copy`), `executemany` on SQLite; ids handed out here, the case numbers' day counters, and
for big loads the secondary indexes dropped and built again after the rows are in."""

from __future__ import annotations

import json
import operator
from datetime import UTC, datetime

from django.db import connection, models
from django.db.models import Max

from civicgrid.cases.models import Case, CaseCounter, CaseDeadline, CaseEvent, CaseFollower, ExtensionRequest
from civicgrid.cases.reportstore import case_day, case_number

# The tables written, by the key of their ids.
MODELS = {
    "case": Case,
    "event": CaseEvent,
    "deadline": CaseDeadline,
    "extension": ExtensionRequest,
    "follower": CaseFollower,
}
BIG_LOAD = 100_000  # from this many cases on, the secondary indexes are built after the load


class Ids:
    """The next primary key of each table; rows are written with explicit ids."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class CaseNumbers:
    """Case numbers (`reportstore.case_number`) per local day, continuing each day's CaseCounter."""

    def __init__(self) -> None:
        self.last = dict(CaseCounter.objects.values_list("day", "last"))
        self.used: dict[str, int] = {}

    def __call__(self, case: Case) -> str:
        day = case_day(case)
        seq = self.used.get(day)
        seq = (self.last.get(day, 0) if seq is None else seq) + 1
        self.used[day] = seq
        return case_number(day, seq)

    def save(self) -> None:
        existing = CaseCounter.objects.in_bulk(list(self.used), field_name="day")
        changed = []
        for day, last in self.used.items():
            counter = existing.get(day)
            if counter is not None:
                counter.last = last
                changed.append(counter)
        CaseCounter.objects.bulk_update(changed, ["last"], batch_size=500)
        CaseCounter.objects.bulk_create(
            [CaseCounter(day=day, last=last) for day, last in self.used.items() if day not in existing],
            batch_size=500,
        )


def _sqlite_time(moment: datetime | None) -> str | None:
    """A moment as Django writes it to SQLite: str() of the naive UTC datetime."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return str(moment)[:-6]  # without "+00:00"


def _pk(related) -> int | None:
    return None if related is None else related.pk


def _sqlite_flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _sqlite_decimal(value) -> str | None:
    return None if value is None else str(value)


class Writer:
    """Rows of every concrete column to the table, from unsaved model objects (values by attname, with
    their ids) or from rows by field name: dicts (as `cases.workflow` gives an event's values, the
    missing fields at their defaults) and objects with the fields as attributes (simulate.Row)."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.texts: dict[tuple, str] = {}  # most events carry one of a few data objects: serialise each once

    def converters(self, fields, by_name: bool) -> list[tuple[int, object]]:
        """(position, converter) of the values that need one on this database."""
        out = []
        for i, f in enumerate(fields):
            if f.is_relation and by_name:
                out.append((i, _pk))
            elif isinstance(f, models.JSONField):
                out.append((i, self.json))
            elif self.vendor == "postgresql":
                continue  # psycopg writes datetimes, decimals, booleans and None (NULL) as they are
            elif isinstance(f, models.DateTimeField):
                out.append((i, _sqlite_time))
            elif isinstance(f, models.BooleanField):
                out.append((i, _sqlite_flag))
            elif isinstance(f, models.DecimalField):
                out.append((i, _sqlite_decimal))
        return out

    def json(self, data) -> str:
        if not data:
            return "{}"
        key = tuple(data.items())
        text = self.texts.get(key)
        if text is None:
            text = json.dumps(data)
            if len(self.texts) < 10_000:
                self.texts[key] = text
        return text

    def write(self, model, objects: list) -> None:
        if not objects:
            return
        fields = model._meta.concrete_fields
        by_name = not isinstance(objects[0], models.Model)
        values = operator.itemgetter(*[f.name if by_name else f.attname for f in fields])
        defaults = {f.name: f.get_default() for f in fields}
        converters = self.converters(fields, by_name)
        rows = []
        for obj in objects:
            row = list(values({**defaults, **obj} if type(obj) is dict else obj.__dict__))
            for i, convert in converters:
                row[i] = convert(row[i])
            rows.append(row)
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(fields))
                cursor.cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def start_ids() -> dict[str, int]:
    """The first free id of every table (past its sequence too on PostgreSQL)."""
    start = {}
    for key, model in MODELS.items():
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


def finish_sequences(ids: Ids) -> None:
    """Move the sequences past the ids written (PostgreSQL; SQLite's AUTOINCREMENT follows the largest id)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key, model in MODELS.items():
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                [model._meta.db_table, ids.next[key]],
            )


def lock_tables() -> None:
    """Hold off live intake while numbers and ids are handed out (PostgreSQL; SQLite locks on write)."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (CaseCounter, *MODELS.values())]
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")


def fast_load(count: int) -> list[str]:
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
            "AND NOT x.indisunique AND NOT x.indisprimary",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in indexes]


def _sqlite_drop_indexes() -> list[str]:
    """SQLite: the same for the secondary indexes (unique ones, written with the table, stay)."""
    tables = [m._meta.db_table for m in (Case, CaseEvent, CaseDeadline)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
            f"tbl_name IN ({', '.join('%s' for _ in tables)})",
            tables,
        )
        indexes = [
            (name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")
        ]
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in indexes]


def rebuild_indexes(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor != "postgresql":
            return
        for model in (Case, CaseEvent, CaseDeadline):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
