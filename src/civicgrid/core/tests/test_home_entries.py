"""The landing page offers each person their own ways in: a citizen reports, reads the public cases
and their own; staff get the workbench their role opens, and only staff see the API docs and the admin."""

from __future__ import annotations

import re

import pytest

CITIZEN_LINKS = ["/m/report/", "/reports/", "/m/cases/", "/m/points/"]
STAFF_ONLY = ["/api/docs", "/admin/"]


def links(html: str, section: str) -> list[str]:
    match = re.search(rf'<section class="entries" id="{section}".*?</section>', html, flags=re.S)
    return re.findall(r'href="([^"]+)"', match.group(0)) if match else []


@pytest.mark.parametrize("who", [None, "citizen"])
def test_citizens_and_visitors_get_report_public_cases_and_mine(client, world, who):
    if who:
        client.force_login(getattr(world, who))
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert all(url in links(html, "citizen-entries") for url in CITIZEN_LINKS)
    assert "随手拍" in html and "公开案件" in html and "我的上报" in html and "我的积分" in html
    assert 'id="staff-entries"' not in html
    for url in STAFF_ONLY:
        assert f'href="{url}' not in html
    assert ("需要先用手机号登录" in html) == (who is None)


@pytest.mark.parametrize(
    ("who", "expected", "absent"),
    [
        (
            "dispatcher",
            ["/console/", "/dashboard/", "/api/docs", "/admin/"],
            ["/m/grid/", "/m/points/inspect/"],
        ),
        ("roads_handler", ["/console/", "/api/docs", "/admin/"], ["/dashboard/", "/m/grid/"]),
        ("leader", ["/console/", "/dashboard/"], ["/m/grid/"]),
        ("grid_member", ["/m/grid/", "/api/docs"], ["/console/", "/dashboard/"]),
        ("inspector", ["/m/points/inspect/"], ["/console/", "/dashboard/", "/m/grid/"]),
    ],
)
def test_staff_get_the_workbench_their_role_opens(client, world, who, expected, absent):
    client.force_login(getattr(world, who))
    html = client.get("/").content.decode()
    staff = links(html, "staff-entries")
    assert all(url in staff for url in expected), staff
    assert not any(url in staff for url in absent), staff
    assert "/m/report/" in links(html, "citizen-entries")  # staff may report too


def test_every_offered_entry_opens_for_its_person(client, world):
    for who in ["citizen", "dispatcher", "roads_handler", "grid_member", "leader", "inspector"]:
        client.force_login(getattr(world, who))
        html = client.get("/").content.decode()
        for url in links(html, "staff-entries") + links(html, "citizen-entries"):
            if url.startswith("/api/docs"):
                continue
            assert client.get(url, follow=True).status_code == 200, (who, url)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_entries_in_a_browser(new_page, world):
    from playwright.sync_api import expect

    from civicgrid.conftest import login_page

    visitor = new_page(width=360, height=740, mobile=True)
    visitor.goto("/")
    expect(visitor.locator("#citizen-entries a").first).to_contain_text("随手拍")
    expect(visitor.locator("#staff-entries")).to_have_count(0)
    visitor.screenshot(path="/tmp/citizen-home-visitor.png", full_page=True)
    dispatcher = new_page()
    login_page(dispatcher, world.dispatcher)
    dispatcher.goto("/")
    expect(dispatcher.locator("#staff-entries")).to_contain_text("工作人员入口")
    dispatcher.screenshot(path="/tmp/citizen-home-dispatcher.png", full_page=True)
    dispatcher.locator("#staff-entries a", has_text="统计看板").click()
    expect(dispatcher).to_have_url(re.compile(r"/dashboard/"))
