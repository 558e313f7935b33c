"""In Chromium: names and texts from the database reach every map and chart as text, never as markup.

Every name a map or chart shows (grid cells, communities, streets, categories, places, merchants,
stall goods, case descriptions) is set to a value carrying an `<img onerror>` payload. Each map is
rendered, the tooltips and popups of its features opened; the payload must show as literal text and
its script must not run (`window.__xss` stays undefined). Leaflet puts a string given to bindTooltip
or bindPopup into innerHTML: a raw name there is a stored script injection.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.analytics import rollups
from civicgrid.cases.models import Case
from civicgrid.codes.models import Merchant, Place, Stall
from civicgrid.codes.tests.conftest import codes, people  # noqa: F401  (the codes fixtures, reused)
from civicgrid.conftest import login_page
from civicgrid.grids import index
from civicgrid.grids.models import Cell, Community, Street
from civicgrid.maps.tests.conftest import bulk_cases
from civicgrid.taxonomy import cache as taxonomy_cache
from civicgrid.taxonomy.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The script a forgotten escape would run; the text a correct page shows.
SCRIPT = "<img src=x onerror=window.__xss=1>"


def hostile(label: str) -> str:
    return f"{label} {SCRIPT}"


@pytest.fixture
def hostile_city(routed_world, categories, codes):  # noqa: F811  (the imported fixture)
    world = routed_world
    cases = bulk_cases(world, categories, 24, now=timezone.now(), days_back=5, public_every=1000)
    Cell.objects.update(name=hostile("格"))
    Community.objects.update(name=hostile("社区"))
    Street.objects.update(name=hostile("街道"))
    Category.objects.update(name=hostile("类"), major_name=hostile("大类"))
    Place.objects.update(name=hostile("部件"))
    Merchant.objects.update(name=hostile("商户"))
    Stall.objects.update(goods=hostile("摊"))
    Case.objects.update(description=hostile("描述"), address=hostile("地址"))
    index.invalidate()
    taxonomy_cache.invalidate()
    rollups.rebuild()
    return world, cases


def open_all(page, scope: str) -> None:
    """Hover every interactive feature of the map in `scope` (tooltips), then click each one (popups)."""
    page.evaluate(
        """(scope) => document.querySelectorAll(scope + " .leaflet-interactive").forEach((el) => {
             el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true, clientX: 20, clientY: 20}));
           })""",
        scope,
    )


def assert_text_only(page, scope: str, *labels: str) -> None:
    """Each label's hostile value shows as literal text in an open tooltip or popup; nothing ran."""
    overlays = page.locator(f"{scope} .leaflet-tooltip, {scope} .leaflet-popup-content")
    texts = "\n".join(overlays.all_inner_texts())
    for label in labels:
        assert hostile(label) in texts, f"{label!r} not shown as text in {scope}: {texts[:300]!r}"
    expect(page.locator(f"{scope} .leaflet-tooltip img, {scope} .leaflet-popup-content img")).to_have_count(0)
    assert page.evaluate("window.__xss") is None


