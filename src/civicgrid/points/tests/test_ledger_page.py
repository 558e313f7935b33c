"""我的积分 reads as plain words (no rule codes, never "−0"), and a redemption asks for confirmation."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.points.choices import Reason, UncivilBehaviour
from civicgrid.points.models import Voucher
from civicgrid.points.selectors import balance_of
from civicgrid.points.services import entry_reverse, points_award, uncivil_record_create
from civicgrid.points.tests.helpers import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(world) -> Client:
    client = Client()
    client.force_login(world.citizen)
    return client


def test_the_ledger_gives_plain_reasons_and_no_minus_zero(world, citizen):
    points_award(
        person=world.citizen, reason=Reason.VOLUNTEER, source_key="vol:1", quantity=3, note="社区清扫"
    )
    honour = points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    entry_reverse(entry=honour, actor=world.admin, note="重复录入")
    body = citizen.get("/m/points/").content.decode()
    assert "参加志愿服务 3 小时" in body and "社区清扫" in body and "+30" in body
    assert "撤销：获评好人好事" in body
    assert "规则 v" not in body and "−0" not in body and "+0" not in body
    assert "<b>0</b><span>扣分</span>" in body  # no deductions: 0, not −0


def test_a_capped_award_says_so_in_plain_words(world, citizen):
    for i in range(3):  # 10 points an hour, at most 300 a month: the third award is cut to 60
        points_award(person=world.citizen, reason=Reason.VOLUNTEER, source_key=f"vol:{i}", quantity=12)
    body = citizen.get("/m/points/").content.decode()
    assert body.count("参加志愿服务 12 小时") == 3
    assert "参加志愿服务 12 小时（本月已达上限，只计 60 分）" in body and "+60" in body
    assert "规则 v" not in body


def test_deductions_and_redemptions_read_plainly(world, citizen):
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    uncivil_record_create(
        inspector=world.inspector,
        person=world.citizen,
        behaviour=UncivilBehaviour.values[0],
        lat=None,
        lon=None,
        address="康巴什大街 1 号",
        note="",
    )
    reward = item(cost=20)
    citizen.post(f"/m/points/catalogue/{reward.pk}/redeem/", {"confirm": "yes"})
    body = citizen.get("/m/points/").content.decode()
    assert (
        f"不文明行为：{UncivilBehaviour(UncivilBehaviour.values[0]).label}" in body
        and "康巴什大街 1 号" in body
    )
    assert f"兑换 {reward.name}" in body and "−20" in body
    assert "规则 v" not in body


def test_redeeming_asks_for_confirmation_first(world, citizen):
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    balance = balance_of(world.citizen)
    reward = item(cost=20)
    catalogue = citizen.get("/m/points/catalogue/").content.decode()
    assert (
        f'href="/m/points/catalogue/{reward.pk}/redeem/"' in catalogue
    )  # a link to the confirmation, no form
    page = citizen.get(f"/m/points/catalogue/{reward.pk}/redeem/")
    html = page.content.decode()
    assert page.status_code == 200 and "确认兑换" in html and reward.name in html
    assert f'<dd id="after">{balance - 20}</dd>' in html and 'name="confirm" value="yes"' in html
    assert "<script>" not in html and "onclick" not in html
    assert not Voucher.objects.exists()  # looking is not redeeming
    # A POST that did not come from the confirmation (no `confirm`) only shows it again.
    again = citizen.post(f"/m/points/catalogue/{reward.pk}/redeem/")
    assert again.status_code == 200 and "确认兑换" in again.content.decode()
    assert not Voucher.objects.exists()
    done = citizen.post(f"/m/points/catalogue/{reward.pk}/redeem/", {"confirm": "yes"})
    assert done.status_code == 302 and Voucher.objects.count() == 1


def test_the_confirmation_says_when_points_are_short(world, citizen):
    reward = item(cost=20)
    html = citizen.get(f"/m/points/catalogue/{reward.pk}/redeem/").content.decode()
    assert "积分不足" in html and 'name="confirm"' not in html
    assert citizen.get("/m/points/catalogue/999999/redeem/").status_code == 404
