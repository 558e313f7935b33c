"""The sign-in guards in a real browser: the SMS page's image captcha and the lockout page."""

from __future__ import annotations

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import expect

from civicgrid.accounts.sms import MemorySmsSender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_h5_page_shows_a_captcha_that_a_person_can_answer(new_page, sms, settings):
    settings.CIVICGRID_SMS_CAPTCHA_AFTER = 1
    page = new_page(width=390, height=844, mobile=True)
    page.goto("/accounts/code/")
    expect(page.locator("#id_captcha")).to_have_count(0)
    page.fill("#id_phone", "13712340001")
    page.click("button[value=send]")
    expect(page.locator("#id_code")).to_be_visible()
    page.click("text=更换手机号")
    image = page.locator(".captcha img")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('.captcha img').complete")
    assert page.evaluate("document.querySelector('.captcha img').naturalWidth") > 0  # the picture loads
    page.fill("#id_phone", "13712340002")
    page.fill("#id_captcha", "wrong")
    page.click("button[value=send]")
    expect(page.locator("#error-captcha")).to_contain_text("图片验证码不正确")
    expect(page.locator("#id_phone")).to_have_value("13712340002")
    key = page.locator("input[name=captcha_key]").first.get_attribute("value")
    page.fill("#id_captcha", CaptchaStore.objects.get(hashkey=key).response)
    page.click("button[value=send]")
    expect(page.locator("#id_code")).to_be_visible()
    assert MemorySmsSender.last_text_to("13712340002")


def test_the_admin_login_locks_with_a_readable_page(new_page, world):
    page = new_page()
    for n in range(5):
        page.goto("/admin/login/")
        page.fill("#id_username", world.admin.phone)
        page.fill("#id_password", f"wrong-{n}")
        page.click("[type=submit]")
    expect(page.locator("h1")).to_contain_text("登录已暂时锁定")
    expect(page.locator("[role=alert]")).to_contain_text("15 分钟后再试")
