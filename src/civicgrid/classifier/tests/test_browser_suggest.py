"""智能推荐 in a real Chromium: a citizen types a description, taps a suggested category and reports; the
dispatcher registers it in that category, with the top 3 and the department comparison on the case page.
Saves docs/screenshots/suggest-h5.png and suggest-console.png when $CIVICGRID_SCREENSHOTS is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case
from civicgrid.classifier.models import SuggestionLog
from civicgrid.classifier.tests.conftest import activate_models
from civicgrid.conftest import login_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740, "mobile": True}


def shots(tmp_path) -> Path:
    out = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_type_a_description_pick_a_suggestion_and_the_report_is_registered_in_it(
    new_page, routed_world, categories, tmp_path, settings
):
    activate_models(tmp_path, settings)
    citizen = new_page(**PHONE)
    blocked = csp_errors(citizen)
    login_page(citizen, routed_world.citizen)
    citizen.goto("/m/report/")
    expect(citizen.locator("#category-suggest")).to_contain_text("填写下方的“问题描述”后")
    citizen.fill("#id_lat", "39.615")
    citizen.fill("#id_lon", "109.765")
    citizen.locator("#id_description").press_sequentially("小区门口有一堆垃圾没人清理", delay=20)
    chip = citizen.locator("#category-suggest button.chip").first
    expect(chip).to_contain_text("暴露垃圾")
    expect(chip).to_contain_text("%")
    citizen.locator("#field-category").scroll_into_view_if_needed()
    citizen.screenshot(path=str(shots(tmp_path) / "suggest-h5.png"), full_page=False)
    chip.tap()
    expect(citizen.locator("#id_category")).to_have_value("matter:06010")
    expect(chip).to_have_attribute("aria-pressed", "true")
    citizen.click("#submit-button")
    citizen.wait_for_url("**/m/cases/*/")
    case = Case.objects.get()
    assert case.category == categories["06010"]
    log = SuggestionLog.objects.get(where="h5")
    assert log.case_id == case.pk and log.outcome == "accepted"
    assert blocked == []

    dispatcher = new_page(width=1280, height=1000)
    blocked = csp_errors(dispatcher)
    login_page(dispatcher, routed_world.dispatcher)
    dispatcher.goto(f"/console/cases/{case.number}/")
    expect(dispatcher.locator("#register-suggest")).to_contain_text("暴露垃圾")
    expect(dispatcher.locator("#register-category")).to_have_value("matter:06010")
    dispatcher.locator("#form-register button[type=submit]").click()
    dispatcher.wait_for_load_state("networkidle")
    case.refresh_from_db()
    assert case.status == CaseStatus.REGISTERED and case.category == categories["06010"]
    log.refresh_from_db()
    assert (log.chosen_label, log.outcome) == ("matter:06010", "accepted")
    compare = dispatcher.locator("#dispatch-suggest")
    expect(compare).to_contain_text("规则派遣：青春山街道办事处")
    expect(compare).to_contain_text("模型建议：城市管理综合执法局")
    expect(dispatcher.locator("#dispatch-disagree")).to_have_text("两者不一致，请核对")
    assert blocked == []


def test_console_screenshot_shows_the_top3_and_the_department_comparison(
    new_page, routed_world, categories, tmp_path, settings
):
    """One picture of both forms: a returned case offers 派遣 again, a new report 立案."""
    from civicgrid.cases.tests.helpers import submit

    activate_models(tmp_path, settings)
    settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE = 0.01  # all three shown
    case = submit(
        routed_world.citizen, description="路口有人摆摊卖水果，占了人行道", category=categories["06010"]
    )
    page = new_page(width=1280, height=1100)
    login_page(page, routed_world.dispatcher)
    page.goto(f"/console/cases/{case.number}/")
    expect(page.locator("#register-suggest")).to_contain_text("已预选“占道经营”")
    expect(page.locator("#register-category")).to_have_value("matter:09006")
    expect(page.locator("#citizen-pick")).to_contain_text("06010 暴露垃圾")
    expect(page.locator("#register-suggest button.suggest-pick")).to_have_count(3)
    page.locator("#register-suggest button.suggest-pick").nth(1).click()
    expect(page.locator("#register-category")).not_to_have_value("matter:09006")
    page.locator("#register-suggest button.suggest-pick").first.click()
    expect(page.locator("#register-category")).to_have_value("matter:09006")
    register_png = tmp_path / "register.png"
    page.locator("#actions").screenshot(path=str(register_png))
    page.locator("#form-register button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#dispatch-suggest")).to_contain_text("规则派遣：无匹配规则")
    expect(page.locator("#dispatch-disagree")).to_be_visible()
    dispatch_png = tmp_path / "dispatch.png"
    page.locator("#actions").screenshot(path=str(dispatch_png))
    # Side by side: 立案 with the top 3, then 派遣 with the comparison.
    left, right = Image.open(register_png), Image.open(dispatch_png)
    both = Image.new("RGB", (left.width + right.width + 24, max(left.height, right.height)), "white")
    both.paste(left, (0, 0))
    both.paste(right, (left.width + 24, 0))
    both.save(shots(tmp_path) / "suggest-console.png")


def test_dashboard_draws_the_weekly_accuracy(new_page, routed_world, categories, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for weeks_ago, outcome in [
        (2, "overridden"),
        (2, "accepted"),
        (1, "accepted"),
        (1, "in_top3"),
        (0, "accepted"),
    ]:
        log = SuggestionLog.objects.create(
            where="h5",
            target="category",
            text_hash="0" * 64,
            suggestions=[{"label": "matter:06010", "confidence": 0.8}],
            chosen_label="matter:06010",
            outcome=outcome,
            resolved_at=now,
        )
        SuggestionLog.objects.filter(pk=log.pk).update(created_at=now - timedelta(weeks=weeks_ago))
    page = new_page(width=1280, height=900)
    blocked = csp_errors(page)
    login_page(page, routed_world.leader)
    page.goto("/dashboard/")
    chart = page.locator("#chart-suggest-accuracy")
    expect(chart).to_have_attribute("data-state", "drawn")
    expect(page.locator('#suggest-accuracy-categories tr[data-key="matter:06010"]')).to_contain_text("80.0%")
    page.locator("#suggest-accuracy").screenshot(path=str(shots(tmp_path) / "suggest-dashboard.png"))
    assert blocked == []
