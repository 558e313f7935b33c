"""In Chromium: a call typed in at the console sends its receipt to the caller's number, and the
operator who typed it is told nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicgrid.accounts.sms import MemorySmsSender
from civicgrid.cases.models import Case
from civicgrid.conftest import login_page
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import run_once

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALLER = "13811112222"


def test_a_hotline_cases_receipt_goes_to_the_caller_not_the_operator(new_page, routed_world, settings):
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    operator = routed_world.dispatcher
    page = new_page()
    login_page(page, operator)
    page.goto("/console/intake/")
    page.select_option("#id_channel", "hotline")
    page.select_option("#id_category", "matter:06013")
    page.fill("#id_description", "市民来电：青春山路人行道有坑")
    page.fill("#id_contact_name", "李先生")
    page.fill("#id_contact_phone", CALLER)
    page.fill("#id_lat", "39.615")
    page.fill("#id_lon", "109.765")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/console/cases/*/?from=new")
    case = Case.objects.get(channel="hotline")

    run_once()  # the worker delivers the outbox
    text = MemorySmsSender.last_text_to(CALLER)
    assert text and "已收到您的上报" in text and case.number in text
    assert MemorySmsSender.last_text_to(operator.phone) is None
    assert not Notification.objects.filter(recipient=operator).exists()

    page.goto("/console/notifications/")
    expect(page.locator("main")).not_to_contain_text("已收到您的上报")
    page.screenshot(path="/tmp/citizen-console-notifications.png", full_page=True)
    page.goto("/console/notifications/settings/")
    expect(page.locator("#notification-settings")).to_contain_text("超期（红灯）汇总")
    page.screenshot(path="/tmp/citizen-console-settings.png", full_page=True)
    MemorySmsSender.outbox.clear()
