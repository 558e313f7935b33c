"""A case's moves queue one signed delivery per subscription that may hear of them, in the move's transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from civicgrid.cases import hooks
from civicgrid.cases.choices import Action
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import move, run_to
from civicgrid.webhooks.models import WebhookDelivery
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = pytest.mark.django_db


def test_a_dispatch_queues_the_case_as_the_department_sees_it(routed_world, road_case, roads_system):
    subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
    case = run_to(road_case, "dispatched", routed_world)
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.subscription == subscription and delivery.state == "pending"
    assert delivery.message_id.startswith("msg_") and delivery.case_number == case.number
    payload = delivery.payload
    assert payload["type"] == "case.dispatched"
    data = payload["data"]
    assert data["number"] == case.number and data["department"] == "ZJJ-SZ"
    assert data["category"] == "06013" and data["street_code"] == "150603001"
    assert data["event"]["action"] == "dispatch"
    # A department system without cases:read:personal gets neither the reporter nor the phone.
    assert "contact_phone" not in data and "reporter" not in data
    assert "13900000001" not in str(payload)


def test_personal_data_only_with_the_scope(routed_world, road_case, hotline):
    subscribe(hotline, "https://hotline.example.org/hook")
    run_to(road_case, "dispatched", routed_world)
    data = WebhookDelivery.objects.get().payload["data"]
    assert data["contact_phone"] == "13900000001"
    assert data["reporter"] == "王芳"


def test_a_department_does_not_hear_of_another_departments_dispatch(routed_world, road_case, parks_system):
    subscribe(parks_system, "https://ylzx.example.org/hook")
    run_to(road_case, "dispatched", routed_world)
    assert not WebhookDelivery.objects.exists()


def test_a_return_reaches_the_department_that_returned_it(routed_world, road_case, roads_system):
    subscribe(roads_system, "https://szk.example.org/hook", events=["case.returned"])
    case = run_to(road_case, "dispatched", routed_world)
    move(case, Action.RETURN, routed_world.roads_handler, "不属于本科室")
    assert WebhookDelivery.objects.get().event_type == "case.returned"


def test_only_the_chosen_events_and_filters(routed_world, road_case, hotline, categories):
    subscribe(hotline, "https://a.example.org/hook", events=["case.registered"])
    subscribe(hotline, "https://b.example.org/hook", events=["case.dispatched"], categories=["04002"])
    run_to(road_case, "dispatched", routed_world)
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["case.registered"]


def test_an_inactive_subscription_gets_nothing(routed_world, road_case, roads_system):
    subscription, _ = subscribe(roads_system, "https://szk.example.org/hook")
    subscription.is_active = False
    subscription.save()
    run_to(road_case, "dispatched", routed_world)
    assert not WebhookDelivery.objects.exists()


def test_the_queued_delivery_rolls_back_with_the_move(routed_world, road_case, roads_system):
    subscribe(roads_system, "https://szk.example.org/hook")
    case = run_to(road_case, "registered", routed_world)

    def failing(case, event):
        raise RuntimeError("a later reaction fails")

    hooks.on(Action.DISPATCH)(failing)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            move(case, Action.DISPATCH, routed_world.dispatcher)
    finally:
        hooks._hooks[Action.DISPATCH].remove(failing)
    case.refresh_from_db()
    assert case.status == "registered"
    assert not WebhookDelivery.objects.exists()


def test_a_move_with_no_subscriptions_adds_at_most_one_query(routed_world, categories):
    """The same dispatch counted with the webhook reaction registered and without it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicgrid.cases.tests.helpers import submit
    from civicgrid.webhooks.services import on_case_event

    def dispatch_queries(code: str) -> int:
        case = run_to(submit(routed_world.citizen, category=categories[code]), "registered", routed_world)
        with CaptureQueriesContext(connection) as queries:
            move(case, Action.DISPATCH, routed_world.dispatcher)
        return len(queries)

    dispatch_queries("06013")  # warm the per-process caches (routing, calendar)
    with_webhooks = dispatch_queries("01003")
    hooks._hooks[Action.DISPATCH].remove(on_case_event)
    try:
        without = dispatch_queries("04002")
    finally:
        hooks.on(Action.DISPATCH)(on_case_event)
    assert 0 <= with_webhooks - without <= 1


def test_the_reaction_with_no_subscriptions_is_one_query(routed_world, road_case, django_assert_num_queries):
    from civicgrid.cases.models import CaseEvent
    from civicgrid.webhooks.services import on_case_event

    case = run_to(road_case, "dispatched", routed_world)
    event = CaseEvent.objects.filter(case=case, action=Action.DISPATCH).get()
    with django_assert_num_queries(1):
        on_case_event(case, event)


def test_external_id_for_the_system_that_reported_the_case(client, routed_world, hotline):
    """The hotline reports an order through the API; its webhook carries the order id back, and only its."""
    from civicgrid.cases.tests.helpers import post_json, report_body
    from civicgrid.webhooks.tests.conftest import key_of, system

    other = system(
        routed_world,
        name="另一个热线",
        role="dispatcher",
        kind="hotline",
        phone="13911110008",
        scopes=["cases:read"],
    )
    subscribe(hotline, "https://hotline.example.org/hook", events=["case.registered"])
    subscribe(other, "https://other.example.org/hook", events=["case.registered"])
    hotline.scopes = [*hotline.scopes, "cases:create"]
    hotline.save()
    body = report_body(channel="hotline", category="06013", external_id="GD20261207001")
    response = post_json(client, "/api/cases", body, Authorization=f"Bearer {key_of(hotline)}")
    assert response.status_code == 201, response.content
    case = run_to(Case.objects.get(number=response.json()["number"]), "registered", routed_world)
    by_client = {d.subscription.client_id: d.payload["data"] for d in WebhookDelivery.objects.all()}
    assert by_client[hotline.pk]["external_id"] == "GD20261207001"
    assert by_client[other.pk]["external_id"] is None
    assert by_client[hotline.pk]["number"] == case.number
