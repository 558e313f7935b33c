"""In Chromium: a follower reads the rating's outcome, not "我的评价"; a reopened case shows 重办."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicgrid.accounts.services import user_create
from civicgrid.cases.workflow import case_me_too
from civicgrid.mobile.tests.helpers import report, run_to_closed
from civicgrid.mobile.tests.test_browser_h5 import phone_page
from civicgrid.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_follower_sees_no_my_rating_and_the_reopened_case_shows_reopen(
    new_page, routed_world, categories
):
    case = report(routed_world.citizen, category=categories["06013"])
    follower = user_create(phone="13911112222", password=PASSWORD)
    case_me_too(case=case, user=follower)
    case = run_to_closed(case, routed_world)

    reporter_page = phone_page(new_page, routed_world.citizen)
    reporter_page.goto(f"/m/cases/{case.number}/")
    reporter_page.locator("#rate label", has_text="不满意").click()
    reporter_page.fill("#id_comment", "坑还在，我每天路过")
    reporter_page.click("#rate button[type=submit]")
    expect(reporter_page.locator("body")).to_contain_text("已重新交办给住建局市政科")
    expect(reporter_page.locator(".timeline")).to_contain_text("重办")
    expect(reporter_page.locator("#rating-result")).to_contain_text("上次评价（已重办）")
    reporter_page.screenshot(path="/tmp/citizen-reopened-reporter.png", full_page=True)

    follower_page = phone_page(new_page, follower)
    follower_page.goto(f"/m/cases/{case.number}/")
    expect(follower_page.locator(".timeline")).to_contain_text("重办")
    expect(follower_page.locator("#rating-result")).to_contain_text("不满意")
    expect(follower_page.locator("body")).not_to_contain_text("我的评价")
    expect(follower_page.locator("body")).not_to_contain_text("坑还在，我每天路过")
    follower_page.screenshot(path="/tmp/citizen-reopened-follower.png", full_page=True)


def test_notification_settings_on_a_phone(new_page, routed_world):
    from civicgrid.notifications.models import NotificationPreference

    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/notifications/")
    page.click("#notification-settings-link")
    page.locator("label[for='in_app-case_progress']").click()  # off: SMS only, once ticked
    page.locator("label[for='sms-case_progress']").click()
    page.screenshot(path="/tmp/citizen-mobile-settings.png", full_page=True)
    page.click("#notification-settings button[type=submit]")
    expect(page.locator("body")).to_contain_text("通知设置已保存")
    saved = NotificationPreference.objects.get(user=routed_world.citizen, kind="case_progress")
    assert (saved.in_app, saved.sms) == (False, True)
