"""The hints in Chromium: typed into the console's feedback box, then shown to the verifier."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.console.tests.helpers import NORTH_1, move, report
from civicgrid.replyquality.models import ReplyScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = "幸福路23号门前人行道上有人占道经营卖水果，堵住了盲道。"
GOOD = (
    "您好，您反映的幸福路23号门前占道经营问题，执法队员已于12月5日上午到现场劝离卖水果的摊贩，"
    "已清理占道物品，盲道已恢复通行。承办人王军，联系电话0477-8312345。"
)


def shot(page, tmp_path, name):
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_hints_follow_the_feedback_as_it_is_typed(new_page, routed_world, categories, tmp_path):
    case = report(routed_world.citizen, NORTH_1, category=categories["06013"], description=REPORT)
    for action, actor in (("register", routed_world.dispatcher), ("dispatch", routed_world.dispatcher)):
        move(case, action, actor)
    move(case, "accept", routed_world.roads_handler)

    page = new_page(width=1440, height=1000)
    login_page(page, routed_world.roads_handler)
    page.goto(f"/console/cases/{case.number}/")
    hints = page.locator("#feedback-hints")
    expect(hints).to_contain_text("填写处置反馈后")
    page.locator("#feedback-note").press_sequentially("已处理", delay=20)
    expect(hints.locator("li.miss[data-check='relevance']")).to_contain_text("过于简单")
    boilerplate = int(hints.locator(".score").inner_text())
    assert boilerplate <= 40
    shot(page, tmp_path, "reply-hints-boilerplate")

    page.fill("#feedback-note", GOOD)
    page.locator("#feedback-note").dispatch_event("input")
    expect(hints.locator(".score")).to_have_text("100")
    expect(hints.locator("li.miss")).to_have_count(0)
    shot(page, tmp_path, "reply-hints-good")
    page.fill("#feedback-note", "已处理")  # a poor reply is still accepted: hints never block
    page.locator("#feedback-note").dispatch_event("input")
    expect(hints.locator(".score")).to_have_text(str(boilerplate))
    page.click("#form-feedback button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("处置反馈")
    assert ReplyScore.objects.get(case=case).score == boilerplate

    verifier = new_page(width=1440, height=1000)
    login_page(verifier, routed_world.dispatcher)
    verifier.goto(f"/console/cases/{case.number}/")
    expect(verifier.locator("#reply-score .score")).to_have_text(str(boilerplate))
    expect(verifier.locator("#reply-score li.miss")).to_have_count(4)
    shot(verifier, tmp_path, "reply-score-verifier")
