"""The H5 pages in a real Chromium at a 360 × 740 phone viewport."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import Case, CaseFollower, CasePhoto
from civicgrid.conftest import login_page
from civicgrid.mobile.tests.helpers import (
    CELL_NORTH_1,
    NORTH_1_BOX,
    jpeg_bytes,
    last_code,
    move,
    report,
    run_to_closed,
    run_to_handled,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740, "mobile": True}
DRAFT = "civicgrid.report-draft.app"


def phone_page(new_page, user=None, **kwargs):
    page = new_page(**{**PHONE, **kwargs})
    if user is not None:
        login_page(page, user)
    return page


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def click_map_at(page, lat: float, lon: float) -> None:
    """Tap the report map where (lat, lon) is drawn."""
    page.wait_for_function("() => window.civicgridReportMap !== undefined")
    point = page.evaluate(
        """([lat, lon]) => {
             const map = window.civicgridReportMap;
             map.setView([lat, lon], 16, {animate: false});
             const p = map.latLngToContainerPoint([lat, lon]);
             return {x: p.x, y: p.y};
           }""",
        [lat, lon],
    )
    page.locator("#report-map").click(position=point)


def photo_file(tmp_path, name: str = "pothole.jpg") -> str:
    path = tmp_path / name
    path.write_bytes(jpeg_bytes(size=(120, 90)))
    return str(path)


def test_report_with_a_photo_and_a_map_click(new_page, routed_world, categories, tmp_path):
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/report/")
    page.set_input_files("#id_photos_album", photo_file(tmp_path))
    expect(page.locator("#previews img")).to_have_count(1)
    click_map_at(page, 39.6155, 109.7645)  # inside 李强's cell 150603001001001
    expect(page.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert abs(lat - 39.6155) < 0.0003 and abs(lon - 109.7645) < 0.0003
    page.select_option("#id_category", "matter:06013")
    page.fill("#id_description", "人行道上有一处坑洞，晚上看不清")
    assert no_horizontal_scroll(page)
    page.click("#submit-button")
    page.wait_for_url("**/m/cases/*/")

    case = Case.objects.get()
    assert page.url.endswith(f"/m/cases/{case.number}/")
    assert case.reporter == routed_world.citizen and case.category == categories["06013"]
    assert case.cell.code == CELL_NORTH_1
    min_lon, min_lat, max_lon, max_lat = NORTH_1_BOX
    assert min_lat < case.lat < max_lat and min_lon < case.lon < max_lon
    assert (round(case.lat, 6), round(case.lon, 6)) == (lat, lon)
    assert CasePhoto.objects.filter(case=case, stage="report").count() == 1
    expect(page.locator("#case-status")).to_have_text("待立案")
    assert page.evaluate(f"localStorage.getItem('{DRAFT}')") is None  # the draft is gone after success
    assert no_horizontal_scroll(page)


# The page's fetch, wrapped so that the first POST reaches the server but its answer is lost, as on a
# flaky mobile network. (Playwright's request interception does not take bodies with files.)
LOSE_FIRST_ANSWER = """
(() => {
  const realFetch = window.fetch;
  window.fetch = function (url, options) {
    if (options && options.method === "POST") {
      const posts = JSON.parse(sessionStorage.getItem("posts") || "[]");
      posts.push(options.headers["Idempotency-Key"]);
      sessionStorage.setItem("posts", JSON.stringify(posts));
      if (posts.length === 1) {
        return realFetch(url, options).then(() => { throw new TypeError("Failed to fetch"); });
      }
    }
    return realFetch(url, options);
  };
})();
"""


def test_a_lost_answer_is_retried_with_the_same_key_and_makes_one_case(
    new_page, routed_world, categories, tmp_path
):
    page = phone_page(new_page, routed_world.citizen)
    page.add_init_script(LOSE_FIRST_ANSWER)
    page.goto("/m/report/")
    key = page.input_value("input[name=idempotency_key]")
    page.set_input_files("#id_photos_album", photo_file(tmp_path))
    page.fill("#id_lat", "39.6150")
    page.fill("#id_lon", "109.7650")
    page.fill("#id_description", "路灯不亮")
    page.click("#submit-button")
    expect(page.locator("#retry-panel")).to_be_visible()
    assert Case.objects.count() == 1  # the server did get it
    assert page.input_value("#id_description") == "路灯不亮"  # the form kept its content
    expect(page.locator("#previews img")).to_have_count(1)
    assert json.loads(page.evaluate(f"localStorage.getItem('{DRAFT}')"))["idempotency_key"] == key

    page.click("#retry-button")
    page.wait_for_url("**/m/cases/*/")
    assert json.loads(page.evaluate("sessionStorage.getItem('posts')")) == [key, key]
    case = Case.objects.get()  # one case, not two
    assert case.idempotency_key == key and case.photos.count() == 1
    assert page.url.endswith(f"/m/cases/{case.number}/")
    expect(page.locator(".messages")).to_contain_text("这份上报已经提交过")


def test_a_failed_submit_survives_a_reload(new_page, routed_world, categories):
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/report/")
    key = page.input_value("input[name=idempotency_key]")
    page.fill("#id_lat", "39.6150")
    page.fill("#id_lon", "109.7650")
    page.fill("#id_description", "下水道井盖松动")
    page.route(
        "**/m/report/",
        lambda route: (
            route.abort("internetdisconnected") if route.request.method == "POST" else route.continue_()
        ),
    )
    page.click("#submit-button")
    expect(page.locator("#retry-panel")).to_be_visible()
    assert not Case.objects.exists()
    page.unroute("**/m/report/")

    page.reload()
    expect(page.locator("#draft-notice")).to_be_visible()
    assert page.input_value("#id_description") == "下水道井盖松动"
    assert page.input_value("input[name=idempotency_key]") == key
    page.click("#submit-button")
    page.wait_for_url("**/m/cases/*/")
    assert Case.objects.get().idempotency_key == key


def test_errors_from_the_server_are_shown_next_to_the_fields(new_page, routed_world, categories):
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/report/")
    page.click("#submit-button")
    expect(page.locator("#error-description")).to_have_text("请描述问题")
    expect(page.locator("#error-location")).to_contain_text("请在地图上点选位置")
    expect(page.locator("#retry-panel")).to_be_hidden()
    assert not Case.objects.exists()


def test_nearby_cases_are_offered_and_me_too_joins(new_page, routed_world, categories):
    original = report(routed_world.inspector, category=categories["06013"], description="路面塌陷一个大坑")
    move(original, "register", routed_world.dispatcher)  # its text is shown once registered
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/report/?lat=39.6151&lon=109.7651&category=matter:06013")
    nearby = page.locator("#nearby")
    expect(nearby).to_contain_text("路面塌陷一个大坑")
    nearby.get_by_role("button", name="我也遇到了").click()
    expect(nearby).to_contain_text("已附议")
    assert CaseFollower.objects.filter(case=original, user=routed_world.citizen).exists()
    assert Case.objects.count() == 1
    nearby.get_by_role("link", name="查看进度").click()
    page.wait_for_url(f"**/m/cases/{original.number}/")


def test_choosing_a_category_by_search_shows_the_nearby_cases(new_page, routed_world, categories):
    move(
        report(routed_world.inspector, category=categories["01003"], description="雨水井盖丢了"),
        "register",
        routed_world.dispatcher,
    )
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/report/?lat=39.6150&lon=109.7650")
    page.fill("#category-search", "井盖")
    page.locator("#category-results button", has_text="雨水井盖").click()
    assert page.input_value("#id_category") == "component:01003"
    expect(page.locator("#nearby")).to_contain_text("雨水井盖丢了")


def test_my_cases_and_rating_on_a_phone(new_page, routed_world, categories):
    citizen = routed_world.citizen
    for i in range(3):
        report(citizen, description="很长的描述" * 40 + f" {i}", point=(39.6101 + i * 0.001, 109.7601))
    case = run_to_closed(
        report(citizen, category=categories["06013"], photos=1), routed_world, feedback_photos=1
    )
    page = phone_page(new_page, citizen)
    page.goto("/m/cases/")
    expect(page.locator(".items > li")).to_have_count(4)
    assert no_horizontal_scroll(page)
    page.locator(f"a[href='/m/cases/{case.number}/']").click()
    expect(page.locator(".timeline")).to_contain_text("结案")
    expect(page.locator("#result-photos")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.locator("#rate label", has_text="基本满意").click()
    page.fill("#id_comment", "还可以")
    page.click("#rate button[type=submit]")
    expect(page.locator("#my-rating")).to_contain_text("基本满意")
    case.refresh_from_db()
    assert case.rating == "basically" and case.rating_comment == "还可以"


def test_sign_up_with_a_phone_code(new_page, db, sms):
    page = phone_page(new_page)
    page.goto("/m/report/")
    page.wait_for_url("**/accounts/code/?next=/m/report/")
    page.fill("#id_phone", "13712345678")
    page.click("button[value=send]")
    page.fill("#id_code", last_code("13712345678"))
    page.click("button[value=verify]")
    page.wait_for_url("**/m/report/")
    assert User.objects.get(phone="13712345678").role == Role.CITIZEN
    assert no_horizontal_scroll(page)


def test_grid_member_verifies_on_site_with_a_photo(new_page, routed_world, categories, tmp_path):
    case = run_to_handled(report(routed_world.citizen, category=categories["06013"]), routed_world)
    page = phone_page(new_page, routed_world.grid_member)
    page.goto("/m/grid/")
    expect(page.locator("#grid-map path.leaflet-interactive").first).to_be_visible()
    page.goto("/m/grid/verify/")
    page.locator(f"a[href='/m/grid/verify/{case.number}/']").click()
    page.set_input_files("#id_photos", photo_file(tmp_path, "onsite.jpg"))
    page.fill("#id_note", "现场已修复")
    page.click("button[value=verify]")
    page.wait_for_url("**/m/grid/verify/")
    case.refresh_from_db()
    assert case.status == "verified"
    assert case.photos.filter(stage="verify").count() == 1
    assert no_horizontal_scroll(page)


def test_touch_targets_are_large_enough(new_page, routed_world, categories):
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/report/")
    sizes = page.evaluate("""() => [...document.querySelectorAll(
        'button, select, textarea, input:not([type=hidden]):not(.photo-input), .button, .tabbar a, .back')]
      .filter(el => el.offsetParent !== null && !el.closest('.leaflet-container'))
      .map(el => [el.outerHTML.slice(0, 60), el.getBoundingClientRect().height])""")
    assert len(sizes) > 15
    assert [(html, h) for html, h in sizes if h < 44] == []


def test_switching_to_english_changes_the_page_language(new_page, routed_world):
    page = phone_page(new_page, routed_world.citizen)
    page.goto("/m/cases/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/m/cases/")  # back where it was
