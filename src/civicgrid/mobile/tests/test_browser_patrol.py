"""The grid member's patrol map in Chromium: it opens on their own cells, warns for a place outside them,
and the grid map says what its dots mean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.mobile.tests.helpers import NORTH_1, NORTH_2, report
from civicgrid.mobile.tests.test_browser_h5 import phone_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, tmp_path, name):
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_patrol_map_warns_outside_my_cells(new_page, routed_world, categories, tmp_path):
    page = phone_page(new_page, routed_world.grid_member)
    page.goto("/m/grid/report/")
    warning = page.locator("#outside-cells")
    expect(warning).to_be_hidden()
    page.fill("#id_lat", str(NORTH_2[0]))
    page.fill("#id_lon", str(NORTH_2[1]))
    page.locator("#id_lon").dispatch_event("change")
    expect(warning).to_be_visible()
    shot(page, tmp_path, "patrol-outside")
    page.fill("#id_lat", str(NORTH_1[0]))
    page.fill("#id_lon", str(NORTH_1[1]))
    page.locator("#id_lon").dispatch_event("change")
    expect(warning).to_be_hidden()


def test_grid_map_legend(new_page, routed_world, categories, tmp_path):
    report(routed_world.citizen, category=categories["06013"], description="格内的坑")
    page = phone_page(new_page, routed_world.grid_member)
    page.goto("/m/grid/")
    expect(page.locator("#map-legend")).to_contain_text("待立案")
    shot(page, tmp_path, "grid-home")
