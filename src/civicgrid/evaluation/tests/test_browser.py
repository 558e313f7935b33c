"""In Chromium: 周杰 (inspector) opens a sampled site on his phone, passes one standard and fails two with
photos (the last one while the phone is offline: it waits on the phone and is sent when the network comes
back); 陈静's unit (园林绿化中心) sees the two rectification tasks and uploads evidence; 周杰 re-inspects
both on the spot and they pass; on 赵敏's scores page the street falls behind the other street after the
failures and comes back first after the re-inspection.

Screenshots go to $CIVICGRID_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from civicgrid.conftest import login_page
from civicgrid.evaluation import services
from civicgrid.evaluation.models import Observation, RectificationTask, Result, TaskState
from civicgrid.evaluation.tests.pages_helpers import LAT, LON, OTHER_LAT, OTHER_LON, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Content-Security-Policy violations, recorded from before the page's own scripts run.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.sourceFile));
"""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def shot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("CIVICGRID_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def jpeg(colour: str) -> dict:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    return {"name": f"{colour}.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def ranking(page) -> list[str]:
    return page.locator("#street-ranking tbody tr").evaluate_all("rows => rows.map(r => r.dataset.street)")


def test_inspect_fail_two_rectify_reinspect_and_the_ranking_follows(
    browser, live_server, world, settings, tmp_path
):
    w = world
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CIVICGRID_STAFF_IDLE_MINUTES = 4 * 60
    ew = build(w)
    # 天骄公园, the other street's site, was inspected yesterday: two standards pass, one fails.
    for standard, result in zip(ew.standards, (Result.PASS, Result.PASS, Result.FAIL), strict=True):
        services.observation_record(
            round_site=ew.other_rs,
            standard=standard,
            result=result,
            inspector=w.inspector,
            lat=OTHER_LAT,
            lon=OTHER_LON,
        )
    contexts = []

    def page_for(user, *, phone: bool, at: tuple[float, float] | None = None):
        kwargs = dict(PHONE) if phone else {"viewport": {"width": 1280, "height": 900}}
        if at is not None:
            kwargs.update(permissions=["geolocation"], geolocation={"latitude": at[0], "longitude": at[1]})
        context = browser.new_context(locale="zh-CN", base_url=live_server.url, **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.add_init_script(WATCH)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}") if r.status >= 400 and "/tiles/" not in r.url else None
            ),
        )
        page.js_errors = errors
        login_page(page, user)
        return page

    try:
        # 1. 周杰 opens today's sites at 北苑广场: two sites on the map and in the list.
        inspector = page_for(w.inspector, phone=True, at=(LAT + 0.0002, LON))
        inspector.goto("/e/")
        expect(inspector.locator("#ev-map")).to_have_attribute("data-marker-count", "2")
        shot(inspector, "evaluation-sites.png", tmp_path)
        inspector.click(f"li[data-round-site='{ew.rs.pk}'] a")
        inspector.wait_for_url(f"**/e/s/{ew.rs.pk}/")
        expect(inspector.locator("#ev-status")).to_contain_text("已定位")

        # 2. One standard passes; two fail with photos and notes.
        first, second, third = (inspector.locator(f"#std-{s.pk}") for s in ew.standards)
        first.locator("label.ev-result-pass").click()
        first.locator("[data-save]").click()
        expect(first.locator("[data-recorded] .badge")).to_have_text("达标")
        second.locator("label.ev-result-fail").click()
        second.locator("input[name=note]").fill("栏杆破损，张贴小广告")
        second.locator("input[type=file]").set_input_files([jpeg("red"), jpeg("blue")])
        second.locator("[data-save]").click()
        expect(second.locator("[data-recorded] .badge")).to_have_text("不达标")
        # The third while the phone has no network: kept on the phone, sent when it is back.
        inspector.context.set_offline(True)
        third.locator("label.ev-result-fail").click()
        third.locator("input[name=note]").fill("绿化带内有垃圾")
        third.locator("input[type=file]").set_input_files([jpeg("green")])
        third.locator("[data-save]").click()
        expect(third.locator("[data-recorded] .badge")).to_have_text("待提交")
        expect(inspector.locator("#ev-status")).to_contain_text("保存在手机上")
        assert inspector.evaluate("JSON.parse(localStorage.getItem('civicgridEvalDrafts')).length") == 1
        shot(inspector, "evaluation-checklist-offline.png", tmp_path)
        assert Observation.objects.filter(round_site=ew.rs).count() == 2
        inspector.context.set_offline(False)
        expect(third.locator("[data-recorded] .badge")).to_have_text("不达标")
        assert inspector.evaluate("JSON.parse(localStorage.getItem('civicgridEvalDrafts')).length") == 0
        expect(inspector.locator("#ev-progress")).to_have_text("3")
        shot(inspector, "evaluation-checklist.png", tmp_path)

        failed = Observation.objects.filter(round_site=ew.rs, result=Result.FAIL).order_by("id")
        assert [o.standard_id for o in failed] == [ew.standards[1].pk, ew.standards[2].pk]
        assert [o.photos.count() for o in failed] == [2, 1]
        tasks = list(RectificationTask.objects.filter(observation__in=failed).order_by("id"))
        assert len(tasks) == 2 and {t.unit for t in tasks} == {w.departments["YLZX"]}

        # 3. 赵敏 (leader): 北苑广场's street now ranks behind 天骄街道.
        leader = page_for(w.leader, phone=False)
        leader.goto(f"/console/evaluation/scores/?round={ew.round.pk}")
        assert ranking(leader) == [str(ew.other_street.pk), str(w.street.pk)]
        before = leader.locator(f"#street-ranking tr[data-street='{w.street.pk}'] [data-score]").inner_text()
        shot(leader, "evaluation-scores.png", tmp_path)

        # 4. 陈静 (园林绿化中心) sees the two tasks and uploads evidence for each.
        unit = page_for(w.parks_handler, phone=True)
        unit.goto("/e/tasks/")
        expect(unit.locator("#ev-tasks > li")).to_have_count(2)
        expect(unit.locator("#ev-todo")).to_contain_text("2 项待整改")
        shot(unit, "evaluation-tasks.png", tmp_path)
        for task in tasks:
            unit.goto(f"/e/tasks/{task.pk}/")
            unit.fill("#evidence-form textarea[name=note]", "已清理并修复")
            unit.set_input_files("#id_files", [jpeg("white")])
            unit.click("#evidence-form button[type=submit]")
            expect(unit.locator("#ev-task-state")).to_have_text("待复查")
        shot(unit, "evaluation-task.png", tmp_path)

        # 5. 周杰 re-inspects on the spot: both pass.
        inspector.goto("/e/tasks/")
        expect(inspector.locator("#ev-todo")).to_contain_text("2 项待复查")
        for task in tasks:
            inspector.goto(f"/e/tasks/{task.pk}/")
            expect(inspector.locator("#reinspect-form input[name=lat]")).not_to_have_value("")
            inspector.locator("#reinspect-form label", has_text="整改到位").click()
            inspector.set_input_files("#reinspect-form #id_photos", [jpeg("yellow")])
            inspector.click("#reinspect-form button[type=submit]")
            expect(inspector.locator("#ev-task-state")).to_have_text("复查通过")
        shot(inspector, "evaluation-reinspected.png", tmp_path)
        for task in tasks:
            task.refresh_from_db()
            assert task.state == TaskState.PASSED

        # 6. The street's score rises and it ranks first again.
        leader.reload()
        assert ranking(leader) == [str(w.street.pk), str(ew.other_street.pk)]
        after = leader.locator(f"#street-ranking tr[data-street='{w.street.pk}'] [data-score]").inner_text()
        assert float(after) > float(before)
        shot(leader, "evaluation-scores-after.png", tmp_path)

        for page in (inspector, unit, leader):
            assert page.evaluate("window.__csp") == [], page.url
            assert page.js_errors == [], page.js_errors
    finally:
        for context in contexts:
            context.close()


