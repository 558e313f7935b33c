"""One case around the whole loop in Chromium, every step through the pages a person uses.

A citizen reports a broken road on the phone page (随手拍) with a photo and a map tap; the dispatcher
registers and dispatches it in the console; the roads section accepts it and feeds back with a photo;
the dispatcher verifies and closes it; the citizen reads the timeline and rates it. Nothing is moved
through the API or the services: the test only reads the database to check what each page did.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import FileSystemStorage
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from civicgrid.cases.models import Case, CasePhoto
from civicgrid.conftest import login_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844, "mobile": True}
DESKTOP = {"width": 1440, "height": 900}
# Inside cell 150603001001001 (北苑一格, 李强's cell: 109.76–109.77 E × 39.61–39.62 N).
PLACE = (39.6155, 109.7645)
CELL = "150603001001001"


@pytest.fixture(autouse=True)
def _photo_storage(settings, tmp_path, monkeypatch):
    """Public copies under a temporary MEDIA_ROOT, originals in a temporary private folder (never var/)."""
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(CasePhoto._meta.get_field("original"), "storage", private)


def jpeg_file(tmp_path, name: str, colour: tuple[int, int, int]) -> str:
    """A real JPEG on disk, as a phone's camera or a handler's PC would pick it."""
    image = Image.new("RGB", (640, 480), colour)
    ImageDraw.Draw(image).rectangle((200, 150, 440, 330), fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return str(path)


def click_map_at(page, lat: float, lon: float) -> None:
    """Tap the report map where (lat, lon) is drawn (the map's own projection gives the pixel)."""
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


def actions_of(case: Case) -> list[str]:
    return list(case.events.order_by("created_at", "id").values_list("action", flat=True))


def open_from_queue(page, queue: str, case: Case) -> None:
    page.goto(f"/console/queue/{queue}/")
    page.locator(f"tr[data-number='{case.number}'] a.case-link").click()
    page.wait_for_url(f"**/console/cases/{case.number}/**")
    expect(page.locator("h1")).to_contain_text(case.number)


def submit_action(page, action: str, expected_status: str) -> None:
    page.click(f"#form-{action} button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#case-status")).to_have_text(expected_status)


