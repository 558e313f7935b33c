"""The console in Chromium: the dispatcher's and departments' daily work, end to end through the pages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.cases.models import Case
from civicgrid.conftest import login_page
from civicgrid.console.tests.helpers import NORTH_1, NORTH_2, move, report
from civicgrid.core import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_console(new_page, user):
    page = new_page(width=1920, height=1080)
    login_page(page, user)
    page.goto("/console/")
    return page


def test_dispatcher_rejects_a_report_with_a_reason(new_page, city):
    case = report(city.citizen, NORTH_1, category=city.categories["09006"], description="广告传单")
    page = open_console(new_page, city.dispatcher)
    expect(page).to_have_url(re.compile(r"/console/queue/new/$"))
    # "/" jumps to the search box; the row's number is a link reached by the keyboard.
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    link = page.locator(f"tr[data-number='{case.number}'] a.case-link")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(case.number)
    expect(page.locator("#actions form")).to_have_count(3)  # register, reject, merge (并案)
    page.fill("#reject-note", "属于商业广告，不在受理范围")
    page.click("#form-reject button[type=submit]")
    expect(page.locator("#case-status")).to_have_text("不予立案")
    expect(page.locator("#timeline")).to_contain_text("属于商业广告，不在受理范围")
    expect(page.locator(".messages")).to_contain_text("“不予立案”已完成")
    expect(page.locator("#no-actions")).to_be_visible()
    assert Case.objects.get(pk=case.pk).status == "rejected"
    page.click("a.back")  # the way back to the queue, now empty
    expect(page.locator(".empty")).to_be_visible()


def test_wrong_dispatch_is_returned_and_dispatched_again(new_page, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], description="人行道地砖破损")
    dispatcher = open_console(new_page, city.dispatcher)
    dispatcher.click(f"tr[data-number='{case.number}'] a.case-link")
    expect(dispatcher.locator("#register-category")).to_have_value("matter:06013")
    dispatcher.click("#form-register button[type=submit]")
    expect(dispatcher.locator("#case-status")).to_have_text("待派遣")
    # The picker proposes the routed department; the dispatcher picks the wrong one.
    expect(dispatcher.locator("#dispatch-department")).to_have_value("ZJJ-SZ")
    dispatcher.select_option("#dispatch-department", "YLZX")
    dispatcher.click("#form-dispatch button[type=submit]")
    expect(dispatcher.locator("#case-status")).to_have_text("待签收")

    parks = open_console(new_page, city.parks_handler)
    expect(parks).to_have_url(re.compile(r"/console/queue/to_accept/$"))
    parks.click(f"tr[data-number='{case.number}'] a.case-link")
    expect(parks.locator("#form-accept")).to_be_visible()
    parks.fill("#return-note", "人行道地砖归住建局市政科，不归园林")
    parks.click("#form-return button[type=submit]")
    expect(parks.locator(".messages")).to_contain_text("“退回”已完成")
    expect(parks.locator(f"tr[data-number='{case.number}']")).to_have_count(0)

    dispatcher.goto("/console/queue/returned/")
    row = dispatcher.locator(f"tr[data-number='{case.number}']")
    expect(row).to_contain_text("已退回")
    row.locator("a.case-link").click()
    expect(dispatcher.locator("#timeline")).to_contain_text("人行道地砖归住建局市政科，不归园林")
    expect(dispatcher.locator("#dispatch-department")).to_have_value("ZJJ-SZ")
    dispatcher.click("#form-dispatch button[type=submit]")
    expect(dispatcher.locator("#case-status")).to_have_text("待签收")
    case.refresh_from_db()
    assert case.department.code == "ZJJ-SZ" and case.return_count == 1


def test_overdue_case_shows_red_to_the_handler_and_the_leader(new_page, city):
    with clock.at(timezone.now() - timedelta(days=20)):
        late = report(city.citizen, NORTH_1, category=city.categories["06013"], description="井盖缺失很久了")
        move(late, "register", city.dispatcher)
        move(late, "dispatch", city.dispatcher)
    fresh = report(city.citizen, NORTH_2, category=city.categories["06013"], description="新的坑")
    move(fresh, "register", city.dispatcher)
    move(fresh, "dispatch", city.dispatcher)

    handler = open_console(new_page, city.roads_handler)
    expect(handler.locator(f"tr[data-number='{late.number}']")).to_have_attribute("data-light", "red")
    expect(handler.locator(f"tr[data-number='{fresh.number}']")).to_have_attribute("data-light", "green")
    expect(handler.locator(f"tr[data-number='{late.number}'] .light.red")).to_be_visible()

    leader = open_console(new_page, city.leader)
    expect(leader).to_have_url(re.compile(r"/console/queue/red/$"))
    expect(leader.locator("tbody tr")).to_have_count(1)
    expect(leader.locator(f"tr[data-number='{late.number}'] .light.red")).to_be_visible()
    expect(leader.locator("#queue-nav [data-queue='red'] .count")).to_have_text("1")
    leader.click(f"tr[data-number='{late.number}'] a.case-link")
    expect(leader.locator("#case-light")).to_have_attribute("data-light", "red")
    leader.fill("#supervise-note", "超期严重，限两日内办结")
    leader.click("#form-supervise button[type=submit]")
    expect(leader.locator("h1 .badge.red")).to_have_text("督办")


def test_new_report_appears_in_the_open_queue_without_reloading(new_page, city, settings):
    settings.CIVICGRID_CONSOLE_POLL_SECONDS = 1
    page = open_console(new_page, city.dispatcher)
    expect(page.locator(".empty")).to_be_visible()
    expect(page.locator("#queue-table")).to_have_attribute("data-poll-seconds", "1")
    page.evaluate("window.__notReloaded = true")
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], description="刚刚上报的坑洞")
    expect(page.locator(f"tr[data-number='{case.number}']")).to_be_visible(timeout=20_000)
    expect(page.locator("#queue-nav [data-queue='new'] .count")).to_have_text("1")
    assert page.evaluate("window.__notReloaded") is True  # the table was swapped, the page not reloaded
