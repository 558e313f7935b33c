"""The console in Chromium: 立案并派遣, 改派, 并案 by hand and 撤销并案 of a wrong merge."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.conftest import login_page
from civicgrid.console.tests.helpers import NORTH_1, NORTH_2, move, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, tmp_path, name):
    """A screenshot of the page, kept where CIVICGRID_SCREENSHOTS says (to look at), else thrown away."""
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def open_case(new_page, user, number):
    page = new_page(width=1440, height=1000)
    login_page(page, user)
    page.goto(f"/console/cases/{number}/")
    expect(page.locator("h1")).to_contain_text(number)
    return page


def test_register_says_it_dispatches_and_where(new_page, city, tmp_path):
    roads = city.categories["06013"]
    roads.auto_dispatch = True
    roads.save(update_fields=["auto_dispatch"])
    case = report(city.citizen, NORTH_1, category=roads, description="人行道地砖破损")
    page = open_case(new_page, city.dispatcher, case.number)
    button = page.locator("#form-register button[type=submit]")
    expect(button).to_have_text("立案并派遣至 住建局市政科")
    expect(page.locator("#register-dispatch-hint")).to_be_visible()
    # Another category without auto-dispatch: the button is a plain 立案 again.
    page.select_option("#register-category", "component:04002")
    expect(button).to_have_text("立案")
    expect(page.locator("#register-dispatch-hint")).to_be_hidden()
    page.select_option("#register-category", "matter:06013")
    expect(button).to_have_text("立案并派遣至 住建局市政科")
    shot(page, tmp_path, "register")
    button.click()
    expect(page.locator(".messages")).to_contain_text("已立案并自动派遣至“住建局市政科”")
    expect(page.locator("#case-status")).to_have_text("待签收")
    case.refresh_from_db()
    assert case.status == "dispatched" and case.department.code == "ZJJ-SZ"


def test_redispatch_takes_the_case_from_the_department_queue(new_page, city, tmp_path):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], description="人行道地砖破损")
    move(case, "register", city.dispatcher)
    move(case, "dispatch", city.dispatcher)

    roads = new_page(width=1440, height=1000)
    login_page(roads, city.roads_handler)
    roads.goto("/console/queue/to_accept/")
    expect(roads.locator(f"tr[data-number='{case.number}']")).to_have_count(1)

    page = open_case(new_page, city.dispatcher, case.number)
    expect(page.locator("#form-redispatch")).to_be_visible()
    expect(page.locator("#form-recall")).to_be_visible()
    page.select_option("#redispatch-department", "YLZX")
    page.click("#form-redispatch button[type=submit]")  # no reason: the browser asks for one
    expect(page.locator("#case-status")).to_have_text("待签收")
    assert not CaseEvent.objects.filter(case=case, action="redispatch").exists()
    page.fill("#redispatch-note", "树池破损，归园林绿化中心")
    shot(page, tmp_path, "redispatch")
    page.click("#form-redispatch button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已改派至“园林绿化中心”")
    expect(page.locator("#timeline")).to_contain_text("树池破损，归园林绿化中心")
    expect(page.locator("#timeline li[data-action='redispatch']")).to_contain_text("改派")

    roads.reload()
    expect(roads.locator(f"tr[data-number='{case.number}']")).to_have_count(0)
    parks = new_page(width=1440, height=1000)
    login_page(parks, city.parks_handler)
    parks.goto("/console/queue/to_accept/")
    expect(parks.locator(f"tr[data-number='{case.number}']")).to_have_count(1)


def test_merge_by_hand_then_undo_it(new_page, city, tmp_path):
    original = report(city.citizen, NORTH_1, category=city.categories["06013"], description="人行道地砖破损")
    other = report(city.leader, NORTH_2, description="那边人行道也有地砖坏了")
    page = open_case(new_page, city.dispatcher, other.number)
    page.fill("#merge-original", "20990101999999")
    page.fill("#merge-note", "同一处")
    page.click("#form-merge button[type=submit]")
    expect(page.locator("#merge-original-error")).to_contain_text("不存在或无权查看")
    expect(page.locator("#merge-original")).to_have_value("20990101999999")
    page.fill("#merge-original", original.number)
    page.click("#form-merge button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(f"已并入 {original.number}")
    expect(page.locator("#case-status")).to_have_text("已并案")
    shot(page, tmp_path, "merged")
    assert Case.objects.get(pk=other.pk).duplicate_of_id == original.pk

    # The merge was wrong: undone from the same page, the report waits for 立案 again.
    expect(page.locator("#form-unmerge")).to_contain_text(original.number)
    page.fill("#unmerge-note", "两处地点相距较远，不是同一问题")
    page.click("#form-unmerge button[type=submit]")
    expect(page.locator("#case-status")).to_have_text("待立案")
    expect(page.locator("#timeline li[data-action='unmerge']")).to_contain_text("不是同一问题")
    expect(page.locator("#form-register")).to_be_visible()
    other.refresh_from_db()
    original.refresh_from_db()
    assert other.duplicate_of_id is None
    assert not original.followers.filter(user=city.leader).exists()


def test_handler_sees_the_pending_extension_and_the_relay(new_page, city, tmp_path, settings):
    settings.CIVICGRID_CALLBACK_RELAY = "0477-12345"
    case = report(city.citizen, NORTH_1, category=city.categories["06013"], contact_phone="13812345678")
    move(case, "register", city.dispatcher)
    move(case, "dispatch", city.dispatcher)
    move(case, "request_extension", city.roads_handler, "需要协调燃气公司", hours=2.25)
    page = open_case(new_page, city.roads_handler, case.number)
    expect(page.locator("#pending-extension")).to_contain_text("申请延期 2小时15分")
    expect(page.locator("#callback-relay")).to_contain_text(f"{case.pk:06d}")
    shot(page, tmp_path, "handler")
