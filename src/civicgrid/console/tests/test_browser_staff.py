"""人员管理 in Chromium: a department admin adds a person, moves them, resets a password, imports a sheet."""

import io
import os

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from civicgrid.accounts.models import User
from civicgrid.conftest import login_page
from civicgrid.core.tests.test_browser_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_department_admin_manages_the_staff(new_page, world, tmp_path):
    page = new_page(width=1440, height=1000)
    page.add_init_script(WATCH)  # Content-Security-Policy violations, collected on every page
    login_page(page, world.department_admin)
    page.goto("/console/")
    page.click("text=人员管理")
    expect(page.locator("h1")).to_have_text("人员管理")
    expect(page.locator("#staff-table")).to_contain_text("刘洋")
    expect(page.locator("#staff-table")).not_to_contain_text("陈静")

    # Add a person to the section 住建局市政科.
    page.fill("#add-phone", "13800007771")
    page.fill("#add-name", "钱七")
    page.select_option("#add-role", "handler")
    page.select_option("#add-department", label="住建局市政科")
    page.click("#staff-add button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已添加人员 钱七")
    row = page.locator("tr[data-phone='13800007771']")
    expect(row).to_contain_text("钱七")

    # A bad number: the reason next to the form, nothing added.
    page.fill("#add-phone", "12345")
    page.fill("#add-name", "无效")
    page.click("#staff-add button[type=submit]")
    expect(page.locator("#add-error")).to_contain_text("11 位")

    # Move them to the bureau itself, then reset their password: shown once.
    person = User.objects.get(phone="13800007771")
    row = page.locator("tr[data-phone='13800007771']")
    row.locator(f"#dept-{person.pk}").select_option(label="住房和城乡建设局")
    row.locator("form[action$='/move/'] button").click()
    expect(page.locator(".messages")).to_contain_text("已将 钱七 调到 住房和城乡建设局")
    page.locator("tr[data-phone='13800007771'] form[action$='/password/'] button").click()
    expect(page.locator("#temp-password")).to_contain_text("钱七")
    raw = page.locator("#temp-password-value").inner_text()
    assert len(raw) == 12
    page.screenshot(path=os.environ.get("STAFF_SCREENSHOT", str(tmp_path / "staff.png")), full_page=True)

    # Deactivate.
    page.locator("tr[data-phone='13800007771'] form[action$='/active/'] button").click()
    expect(page.locator("tr[data-phone='13800007771'] td.status")).to_have_text("已停用")
    person.refresh_from_db()
    assert (person.department.code, person.is_active) == ("ZJJ", False)

    # Import a sheet with a bad row: the row number is shown and nobody is added.
    book = Workbook()
    book.active.append(["手机号", "姓名", "角色", "部门编码"])
    book.active.append(["13800007772", "孙一", "处置人员", "ZJJ"])
    book.active.append(["13800007773", "孙二", "系统管理员", "ZJJ"])
    out = io.BytesIO()
    book.save(out)
    sheet = tmp_path / "staff.xlsx"
    sheet.write_bytes(out.getvalue())
    page.set_input_files("#import-file", str(sheet))
    page.click("#staff-import button[type=submit]")
    expect(page.locator("#import-error")).to_contain_text("第 3 行")
    page.screenshot(
        path=os.environ.get("STAFF_SCREENSHOT_ERR", str(tmp_path / "staff-err.png")), full_page=True
    )
    assert not User.objects.filter(phone__in=["13800007772", "13800007773"]).exists()
    assert page.evaluate("window.__csp") == []
