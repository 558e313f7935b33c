"""Append-only tables (只增不改): the database itself refuses to delete a row or to change what it records.

A case's history (cases.CaseEvent), the points ledger (points.PointsEntry) with the rule versions its
amounts cite (points.PointsRule), the record of each erasure of personal data
(accounts.PersonalDataErasure), the reply-quality score of each feedback (replyquality.ReplyScore),
the access audit (audit.AccessEvent, with django-auditlog's
model-change log auditlog.LogEntry) and the log of API calls (audit.ApiCall) are written once. Their models refuse to save an existing row, but
`QuerySet.update()`, `QuerySet.delete()` and raw SQL go round the models; so each of these tables
carries triggers, installed by `protect()` in a migration, on both engines:

- DELETE is refused (on PostgreSQL TRUNCATE too), and with it the deletion of a case (its events);
- an UPDATE that changes a *fact* is refused. The facts are every concrete column of the model
  except the ones the model declares otherwise (`Columns`), so a column added later is a fact
  unless it is declared:
  - bookkeeping columns may change freely (CaseEvent.counted: the rollups' mark, set by
    analytics.rollups.apply_pending);
  - maskable columns (free text that can carry personal data, e.g. an event's note) change only
    under an erasure permit (below);
  an UPDATE that leaves every fact as it was (setting `counted`, say) passes.

A refusal is an IntegrityError whose message starts with "只增不改 append-only" and names the table
(SQLite: RAISE(ABORT); PostgreSQL: SQLSTATE 23001 restrict_violation).

The deliberate paths go through the permit table (core.models.ImmutablePermit). `permit(purpose)`
inserts a row and deletes it again inside the caller's transaction, so no other transaction ever
sees it (PostgreSQL shows uncommitted rows to no one else; SQLite has one writer at a time):

- ERASURE: masking a person's personal data (accounts.services.personal_data_erase; 个人信息删除,
  PIPL art. 47): maskable columns may be overwritten; facts still may not change and no row is
  deleted — the history keeps who, when and what, without the person's words;
- FLUSH: emptying the whole database (Django's `flush`, which the test runner uses between
  transactional tests), from the project's database backends (core/sqlite, core/postgresql);
- RETENTION: deleting the rows of a table kept for a limited time (the access audit, per
  CIVICGRID_AUDIT_RETENTION_DAYS: audit.services.audit_purge_expired) once they are older than the
  retention period. Only a table declared `expires` accepts it, and only for DELETE.

The triggers stop the application and a careless statement, not someone who may change the schema:
whoever may drop a trigger may as well insert a permit. Only the functions above do.

Keeping them current: a model declares its non-fact columns in a class attribute
`IMMUTABLE = Columns(bookkeeping=…, maskable=…, expires=…)`, and a migration calls
`protect(app_label, model_name, …)` with the same lists (a migration sees the model as it was, not
its class attributes). The triggers name the columns, so a migration that adds, removes or renames
a column of a protected table — or rebuilds the table, which on SQLite drops its triggers — ends
with `protect(…)` again. `civicgrid.testing.assert_append_only` (every column of a row, in each app's
tests) and core/tests/test_immutable.py fail until it does. Reversing a `protect()` removes the
triggers (so reversing one that renewed them leaves the table unprotected until migrated forward).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, migrations, transaction
from django.db.transaction import TransactionManagementError

PERMIT_TABLE = "core_immutablepermit"
ERASURE = "erasure"
FLUSH = "flush"
RETENTION = "retention"
PURPOSES = (ERASURE, FLUSH, RETENTION)
REFUSED = "只增不改 append-only"


@dataclass(frozen=True)
class Columns:
    """The columns of an append-only model that are not facts (field names)."""

    bookkeeping: tuple[str, ...] = ()
    maskable: tuple[str, ...] = ()
    # Rows may be deleted under a RETENTION permit (a table kept for a limited time).
    expires: bool = False


@dataclass(frozen=True)
class _Table:
    name: str
    facts: tuple[str, ...]
    maskable: tuple[str, ...]
    expires: bool = False


def _table(model, columns: Columns) -> _Table:
    names = {f.name: f.column for f in model._meta.concrete_fields}
    declared = set(columns.bookkeeping) | set(columns.maskable)
    if declared - set(names):
        raise ValueError(f"{model.__name__} has no field {sorted(declared - set(names))}")
    facts = tuple(c for n, c in names.items() if n not in declared)
    return _Table(model._meta.db_table, facts, tuple(names[n] for n in columns.maskable), columns.expires)


def _permit_missing(purpose: str, q) -> str:
    return f"NOT EXISTS (SELECT 1 FROM {q(PERMIT_TABLE)} WHERE {q('purpose')} = '{purpose}')"


def _delete_refused(t: _Table, q) -> str:
    """The condition under which a DELETE is refused: no FLUSH permit (nor RETENTION, if the rows expire)."""
    refused = _permit_missing(FLUSH, q)
    return f"{refused} AND {_permit_missing(RETENTION, q)}" if t.expires else refused


def _messages(table: str) -> dict[str, str]:
    return {
        "update": f"{REFUSED}: {table} — a recorded fact cannot change (UPDATE refused)",
        "mask": f"{REFUSED}: {table} — free text is overwritten only by an erasure of personal data "
        f"(UPDATE refused)",
        "delete": f"{REFUSED}: {table} — rows are never deleted",
    }


def _names(table: str) -> dict[str, str]:
    return {what: f"{table}_refuse_{what}" for what in ("update", "mask", "delete", "truncate")}


def _list(columns: tuple[str, ...], q) -> str:
    return ", ".join(q(c) for c in columns)


def _remove_sql(vendor: str, table: str, q) -> list[str]:
    names = _names(table)
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {q(names[what])}" for what in ("update", "mask", "delete")]
    return [
        *(
            f"DROP TRIGGER IF EXISTS {q(names[what])} ON {q(table)}"
            for what in ("update", "delete", "truncate")
        ),
        f"DROP FUNCTION IF EXISTS {q(table + '_append_only')}()",
    ]


def _install_sql(vendor: str, t: _Table, q) -> list[str]:
    names, say = _names(t.name), _messages(t.name)
    if vendor == "sqlite":
        # UPDATE OF: an UPDATE that sets none of the columns (only `counted`, say) does not even look.
        changed = " OR ".join(f"OLD.{q(c)} IS NOT NEW.{q(c)}" for c in t.facts)
        sql = [
            f"CREATE TRIGGER {q(names['update'])} BEFORE UPDATE OF {_list(t.facts, q)} ON {q(t.name)} "
            f"FOR EACH ROW WHEN {changed} BEGIN SELECT RAISE(ABORT, '{say['update']}'); END"
        ]
        if t.maskable:
            masked = " OR ".join(f"OLD.{q(c)} IS NOT NEW.{q(c)}" for c in t.maskable)
            sql.append(
                f"CREATE TRIGGER {q(names['mask'])} BEFORE UPDATE OF {_list(t.maskable, q)} ON {q(t.name)} "
                f"FOR EACH ROW WHEN ({masked}) AND {_permit_missing(ERASURE, q)} "
                f"BEGIN SELECT RAISE(ABORT, '{say['mask']}'); END"
            )
        sql.append(
            f"CREATE TRIGGER {q(names['delete'])} BEFORE DELETE ON {q(t.name)} FOR EACH ROW "
            f"WHEN {_delete_refused(t, q)} BEGIN SELECT RAISE(ABORT, '{say['delete']}'); END"
        )
        return sql
    if vendor != "postgresql":
        raise NotImplementedError(f"append-only triggers for {vendor}")

    def row(prefix: str, cols: tuple[str, ...]) -> str:
        return f"ROW({', '.join(f'{prefix}.{q(c)}' for c in cols)})"

    function = q(t.name + "_append_only")
    refuse = "RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = "
    mask = (
        f"    IF {_permit_missing(ERASURE, q)} THEN\n      {refuse}'{say['mask']}';\n    END IF;\n"
        if t.maskable
        else ""
    )
    # An UPDATE that sets none of the watched columns, or leaves them as they were, does not call the function.
    body = (
        f"BEGIN\n"
        f"  IF TG_OP = 'UPDATE' THEN\n"
        f"    IF {row('OLD', t.facts)} IS DISTINCT FROM {row('NEW', t.facts)} THEN\n"
        f"      {refuse}'{say['update']}';\n"
        f"    END IF;\n{mask}"
        f"    RETURN NEW;\n"
        f"  END IF;\n"
        f"  IF (TG_OP = 'TRUNCATE' AND {_permit_missing(FLUSH, q)})\n"
        f"     OR (TG_OP = 'DELETE' AND {_delete_refused(t, q)}) THEN\n"
        f"    {refuse}'{say['delete']} (' || TG_OP || ' refused)';\n"
        f"  END IF;\n"
        f"  RETURN OLD;\n"
        f"END"
    )
    watched = t.facts + t.maskable
    return [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$\n{body}\n$body$",
        f"CREATE TRIGGER {q(names['update'])} BEFORE UPDATE OF {_list(watched, q)} ON {q(t.name)} FOR EACH ROW "
        f"WHEN ({row('OLD', watched)} IS DISTINCT FROM {row('NEW', watched)}) EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {q(names['delete'])} BEFORE DELETE ON {q(t.name)} FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {q(names['truncate'])} BEFORE TRUNCATE ON {q(t.name)} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {function}()",
    ]


def install(schema_editor, model, columns: Columns) -> None:
    """(Re)create the triggers of `model`'s table for its columns as they are now."""
    vendor, q = schema_editor.connection.vendor, schema_editor.quote_name
    table = _table(model, columns)
    for sql in [*_remove_sql(vendor, table.name, q), *_install_sql(vendor, table, q)]:
        schema_editor.execute(sql)


