"""In Chromium: the city map with a few hundred cases — layers drawn, toggled, filtered by time, a case
clicked through to its page (console for staff, public page for visitors), the English switch."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.analytics import rollups
from civicgrid.cases.models import Case
from civicgrid.conftest import login_page
from civicgrid.maps.tests.conftest import scatter_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1920, "height": 1080}


def shots(tmp_path) -> Path:
    """Screenshots go to $CIVICGRID_SCREENSHOTS when set (to keep them), else the test's tmp dir."""
    out = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def city(routed_world, categories):
    now = timezone.now()
    cases = scatter_cases(routed_world, categories, 400, now=now)
    rollups.rebuild()  # what the worker keeps current: the density choropleth reads the rollup
    return routed_world, cases, now


def since(cases: list[Case], now, days: int, *, public: bool = False) -> int:
    first = timezone.localdate(now) - timedelta(days=days - 1)
    # The public see published cases only: public, and registered (立案) or further.
    return sum(
        1 for c in cases if timezone.localdate(c.created_at) >= first and (c.is_published or not public)
    )


def drawn(page, layer: str):
    return page.locator(f"#citymap[data-layer-{layer}]")


def test_a_dispatcher_layers_filters_and_opens_a_case(new_page, city, tmp_path, settings):
    world, cases, now = city
    # The case layers change with the clock; one span for the whole test, so that going back to a
    # view asked before is answered with a 304 even when the test runs across a minute.
    settings.CIVICGRID_MAP_LIVE_SECONDS = 10**9
    page = new_page(**SCREEN)
    login_page(page, world.dispatcher)
    page.goto("/map/")
    # The staff defaults: boundaries, cell density, cases of the last 30 days.
    expect(drawn(page, "cases")).to_have_attribute("data-layer-cases", f"points:{since(cases, now, 30)}")
    expect(drawn(page, "cell_density")).to_have_attribute("data-layer-cell_density", "choropleth:5")
    expect(drawn(page, "boundaries")).to_have_attribute("data-layer-boundaries", "boundaries:3")
    expect(page.locator("path.citymap-cases")).to_have_count(since(cases, now, 30))
    expect(page.locator("[data-legend=cases]")).to_be_visible()
    expect(page.locator("[data-legend=cell_density] .legend-item").first).to_be_visible()

    # Toggle layers: the overdue choropleth on, the density off.
    page.check("[data-layer=cell_overdue]")
    expect(drawn(page, "cell_overdue")).to_have_attribute("data-layer-cell_overdue", "choropleth:5")
    expect(page.locator("[data-legend=cell_overdue]")).to_be_visible()
    page.uncheck("[data-layer=cell_density]")
    expect(drawn(page, "cell_density")).to_have_count(0)
    expect(page.locator("path.citymap-cell_density")).to_have_count(0)
    expect(page.locator("[data-legend=cell_density]")).to_have_count(0)

    # Time filter: presets and dates reload the layers.
    page.click("[data-preset='7d']")
    expect(drawn(page, "cases")).to_have_attribute("data-layer-cases", f"points:{since(cases, now, 7)}")
    assert since(cases, now, 7) < since(cases, now, 30)
    page.click("[data-preset='today']")
    expect(drawn(page, "cases")).to_have_attribute("data-layer-cases", f"points:{since(cases, now, 1)}")
    today = timezone.localdate(now)
    page.fill("#start", str(today - timedelta(days=59)))
    page.fill("#end", str(today))
    page.locator("#end").dispatch_event("change")
    expect(drawn(page, "cases")).to_have_attribute("data-layer-cases", f"points:{since(cases, now, 60)}")
    page.click("[data-preset='30d']")
    expect(drawn(page, "cases")).to_have_attribute("data-layer-cases", f"points:{since(cases, now, 30)}")
    # Back to a view asked before: answered from the kept copy after a 304.
    assert int(page.locator("#citymap").get_attribute("data-not-modified") or 0) >= 1

    page.check("[data-layer=cell_density]")
    page.uncheck("[data-layer=cell_overdue]")
    expect(drawn(page, "cell_density")).to_have_attribute("data-layer-cell_density", "choropleth:5")
    page.locator("path.citymap-cases").last.click()
    card = page.locator("#card")
    expect(card).to_be_visible()
    expect(card.locator(".card-rows")).to_contain_text("处置部门")
    page.screenshot(path=str(shots(tmp_path) / "map.png"))

    link = card.locator(".card-link")
    href = link.get_attribute("href")
    assert href.startswith("/console/cases/")
    number = href.rstrip("/").rsplit("/", 1)[1]
    assert number in card.locator(".card-title").inner_text()
    link.click()
    page.wait_for_url(f"**/console/cases/{number}/")
    expect(page.locator("body")).to_contain_text(number)


def test_a_visitor_sees_public_layers_and_reaches_the_public_page_in_english(new_page, city):
    world, cases, now = city
    page = new_page()
    page.goto("/map/")
    expect(drawn(page, "cases")).to_have_attribute(
        "data-layer-cases", f"points:{since(cases, now, 30, public=True)}"
    )
    expect(page.locator("[data-layer=cell_density]")).to_have_count(0)  # a staff layer is not offered
    expect(page.locator("[data-layer=stalls]")).to_have_count(0)

    page.click("button[lang=en]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#layer-control legend")).to_have_text("Layers")
    expect(page.locator("[data-preset='7d']")).to_have_text("Last 7 days")
    expect(drawn(page, "cases")).to_have_attribute(
        "data-layer-cases", f"points:{since(cases, now, 30, public=True)}"
    )
    page.check("[data-layer=duplicates]")
    expect(drawn(page, "duplicates")).to_be_visible()
    page.uncheck("[data-layer=duplicates]")

    page.locator("path.citymap-cases").last.click()
    card = page.locator("#card")
    expect(card).to_be_visible()
    expect(card.locator(".card-rows")).to_contain_text("Status")
    expect(card.locator(".card-rows")).not_to_contain_text("Department")
    link = card.locator(".card-link")
    href = link.get_attribute("href")
    assert href.startswith("/reports/")
    number = href.rstrip("/").rsplit("/", 1)[1]
    assert Case.objects.get(number=number).is_public
    link.click()
    page.wait_for_url(f"**/reports/{number}/")
    expect(page.locator("body")).to_contain_text(number)


def test_many_cases_in_view_come_as_counts_that_zoom_in_when_clicked(new_page, city, monkeypatch):
    from civicgrid.maps import layers

    world, cases, now = city
    monkeypatch.setattr(layers, "POINT_LIMIT", 60)  # the live server runs in this process
    page = new_page(**SCREEN)
    login_page(page, world.leader)
    page.goto("/map/")
    expect(drawn(page, "cases")).to_have_attribute("data-layer-cases", re.compile(r"^binned:\d+$"))
    hexagons = page.locator("path.citymap-bin")
    assert 0 < hexagons.count() < since(cases, now, 30)
    expect(page.locator("[data-legend=cases]")).to_contain_text("已按六边形汇总")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#citymap")).to_have_attribute("data-loading", "0")
    zoom = page.evaluate("window.citymap.map.getZoom()")
    hexagons.first.click(force=True)
    expect(page.locator("#card .card-title")).to_contain_text("件案件")
    page.wait_for_function(f"() => window.citymap.map.getZoom() > {zoom}")
