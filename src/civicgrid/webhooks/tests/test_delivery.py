"""The worker delivers to a real local receiver, signed; retries with backoff; gives up; disables."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from standardwebhooks.webhooks import Webhook

from civicgrid.cases.tests.helpers import local, run_to
from civicgrid.core import periodic
from civicgrid.notifications.models import Notification
from civicgrid.webhooks import services
from civicgrid.webhooks.models import WebhookDelivery
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as traveller:
        yield traveller


def test_a_dispatch_arrives_signed_and_verifiable(frozen, routed_world, road_case, roads_system, receiver):
    subscription, secret = subscribe(roads_system, receiver.url)
    case = run_to(road_case, "dispatched", routed_world)
    assert "webhooks.deliver" in periodic.registered()
    periodic.registered()["webhooks.deliver"]()
    (headers, body, path) = receiver.received[0]
    assert path == "/hook"
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "case.dispatched" and payload["data"]["number"] == case.number
    delivery = WebhookDelivery.objects.get()
    assert headers["webhook-id"] == delivery.message_id
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.last_response_body == "ok" and delivery.last_duration_ms is not None
    assert services.run_once() == 0  # nothing is sent twice


def test_failures_are_retried_with_backoff_and_the_same_id(frozen, routed_world, roads_system, receiver):
    subscription, secret = subscribe(roads_system, receiver.url)
    delivery = services.webhook_test_send(subscription=subscription)
    receiver.statuses = [500, 503]
    services.run_once()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == 1 and delivery.last_status_code == 500
    wait = delivery.next_attempt_at - local(2026, 11, 23, 9, 0)
    assert timedelta(seconds=27) <= wait <= timedelta(seconds=33)
    frozen.shift(timedelta(seconds=20))
    assert services.run_once() == 0  # not yet due
    frozen.shift(timedelta(seconds=20))
    services.run_once()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert (
        timedelta(seconds=108)
        <= delivery.next_attempt_at - local(2026, 11, 23, 9, 0, 40)
        <= timedelta(seconds=132)
    )
    frozen.shift(timedelta(minutes=3))
    services.run_once()
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 3
    ids = {headers["webhook-id"] for headers, _body, _path in receiver.received}
    assert ids == {delivery.message_id} and len(receiver.received) == 3
    Webhook(secret).verify(receiver.received[-1][1], receiver.received[-1][0])
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_a_delivery_is_dead_after_the_last_attempt(frozen, settings, routed_world, roads_system, receiver):
    settings.CIVICGRID_WEBHOOK_MAX_ATTEMPTS = 3
    subscription, _ = subscribe(roads_system, receiver.url)
    delivery = services.webhook_test_send(subscription=subscription)
    receiver.statuses = [500] * 10
    for _ in range(5):
        services.run_once()
        frozen.shift(timedelta(hours=2))
    delivery.refresh_from_db()
    assert delivery.state == "dead" and delivery.attempts == 3
    assert len(receiver.received) == 3


def test_410_gone_disables_the_subscription_at_once(frozen, routed_world, roads_system, receiver):
    subscription, _ = subscribe(roads_system, receiver.url)
    first = services.webhook_test_send(subscription=subscription)
    second = services.webhook_test_send(subscription=subscription)
    receiver.statuses = [410]
    services.run_once()
    subscription.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert not subscription.is_active and "410" in subscription.disabled_reason
    assert first.state == "dead" and second.state == "pending" and len(receiver.received) == 1
    frozen.shift(timedelta(hours=1))
    assert services.run_once() == 0  # a disabled subscription's deliveries wait


def test_a_failure_streak_disables_and_tells_the_department_admins(
    frozen, settings, routed_world, roads_system, receiver
):
    settings.CIVICGRID_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    subscription, _ = subscribe(roads_system, receiver.url)
    receiver.statuses = [500] * 10
    for _ in range(3):
        services.webhook_test_send(subscription=subscription)
        services.run_once()
    subscription.refresh_from_db()
    assert not subscription.is_active and "3" in subscription.disabled_reason
    # 孙丽 administers 住建局, the bureau of the system's section (住建局市政科).
    (told,) = Notification.objects.filter(kind="webhook_disabled")
    assert told.recipient == routed_world.department_admin
    assert told.link == f"/console/webhooks/?client={roads_system.pk}"


def test_three_days_of_failures_disable(frozen, settings, routed_world, roads_system, receiver):
    subscription, _ = subscribe(roads_system, receiver.url)
    receiver.statuses = [500] * 10
    services.webhook_test_send(subscription=subscription)
    services.run_once()
    frozen.shift(timedelta(days=3, hours=1))
    services.run_once()
    subscription.refresh_from_db()
    assert not subscription.is_active and "3" in subscription.disabled_reason


def test_a_redirect_is_not_followed(frozen, routed_world, roads_system, receiver):
    subscription, _ = subscribe(roads_system, receiver.url)
    receiver.statuses = [302]
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    delivery = services.webhook_test_send(subscription=subscription)
    services.run_once()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_status_code == 302
    assert len(receiver.received) == 1


def test_a_local_address_is_refused_when_not_allowed(frozen, settings, routed_world, roads_system, receiver):
    subscription, _ = subscribe(roads_system, receiver.url)
    delivery = services.webhook_test_send(subscription=subscription)
    settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = False
    services.run_once()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "local or private" in delivery.last_error
    assert receiver.received == []


def test_a_replay_is_a_new_message_with_the_same_payload(frozen, routed_world, roads_system, receiver):
    subscription, secret = subscribe(roads_system, receiver.url)
    original = services.webhook_test_send(subscription=subscription)
    services.run_once()
    replay = services.webhook_delivery_replay(delivery=original)
    services.run_once()
    assert replay.replay_of == original and replay.message_id != original.message_id
    assert replay.payload == original.payload
    (first, second) = receiver.received
    assert first[1] == second[1] and first[0]["webhook-id"] != second[0]["webhook-id"]
    Webhook(secret).verify(second[1], second[0])


def test_after_a_rotation_old_and_new_secrets_verify(frozen, routed_world, roads_system, receiver):
    subscription, old = subscribe(roads_system, receiver.url)
    new = services.webhook_secret_rotate(subscription=subscription, overlap_hours=24)
    services.webhook_test_send(subscription=subscription)
    services.run_once()
    headers, body, _ = receiver.received[0]
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)
    frozen.shift(timedelta(hours=25))
    services.webhook_test_send(subscription=subscription)
    services.run_once()
    headers, body, _ = receiver.received[1]
    assert len(headers["webhook-signature"].split()) == 1
    Webhook(new).verify(body, headers)
