"""The audit is append-only in the database, expires after the retention period, and is masked by an erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from civicgrid.accounts.services import personal_data_erase
from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.audit.services import access_record
from civicgrid.core import clock, immutable, periodic
from civicgrid.core.masking import ERASED
from civicgrid.testing import assert_append_only

pytestmark = pytest.mark.django_db


def full_entry(world) -> AccessEvent:
    return access_record(
        kind=AccessKind.PERSONAL_DATA,
        actor=world.dispatcher,
        request=RequestFactory().get("/"),  # every column with a value (REMOTE_ADDR 127.0.0.1)
        subject=world.citizen,
        target="case:2026120100001",
        reason="回访",
        credential="13900000001",
        detail={"fields": ["contact_phone"]},
    )


def test_access_records_are_append_only(world):
    entry = full_entry(world)
    assert_append_only(entry)  # every column, by raw SQL, and DELETE
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(pk=entry.pk).update(reason="改写")


def test_model_change_log_is_append_only(world):
    world.citizen.real_name = "王小芳"
    world.citizen.save()
    entry = LogEntry.objects.get_for_object(world.citizen).latest("pk")
    q = connection.ops.quote_name
    for sql in (
        f"UPDATE {q('auditlog_logentry')} SET {q('changes_text')} = 'x' WHERE id = %s",
        f"UPDATE {q('auditlog_logentry')} SET {q('object_repr')} = 'x' WHERE id = %s",
        f"DELETE FROM {q('auditlog_logentry')} WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(sql, [entry.pk])
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_periodic_task_purges_what_is_older_than_the_retention_period(world, settings, time_machine):
    settings.CIVICGRID_AUDIT_RETENTION_DAYS = 200
    now = clock.now()
    time_machine.move_to(now - timedelta(days=250))
    old = full_entry(world)
    world.citizen.real_name = "王老芳"
    world.citizen.save()  # an old model change
    old_change = LogEntry.objects.get_for_object(world.citizen).latest("pk")
    time_machine.move_to(now - timedelta(days=150))
    kept = full_entry(world)
    world.citizen.real_name = "王新芳"
    world.citizen.save()
    kept_change = LogEntry.objects.get_for_object(world.citizen).latest("pk")
    time_machine.move_to(now)

    purge = periodic.registered()["audit.purge_expired"]
    assert purge() == {"audit.AccessEvent": 1, "auditlog.LogEntry": 1}
    assert not AccessEvent.objects.filter(pk=old.pk).exists()
    assert not LogEntry.objects.filter(pk=old_change.pk).exists()
    assert (
        AccessEvent.objects.filter(pk=kept.pk).exists()
        and LogEntry.objects.filter(pk=kept_change.pk).exists()
    )
    assert purge() == {
        "audit.AccessEvent": 0,
        "auditlog.LogEntry": 0,
    }  # idempotent, cheap when nothing is due


def test_a_retention_permit_deletes_but_never_rewrites(world):
    entry = full_entry(world)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with immutable.permit(immutable.RETENTION):
            AccessEvent.objects.filter(pk=entry.pk).update(reason="改写")
    # Other append-only tables do not take it: a case event stays.
    from civicgrid.cases.models import CaseEvent
    from civicgrid.cases.tests.helpers import NORTH_1, submit

    submit(world.citizen, NORTH_1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with immutable.permit(immutable.RETENTION):
            CaseEvent.objects.all().delete()


def test_an_erasure_masks_the_phone_typed_at_failed_logins(client, world):
    phone = world.citizen.phone
    client.post("/accounts/login/", {"username": phone, "password": "wrong-password"})
    failed = AccessEvent.objects.get(kind=AccessKind.LOGIN_FAILED)
    assert failed.credential == phone
    erasure = personal_data_erase(person=world.citizen, actor=world.admin, reason="本人申请")
    failed.refresh_from_db()
    assert failed.credential == ERASED and failed.subject_id == world.citizen.pk
    assert erasure.masked["audit.AccessEvent.credential"] == 1
