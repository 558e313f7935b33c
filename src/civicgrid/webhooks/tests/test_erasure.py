"""Erasing a person masks their name and phone in the payloads that carried them."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import personal_data_erase
from civicgrid.cases.tests.helpers import run_to
from civicgrid.webhooks.models import WebhookDelivery
from civicgrid.webhooks.tests.conftest import subscribe

pytestmark = pytest.mark.django_db


def test_erasure_masks_the_reporter_in_payloads(routed_world, road_case, hotline):
    subscribe(hotline, "https://hotline.example.org/hook")
    run_to(road_case, "dispatched", routed_world)
    assert WebhookDelivery.objects.get().payload["data"]["contact_phone"] == "13900000001"
    personal_data_erase(person=routed_world.citizen, actor=routed_world.admin, reason="本人申请删除")
    data = WebhookDelivery.objects.get().payload["data"]
    assert data["contact_phone"] == "" and data["reporter"] == ""
    assert "13900000001" not in str(data) and "王芳" not in str(data)
    assert data["number"] == road_case.number  # what the case reports stays
