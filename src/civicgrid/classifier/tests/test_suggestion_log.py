"""Suggestions are logged where they are shown, and the case loop's moves record what became of them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case
from civicgrid.cases.tests.helpers import NORTH_1, api_move, assert_error, post_json, report_body
from civicgrid.classifier import suggestions
from civicgrid.classifier.models import SuggestionLog, SuggestionOutcome, SuggestionWhere, Target
from civicgrid.classifier.selectors import iso_week, suggestion_accuracy

SUGGEST = "/m/report/suggest/"
MANHOLE = "井盖没了，晚上很危险"


def h5_suggest(client: Client, description: str, **extra):
    return client.post(SUGGEST, {"description": description, "kind": "complaint", **extra})


def log_id(html: str) -> str:
    return re.search(r'name="suggestion_log" id="suggestion-log" value="(\d*)"', html).group(1)


def h5_report(client: Client, description: str, **fields):
    data = {
        "description": description,
        "lat": str(NORTH_1[0]),
        "lon": str(NORTH_1[1]),
        "kind": "complaint",
        "idempotency_key": "k-suggest-0001",
        **fields,
    }
    return client.post("/m/report/", data)


@pytest.fixture
def citizen_client(routed_world, models):
    client = Client()
    client.force_login(routed_world.citizen)
    return client


@pytest.fixture
def dispatcher_client(routed_world):
    client = Client()
    client.force_login(routed_world.dispatcher)
    return client


def test_h5_chips_show_the_likeliest_categories_above_the_threshold(citizen_client, settings):
    settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE = 0.1
    response = h5_suggest(citizen_client, MANHOLE)
    assert response.status_code == 200
    html = response.content.decode()
    chips = re.findall(r'data-value="([^"]+)"', html)
    assert chips[0] == "component:01003"
    assert 1 <= len(chips) <= 3
    assert re.search(
        r'<span class="chip-name">雨水井盖</span> <span class="chip-confidence">\d+%</span>', html
    )
    log = SuggestionLog.objects.get()
    assert log_id(html) == str(log.pk)
    assert (log.where, log.target, log.case_id, log.outcome) == ("h5", "category", None, "pending")
    assert log.suggestions[0]["label"] == "component:01003" and len(log.suggestions) == len(chips)
    assert log.text_hash == suggestions.text_hash(MANHOLE) and MANHOLE not in str(log.suggestions)
    assert log.model_version.target == Target.CATEGORY

    # Above every suggestion's confidence: no chip, and nothing logged (the earlier log of the form goes).
    settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE = 0.99
    html = h5_suggest(citizen_client, MANHOLE, suggestion_log=str(log.pk)).content.decode()
    assert "data-value=" not in html and "暂无把握较大的推荐分类" in html
    assert log_id(html) == "" and not SuggestionLog.objects.exists()


def test_typing_on_updates_the_forms_one_log_and_never_another_persons(citizen_client, routed_world):
    first = int(log_id(h5_suggest(citizen_client, "井盖").content.decode()))
    second = int(log_id(h5_suggest(citizen_client, MANHOLE, suggestion_log=str(first)).content.decode()))
    assert second == first and SuggestionLog.objects.count() == 1
    assert SuggestionLog.objects.get().text_hash == suggestions.text_hash(MANHOLE)
    other = Client()
    other.force_login(routed_world.grid_member)
    theirs = int(log_id(h5_suggest(other, "路边垃圾没人清理", suggestion_log=str(first)).content.decode()))
    assert theirs != first and SuggestionLog.objects.get(pk=first).text_hash == suggestions.text_hash(MANHOLE)


def test_bad_text_is_refused_and_logs_nothing(citizen_client):
    response = h5_suggest(citizen_client, "井盖\x00没了")
    assert response.status_code == 422 and "控制字符" in response.content.decode()
    assert h5_suggest(citizen_client, "井" * 2001).status_code == 422
    assert not SuggestionLog.objects.exists()
    anonymous = Client().post(SUGGEST, {"description": MANHOLE})
    assert anonymous.status_code == 302


def test_h5_log_follows_the_case_through_report_register_dispatch_and_return(
    citizen_client, dispatcher_client, routed_world
):
    html = h5_suggest(citizen_client, MANHOLE).content.decode()
    log = SuggestionLog.objects.get(pk=log_id(html))
    # REPORT: the citizen picked the top suggestion.
    response = h5_report(citizen_client, MANHOLE, category="component:01003", suggestion_log=str(log.pk))
    assert response.status_code == 302
    case = Case.objects.get()
    log.refresh_from_db()
    assert (log.case_id, log.chosen_label, log.outcome) == (case.pk, "component:01003", "accepted")
    assert log.resolved_at is not None

    # REGISTER: the dispatcher's category is the final label (here a correction the model never offered).
    page = dispatcher_client.get(f"/console/cases/{case.number}/")
    assert page.status_code == 200
    console_log = SuggestionLog.objects.get(where=SuggestionWhere.CONSOLE_REGISTER)
    assert console_log.case_id == case.pk and console_log.user == routed_world.dispatcher
    dispatcher_client.get(f"/console/cases/{case.number}/")  # shown again: still one log
    assert SuggestionLog.objects.filter(where=SuggestionWhere.CONSOLE_REGISTER).count() == 1
    response = dispatcher_client.post(
        f"/console/cases/{case.number}/actions/register/", {"category": "matter:06013"}
    )
    assert response.status_code == 302
    for row in SuggestionLog.objects.filter(target=Target.CATEGORY):
        assert (row.chosen_label, row.outcome) == ("matter:06013", "overridden"), row.where

    # DISPATCH: the model's department was chosen.
    dispatcher_client.get(f"/console/cases/{case.number}/")
    dispatch_log = SuggestionLog.objects.get(where=SuggestionWhere.CONSOLE_DISPATCH)
    assert dispatch_log.top_label == "ZJJ-SZ" and dispatch_log.outcome == "pending"
    response = dispatcher_client.post(
        f"/console/cases/{case.number}/actions/dispatch/", {"department": "ZJJ-SZ"}
    )
    assert response.status_code == 302
    dispatch_log.refresh_from_db()
    assert (dispatch_log.chosen_label, dispatch_log.outcome) == ("ZJJ-SZ", "accepted")

    # RETURN (退回): the suggested department sent it back — a lesson, kept through the next dispatch.
    handler = Client()
    handler.force_login(routed_world.roads_handler)
    response = handler.post(f"/console/cases/{case.number}/actions/return/", {"note": "不属于本科室"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED
    dispatch_log.refresh_from_db()
    assert dispatch_log.outcome == SuggestionOutcome.RETURNED
    response = dispatcher_client.post(
        f"/console/cases/{case.number}/actions/dispatch/", {"department": "CGJ"}
    )
    assert response.status_code == 302
    dispatch_log.refresh_from_db()
    assert dispatch_log.outcome == SuggestionOutcome.RETURNED


def test_a_report_form_cannot_claim_another_persons_log(citizen_client, routed_world):
    other = Client()
    other.force_login(routed_world.grid_member)
    theirs = log_id(h5_suggest(other, "路边垃圾没人清理").content.decode())
    assert h5_report(citizen_client, MANHOLE, suggestion_log=theirs).status_code == 302
    assert SuggestionLog.objects.get(pk=theirs).case_id is None


def test_the_api_suggests_and_a_report_of_the_same_text_links_its_log(client, routed_world, models):
    client.force_login(routed_world.citizen)
    response = post_json(client, "/api/classifier/suggest", {"text": MANHOLE, "target": "category"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["suggestions"][0]["label"] == "component:01003" and body["suggestions"][0]["name"] == "雨水井盖"
    )
    assert 0 < body["suggestions"][0]["confidence"] <= 1 and len(body["suggestions"]) <= 3
    response = post_json(client, "/api/cases", report_body(description=MANHOLE, category="09006"))
    assert response.status_code == 201, response.content
    log = SuggestionLog.objects.get(pk=body["log_id"])
    assert log.where == "api" and log.case.number == response.json()["number"]
    assert (log.chosen_label, log.outcome) == (
        "matter:09006",
        "in_top3" if "matter:09006" in str(log.suggestions) else "overridden",
    )

    department = post_json(
        client, "/api/classifier/suggest", {"text": MANHOLE, "target": "department"}
    ).json()
    assert [s["label"] for s in department["suggestions"]] == ["ZJJ-SZ"]
    assert department["suggestions"][0]["name"] == "住建局市政科"

    assert_error(
        post_json(client, "/api/classifier/suggest", {"text": "", "target": "category"}), 422, "text_required"
    )
    assert_error(post_json(client, "/api/classifier/suggest", {"text": "x" * 4001}), 422, "text_too_long")
    assert (
        post_json(client, "/api/classifier/suggest", {"text": MANHOLE, "target": "other"}).status_code == 422
    )
    assert (
        Client()
        .post("/api/classifier/suggest", {"text": MANHOLE}, content_type="application/json")
        .status_code
        == 401
    )


def test_a_failing_hook_never_stops_a_move(client, routed_world, models, monkeypatch, caplog):
    def broken(text):
        raise RuntimeError("boom")

    client.force_login(routed_world.citizen)
    post_json(client, "/api/classifier/suggest", {"text": MANHOLE})
    monkeypatch.setattr(suggestions, "text_hash", broken)
    response = post_json(client, "/api/cases", report_body(description=MANHOLE))
    assert response.status_code == 201
    assert Case.objects.count() == 1 and SuggestionLog.objects.get().case_id is None
    assert "suggestion outcome of case" in caplog.text
    dispatcher = Client()
    dispatcher.force_login(routed_world.dispatcher)
    monkeypatch.setattr(suggestions, "_resolve_all", lambda *a: 1 / 0)
    number = response.json()["number"]
    assert api_move(dispatcher, number, "register", category="component:01003").status_code == 200
    assert Case.objects.get().status == CaseStatus.REGISTERED


def _log(target, labels, chosen, outcome, *, created_at):
    log = SuggestionLog.objects.create(
        where="h5",
        target=target,
        text_hash="0" * 64,
        suggestions=[{"label": label, "confidence": 0.5} for label in labels],
        chosen_label=chosen,
        outcome=outcome,
        resolved_at=None if outcome == "pending" else created_at,
    )
    SuggestionLog.objects.filter(pk=log.pk).update(created_at=created_at)


def test_accuracy_per_week_and_per_category(categories, routed_world):
    now = timezone.now()
    last_week = now - timedelta(days=7)
    manhole, litter = "component:01003", "matter:06010"
    _log("category", [manhole, litter], manhole, "accepted", created_at=now)
    _log("category", [litter, manhole], manhole, "in_top3", created_at=now)
    _log("category", [litter], manhole, "overridden", created_at=now)
    _log("category", [litter], litter, "accepted", created_at=last_week)
    _log("category", [litter], "", "pending", created_at=now)  # not resolved: not counted
    _log("department", ["ZJJ-SZ"], "ZJJ-SZ", "accepted", created_at=now)
    _log("department", ["ZJJ-SZ"], "ZJJ-SZ", "returned", created_at=now)
    _log("category", [litter], litter, "accepted", created_at=now - timedelta(weeks=30))  # too old

    found = suggestion_accuracy(weeks=4, now=now)
    weeks = found.weeks["category"]
    assert [w.key for w in weeks] == [
        iso_week(timezone.localtime(last_week)),
        iso_week(timezone.localtime(now)),
    ]
    assert [(w.count, w.accepted, w.top3) for w in weeks] == [(1, 1, 1), (3, 1, 2)]
    assert weeks[1].accepted_rate == pytest.approx(1 / 3) and weeks[1].top3_rate == pytest.approx(2 / 3)
    by_label = {row.key: row for row in found.labels["category"]}
    assert (by_label[manhole].name, by_label[manhole].count, by_label[manhole].accepted) == (
        "01003 雨水井盖",
        3,
        1,
    )
    assert by_label[litter].accepted_rate == 1.0
    department = found.labels["department"][0]
    assert (department.name, department.count, department.accepted, department.top3) == (
        "住建局市政科",
        2,
        1,
        1,
    )

    api = Client()
    api.force_login(routed_world.leader)
    body = api.get("/api/classifier/accuracy?weeks=4").json()
    assert [(w["count"], w["accepted"]) for w in body["category"]["weeks"]] == [(1, 1), (3, 1)]
    assert body["department"]["labels"][0]["accepted_rate"] == 0.5
    assert_error(api.get("/api/classifier/accuracy?weeks=0"), 422, "weeks_invalid", "weeks")
    citizen = Client()
    citizen.force_login(routed_world.citizen)
    assert citizen.get("/api/classifier/accuracy").status_code == 403