def remove(schema_editor, model) -> None:
    for sql in _remove_sql(schema_editor.connection.vendor, model._meta.db_table, schema_editor.quote_name):
        schema_editor.execute(sql)


def protect(
    app_label: str,
    model_name: str,
    *,
    bookkeeping: tuple[str, ...] = (),
    maskable: tuple[str, ...] = (),
    expires: bool = False,
) -> migrations.RunPython:
    """The migration operation that installs (or renews) the triggers of one model's table."""
    columns = Columns(tuple(bookkeeping), tuple(maskable), expires)

    def forwards(apps, schema_editor):
        install(schema_editor, apps.get_model(app_label, model_name), columns)

    def backwards(apps, schema_editor):
        remove(schema_editor, apps.get_model(app_label, model_name))

    return migrations.RunPython(forwards, backwards)


def trigger_names(model) -> list[str]:
    """The triggers `protect()` gives the model's table on the current database (for the tests)."""
    names, columns = _names(model._meta.db_table), model.IMMUTABLE
    if connection.vendor == "sqlite":
        return sorted(names[w] for w in ("update", "delete", *(("mask",) if columns.maskable else ())))
    return sorted(names[w] for w in ("update", "delete", "truncate"))


@contextmanager
def permit(purpose: str):
    """Open one of the deliberate paths through the triggers for the rest of this block.

    The permit is a row that exists only inside the caller's transaction: it is deleted at the end
    of the block, and rolled back with the block if it fails.
    """
    from civicgrid.core.models import ImmutablePermit

    if purpose not in PURPOSES:
        raise ValueError(f"unknown permit {purpose!r}")
    if not connection.in_atomic_block:
        raise TransactionManagementError("a permit lives inside the transaction that uses it")
    with transaction.atomic():
        row = ImmutablePermit.objects.create(purpose=purpose)
        yield
        ImmutablePermit.objects.filter(pk=row.pk).delete()


def flush_sql(sql: list[str], tables: list[str], quote_name) -> list[str]:
    """Django's flush statements, run under a FLUSH permit when the permit table is among the tables.

    The backends (core/sqlite, core/postgresql) leave the permit table out of `sql` and empty it
    last, so the permit holds for every statement before.
    """
    if not sql or PERMIT_TABLE not in tables:
        return sql
    table = quote_name(PERMIT_TABLE)
    return [
        f"INSERT INTO {table} ({quote_name('purpose')}) VALUES ('{FLUSH}');",
        *sql,
        f"DELETE FROM {table};",
    ]