def test_one_case_around_the_whole_loop_through_the_pages(new_page, routed_world, categories, tmp_path):
    world = routed_world

    # 1. 王芳 reports a broken road on her phone: a photo, a tap on the map, the category, a description.
    citizen = new_page(**PHONE)
    login_page(citizen, world.citizen)
    citizen.goto("/m/report/")
    citizen.wait_for_load_state("networkidle")
    citizen.set_input_files("#id_photos_album", jpeg_file(tmp_path, "pothole.jpg", (180, 150, 120)))
    expect(citizen.locator("#previews img")).to_have_count(1)
    click_map_at(citizen, *PLACE)
    expect(citizen.locator("#report-map .leaflet-marker-icon")).to_have_count(1)
    citizen.select_option("#id_category", "matter:06013")
    citizen.fill("#id_description", "青春山路人行道路面塌陷一个坑，晚上看不清容易崴脚")
    citizen.click("#submit-button")
    citizen.wait_for_url("**/m/cases/*/")
    expect(citizen.locator("#case-status")).to_have_text("待立案")

    case = Case.objects.get()
    assert citizen.url.endswith(f"/m/cases/{case.number}/")
    assert case.status == "reported" and case.channel == "app"
    assert case.reporter == world.citizen and case.category == categories["06013"]
    assert case.cell.code == CELL
    assert abs(case.lat - PLACE[0]) < 0.0003 and abs(case.lon - PLACE[1]) < 0.0003
    assert case.photos.filter(stage="report").count() == 1
    assert actions_of(case) == ["report"]

    # 2. 张伟 (dispatcher) finds it in "new", registers it, then dispatches it to the routed department.
    dispatcher = new_page(**DESKTOP)
    login_page(dispatcher, world.dispatcher)
    open_from_queue(dispatcher, "new", case)
    expect(dispatcher.locator("#register-category")).to_have_value("matter:06013")
    submit_action(dispatcher, "register", "待派遣")
    case.refresh_from_db()
    assert case.status == "registered" and case.routed_department.code == "ZJJ-SZ"  # routed when registered
    assert actions_of(case) == ["report", "register"]

    expect(dispatcher.locator("#dispatch-department")).to_have_value("ZJJ-SZ")  # the routed one, preselected
    dispatcher.fill("#dispatch-note", "请尽快修补路面")
    submit_action(dispatcher, "dispatch", "待签收")
    case.refresh_from_db()
    assert case.status == "dispatched" and case.department.code == "ZJJ-SZ"
    assert actions_of(case) == ["report", "register", "dispatch"]

    # 3. 刘洋 (roads section) accepts it from "to_accept" and feeds back with a note and a photo.
    handler = new_page(**DESKTOP)
    login_page(handler, world.roads_handler)
    open_from_queue(handler, "to_accept", case)
    submit_action(handler, "accept", "处置中")
    case.refresh_from_db()
    assert case.status == "accepted"
    assert actions_of(case) == ["report", "register", "dispatch", "accept"]

    handler.fill("#feedback-note", "已用沥青修补路面，现场已清理")
    handler.set_input_files("#feedback-photos", jpeg_file(tmp_path, "repaired.jpg", (60, 160, 60)))
    submit_action(handler, "feedback", "待核查")
    expect(handler.locator("#timeline")).to_contain_text("已用沥青修补路面，现场已清理")
    case.refresh_from_db()
    assert case.status == "handled"
    assert actions_of(case) == ["report", "register", "dispatch", "accept", "feedback"]
    feedback = case.events.get(action="feedback")
    assert feedback.note == "已用沥青修补路面，现场已清理" and feedback.actor == world.roads_handler
    assert case.photos.filter(stage="feedback").count() == 1

    # 4. The dispatcher verifies the result, then closes the case.
    open_from_queue(dispatcher, "to_verify", case)
    submit_action(dispatcher, "verify", "待结案")
    case.refresh_from_db()
    assert case.status == "verified"
    submit_action(dispatcher, "close", "已结案")
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    assert actions_of(case) == ["report", "register", "dispatch", "accept", "feedback", "verify", "close"]

    # 5. 王芳 opens "my cases", reads the timeline with the result photo, and rates it 满意.
    citizen.goto("/m/cases/")
    citizen.locator(f"a[href='/m/cases/{case.number}/']").click()
    citizen.wait_for_url(f"**/m/cases/{case.number}/")
    expect(citizen.locator("#case-status")).to_have_text("已结案")
    timeline = citizen.locator(".timeline")
    for step in ("立案", "派遣", "处置反馈", "结案"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("住建局市政科")  # dispatched to, and fed back by, the roads section
    expect(citizen.locator("#result-photos")).to_be_visible()
    expect(citizen.locator("#result-photos + * img")).to_have_count(1)

    citizen.get_by_role("radio", name="满意", exact=True).check()
    citizen.fill("#id_comment", "修得很快，谢谢")
    citizen.click("#rate button[type=submit]")
    citizen.wait_for_url(f"**/m/cases/{case.number}/")
    expect(citizen.locator("#my-rating")).to_contain_text("满意")
    expect(citizen.locator("#my-rating")).to_contain_text("修得很快，谢谢")

    case.refresh_from_db()
    assert case.status == "closed"
    assert case.rating == "satisfied" and case.rating_comment == "修得很快，谢谢"
    assert actions_of(case) == [
        "report",
        "register",
        "dispatch",
        "accept",
        "feedback",
        "verify",
        "close",
        "rate",
    ]
    rate = case.events.get(action="rate")
    assert rate.actor == world.citizen and rate.data.get("rating") == "satisfied"
