"""The dashboard and the big screen in Chromium: charts drawn, a bar clicked down to its cases,
the wall screen refreshing itself without navigation. Saves docs/screenshots/dashboard.png and
screen.png when $CIVICGRID_SCREENSHOTS is set (taken over a few hundred cases spread over months)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.analytics import selectors as stats
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.conftest import login_page
from civicgrid.dashboard.forms import Filters, local_today
from civicgrid.dashboard.tests.conftest import build_history, refresh_rollups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shots(tmp_path) -> Path:
    out = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def click_bar(page, chart_id: str, index_from_top: int, value: int) -> None:
    """A real mouse click in the middle of one bar of a horizontal ECharts bar chart."""
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    box = page.locator(f"#{chart_id}").bounding_box()
    x, y = page.evaluate(
        """([id, idx, value]) => {
            const chart = document.getElementById(id).civicgridChart;
            const n = chart.getOption().yAxis[0].data.length;
            return chart.convertToPixel({seriesIndex: 0}, [value / 2, n - 1 - idx]);
        }""",
        [chart_id, index_from_top, value],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_dashboard_charts_drill_down_to_the_cases(new_page, city, tmp_path):
    build_history(city, 300, days=150, seed=11, today_share=0.05)
    page = new_page(width=1920, height=1080)
    login_page(page, city.leader)
    page.goto("/dashboard/?period=quarter")
    for chart in (
        "chart-trend",
        "chart-category",
        "chart-cell",
        "chart-department",
        "chart-street",
        "chart-channel",
    ):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-state", "drawn")
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    expect(page.locator("#indicators-department table tbody tr").first).to_be_visible()
    page.screenshot(path=str(shots(tmp_path) / "dashboard.png"), full_page=False)

    # The second-largest category: click its bar, land on its cases, as many as the bar says.
    f = Filters(
        start=local_today().replace(month=(local_today().month - 1) // 3 * 3 + 1, day=1), end=local_today()
    )
    rows = stats.breakdown("reported", f.stats(), "category", 10)["rows"]
    assert len(rows) >= 2
    target = rows[1]
    click_bar(page, "chart-category", 1, target["value"])
    expect(page).to_have_url(re.compile(r"/dashboard/cases/\?.*by=category"))
    assert f"key={target['key']}" in page.url
    expect(page.locator("#drill-count")).to_have_attribute("data-count", str(target["value"]))
    expect(page.locator("h1")).to_contain_text(target["name"])
    # Each case opens on its console page.
    first = page.locator("table.drill a.case-link").first
    number = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(rf"/console/cases/{number}/"))


def test_trend_point_drills_down_to_that_day(new_page, city):
    build_history(city, 40, days=20, seed=3, today_share=0.2)
    page = new_page(width=1600, height=1000)
    login_page(page, city.dispatcher)
    page.goto("/dashboard/?period=7d")
    trend = page.locator("#chart-trend")
    expect(trend).to_have_attribute("data-state", "drawn")
    today = local_today()
    value = stats.trend("reported", Filters(start=today, end=today).stats(), "day")["points"][0]["value"]
    assert value > 0
    trend.scroll_into_view_if_needed()
    box = trend.bounding_box()
    x, y = page.evaluate("""() => {
        const chart = document.getElementById("chart-trend").civicgridChart;
        const n = chart.getOption().xAxis[0].data.length;
        const value = chart.getOption().series[0].data[n - 1];
        return chart.convertToPixel({seriesIndex: 0}, [n - 1, value]);
    }""")
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page).to_have_url(re.compile(rf"start={today}&end={today}|end={today}.*start={today}"))
    expect(page.locator("#drill-count")).to_have_attribute("data-count", str(value))


def test_big_screen_refreshes_without_reloading(new_page, city, tmp_path):
    build_history(city, 300, days=150, seed=11, today_share=0.05)
    page = new_page(width=1920, height=1080)
    login_page(page, city.leader)
    page.goto("/screen/?refresh=5")
    updated = page.locator("#s-updated")
    expect(updated).not_to_have_text("—")
    reported = page.locator('[data-k="today.reported"] strong')
    before = int(reported.inner_text())
    first_clock = updated.get_attribute("datetime")
    expect(page.locator("#s-map")).to_have_attribute("data-layer-cell_density", re.compile(r"\w+:\d+"))
    expect(page.locator("#s-departments canvas")).to_have_count(1)
    page.wait_for_timeout(800)  # let the charts settle before the picture
    page.screenshot(path=str(shots(tmp_path) / "screen.png"), full_page=False)

    page.evaluate("window.__sameDocument = true")
    case_submit(
        reporter=city.citizen,
        submission=Submission(
            description="大屏刷新测试：井盖缺失", lat=39.6155, lon=109.7655, category=city.categories["01003"]
        ),
    )
    refresh_rollups()
    expect(reported).to_have_text(str(before + 1), timeout=20_000)
    assert updated.get_attribute("datetime") != first_clock
    assert page.evaluate("window.__sameDocument") is True  # no navigation, the page updated itself
    assert int(page.locator("#screen").get_attribute("data-refreshes")) >= 2


def test_department_ranking_leaves_out_the_pseudo_department_and_thin_samples(
    new_page, city, settings, tmp_path
):
    """The ranking on the dashboard: no 未派遣 row, only departments with enough dispatched cases
    ranked, the others listed apart (样本不足); a ranked row's count opens exactly its cases,
    labelled as the column and the row."""
    build_history(city, 120, days=80, seed=7, today_share=0.05)
    f = Filters(
        start=local_today().replace(month=(local_today().month - 1) // 3 * 3 + 1, day=1), end=local_today()
    )
    counts = sorted(
        r.dispatched for r in stats.indicators("department", f.stats(dimensions=False)) if r.key is not None
    )
    assert len(counts) >= 2 and counts[0] < counts[-1]
    settings.CIVICGRID_RANKING_MIN_CASES = counts[-1]  # the busiest department ranked, the others not
    page = new_page(width=1600, height=1000)
    login_page(page, city.leader)
    page.goto("/dashboard/?period=quarter")
    table = page.locator("#indicators-department table")
    ranked = table.locator("tbody.ranked tr")
    thin = table.locator("tbody.thin tr.thin-row")
    expect(ranked.first).to_be_visible()
    expect(table).not_to_contain_text("未派遣")
    assert ranked.count() >= 1 and thin.count() >= 1
    for i in range(ranked.count()):
        assert int(ranked.nth(i).locator('td[data-field="dispatched"]').inner_text()) >= counts[-1]
        assert ranked.nth(i).locator("td").first.inner_text() == str(i + 1)
    for i in range(thin.count()):
        assert int(thin.nth(i).locator('td[data-field="dispatched"]').inner_text() or 0) < counts[-1]
        assert thin.nth(i).locator("td").first.inner_text() == "样本不足"
    expect(table.locator("tr.thin-head")).to_contain_text(f"少于 {counts[-1]} 件")
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(shots(tmp_path) / "dashboard-ranking.png"), full_page=True)

    # The first department's 派遣数 → its cases, as many as the cell says, under the same labels.
    row = ranked.first
    name = row.locator("td").nth(1).inner_text()
    cell = row.locator('td[data-field="dispatched"] a')
    value = cell.inner_text()
    cell.click()
    expect(page).to_have_url(re.compile(r"/dashboard/cases/\?.*metric=dispatched.*by=department"))
    expect(page.locator("#drill-count")).to_have_attribute("data-count", value)
    expect(page.locator("h1")).to_contain_text("派遣数")
    expect(page.locator("h1")).to_contain_text(f"处置部门：{name}")
    assert page.locator("table.drill tbody tr").count() == min(int(value), 50)
