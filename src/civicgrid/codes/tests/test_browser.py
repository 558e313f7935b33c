"""In Chromium: an inspector scans a merchant code and records a violation; a citizen scans a place code,
reports with the place prefilled, the report is registered and the points appear."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.cases.choices import Action
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.conftest import login_page
from civicgrid.points.models import UncivilRecord
from civicgrid.points.selectors import balance_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844, "mobile": True}


def shots(tmp_path) -> Path:
    """Screenshots go to $CIVICGRID_SCREENSHOTS when set (to keep them), else the test's tmp dir."""
    out = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_inspector_scans_a_merchant_and_records_a_violation(new_page, codes, world, tmp_path):
    page = new_page(**PHONE)
    login_page(page, world.inspector)
    page.goto(codes.merchant.path)
    expect(page.locator("h1")).to_have_text("老李烧烤")
    expect(page.locator("#entity")).to_contain_text("李**")
    page.screenshot(path=str(shots(tmp_path) / "code-scan-merchant-inspector.png"), full_page=True)
    page.click("[data-action=inspect]")
    page.wait_for_url("**/a/inspect/")
    page.click("label[for=id_grade_3]")  # D 不合格
    page.select_option("#id_violation", "other")
    page.fill("#id_note", "店外经营，油烟直排人行道")
    page.click("#inspect-form button[type=submit]")
    page.wait_for_url(f"**{codes.merchant.path}")
    expect(page.locator(".messages")).to_contain_text("扣减经营者积分")
    expect(page.locator("#grade")).to_contain_text("D")

    record = UncivilRecord.objects.get(person=codes.owner)
    assert record.inspector == world.inspector and record.source_ref.startswith(codes.merchant.source_ref)
    assert balance_of(codes.owner) == -record.points

    # The owner sees the deduction on the points app's page.
    owner = new_page(**PHONE)
    login_page(owner, codes.owner)
    owner.goto("/m/points/")
    expect(owner.locator("#balance")).to_have_text(str(-record.points))
    expect(owner.locator("body")).to_contain_text("其他不文明行为")
    owner.screenshot(path=str(shots(tmp_path) / "points-owner-after-inspection.png"), full_page=True)


def test_citizen_scans_a_place_reports_it_and_earns_points(new_page, codes, routed_world, tmp_path):
    world = routed_world
    page = new_page(**PHONE)
    login_page(page, world.citizen)
    page.goto(codes.place.path)
    expect(page.locator("h1")).to_contain_text("青春山路雨水井盖")
    page.screenshot(path=str(shots(tmp_path) / "code-scan-place-citizen.png"), full_page=True)
    page.click("[data-action=report]")
    page.wait_for_url("**/m/report/**")
    expect(page.locator("#id_lat")).to_have_value("39.615")
    expect(page.locator("#id_lon")).to_have_value("109.765")
    expect(page.locator("#id_address")).to_have_value("青春山路 18 号北侧")
    expect(page.locator("#id_category")).to_have_value("component:01003")
    page.fill("#id_description", "井盖松动，踩上去会响")
    page.click("#submit-button")
    page.wait_for_url("**/m/cases/*/")

    case = Case.objects.get(reporter=world.citizen)
    assert case.channel == "code_scan" and case.source_ref == codes.place.source_ref
    assert case.category.code == "01003" and case.address == "青春山路 18 号北侧"
    before = balance_of(world.citizen)
    case_transition(case=case, action=Action.REGISTER, actor=world.dispatcher, payload=MoveInput())
    assert balance_of(world.citizen) > before


def test_violation_from_a_merchant_scan_is_appealed_upheld_reversed_and_never_shown(new_page, codes, world):
    """The whole story of a deduction that started with a QR scan, through the pages only."""
    import time_machine
    from django.utils import timezone

    from civicgrid.points.choices import UncivilStatus
    from civicgrid.points.models import PointsEntry
    from civicgrid.points.tests.helpers import second_inspector

    reviewer_user = second_inspector()
    inspector = new_page(**PHONE)
    login_page(inspector, world.inspector)
    inspector.goto(codes.merchant.path)
    inspector.click("[data-action=inspect]")
    inspector.wait_for_url("**/a/inspect/")
    inspector.click("label[for=id_grade_3]")
    inspector.select_option("#id_violation", "other")
    inspector.fill("#id_note", "店外经营")
    inspector.click("#inspect-form button[type=submit]")
    inspector.wait_for_url(f"**{codes.merchant.path}")
    record = UncivilRecord.objects.get(person=codes.owner)
    assert balance_of(codes.owner) == -record.points

    # The owner sees it and appeals.
    owner = new_page(**PHONE)
    login_page(owner, codes.owner)
    owner.goto("/m/points/")
    expect(owner.locator("#balance")).to_have_text(str(-record.points))
    owner.click(f"a[href='/m/points/uncivil/{record.pk}/appeal/']")
    owner.fill("#id_reason", "当时是在店内经营，门前只是临时放货")
    owner.click("#appeal-form button[type=submit]")
    owner.wait_for_url("**/m/points/")
    expect(owner.locator("#records")).to_contain_text("申诉中")

    # Another inspector upholds the appeal.
    reviewer = new_page(**PHONE)
    login_page(reviewer, reviewer_user)
    reviewer.goto("/m/points/inspect/appeals/")
    reviewer.click("#appeals a")
    reviewer.click("label[for=id_decision_0]")
    reviewer.fill("#id_note", "核实为临时放货")
    reviewer.click("#review-form button[type=submit]")
    reviewer.wait_for_url("**/m/points/inspect/appeals/")

    record.refresh_from_db()
    assert record.status == UncivilStatus.WITHDRAWN
    assert PointsEntry.objects.get(reverses=record.entry).delta == record.points
    assert balance_of(codes.owner) == 0
    owner.goto("/m/points/")
    expect(owner.locator("#balance")).to_have_text("0")

    # Long after the appeal window, the public display still never shows it.
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        visitor = new_page(**PHONE)
        visitor.goto("/m/points/display/")
        body = visitor.content()
    assert codes.owner.real_name not in body and codes.owner.phone not in body
    assert "李*" not in visitor.locator("body").inner_text()
