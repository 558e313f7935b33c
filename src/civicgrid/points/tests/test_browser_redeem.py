"""In Chromium: the ledger in plain words, and a redemption that asks before it spends."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.points.choices import Reason
from civicgrid.points.models import Voucher
from civicgrid.points.services import points_award, volunteer_hours_award
from civicgrid.points.tests.helpers import item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_redeem_with_a_confirmation_step(new_page, world):
    volunteer_hours_award(person=world.citizen, hours=3, source_key="vol:1", note="社区环境清扫")
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    reward = item(cost=100, name="公交乘车券（10次）", merchant_name="公交公司")
    page = new_page(width=360, height=740, mobile=True)
    login_page(page, world.citizen)
    page.goto("/m/points/")
    expect(page.locator("#entries")).to_contain_text("参加志愿服务 3 小时")
    expect(page.locator("#entries")).not_to_contain_text("规则")
    page.screenshot(path="/tmp/citizen-points-home.png", full_page=True)
    page.goto("/m/points/catalogue/")
    page.locator("#catalogue a", has_text="兑换").click()
    expect(page.locator("#redeem-confirm")).to_contain_text("确定兑换吗")
    expect(page.locator("#after")).to_have_text("130")
    page.screenshot(path="/tmp/citizen-points-confirm.png", full_page=True)
    assert not Voucher.objects.exists()
    page.locator("#redeem-confirm button", has_text="确认兑换").click()
    page.wait_for_url("**/m/points/vouchers/")
    assert Voucher.objects.get().item == reward
