"""Console pages: who may manage which client's subscriptions, the secret shown once, the log, replay."""

from __future__ import annotations

import pytest

from civicgrid.webhooks.models import WebhookDelivery, WebhookSubscription
from civicgrid.webhooks.services import webhook_test_send
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "department_admin", "dispatcher", "roads_handler", "leader", "citizen"]
# 孙丽 administers 住建局 and its section 住建局市政科 (the roads system's), not 园林绿化中心.
MAY_MANAGE_ROADS = {"admin", "department_admin"}
MAY_MANAGE_PARKS = {"admin"}


@pytest.fixture
def setup(routed_world, roads_system, parks_system):
    roads_sub, _ = subscribe(roads_system, "https://szk.example.org/hook")
    parks_sub, _ = subscribe(parks_system, "https://ylzx.example.org/hook")
    return {
        "roads": (roads_system, roads_sub, webhook_test_send(subscription=roads_sub)),
        "parks": (parks_system, parks_sub, webhook_test_send(subscription=parks_sub)),
    }


def _urls(client_pk, subscription_pk, delivery_pk):
    return [
        ("get", f"/console/webhooks/?client={client_pk}"),
        ("get", f"/console/webhooks/deliveries/?client={client_pk}"),
        ("get", f"/console/webhooks/deliveries/{delivery_pk}/"),
        ("post", f"/console/webhooks/{subscription_pk}/rotate/"),
        ("post", f"/console/webhooks/deliveries/{delivery_pk}/replay/"),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_permission_matrix(client, routed_world, setup, persona):
    client.force_login(getattr(routed_world, persona))
    for name, allowed in (("roads", MAY_MANAGE_ROADS), ("parks", MAY_MANAGE_PARKS)):
        api_client, subscription, delivery = setup[name]
        for method, url in _urls(api_client.pk, subscription.pk, delivery.pk):
            status = getattr(client, method)(url).status_code
            if persona in allowed:
                assert status in (200, 302), (persona, url, status)
            elif persona in MAY_MANAGE_ROADS:
                assert status == 404, (persona, url, status)  # a manager, not of this client
            else:
                assert status == 403, (persona, url, status)


def test_anonymous_goes_to_login(client, setup):
    response = client.get("/console/webhooks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_shows_the_secret_once(client, routed_world, roads_system):
    client.force_login(routed_world.department_admin)
    response = client.post(
        f"/console/webhooks/clients/{roads_system.pk}/add/",
        {
            "url": "https://szk2.example.org/hook",
            "events": ["case.dispatched", "case.closed"],
            "streets": "150603001",
        },
    )
    assert response.status_code == 201
    subscription = WebhookSubscription.objects.get(url="https://szk2.example.org/hook")
    assert subscription.filters == {"streets": ["150603001"]}
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    again = client.get(f"/console/webhooks/?client={roads_system.pk}")
    assert subscription.secret not in again.content.decode()


def test_a_refused_create_says_why_and_adds_nothing(client, routed_world, roads_system):
    client.force_login(routed_world.admin)
    response = client.post(
        f"/console/webhooks/clients/{roads_system.pk}/add/", {"url": "ftp://x", "events": ["case.closed"]}
    )
    assert response.status_code == 422 and "接收地址无效" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_log_filters_and_the_detail_hides_the_secret(client, routed_world, setup):
    api_client, subscription, delivery = setup["roads"]
    client.force_login(routed_world.admin)
    page = client.get(f"/console/webhooks/deliveries/?client={api_client.pk}&state=pending").content.decode()
    assert delivery.message_id in page
    page = client.get(f"/console/webhooks/deliveries/?client={api_client.pk}&state=dead").content.decode()
    assert delivery.message_id not in page
    page = client.get(f"/console/webhooks/deliveries/?client={api_client.pk}&case=2026").content.decode()
    assert delivery.message_id not in page
    detail = client.get(f"/console/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "webhook-id: " + delivery.message_id in detail and "webhook.test" in detail
    assert subscription.secret not in detail and subscription.secret[6:20] not in detail


def test_replay_needs_a_post_with_csrf(routed_world, setup):
    from django.test import Client

    _, _, delivery = setup["roads"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(routed_world.admin)
    assert browser.get(f"/console/webhooks/deliveries/{delivery.pk}/replay/").status_code == 405
    assert browser.post(f"/console/webhooks/deliveries/{delivery.pk}/replay/").status_code == 403
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 0
    browser.get(f"/console/webhooks/deliveries/{delivery.pk}/")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/console/webhooks/deliveries/{delivery.pk}/replay/", {"csrfmiddlewaretoken": token}
    )
    replay = WebhookDelivery.objects.get(replay_of=delivery)
    assert (
        response.status_code == 302 and response["Location"] == f"/console/webhooks/deliveries/{replay.pk}/"
    )


def test_disable_and_enable(client, routed_world, setup):
    _, subscription, _ = setup["roads"]
    client.force_login(routed_world.admin)
    client.post(f"/console/webhooks/{subscription.pk}/active/", {"active": "0"})
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at
    client.post(f"/console/webhooks/{subscription.pk}/active/", {"active": "1"})
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0
