"""In Chromium: the hot issues panel of the dashboard, an issue's cases, the map layer and the big screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.hotspots.models import HotIssue, HotIssueStatus
from civicgrid.hotspots.services import hot_issues_refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1600, "height": 1000}


def shots(tmp_path) -> Path:
    out = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_a_leader_follows_a_hot_issue_from_the_dashboard_and_the_map(
    new_page, world, recent_history, tmp_path
):
    recent_history()
    hot_issues_refresh()
    top = HotIssue.objects.filter(status=HotIssueStatus.ACTIVE).order_by("-heat").first()
    page = new_page(**SCREEN)
    login_page(page, world.leader)

    page.goto("/dashboard/")
    panel = page.locator("#hot-issues")
    expect(panel).to_be_visible()
    rows = panel.locator("tbody tr")
    expect(rows.first).to_have_attribute("data-issue", str(top.pk))
    expect(rows.first).to_contain_text(top.representative_text[:10])
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(shots(tmp_path) / "hotspots-dashboard-test.png"))
    rows.first.locator(".hot-text a").click()
    page.wait_for_url(f"**/dashboard/hotspots/{top.pk}/")
    expect(page.locator("table.drill tbody tr")).to_have_count(top.case_count)
    expect(page.locator("#hot-count")).to_contain_text(f"{top.case_count} 件案件")

    page.goto("/map/")
    page.uncheck("[data-layer=cases]")  # the case points would sit on top of the circles' centres
    page.check("[data-layer=hotspots]")
    el = page.locator("#citymap[data-layer-hotspots]")
    expect(el).to_have_attribute("data-layer-hotspots", f"points:{len(page_features(page))}")
    circles = page.locator("path.citymap-hotspots")
    expect(circles.first).to_be_visible()
    expect(page.locator("[data-legend=hotspots]")).to_be_visible()
    circles.first.click(force=True)
    card = page.locator("#card")
    expect(card).to_be_visible()
    expect(card.locator(".card-rows")).to_contain_text("热度")
    page.screenshot(path=str(shots(tmp_path) / "hotspots-map-test.png"))
    link = card.locator(".card-link")
    assert link.get_attribute("href").startswith("/dashboard/hotspots/")

    page.goto("/screen/")
    expect(page.locator("#s-hot li").first).to_have_attribute("data-issue", str(top.pk))


def page_features(page) -> list:
    """The layer as the page's own request gets it (same cookies), for the expected count."""
    r = page.request.get("/api/map/layers/hotspots?bbox=109.70,39.55,109.85,39.67&zoom=14")
    return r.json()["features"]
