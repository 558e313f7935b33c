"""API 客户端 in Chromium: an administrator creates a client, issues a key shown once, and finds its calls."""

import os

import pytest
from django.test import Client
from playwright.sync_api import expect

from civicgrid.accounts.models import ApiClient
from civicgrid.audit.models import ApiCall
from civicgrid.conftest import login_page
from civicgrid.core.tests.test_browser_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_client_and_sees_its_key_once(new_page, world, tmp_path):
    page = new_page(width=1440, height=1000)
    page.add_init_script(WATCH)  # Content-Security-Policy violations, collected on every page
    login_page(page, world.admin)
    page.goto("/console/")
    page.click("nav >> text=API 客户端")
    expect(page.locator("h1")).to_have_text("API 客户端")

    # A bad rate limit: the reason on the form, nothing created, what was typed kept.
    page.fill("#add-name", "12345 热线系统")
    page.select_option("#add-kind", "hotline")
    page.check("input[name=scopes][value='cases:read']")
    page.fill("#add-rate", "0")
    page.click("#client-add button[type=submit]")
    expect(page.locator("#add-error")).to_contain_text("每分钟调用上限")
    expect(page.locator("#add-name")).to_have_value("12345 热线系统")
    page.screenshot(path=os.environ.get("CLIENTS_SCREENSHOT", str(tmp_path / "clients.png")), full_page=True)
    assert not ApiClient.objects.exists()

    page.fill("#add-rate", "120")
    page.fill("#add-contact-name", "王工")
    page.click("#client-add button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已创建客户端 12345 热线系统")
    expect(page.locator("h1")).to_contain_text("12345 热线系统")

    page.click("#issue-key")
    expect(page.locator("#new-key")).to_be_visible()
    raw = page.locator("#new-key-value").inner_text()
    assert raw.startswith("cgk_")
    page.click("#copy-key")  # copies, or selects the key where the clipboard is not available
    page.screenshot(path=os.environ.get("CLIENT_SCREENSHOT", str(tmp_path / "client.png")), full_page=True)

    # The key works; the page opened again shows only its prefix.
    assert Client().get("/api/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    page.goto(f"/console/clients/{ApiClient.objects.get().pk}/")
    expect(page.locator("#new-key")).to_have_count(0)
    expect(page.locator("#keys-table")).to_contain_text(raw[:12])
    assert raw not in page.content()

    # Its calls in the log.
    page.click("#client-calls")
    expect(page.locator("h1")).to_have_text("接口调用日志")
    expect(page.locator("#calls-table")).to_contain_text("/api/cases")
    assert ApiCall.objects.count() == 1
    page.screenshot(path=os.environ.get("CALLS_SCREENSHOT", str(tmp_path / "calls.png")), full_page=True)
    assert page.evaluate("window.__csp") == []
