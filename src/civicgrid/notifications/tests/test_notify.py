"""notify(): a row in the caller's transaction, default channels, in-app only, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from civicgrid.core import clock
from civicgrid.notifications.choices import DeliveryStatus, NotificationKind
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notify


def _notify(world, **overrides):
    fields = dict(
        recipient=world.roads_handler,
        kind=NotificationKind.CASE_DISPATCHED,
        title="案件 A-0042 已派遣至住建局市政科",
        body="雨水井盖缺失，请 2 个工作小时内处置。",
        case_id=42,
        link="/cases/42/",
    )
    fields.update(overrides)
    return notify(**fields)


def test_a_notification_is_queued_for_the_configured_senders(world, settings):
    settings.CIVICGRID_NOTIFICATION_SENDERS = [
        "civicgrid.notifications.senders.LogSender",
        "civicgrid.notifications.senders.SmsSender",
    ]
    moment = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    with clock.at(moment):
        n = _notify(world)
    n.refresh_from_db()
    assert n.recipient == world.roads_handler
    assert n.kind == "case_dispatched"
    assert n.case_id == 42 and n.link == "/cases/42/"
    assert n.channels == ["log", "sms"]
    assert n.created_at == moment and n.next_attempt_at == moment
    assert n.processed_at is None and n.attempts == 0 and n.read_at is None
    assert n.delivery_status == DeliveryStatus.PENDING


def test_in_app_only_is_processed_at_once(world):
    n = _notify(world, channels=[])
    assert n.processed_at is not None
    assert n.delivery_status == DeliveryStatus.SENT


def test_a_department_message_has_no_recipient(world):
    n = notify(recipient=None, kind="case_supervised", title="督办：A-0042", body="", channels=["log"])
    assert n.recipient is None
    assert Notification.objects.for_user(world.roads_handler).count() == 0


def test_kind_is_free_text_for_later_apps(world):
    n = _notify(world, kind="points_awarded")
    n.refresh_from_db()
    assert n.kind == "points_awarded"


def test_a_long_title_is_shortened_not_refused(world):
    n = _notify(world, title="长" * 250)
    assert len(n.title) == 200 and n.title.endswith("…")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_notification(world):
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        _notify(world, dedupe_key="dispatch:42:1")
        assert Notification.objects.count() == 1
        raise Refused
    assert Notification.objects.count() == 0
    # …and the dedupe key is free again.
    assert _notify(world, dedupe_key="dispatch:42:1") is not None


def test_the_same_dedupe_key_is_queued_once(world):
    first = _notify(world, dedupe_key="overdue:42:3")
    assert first is not None
    assert _notify(world, dedupe_key="overdue:42:3") is None
    assert _notify(world, dedupe_key="overdue:42:4") is not None
    assert Notification.objects.filter(dedupe_key="overdue:42:3").count() == 1
    # Without a key nothing is deduplicated.
    assert _notify(world) is not None and _notify(world) is not None


def test_a_dedupe_hit_leaves_the_callers_transaction_usable(world, monkeypatch):
    """Even when the pre-check misses a row (a concurrent insert), the savepoint keeps us going."""
    _notify(world, dedupe_key="overdue:42:3")
    real_filter = Notification.objects.filter
    calls = {"n": 0}

    def blind_first_check(*args, **kwargs):
        calls["n"] += 1
        qs = real_filter(*args, **kwargs)
        return qs.none() if calls["n"] == 1 else qs  # the pre-check sees nothing

    with transaction.atomic():
        monkeypatch.setattr(Notification.objects, "filter", blind_first_check)
        assert _notify(world, dedupe_key="overdue:42:3") is None
        monkeypatch.undo()
        # The outer transaction still works after the IntegrityError.
        assert _notify(world, dedupe_key="overdue:42:5") is not None
    assert Notification.objects.filter(dedupe_key__startswith="overdue:42:").count() == 2