def test_public_questionnaire_on_a_phone(browser, live_server, world, tmp_path):
    """A resident answers the questionnaire on a phone, without signing in; the page needs no script."""
    from datetime import timedelta

    from civicgrid.core import clock
    from civicgrid.evaluation.models import Question, Questionnaire, Response

    ew = build(world)
    now = clock.now()
    sheet = Questionnaire.objects.create(
        round=ew.round,
        title="市民满意度调查",
        intro="请根据您最近一个月的感受作答。",
        groups=[{"code": "resident", "name": "居民"}, {"code": "visitor", "name": "外来人员"}],
        quotas={world.street.code: {"resident": 50, "visitor": 20}},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
    )
    q1 = Question.objects.create(
        questionnaire=sheet, standard=ew.standards[0], text="您对街道环境卫生满意吗？"
    )
    Question.objects.create(questionnaire=sheet, text="您对公共设施完好情况满意吗？", position=1)
    Question.objects.create(questionnaire=sheet, text="您的建议", kind="text", position=2)
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        page.goto(f"/e/q/{sheet.pk}/")
        page.select_option("#id_street", str(world.street.pk))
        page.locator("label", has_text="居民").click()
        page.locator(f"#question-{q1.pk} label", has_text="4").click()
        page.click("#questionnaire-form button[type=submit]")  # the second question is not answered
        expect(page.locator(".ev-question.invalid .field-error")).to_contain_text("请回答")
        shot(page, "evaluation-questionnaire.png", tmp_path)
        page.locator(".ev-question.invalid label", has_text="5").click()
        page.click("#questionnaire-form button[type=submit]")
        expect(page.locator("#questionnaire-thanks")).to_be_visible()
        assert Response.objects.filter(questionnaire=sheet).count() == 1
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()
