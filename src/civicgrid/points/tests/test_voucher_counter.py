"""核销 of a voucher whose reward has no merchant account: only counter staff (Capability.USE_VOUCHERS)
may mark it used — not the holder, not any other signed-in citizen — through the page and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts.services import user_create
from civicgrid.points.choices import Reason
from civicgrid.points.models import Voucher
from civicgrid.points.services import points_award, reward_redeem
from civicgrid.points.tests.helpers import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(world) -> Voucher:
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    return reward_redeem(person=world.citizen, item=item(cost=20))  # no merchant account


@pytest.fixture
def other_citizen(world):
    return user_create(phone="13911112222", real_name="赵六")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_citizen_cannot_mark_it_used_on_the_page(world, voucher, other_citizen):
    for person in (other_citizen, world.citizen):
        response = signed_in(person).post("/m/points/vouchers/use/", {"token": voucher.token})
        assert response.status_code == 422 and "您不是该兑换券的核销商户" in response.content.decode()
    assert Voucher.objects.get(pk=voucher.pk).used_at is None


def test_a_citizen_cannot_mark_it_used_through_the_api(world, voucher, other_citizen):
    response = signed_in(other_citizen).post(
        "/api/points/vouchers/use", {"token": voucher.token}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert Voucher.objects.get(pk=voucher.pk).used_at is None


def test_counter_staff_mark_it_used(world, voucher):
    response = signed_in(world.grid_member).post(
        "/m/points/vouchers/use/", {"token": voucher.token}, follow=True
    )
    assert "核销成功" in response.content.decode()
    assert Voucher.objects.get(pk=voucher.pk).used_by == world.grid_member
