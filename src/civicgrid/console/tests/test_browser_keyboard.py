"""The console without a mouse: every action is reached by Tab with a visible focus, errors take the focus."""

import pytest
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.console.tests.helpers import NORTH_1, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_actions_are_reached_by_tab_with_a_visible_focus_and_errors_take_the_focus(new_page, city):
    case = report(city.citizen, NORTH_1, category=city.categories["06013"])
    page = new_page(width=1920, height=1080)
    login_page(page, city.dispatcher)
    page.goto(f"/console/cases/{case.number}/?from=new")
    tab_to(page, "#form-register button[type=submit]")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    tab_to(page, "#reject-note")
    page.keyboard.type("   ")  # passes the browser's own check, not the server's
    tab_to(page, "#form-reject button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#reject-note-error")).to_have_text("不予立案需要填写说明/理由")
    expect(page.locator("#reject-note")).to_be_focused()
    expect(page.locator("#case-status")).to_have_text("待立案")


def test_the_queue_search_filters_without_reloading(new_page, city):
    a = report(city.citizen, NORTH_1, category=city.categories["06013"], description="井盖丢失")
    b = report(city.citizen, (39.605, 109.765), category=city.categories["09006"], description="占道摆摊")
    page = new_page(width=1920, height=1080)
    login_page(page, city.dispatcher)
    page.goto("/console/queue/new/")
    expect(page.locator("tbody tr")).to_have_count(2)
    page.keyboard.press("/")
    page.keyboard.type("摆摊")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator(f"tr[data-number='{b.number}']")).to_be_visible()
    assert "q=" in page.url  # the filter is in the address: a reload or a shared link keeps it
    page.select_option("#f-category", "matter:06013")
    page.fill("#f-q", "")
    expect(page.locator(f"tr[data-number='{a.number}']")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
