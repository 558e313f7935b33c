"""In Chromium: the base map every map draws (the drawn town, or tiles from a local MBTiles file),
the address search placing the point of a citizen's report and of a hotline entry, and a map click
showing the nearest address."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.cases.models import Case
from civicgrid.conftest import login_page
from civicgrid.demo.town import build_town
from civicgrid.gazetteer.models import Place
from civicgrid.gazetteer.tests.tilefiles import city_tiles, make_mbtiles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shots(tmp_path) -> Path:
    out = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def pick(page, typed: str, name: str) -> None:
    """Type into the address search box and pick the place called `name` from the list."""
    page.fill("#place-q", typed)
    option = page.locator("#place-q-results li[role=option]", has_text=name).first
    expect(option).to_be_visible()
    option.click()
    expect(page.locator("#place-q-results")).to_be_hidden()


def test_the_city_map_draws_the_demo_town_without_tiles(new_page, routed_world, tmp_path, settings):
    settings.CIVICGRID_TILE_URL = ""
    settings.CIVICGRID_MBTILES_PATH = ""
    build_town()
    roads = Place.objects.filter(kind="road").count()
    page = new_page(width=1280, height=800)
    login_page(page, routed_world.dispatcher)
    page.goto("/map/")
    stage = page.locator("#citymap")
    expect(stage).to_have_attribute("data-basemap", "vector")
    expect(stage).to_have_attribute("data-base-roads", str(roads))
    # Roads are drawn as lines in the base pane (casing and surface), blocks as filled areas.
    assert page.locator(".leaflet-cg-base-pane path").count() >= 2 * roads
    # Staff are told, in one line, that no base map is configured.
    expect(page.locator(".cg-basemap-notice")).to_have_text("未配置底图，显示平台数据绘制的示意底图")
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("示意底图")
    # Close in, the road names appear.
    page.evaluate("document.getElementById('citymap').civicgridMap.setView([39.6105, 109.7685], 16)")
    expect(page.locator(".leaflet-cg-base-labels-pane").get_by_text("人民路").first).to_be_visible()
    page.screenshot(path=shots(tmp_path) / "basemap-drawn.png")
    # A click shows the nearest address.
    crossing = Place.objects.filter(kind="intersection").order_by("name").first()
    page.evaluate(
        f"document.getElementById('citymap').civicgridMap.setView([{crossing.lat}, {crossing.lon}], 17)"
    )
    page.wait_for_timeout(400)
    box = stage.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".cg-address-line")).to_have_text(f"{crossing.name}附近")


def test_the_map_draws_tiles_from_a_local_mbtiles_file(new_page, routed_world, tmp_path, settings):
    path = make_mbtiles(
        tmp_path / "city.mbtiles", city_tiles(39.60, 109.76, 39.62, 109.79), attribution="© 康巴什测绘院"
    )
    settings.CIVICGRID_TILE_URL = ""
    settings.CIVICGRID_MBTILES_PATH = str(path)
    page = new_page(width=1280, height=800)
    answers = []
    page.on("response", lambda r: answers.append((r.url, r.status)) if "/tiles/" in r.url else None)
    login_page(page, routed_world.citizen)
    page.goto("/map/")
    stage = page.locator("#citymap")
    expect(stage).to_have_attribute("data-basemap", "file")
    tiles = page.locator("#citymap img.leaflet-tile-loaded")
    expect(tiles.first).to_be_visible()
    assert page.evaluate(
        "Array.from(document.querySelectorAll('#citymap img.leaflet-tile-loaded')).every(i => i.naturalWidth === 256)"
    )
    assert any(status == 200 for _url, status in answers)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© 康巴什测绘院")
    expect(page.locator(".cg-basemap-notice")).to_have_count(0)
    page.screenshot(path=shots(tmp_path) / "basemap-mbtiles.png")


def test_an_address_typed_in_the_report_form_places_the_point(new_page, routed_world, categories, tmp_path):
    build_town()
    school = Place.objects.get(name="第一小学")
    page = new_page(width=360, height=740, mobile=True)
    login_page(page, routed_world.citizen)
    page.goto("/m/report/")
    # A tap on the map fills the address with the nearest one; a place picked later replaces it.
    expect(page.locator("#report-map")).to_have_attribute("data-basemap", "vector")
    page.locator("#report-map").click()
    expect(page.locator("#id_address")).to_have_value(re.compile("附近$"))
    pick(page, "dyxx", "第一小学")  # by its pinyin initials
    assert (float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))) == (
        round(school.lat, 6),
        round(school.lon, 6),
    )
    assert page.input_value("#id_address") == "第一小学"
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    page.screenshot(path=shots(tmp_path) / "report-search.png", full_page=True)
    page.select_option("#id_category", "matter:06013")
    page.fill("#id_description", "学校门口的人行道有一处坑洞")
    page.click("#submit-button")
    page.wait_for_url("**/m/cases/*/")
    case = Case.objects.get()
    assert (round(case.lat, 6), round(case.lon, 6)) == (round(school.lat, 6), round(school.lon, 6))
    assert case.address == "第一小学"


def test_an_address_typed_in_the_hotline_entry_places_the_point(new_page, routed_world, categories, tmp_path):
    build_town()
    crossing = Place.objects.filter(kind="intersection").order_by("name").first()
    page = new_page(width=1280, height=900)
    login_page(page, routed_world.dispatcher)
    page.goto("/console/intake/")
    page.fill("#id_description", "来电反映路口井盖缺失")
    pick(page, crossing.name[:3], crossing.name)  # part of the name
    expect(page.locator('#intake-map path[stroke="#c62828"]')).to_have_count(1)  # the place marker
    page.wait_for_timeout(500)  # the map's zoom animation
    page.screenshot(path=shots(tmp_path) / "intake-search.png", full_page=True)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/cases/**")
    case = Case.objects.get()
    assert (round(case.lat, 6), round(case.lon, 6)) == (round(crossing.lat, 6), round(crossing.lon, 6))
    assert case.address == crossing.name
    assert case.channel == "hotline"
