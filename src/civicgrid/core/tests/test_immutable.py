"""The append-only machinery (core/immutable.py): which tables carry triggers, the permit, the flush.

What each table refuses is tested with its app (civicgrid.testing.assert_append_only on a row).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from civicgrid.core import immutable
from civicgrid.core.models import ImmutablePermit

PROTECTED = {
    "accounts.PersonalDataErasure",
    "audit.AccessEvent",
    "audit.ApiCall",
    "cases.CaseEvent",
    "cases.CaseSummaryEdit",
    "points.PointsEntry",
    "points.PointsRule",
    "replyquality.ReplyScore",
    "volunteers.SignupEvent",
    "evaluation.Observation",
}


def protected_models() -> list:
    return [m for m in apps.get_models() if isinstance(getattr(m, "IMMUTABLE", None), immutable.Columns)]


def installed_triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
            )
        return {name for (name,) in cursor.fetchall()}


def test_the_append_only_models_are_these():
    assert {m._meta.label for m in protected_models()} == PROTECTED


@pytest.mark.django_db
def test_every_append_only_table_has_its_triggers():
    # A migration that rebuilds a table on SQLite (AlterField, AddField…) drops its triggers:
    # it must end with immutable.protect() again.
    for model in protected_models():
        assert set(immutable.trigger_names(model)) <= installed_triggers(model._meta.db_table), model


def test_declared_columns_must_exist():
    model = protected_models()[0]
    with pytest.raises(ValueError, match="no field"):
        immutable._table(model, immutable.Columns(bookkeeping=("nonexistent",)))


@pytest.mark.django_db
def test_a_permit_lives_inside_its_transaction_only():
    with pytest.raises(ValueError):
        with transaction.atomic(), immutable.permit("everything"):
            pass
    with transaction.atomic():
        with immutable.permit(immutable.ERASURE):
            assert list(ImmutablePermit.objects.values_list("purpose", flat=True)) == [immutable.ERASURE]
        assert not ImmutablePermit.objects.exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        with immutable.permit(immutable.ERASURE):
            raise RuntimeError("the block fails")
    assert not ImmutablePermit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_permit_outside_a_transaction_is_refused():
    with pytest.raises(TransactionManagementError):
        with immutable.permit(immutable.ERASURE):
            pass
    assert not ImmutablePermit.objects.exists()


def test_the_flush_runs_under_a_permit_when_the_permit_table_is_there():
    q = connection.ops.quote_name
    assert immutable.flush_sql(["DELETE FROM a;"], ["a"], q) == ["DELETE FROM a;"]
    assert immutable.flush_sql([], [immutable.PERMIT_TABLE], q) == []
    wrapped = immutable.flush_sql(["DELETE FROM a;"], ["a", immutable.PERMIT_TABLE], q)
    assert wrapped[0].startswith("INSERT INTO") and "'flush'" in wrapped[0] and wrapped[1] == "DELETE FROM a;"
    assert wrapped[-1] == f"DELETE FROM {q(immutable.PERMIT_TABLE)};"
    # The backend's own flush leaves the permit table out of its statements and empties it last.
    statements = connection.ops.sql_flush(no_style(), ["cases_caseevent", immutable.PERMIT_TABLE])
    assert statements[0] == wrapped[0] and statements[-1] == wrapped[-1]
    assert sum(immutable.PERMIT_TABLE in s for s in statements) == 2
