"""Rows read with a hand-written statement, turned into model instances exactly as the ORM would.

For the few statements on the path of every request (the bearer-token lookup) building the query
through the ORM costs more than running it. `ModelColumns` names a model's columns for a SELECT
and converts a fetched row with the same converters the ORM's compiler applies (time zones on
SQLite, decimals, JSON, booleans), so the instance is indistinguishable from one the ORM loaded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections, models
from django.db.models import Model

# Field types whose get_db_prep_save gives None for None (JSONField does not: it may store JSON null).
_NONE_AS_IS = {
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.DateTimeField,
    models.DateField,
    models.DecimalField,
    models.ForeignKey,
}


def _as_is_types(field) -> tuple[type, ...]:
    """The exact Python types whose values get_db_prep_save gives back unchanged, for this field on
    this database (str: subclasses too; datetime: time-zone aware ones)."""
    kind = type(field)
    if kind in (models.CharField, models.TextField):
        return (str,)  # to_python keeps a str as it is
    if kind is models.FloatField:
        return (float,)
    if kind is models.BooleanField:
        return (bool,)
    integer = isinstance(field, models.IntegerField) or (
        kind is models.ForeignKey and isinstance(field.target_field, models.IntegerField)
    )
    if integer and connection.vendor == "sqlite":
        return (int,)  # on PostgreSQL ints are wrapped in psycopg's typed ints
    if kind is models.DateTimeField and connection.vendor == "postgresql":
        return (datetime,)  # SQLite stores text
    return ()


def _plain_pre_save(field) -> bool:
    """Whether field.pre_save(obj, add=True) is just getattr(obj, field.attname)."""
    if isinstance(field, models.DateField):  # DateTimeField too: auto_now(_add) sets the time
        return not (field.auto_now or field.auto_now_add) and type(field).pre_save in (
            models.DateField.pre_save,
            models.DateTimeField.pre_save,
        )
    return type(field).pre_save is models.Field.pre_save


class ModelColumns:
    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        quote = connection.ops.quote_name
        self.sql = ", ".join(f"{quote(alias)}.{quote(f.column)}" for f in self.fields)
        self._cols = [f.get_col(alias) for f in self.fields]
        self._converters = [
            [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]
            for f, col in zip(self.fields, self._cols, strict=True)
        ]

    def __len__(self) -> int:
        return len(self.fields)

    def instance(self, values: Sequence) -> Model:
        out = []
        for value, converters, col in zip(values, self._converters, self._cols, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            out.append(value)
        return self.model.from_db(connection.alias, self.attnames, out)


class ModelLookup:
    """The rows of a model whose columns equal the values given (and whose `null` columns are NULL), as
    instances the ORM would load: `Model.objects.filter(a=…, b=…, c__isnull=True)`, written out once.

    For a read on the path of every request (a report's receipt preference, the classifier's look for
    the reporter's suggestion): compiling the filter through the ORM cost five times running it. The
    statement is prepared on PostgreSQL (`prepared_cursor`). Values are bound as given: pass what the
    column stores (an id, not an instance).
    """

    def __init__(self, model: type[Model], equal: Sequence[str], *, null: Sequence[str] = ()) -> None:
        meta = model._meta
        quote = connection.ops.quote_name
        self.columns = ModelColumns(model, "t")
        where = [f"t.{quote(meta.get_field(name).column)} = %s" for name in equal]
        where += [f"t.{quote(meta.get_field(name).column)} IS NULL" for name in null]
        self.sql = f"SELECT {self.columns.sql} FROM {quote(meta.db_table)} t WHERE {' AND '.join(where)}"  # noqa: S608

    def fetch(self, *values) -> list[Model]:
        with prepared_cursor() as cursor:
            cursor.execute(self.sql, values)
            rows = cursor.fetchall()
        return [self.columns.instance(row) for row in rows]


class ModelInsert:
    """An INSERT of one model instance written out by hand, with the values the ORM's compiler binds.

    Each column's value is `pre_save` then `get_db_prep_save`, as `SQLInsertCompiler` does, so the row
    stored is the row `obj.save(force_insert=True)` would store; on the path of every report,
    compiling the statement through the ORM cost more than running it. A column may be given as
    SQL instead (`expressions`), and the row may be selected `FROM` another part of the statement,
    which lets several rows that point at each other go to PostgreSQL as one statement.
    No pre_save/post_save signals are sent: use it only for models without receivers.
    """

    def __init__(self, model: type[Model]) -> None:
        meta = model._meta
        self.model = model
        self.fields = [f for f in meta.concrete_fields if f is not meta.auto_field and not f.generated]
        # Per column: (field, attname, pre_save is a plain read, None is bound as is, types bound as they are).
        # These shortcuts give exactly what get_db_prep_save gives for those fields and values (a
        # test compares every column with Django's insert compiler) at a fraction of the calls.
        self._plan = [
            (f, f.attname, _plain_pre_save(f), type(f) in _NONE_AS_IS, _as_is_types(f)) for f in self.fields
        ]
        # A typed NULL per column for the SELECT form; no length or precision in the type, so that
        # nothing is cut by the cast (the column checks those on assignment).
        self._null = {
            f.attname: f"NULL::{re.sub(r'[(].*[)]', '', f.cast_db_type(connection))}" for f in self.fields
        }
        quote = connection.ops.quote_name
        self.head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "
        self.quote = quote
        self.pk_column = quote(meta.pk.column)

    def statement(
        self,
        obj: Model,
        *,
        expressions: dict[str, tuple[str, list]] | None = None,
        source: str | None = None,
        returning: Sequence[str] = (),
        on_conflict_ignore: bool = False,
    ) -> tuple[str, list]:
        """(sql, params) of `INSERT … VALUES (…) RETURNING pk[, returning…]`, or `INSERT … SELECT … FROM source`.

        `expressions` maps an attname to (SQL, params) used instead of the instance's value,
        e.g. `{"case_id": ("c.id", [])}`. `on_conflict_ignore`: a row a unique index refuses is skipped
        (no row comes back).
        """
        expressions = expressions or {}
        db = connections[connection.alias]  # the connection itself: the proxy costs a lookup per use
        row, params = [], []
        for f, attname, plain_pre_save, none_as_is, as_is in self._plan:
            given = expressions.get(attname)
            if given is not None:
                row.append(given[0])
                params.extend(given[1])
                continue
            value = getattr(obj, attname) if plain_pre_save else f.pre_save(obj, True)
            kind = type(value)
            if not (
                (value is None and none_as_is) or kind in as_is or (str in as_is and isinstance(value, str))
            ) or (kind is datetime and value.tzinfo is None):
                value = f.get_db_prep_save(value, db)
            if source is not None and (
                value is None
                or value is True
                or value is False
                or (isinstance(value, int | str) and not value)
            ):
                row.append(self._literal(attname, value))
            else:
                row.append("%s")
                params.append(value)
        body = f"VALUES ({', '.join(row)})" if source is None else f"SELECT {', '.join(row)} FROM {source}"
        columns = ", ".join([self.pk_column, *(self.quote(c) for c in returning)])
        conflict = " ON CONFLICT DO NOTHING" if on_conflict_ignore else ""
        return f"{self.head}{body}{conflict} RETURNING {columns}", params

    def _literal(self, attname: str, value) -> str:
        """An empty value (NULL, false/true, 0, '') written into the SELECT form as SQL, not bound.

        PostgreSQL types a bound parameter of `INSERT … SELECT` from the value (psycopg sends
        ints, timestamps, decimals and JSON typed), except NULL, which would be text: a typed NULL
        goes in the statement instead. The other empty values go in too, which keeps the statement
        under psycopg's limit of 50 parameters for a statement it converts once and caches.
        """
        if value is None:
            return self._null[attname]
        if isinstance(value, bool):
            return "true" if value else "false"
        return "0" if isinstance(value, int) else "''"

    def position(self, attname: str) -> int:
        """Where a column's value is in `statement(obj)`'s params (given no expressions)."""
        return [f.attname for f in self.fields].index(attname)

    @staticmethod
    def saved(obj: Model, pk) -> Model:
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        return obj


@contextmanager
def prepared_cursor():
    """A cursor for the few statements on the path of every request, which PostgreSQL plans once.

    On PostgreSQL each statement is bound server-side and prepared on its connection the first time
    (then only executed: planning the intake's statements cost more of the database's CPU than
    running them). Django's own cursors bind on the client and never prepare; this one is wrapped
    like them (errors translated, queries logged and seen by execute wrappers). It needs the
    connection's `prepare_threshold` OPTION (settings.py), and a server connection that keeps its
    sessions: not a transaction-pooling proxy. On SQLite, which caches its statements itself,
    it is Django's cursor.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs a lookup per use
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = _preparing_cursor_class()(db.connection)
    with db._prepare_cursor(raw) as cursor:
        yield cursor


def fetchone_checking_connection(sql: str, params: Sequence):
    """A read-only statement that, as a request's first use of its persistent connection, is also
    the connection's health check (CONN_HEALTH_CHECKS).

    Django checks a reused connection with a `SELECT 1` round trip before the request's first query.
    Here the first query is the check: if it fails and the connection is found unusable, it is closed
    and the statement runs again on a new one, so a server restart costs no request, as with
    Django's check, without the extra round trip on every request. (Bearer-token lookup: the first
    statement of every API request.)
    """
    check = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and connection.get_autocommit()
    )
    if check:
        connection.health_check_done = True  # this statement is the check: no SELECT 1 before it
        try:
            with prepared_cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except (OperationalError, InterfaceError):
            if connection.is_usable():
                raise
            connection.close()
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            result = super().execute(query, params, prepare=True, binary=binary)
            # What Django's query log shows (it reads `_query.query`, which a server-side bound
            # statement does not keep): the statement with its values, written out only if read.
            self._query = _StatementText(self.connection, query, params)
            return result

    return PreparingCursor


class _StatementText:
    def __init__(self, conn, query, params) -> None:
        self._conn, self._query, self._params = conn, query, params

    @functools.cached_property
    def query(self) -> bytes:
        import psycopg

        return psycopg.ClientCursor(self._conn).mogrify(self._query, self._params).encode()