def test_hostile_names_are_text_on_every_map(new_page, hostile_city):
    world, cases = hostile_city

    # The city map (/map/): every layer with a tooltip.
    page = new_page(width=1600, height=1000)
    login_page(page, world.dispatcher)
    page.goto("/map/")
    for layer in ("places", "merchants", "stalls"):
        page.check(f"[data-layer={layer}]")
    for layer in ("boundaries", "cell_density", "cases", "places", "merchants", "stalls"):
        expect(page.locator("#citymap")).to_have_attribute(f"data-layer-{layer}", re.compile(r":\d+"))
    page.wait_for_function("() => document.getElementById('citymap').dataset.loading === '0'")
    open_all(page, "#citymap")
    assert_text_only(page, "#citymap", "格", "社区", "街道", "类", "部件", "商户")
    # The feature card shows the stall's goods and a merchant's name as text as well.
    page.locator("path.citymap-stalls").first.dispatch_event("click")
    expect(page.locator("#card .card-text")).to_have_text(hostile("摊"))

    # The big screen: the same layers (dark), and the charts with the hostile category names.
    leader = new_page(width=1920, height=1080)
    login_page(leader, world.leader)
    leader.goto("/screen/")
    expect(leader.locator("#s-map")).to_have_attribute("data-layer-cases", re.compile(r":\d+"))
    expect(leader.locator("#s-categories canvas")).to_have_count(1)
    leader.wait_for_function("() => document.getElementById('s-map').dataset.loading === '0'")
    open_all(leader, "#s-map")
    assert_text_only(leader, "#s-map", "格", "社区", "类")
    hover_chart(leader, "#s-categories")
    assert leader.evaluate("window.__xss") is None

    # The dashboard's charts: categories and cells by name, tooltips on hover.
    leader.goto("/dashboard/?period=30d")
    for chart in ("chart-category", "chart-cell", "chart-street"):
        expect(leader.locator(f"#{chart}")).to_have_attribute("data-state", "drawn")
        hover_chart(leader, f"#{chart}")
    assert leader.evaluate("window.__xss") is None
    expect(leader.locator("img[src=x]")).to_have_count(0)

    # The citizen's report form: the grid cells under the picker.
    citizen = new_page(width=400, height=800, mobile=True)
    login_page(citizen, world.citizen)
    citizen.goto("/m/report/")
    citizen.wait_for_function(
        "() => window.civicgridReportMap && window.civicgridReportMap.civicgridCells.getLayers().length > 0"
    )
    open_all(citizen, "#report-map")
    assert_text_only(citizen, "#report-map", "格")

    # The public case list: a popup per case with its category.
    citizen.goto("/reports/")
    expect(citizen.locator("#public-map")).to_have_attribute("data-markers", re.compile(r"[1-9]"))
    citizen.locator(
        "#public-map path.leaflet-interactive[stroke='#c62828'], #public-map path.leaflet-interactive[stroke='#2e7d32']"
    ).first.dispatch_event("click")
    assert_text_only(citizen, "#public-map", "类")

    # The grid member's map: their cells (sticky tooltips) and the cases in them (popups).
    member = new_page(width=400, height=800, mobile=True)
    login_page(member, world.grid_member)
    member.goto("/m/grid/")
    expect(member.locator("#grid-map .leaflet-interactive").first).to_be_attached()
    open_all(member, "#grid-map")
    assert_text_only(member, "#grid-map", "格")

    # The console: the hotline entry map (cells) and a case's map.
    dispatcher = new_page(width=1400, height=900)
    login_page(dispatcher, world.dispatcher)
    dispatcher.goto("/console/intake/")
    expect(dispatcher.locator("#intake-map .leaflet-interactive").first).to_be_attached()
    open_all(dispatcher, "#intake-map")
    assert_text_only(dispatcher, "#intake-map", "格")
    dispatcher.goto(f"/console/cases/{cases[0].number}/")
    expect(dispatcher.locator("body")).to_contain_text(hostile("描述"))
    expect(dispatcher.locator("#case-map .leaflet-interactive").first).to_be_attached()
    open_all(dispatcher, "#case-map")
    expect(dispatcher.locator("img[src=x]")).to_have_count(0)
    assert dispatcher.evaluate("window.__xss") is None


def hover_chart(page, selector: str) -> None:
    """Move the mouse over the chart's first data item (bar or slice) so that ECharts shows its tooltip."""
    box = page.locator(selector).bounding_box()
    x, y = page.evaluate(
        """(sel) => {
             const chart = echarts.getInstanceByDom(document.querySelector(sel));
             const option = chart.getOption();
             const n = option.yAxis && option.yAxis[0].data ? option.yAxis[0].data.length : 0;
             const value = option.series[0].data[n - 1];
             return chart.convertToPixel({seriesIndex: 0}, [value / 2, n - 1]);
           }""",
        selector,
    )
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(300)
