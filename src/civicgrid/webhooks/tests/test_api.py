"""/api/webhooks/: a client manages its own subscriptions with its key (scope webhooks:manage)."""

from __future__ import annotations

import json

import pytest

from civicgrid.accounts.roles import Role
from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription
from civicgrid.webhooks.services import webhook_test_send
from civicgrid.webhooks.tests.conftest import key_of, subscribe, system

pytestmark = pytest.mark.django_db


def call(client, method, url, key, data=None):
    kwargs = {"headers": {"Authorization": f"Bearer {key}"}}
    if data is not None:
        kwargs.update(data=json.dumps(data), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def test_create_returns_the_secret_once(client, roads_system):
    key = key_of(roads_system)
    body = {"url": "https://szk.example.org/hook", "events": ["case.dispatched", "case.overdue"]}
    response = call(client, "post", "/api/webhooks/subscriptions", key, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["events"] == ["case.dispatched", "case.overdue"]
    listed = call(client, "get", "/api/webhooks/subscriptions", key).json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in json.dumps(listed)
    detail = call(client, "get", f"/api/webhooks/subscriptions/{created['id']}", key)
    assert "secret" not in detail.json()


@pytest.mark.parametrize(
    "body,code",
    [
        ({"url": "http://szk.example.org/hook", "events": ["case.closed"]}, "url_https_required"),
        ({"url": "https://127.0.0.1/hook", "events": ["case.closed"]}, "url_not_allowed"),
        ({"url": "https://szk.example.org/hook", "events": ["case.nothing"]}, "events_invalid"),
        (
            {
                "url": "https://szk.example.org/hook",
                "events": ["case.closed"],
                "filters": {"streets": ["999"]},
            },
            "filters_invalid",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, roads_system, body, code):
    response = call(client, "post", "/api/webhooks/subscriptions", key_of(roads_system), body)
    assert response.status_code == 422 and response.json()["error"] == code
    assert not WebhookSubscription.objects.exists()


def test_update_rotate_test_and_delete(client, roads_system):
    key = key_of(roads_system)
    subscription, old = subscribe(roads_system, "https://szk.example.org/hook")
    url = f"/api/webhooks/subscriptions/{subscription.pk}"
    changed = call(client, "patch", url, key, {"events": ["case.closed"], "is_active": False}).json()
    assert changed["events"] == ["case.closed"] and changed["is_active"] is False
    rotated = call(client, "post", f"{url}/rotate", key, {"overlap_hours": 1}).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != old
    subscription.refresh_from_db()
    assert subscription.secret == rotated["secret"] and subscription.previous_secret == old
    test = call(client, "post", f"{url}/test", key)
    assert test.status_code == 202 and test.json()["event_type"] == "webhook.test"
    assert call(client, "delete", url, key).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_deliveries_list_filter_and_replay(client, roads_system):
    key = key_of(roads_system)
    subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
    first = webhook_test_send(subscription=subscription)
    page = call(client, "get", "/api/webhooks/deliveries?state=pending&limit=10", key).json()
    assert page["count"] == 1 and page["items"][0]["message_id"] == first.message_id
    assert call(client, "get", "/api/webhooks/deliveries?state=delivered", key).json()["count"] == 0
    assert call(client, "get", "/api/webhooks/deliveries?event=case.closed", key).json()["count"] == 0
    detail = call(client, "get", f"/api/webhooks/deliveries/{first.pk}", key).json()
    assert detail["payload"]["type"] == "webhook.test"
    replay = call(client, "post", f"/api/webhooks/deliveries/{first.pk}/replay", key)
    assert replay.status_code == 202
    assert replay.json()["replay_of"] == first.pk and replay.json()["message_id"] != first.message_id
    assert WebhookDelivery.objects.count() == 2


def test_another_clients_subscription_and_delivery_are_404(client, roads_system, parks_system):
    subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
    delivery = webhook_test_send(subscription=subscription)
    key = key_of(parks_system)
    for method, url in [
        ("get", f"/api/webhooks/subscriptions/{subscription.pk}"),
        ("delete", f"/api/webhooks/subscriptions/{subscription.pk}"),
        ("post", f"/api/webhooks/subscriptions/{subscription.pk}/rotate"),
        ("get", f"/api/webhooks/deliveries/{delivery.pk}"),
        ("post", f"/api/webhooks/deliveries/{delivery.pk}/replay"),
    ]:
        response = call(client, method, url, key, {} if method == "post" else None)
        assert response.status_code == 404, (url, response.content)
    assert call(client, "get", "/api/webhooks/subscriptions", key).json() == []
    assert call(client, "get", "/api/webhooks/deliveries", key).json()["count"] == 0
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_a_key_without_the_scope_is_refused(client, routed_world):
    other = system(routed_world, name="只读系统", role=Role.DISPATCHER, phone="13911110009")
    other.scopes = ["cases:read"]
    other.save()
    response = call(client, "get", "/api/webhooks/subscriptions", key_of(other))
    assert response.status_code == 403 and response.json()["error"] == "scope_missing"


def test_a_browser_session_uses_the_console_not_the_api(client, routed_world):
    client.force_login(routed_world.admin)
    response = client.get("/api/webhooks/subscriptions")
    assert response.status_code == 403 and response.json()["error"] == "client_key_required"
