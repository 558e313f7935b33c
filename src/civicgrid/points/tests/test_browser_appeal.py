"""In Chromium: an inspector records a violation, the owner sees it and appeals, another inspector
upholds the appeal, the entry is reversed, and the public display never shows it.

Screenshots of the points page and the public display go to $CIVICGRID_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.points.choices import Reason, UncivilBehaviour, UncivilStatus
from civicgrid.points.models import PointsEntry, UncivilRecord
from civicgrid.points.selectors import balance_of
from civicgrid.points.services import points_award, uncivil_record_create
from civicgrid.points.tests.helpers import second_inspector

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844, "mobile": True}


def shot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def photo(tmp_path: Path) -> str:
    path = tmp_path / "evidence.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (240, 180), (90, 140, 60)).save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def test_deduction_appeal_upheld_reversed_and_never_displayed(new_page, world, tmp_path):
    w = world
    other = second_inspector()
    # Some history so the pages have something to show: an award for 王芳, a confirmed case for 李强.
    points_award(
        person=w.citizen, reason=Reason.VOLUNTEER, source_key="vol:demo", quantity=3, note="交通劝导"
    )
    points_award(
        person=w.citizen, reason=Reason.REPORT, source_key="case:demo:registered", note="案件 2026052000001"
    )
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        uncivil_record_create(
            inspector=w.inspector,
            person=w.grid_member,
            behaviour=UncivilBehaviour.EBIKE,
            lat=39.615,
            lon=109.775,
            address="鄂尔多斯大街与青春山路口",
            note="逆行",
        )

    # 1. 周杰 records 王芳 throwing a bottle, with a photo.
    inspector = new_page(**PHONE)
    login_page(inspector, w.inspector)
    inspector.goto("/m/points/inspect/")
    inspector.fill("#id_phone", w.citizen.phone)
    inspector.select_option("#id_behaviour", UncivilBehaviour.LITTERING)
    inspector.fill("#id_address", "康巴什区青春山路 12 号")
    inspector.fill("#id_note", "随手丢弃饮料瓶")
    inspector.set_input_files("#id_photos", photo(tmp_path))
    inspector.click("#uncivil-form button[type=submit]")
    inspector.wait_for_load_state("networkidle")
    expect(inspector.locator(".messages")).to_contain_text("已记录")
    record = UncivilRecord.objects.get(person=w.citizen)
    assert record.entry.delta == -10 and record.photos.count() == 1

    # 2. 王芳 sees the deduction on her points page and appeals.
    citizen = new_page(**PHONE)
    login_page(citizen, w.citizen)
    citizen.goto("/m/points/")
    expect(citizen.locator("#balance")).to_have_text("25")
    expect(citizen.locator("#records")).to_contain_text("乱扔垃圾")
    expect(citizen.locator("#entries")).to_contain_text("不文明行为：乱扔垃圾")
    shot(citizen, "points-my-points.png", tmp_path)
    citizen.click(f"a[href='/m/points/uncivil/{record.pk}/appeal/']")
    citizen.fill("#id_reason", "我是在捡拾地上的瓶子准备扔进垃圾桶")
    citizen.click("#appeal-form button[type=submit]")
    citizen.wait_for_url("**/m/points/")
    expect(citizen.locator("#records")).to_contain_text("申诉中")

    # 3. The recorder may not review it; 吴敏 (another inspector) upholds it.
    inspector.goto(f"/m/points/inspect/appeals/{record.appeal.pk}/")
    expect(inspector.locator(".alert.warn")).to_contain_text("其他督查员")
    reviewer = new_page(**PHONE)
    login_page(reviewer, other)
    reviewer.goto("/m/points/inspect/appeals/")
    reviewer.click("#appeals a")
    expect(reviewer.locator("#appeal-reason")).to_contain_text("捡拾")
    reviewer.click("label[for=id_decision_0]")
    reviewer.fill("#id_note", "监控显示当事人在捡拾垃圾")
    reviewer.click("#review-form button[type=submit]")
    reviewer.wait_for_url("**/m/points/inspect/appeals/")

    # 4. The entry is reversed: 王芳's balance is back, the record withdrawn.
    record.refresh_from_db()
    assert record.status == UncivilStatus.WITHDRAWN
    assert PointsEntry.objects.get(reverses=record.entry).delta == 10
    assert balance_of(w.citizen) == 35
    citizen.goto("/m/points/")
    expect(citizen.locator("#balance")).to_have_text("35")
    expect(citizen.locator("#records")).to_contain_text("已撤销")
    expect(citizen.locator("#entries")).to_contain_text("撤销：不文明行为：乱扔垃圾")  # in plain words

    # 5. Long after the window, the display shows 李强's confirmed record (masked) and never 王芳's.
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        visitor = new_page(**PHONE)
        visitor.goto("/m/points/display/")
        expect(visitor.locator("#display li")).to_have_count(1)
        expect(visitor.locator("#display")).to_contain_text("李*")
        body = visitor.content()
        shot(visitor, "points-public-display.png", tmp_path)
    assert "王" not in visitor.locator("#display").inner_text()
    for secret in ("王芳", "李强", w.citizen.phone, w.grid_member.phone, "青春山路 12 号"):
        assert secret not in body
