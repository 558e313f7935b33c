"""A step's time limit passing sends case.overdue once, from the worker's overdue scan."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.cases.tasks import scan_overdue
from civicgrid.cases.tests.helpers import local, run_to
from civicgrid.webhooks.models import WebhookDelivery
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = pytest.mark.django_db


def test_overdue_is_sent_once_per_step(routed_world, road_case, roads_system, parks_system):
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as traveller:
        subscribe(roads_system, "https://szk.example.org/hook", events=["case.overdue"])
        subscribe(parks_system, "https://ylzx.example.org/hook", events=["case.overdue"])
        case = run_to(road_case, "dispatched", routed_world)
        traveller.shift(timedelta(days=30))
        assert scan_overdue() >= 1
        scan_overdue()
        (delivery,) = WebhookDelivery.objects.all()
        assert delivery.subscription.client == roads_system  # not the parks centre
        assert delivery.event_type == "case.overdue" and delivery.case_number == case.number
        assert delivery.payload["data"]["event"]["action"] == "overdue"
