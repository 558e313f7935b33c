"""Two-level command in Chromium: a district dispatcher's console lists only the district's cases."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.grids.tests.scope_city import SEES, build_scoped_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_district_dispatchers_console_shows_only_the_districts_cases(new_page, routed_world, categories):
    city = build_scoped_city(routed_world, categories)
    page = new_page(width=1600, height=1000)
    login_page(page, city.dispatchers["district"])
    page.goto("/console/queue/all/")
    expect(page.locator("#command-area")).to_have_text("指挥范围：康巴什区")
    rows = page.locator("tr[data-number]")
    expect(rows).to_have_count(len(city.numbers(SEES["district"])))
    shown = {rows.nth(i).get_attribute("data-number") for i in range(rows.count())}
    assert shown == city.numbers(SEES["district"])
    # The street picker offers the district's streets only.
    options = page.locator("select[name=street] option")
    assert {options.nth(i).get_attribute("value") for i in range(options.count())} - {""} == SEES["district"]
    # The city's dispatcher, beside them, sees every district's cases and no command area.
    city_page = new_page(width=1600, height=1000)
    login_page(city_page, city.dispatchers["city"])
    city_page.goto("/console/queue/all/")
    expect(city_page.locator("tr[data-number]")).to_have_count(len(city.numbers(SEES["city"])))
    expect(city_page.locator("#command-area")).to_have_count(0)
