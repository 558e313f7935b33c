"""Where people see the hints: the console's feedback form, the verifier's case page, the dashboard, the API."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from civicgrid.cases.tests.helpers import (
    NORTH_1,
    api_move,
    as_user,
    east_of,
    local,
    post_json,
    run_to,
    submit,
)
from civicgrid.replyquality.models import ReplyScore

REPORT = "幸福路23号门前人行道上有人占道经营卖水果，堵住了盲道。"
GOOD = (
    "您好，您反映的幸福路23号门前占道经营问题，执法队员已于12月5日上午到现场劝离卖水果的摊贩，"
    "已清理占道物品，盲道已恢复通行。承办人王军，联系电话0477-8312345。"
)


@pytest.fixture
def accepted(routed_world, categories):
    case = submit(routed_world.citizen, NORTH_1, category=categories["06013"], description=REPORT)
    return run_to(case, "accepted", routed_world)


def test_the_feedback_form_asks_for_hints_as_the_handler_types(routed_world, accepted):
    client = as_user(Client(), routed_world.roads_handler)
    page = client.get(f"/console/cases/{accepted.number}/").content.decode()
    hints_url = f"/console/cases/{accepted.number}/reply-hints/"
    assert 'id="feedback-hints"' in page and f'hx-post="{hints_url}"' in page
    assert "input delay:600ms from:#feedback-note" in page

    response = client.post(hints_url, {"note": "已处理"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "答复质量" in body and "过于简单" in body and "未写明处理时间" in body
    score = int(body.split('data-score="')[1].split('"')[0])
    assert score <= 40

    good = client.post(hints_url, {"note": GOOD}).content.decode()
    assert int(good.split('data-score="')[1].split('"')[0]) >= 80 and 'class="miss"' not in good
    assert not ReplyScore.objects.exists()  # hints while typing store nothing


def test_the_hints_endpoint_refuses_bad_input_and_strangers(routed_world, accepted):
    client = as_user(Client(), routed_world.roads_handler)
    url = f"/console/cases/{accepted.number}/reply-hints/"
    bad = client.post(url, {"note": "已处理\x00"})
    assert bad.status_code == 422 and "控制字符" in bad.content.decode()
    too_long = client.post(url, {"note": "很" * 2001})
    assert too_long.status_code == 422
    # A handler of another department may not open the case: 404, nothing about it.
    other = as_user(Client(), routed_world.parks_handler)
    assert other.post(url, {"note": GOOD}).status_code == 404
    assert as_user(Client(), routed_world.citizen).post(url, {"note": GOOD}).status_code == 403
    assert Client().post(url, {"note": GOOD}).status_code == 302


def test_the_verifier_sees_the_score_and_reasons_of_the_latest_feedback(routed_world, accepted):
    api_move(as_user(Client(), routed_world.roads_handler), accepted.number, "feedback", note="已处理")
    page = (
        as_user(Client(), routed_world.dispatcher).get(f"/console/cases/{accepted.number}/").content.decode()
    )
    assert 'id="reply-score"' in page and 'id="form-verify"' in page
    section = page.split('id="reply-score"')[1].split("</section>")[0]
    stored = ReplyScore.objects.get(case=accepted).score
    assert f'<span class="score">{stored}</span>' in section
    assert "答复与所反映的问题关联不大或过于简单" in section and "未写明处理地点" in section
    # In English, through the catalogue.
    english = as_user(Client(), routed_world.dispatcher)
    english.cookies["django_language"] = "en"
    assert "No place is given" in english.get(f"/console/cases/{accepted.number}/").content.decode()


def test_no_score_section_before_any_feedback(routed_world, accepted):
    page = (
        as_user(Client(), routed_world.dispatcher).get(f"/console/cases/{accepted.number}/").content.decode()
    )
    assert 'id="reply-score"' not in page


def test_the_dashboard_shows_averages_per_department_for_the_last_30_days(routed_world, categories):
    start = local(2026, 11, 2, 9)
    with time_machine.travel(start, tick=False) as traveller:
        old = run_to(
            submit(routed_world.citizen, NORTH_1, category=categories["06013"], description=REPORT),
            "accepted",
            routed_world,
        )
        api_move(as_user(Client(), routed_world.roads_handler), old.number, "feedback", note="已处理")
        traveller.shift(timedelta(days=31))
        roads = as_user(Client(), routed_world.roads_handler)
        for i, note in enumerate((GOOD, "已处理")):
            case = submit(
                routed_world.citizen,
                east_of(NORTH_1, 100 * (i + 1)),
                category=categories["06013"],
                description=REPORT,
            )
            case = run_to(case, "accepted", routed_world)
            api_move(roads, case.number, "feedback", note=note)
        parks_case = submit(
            routed_world.citizen,
            east_of(NORTH_1, 300),
            category=categories["04002"],
            description="行道树倒伏",
        )
        parks_case = run_to(parks_case, "accepted", routed_world)
        api_move(as_user(Client(), routed_world.parks_handler), parks_case.number, "feedback", note="已处理")

        recent = ReplyScore.objects.filter(created_at__gte=start + timedelta(days=1))
        roads_scores = list(recent.filter(department__code="ZJJ-SZ").values_list("score", flat=True))
        assert len(roads_scores) == 2
        page = as_user(Client(), routed_world.leader).get("/dashboard/").content.decode()
    table = page.split('id="reply-quality"')[1].split("</table>")[0]
    rows = [r for r in table.split("<tr>")[2:]]
    assert len(rows) == 2  # two departments; the 31-day-old feedback is not counted
    parks = next(r for r in rows if "园林绿化中心" in r)
    roads = next(r for r in rows if "住建局市政科" in r)
    assert (
        '<td class="num" data-field="count">2</td>' in roads
        and '<td class="num" data-field="count">1</td>' in parks
    )
    assert f'data-field="average">{round(sum(roads_scores) / 2, 1)}</td>' in roads
    assert rows.index(parks) < rows.index(roads)  # lowest first


def test_the_api_returns_the_assessment_for_staff(routed_world, categories):
    categories["09006"].needs_legal_basis = True
    categories["09006"].save(update_fields=["needs_legal_basis"])
    staff = as_user(Client(), routed_world.dispatcher)
    body = {"report_text": REPORT, "reply_text": GOOD, "category": "09006"}
    response = post_json(staff, "/api/replyquality/hints", body)
    assert response.status_code == 200, response.content
    data = response.json()
    checks = {c["code"]: c for c in data["checks"]}
    assert checks["legal_basis"]["passed"] is False and checks["legal_basis"]["message_en"]
    assert data["score"] < 100
    late = post_json(
        staff,
        "/api/replyquality/hints",
        {**body, "due_at": "2026-12-01T10:00:00+08:00", "replied_at": "2026-12-01T11:00:00+08:00"},
    ).json()
    assert {c["code"]: c["passed"] for c in late["checks"]}["on_time"] is False


def test_the_api_refuses_citizens_and_bad_input(routed_world, categories):
    body = {"report_text": REPORT, "reply_text": GOOD}
    citizen = as_user(Client(), routed_world.citizen)
    assert post_json(citizen, "/api/replyquality/hints", body).status_code == 403
    assert post_json(Client(), "/api/replyquality/hints", body).status_code == 401
    staff = as_user(Client(), routed_world.dispatcher)
    unknown = post_json(staff, "/api/replyquality/hints", {**body, "category": "99999"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "category"
    control = post_json(staff, "/api/replyquality/hints", {**body, "reply_text": "已处理\u0007"})
    assert control.status_code == 422 and control.json()["message_zh"] and control.json()["message_en"]
    assert post_json(staff, "/api/replyquality/hints", {"report_text": REPORT}).status_code == 422


def test_the_grid_member_verifying_on_site_sees_the_score(routed_world, accepted):
    api_move(as_user(Client(), routed_world.roads_handler), accepted.number, "feedback", note="已处理")
    page = as_user(Client(), routed_world.grid_member).get(f"/m/grid/verify/{accepted.number}/")
    assert page.status_code == 200
    section = page.content.decode().split('id="reply-score"')[1].split("</section>")[0]
    assert f'<span class="score">{ReplyScore.objects.get(case=accepted).score}</span>' in section
    assert "未留联系人或联系电话" in section


def test_the_api_takes_times_without_an_offset_as_local_time(routed_world, categories):
    staff = as_user(Client(), routed_world.dispatcher)
    body = {"report_text": REPORT, "reply_text": GOOD, "due_at": "2026-12-01T10:00:00"}
    late = post_json(staff, "/api/replyquality/hints", {**body, "replied_at": "2026-12-01T10:30:00+08:00"})
    assert late.status_code == 200, late.content
    assert {c["code"]: c["passed"] for c in late.json()["checks"]}["on_time"] is False
    mixed = post_json(staff, "/api/replyquality/hints", {**body, "replied_at": "2026-12-01T01:00:00Z"})
    assert {c["code"]: c["passed"] for c in mixed.json()["checks"]}["on_time"] is True  # 09:00 local
