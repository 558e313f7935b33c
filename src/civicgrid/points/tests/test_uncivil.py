"""Deductions for uncivil behaviour, appeals within the window, and the public display (晾晒)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from civicgrid.cases.photos import process_photo
from civicgrid.cases.tests.helpers import NORTH_2, OUTSIDE, jpeg_bytes, local
from civicgrid.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from civicgrid.notifications.models import Notification
from civicgrid.points.choices import AppealStatus, UncivilBehaviour, UncivilStatus
from civicgrid.points.models import PointsEntry, UncivilRecord
from civicgrid.points.selectors import balance_of, public_display
from civicgrid.points.services import appeal_create, appeal_decide, uncivil_confirm_due, uncivil_record_create
from civicgrid.points.tests.helpers import assert_cache_is_sum, second_inspector

pytestmark = pytest.mark.django_db

T0 = local(2026, 5, 11, 10)


def record(w, **extra):
    args = {
        "inspector": w.inspector,
        "person": w.citizen,
        "behaviour": UncivilBehaviour.LITTERING,
        "lat": NORTH_2[0],
        "lon": NORTH_2[1],
        "address": "康巴什区青春山路口",
        "note": "随手丢弃饮料瓶",
        "photos": [process_photo(jpeg_bytes(gps=True))],
    }
    args.update(extra)
    return uncivil_record_create(**args)


def test_an_inspector_records_with_evidence_and_the_person_is_told(world, settings):
    settings.CIVICGRID_APPEAL_WINDOW_DAYS = 3
    with time_machine.travel(T0, tick=False):
        rec = record(world)
    assert rec.status == UncivilStatus.RECORDED
    assert rec.appeal_deadline == T0 + timedelta(days=3)
    assert rec.community == world.north and rec.photos.count() == 1
    assert rec.entry.delta == -10 and rec.entry.source_key == f"uncivil:{rec.pk}"
    assert balance_of(world.citizen) == -10
    note = Notification.objects.get(recipient=world.citizen, kind="points_deduction")
    assert "乱扔垃圾" in note.title and f"/m/points/uncivil/{rec.pk}/appeal/" == note.link


def test_only_inspectors_record_and_bad_input_changes_nothing(world):
    with pytest.raises(PermissionDenied) as err:
        record(world, inspector=world.dispatcher)
    assert err.value.status == 403
    with pytest.raises(DomainError):
        record(world, behaviour="murder")
    with pytest.raises(DomainError):
        record(world, lat=OUTSIDE[0], lon=OUTSIDE[1])
    assert not UncivilRecord.objects.exists() and not PointsEntry.objects.exists()


def test_appeal_upheld_reverses_and_is_never_displayed(world):
    other = second_inspector()
    with time_machine.travel(T0):
        rec = record(world)
    with time_machine.travel(T0 + timedelta(days=1)):
        appeal = appeal_create(record=rec, person=world.citizen, reason="当时是在捡垃圾，不是扔")
        with pytest.raises(PermissionDenied) as err:
            appeal_decide(appeal=appeal, reviewer=world.inspector, upheld=True)  # the recorder
        assert err.value.code == "reviewer_is_recorder"
        with pytest.raises(PermissionDenied):
            appeal_decide(appeal=appeal, reviewer=world.dispatcher, upheld=True)  # not an inspector
        decided = appeal_decide(appeal=appeal, reviewer=other, upheld=True, note="视频显示在捡拾")
    assert decided.status == AppealStatus.UPHELD
    rec.refresh_from_db()
    assert rec.status == UncivilStatus.WITHDRAWN
    assert balance_of(world.citizen) == 0
    assert PointsEntry.objects.get(reverses=rec.entry).delta == 10
    assert_cache_is_sum(world.citizen)
    with time_machine.travel(T0 + timedelta(days=30)):
        uncivil_confirm_due()
        assert public_display() == []
        body = Client().get("/m/points/display/").content.decode()
    assert "王*" not in body and "康巴什区青春山路口" not in body
    with pytest.raises(Conflict):
        appeal_decide(appeal=appeal, reviewer=other, upheld=False)


def test_appeal_rejected_confirms_and_shows_after_the_window(world):
    other = second_inspector()
    with time_machine.travel(T0):
        rec = record(world)
        appeal = appeal_create(record=rec, person=world.citizen, reason="不服")
        appeal_decide(appeal=appeal, reviewer=other, upheld=False, note="证据充分")
        rec.refresh_from_db()
        assert rec.status == UncivilStatus.CONFIRMED
        assert public_display() == []  # the window has not passed yet
    with time_machine.travel(T0 + timedelta(days=8)):
        assert [r["id"] for r in public_display()] == [rec.pk]
    assert balance_of(world.citizen) == -10


def test_after_the_window_the_display_shows_a_masked_name_and_no_phone(world):
    with time_machine.travel(T0):
        rec = record(world)
        assert public_display() == []
    with time_machine.travel(T0 + timedelta(days=7, seconds=1)):
        with pytest.raises(Conflict) as err:
            appeal_create(record=rec, person=world.citizen, reason="晚了")
        assert err.value.code == "appeal_window_closed"
        assert uncivil_confirm_due() == 1
        rows = public_display()
        body = Client().get("/m/points/display/").content.decode()
    assert rows[0]["name"] == "王*" and rows[0]["behaviour"] == "乱扔垃圾"
    assert "王*" in body and "乱扔垃圾" in body
    for text in (body, str(rows)):
        assert "王芳" not in text and world.citizen.phone not in text and "5678" not in text
        assert "0001" not in text  # not even the masked tail of the phone


def test_only_the_person_appeals_once_with_a_reason(world):
    with time_machine.travel(T0):
        rec = record(world)
        with pytest.raises(NotFound):
            appeal_create(record=rec, person=world.leader, reason="代申诉")
        with pytest.raises(DomainError):
            appeal_create(record=rec, person=world.citizen, reason="  ")
        appeal_create(record=rec, person=world.citizen, reason="不服")
        with pytest.raises(Conflict):
            appeal_create(record=rec, person=world.citizen, reason="再次申诉")
