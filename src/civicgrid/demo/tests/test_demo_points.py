"""The demo city's points: its citizen can afford a reward, the public display has records, and a
second run adds nothing — all written through the points services."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts.services import user_create
from civicgrid.demo.codes import REWARDS
from civicgrid.demo.points import build_points
from civicgrid.points.models import PointsAccount, PointsEntry, UncivilRecord
from civicgrid.points.selectors import balance_of, public_display
from civicgrid.points.tests.helpers import assert_cache_is_sum

pytestmark = pytest.mark.django_db


def test_demo_citizens_have_points_and_the_display_has_records(world):
    for i in range(8):
        user_create(phone=f"1370000000{i}", real_name=f"市民{i}")
    added = build_points(first_phone=world.citizen.phone)
    assert added > 0
    cheapest = min(cost for _, _, cost, _ in REWARDS)
    assert balance_of(world.citizen) >= cheapest
    rows = public_display()
    assert rows and all("*" in r["name"] for r in rows)
    assert UncivilRecord.objects.filter(person=world.citizen).count() == 0
    people = [a.person for a in PointsAccount.objects.select_related("person")]
    assert_cache_is_sum(*people)
    # Written by the services: every entry has its rule and source.
    assert not PointsEntry.objects.filter(rule__isnull=True).exists()

    body = Client().get("/m/points/display/").content.decode()
    assert "暂无公开记录" not in body and rows[0]["address"] in body

    assert build_points(first_phone=world.citizen.phone) == 0  # a second run adds nothing
    assert len(public_display()) == len(rows)
