"""Case events are append-only in the database (core/immutable.py): whatever writes, on both engines."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from civicgrid.analytics import rollups
from civicgrid.cases.choices import Action
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import move, submit
from civicgrid.core import immutable
from civicgrid.core.models import ImmutablePermit
from civicgrid.testing import assert_append_only

pytestmark = pytest.mark.django_db

EVENTS = CaseEvent._meta.db_table


@pytest.fixture
def event(routed_world, categories, monday):
    """The dispatch event of a registered case: an actor, a department, on time, a note, data."""
    w = routed_world
    case = submit(w.citizen, category=categories["06013"])
    case = move(case, Action.REGISTER, w.dispatcher)
    move(case, Action.DISPATCH, w.dispatcher, note="请尽快处置")
    return CaseEvent.objects.get(case=case, action=Action.DISPATCH)


def refused(match: str = "append-only"):
    return pytest.raises(IntegrityError, match=match)


def sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_every_column_but_the_rollups_mark_is_refused_a_change_and_the_row_its_deletion(event):
    assert event.actor_id and event.department_id and event.on_time is not None and event.note and event.data
    assert_append_only(event)


def test_orm_updates_and_deletes_are_refused(event):
    with refused(), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="改写")
    with refused(), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(action=Action.CLOSE)
    with refused(), transaction.atomic():
        CaseEvent.objects.filter(case=event.case).delete()  # bulk
    with refused(), transaction.atomic():
        event.delete()
    with refused(), transaction.atomic():
        CaseEvent.objects.all().delete()
    with pytest.raises(ValueError):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).note == "请尽快处置"
    assert CaseEvent.objects.filter(case=event.case).count() == 3


def test_a_case_with_its_history_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        event.case.delete()
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        # Below the ORM: the events' cascade is refused by their trigger.
        cursor.execute(f"DELETE FROM {EVENTS} WHERE case_id = %s", [event.case_id])
        cursor.execute(f"DELETE FROM {Case._meta.db_table} WHERE id = %s", [event.case_id])
    assert Case.objects.filter(pk=event.case_id).exists()


def test_raw_sql_is_refused(event):
    sql(
        f"UPDATE {EVENTS} SET created_at = created_at, note = note WHERE id = %s", [event.pk]
    )  # changes nothing
    with refused():
        sql(f"UPDATE {EVENTS} SET to_status = 'closed' WHERE id = %s", [event.pk])
    with refused():
        sql(f"DELETE FROM {EVENTS}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused(event):
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # no TRUNCATE while the rows written before await their checks
    with refused():
        sql(f"TRUNCATE {EVENTS} CASCADE")
    with refused():
        sql(f"TRUNCATE {Case._meta.db_table} CASCADE")  # takes the events with it
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_the_rollups_mark_still_changes(event):
    assert CaseEvent.objects.filter(counted=False).exists()
    assert rollups.apply_pending() == CaseEvent.objects.count()
    assert not CaseEvent.objects.filter(counted=False).exists()
    assert CaseEvent.objects.update(counted=False) == 3
    rollups.rebuild()
    assert not CaseEvent.objects.filter(counted=False).exists()


def test_an_erasure_permit_lets_the_note_be_masked_and_nothing_else(event):
    with transaction.atomic(), immutable.permit(immutable.ERASURE):
        assert CaseEvent.objects.filter(pk=event.pk).update(note="（已删除）") == 1
        with refused(), transaction.atomic():
            CaseEvent.objects.filter(pk=event.pk).update(actor=None)
        with refused(), transaction.atomic():
            CaseEvent.objects.filter(pk=event.pk).delete()
    assert CaseEvent.objects.get(pk=event.pk).note == "（已删除）"
    assert not ImmutablePermit.objects.exists()  # the permit ended with its block
    with refused("erasure"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="再改")


def test_flush_empties_the_tables_under_a_permit_and_leaves_none_behind(event):
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # as after a commit, when the test runner flushes
    call_command("flush", interactive=False, verbosity=0)
    assert not CaseEvent.objects.exists() and not Case.objects.exists()
    assert not ImmutablePermit.objects.exists()
