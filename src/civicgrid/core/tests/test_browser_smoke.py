import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_in_chromium(new_page):
    page = new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "城市精细化治理平台" in page.title()
    css = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert css == "rgb(245, 247, 250)"  # the vendored stylesheet was served
    assert page.evaluate("typeof htmx") == "object"  # and the vendored htmx
