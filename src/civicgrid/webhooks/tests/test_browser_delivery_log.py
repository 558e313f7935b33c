"""The delivery log and a delivery's page in Chromium, under the CSP, with a screenshot to look at."""

from __future__ import annotations

import pytest

from civicgrid.conftest import login_page
from civicgrid.webhooks.models import WebhookDelivery
from civicgrid.webhooks.services import webhook_delivery_replay, webhook_test_send
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_delivery_log_page(new_page, routed_world, roads_system):
    subscription, _ = subscribe(roads_system, "https://szk.example.org/hook", events=["case.dispatched"])
    first = webhook_test_send(subscription=subscription)
    WebhookDelivery.objects.filter(pk=first.pk).update(
        state="delivered", attempts=1, last_status_code=200, last_response_body="ok"
    )
    failed = webhook_test_send(subscription=subscription)
    WebhookDelivery.objects.filter(pk=failed.pk).update(
        state="failed",
        attempts=3,
        last_status_code=503,
        last_error="HTTP 503",
        event_type="case.dispatched",
        case_number="2026112300001",
    )
    dead = webhook_test_send(subscription=subscription)
    WebhookDelivery.objects.filter(pk=dead.pk).update(
        state="dead", attempts=8, last_error="URLError: timed out"
    )
    webhook_delivery_replay(delivery=dead)

    page = new_page(width=1280, height=800)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login_page(page, routed_world.department_admin)
    page.goto(f"/console/webhooks/deliveries/?client={roads_system.pk}")
    rows = page.locator("#webhook-deliveries tbody tr")
    assert rows.count() == 4
    assert "已放弃" in page.inner_text("#webhook-deliveries")
    page.screenshot(path="/tmp/webhooks-delivery-log.png", full_page=True)

    page.select_option("#f-state", "failed")
    page.click("#delivery-filter button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#webhook-deliveries tbody tr").count() == 1

    page.click("#webhook-deliveries tbody a")
    page.wait_for_load_state("networkidle")
    assert "HTTP 503" in page.inner_text("#delivery-error")
    page.screenshot(path="/tmp/webhooks-delivery-detail.png", full_page=True)
    page.click("#replay-form button")
    page.wait_for_load_state("networkidle")
    assert WebhookDelivery.objects.filter(replay_of=failed).count() == 1
    assert "重放自" in page.inner_text("#delivery-facts")
    page.goto(f"/console/webhooks/?client={roads_system.pk}")
    page.screenshot(path="/tmp/webhooks-subscriptions.png", full_page=True)
    assert violations == []
