"""deliver()/run_once(): success, retry with exponential backoff, giving up after 8 attempts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from civicgrid.notifications.choices import DeliveryStatus
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import MAX_ATTEMPTS, backoff, claim_due, deliver, notify, run_once


def _queue(world, **kw):
    return notify(
        recipient=world.roads_handler,
        kind="case_dispatched",
        title="案件 A-0042 已派遣",
        body="",
        case_id=42,
        **kw,
    )


def test_backoff_doubles_from_one_minute_and_stops_at_an_hour():
    assert [backoff(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_a_successful_delivery_is_processed(world, flaky):
    n = _queue(world)
    assert n.channels == ["flaky"]
    now = n.next_attempt_at
    assert run_once(now=now) == 1
    n.refresh_from_db()
    assert flaky.sent == [n.pk]
    assert n.processed_at == now and n.attempts == 1 and n.claimed_at is None and n.last_error == ""
    assert n.sent_channels == ["flaky"]
    assert n.delivery_status == DeliveryStatus.SENT
    assert run_once(now=now + timedelta(hours=2)) == 0  # never again


def test_a_failure_is_retried_with_backoff_then_succeeds(world, flaky):
    flaky.reset(failures=2)
    n = _queue(world)
    t0 = n.next_attempt_at

    assert run_once(now=t0) == 1
    n.refresh_from_db()
    assert n.processed_at is None and n.attempts == 1 and n.claimed_at is None
    assert n.next_attempt_at == t0 + timedelta(minutes=1)
    assert "ConnectionError: gateway unreachable" in n.last_error
    assert n.delivery_status == DeliveryStatus.PENDING

    assert run_once(now=t0 + timedelta(seconds=59)) == 0  # not due yet
    t1 = t0 + timedelta(minutes=1)
    assert run_once(now=t1) == 1
    n.refresh_from_db()
    assert n.attempts == 2 and n.next_attempt_at == t1 + timedelta(minutes=2)

    t2 = t1 + timedelta(minutes=2)
    assert run_once(now=t2) == 1
    n.refresh_from_db()
    assert n.processed_at == t2 and n.attempts == 3 and n.last_error == ""
    assert flaky.sent == [n.pk]


def test_it_gives_up_after_the_last_attempt(world, flaky):
    flaky.reset(failures=100)
    n = _queue(world)
    now = n.next_attempt_at
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert run_once(now=now) == 1, attempt
        n.refresh_from_db()
        assert n.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert n.processed_at is None
            now = n.next_attempt_at
    assert n.processed_at == now
    assert "gateway unreachable" in n.last_error
    assert n.delivery_status == DeliveryStatus.FAILED
    assert run_once(now=now + timedelta(days=1)) == 0
    assert flaky.sent == []


def test_a_channel_that_succeeded_is_not_sent_again(world, settings, flaky):
    from civicgrid.notifications.tests.fakes import RecordingSender

    settings.CIVICGRID_NOTIFICATION_SENDERS = [
        "civicgrid.notifications.tests.fakes.RecordingSender",
        "civicgrid.notifications.tests.fakes.FlakySender",
    ]
    RecordingSender.sent = []
    flaky.reset(failures=1)
    n = _queue(world)
    assert n.channels == ["recording", "flaky"]
    run_once(now=n.next_attempt_at)
    n.refresh_from_db()
    assert n.sent_channels == ["recording"] and n.processed_at is None
    run_once(now=n.next_attempt_at)
    n.refresh_from_db()
    assert n.processed_at is not None and n.sent_channels == ["recording", "flaky"]
    assert RecordingSender.sent == [n.pk] and flaky.sent == [n.pk]


def test_a_channel_without_a_configured_sender_fails_with_a_clear_error(world, flaky):
    n = _queue(world, channels=["flaky", "wechat"])
    (claimed,) = claim_due(now=n.next_attempt_at)
    assert deliver(claimed, now=n.next_attempt_at) is False
    n.refresh_from_db()
    assert "no sender named 'wechat'" in n.last_error
    assert n.sent_channels == ["flaky"]


def test_deliver_called_directly_works_without_a_claim(world, flaky):
    n = _queue(world)
    assert deliver(n) is True
    assert Notification.objects.get(pk=n.pk).processed_at is not None
    assert timezone.now() - n.processed_at < timedelta(seconds=5)
