"""A feedback (处置反馈) stores its reply-quality score; the hints never block the move."""

import logging

import pytest
from django.test import Client

from civicgrid.cases.choices import Action, CaseStatus
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.tests.helpers import NORTH_1, api_move, as_user, run_to, submit
from civicgrid.replyquality import hints, services
from civicgrid.replyquality.models import ReplyScore
from civicgrid.testing import assert_append_only

REPORT = "幸福路23号门前人行道上有人占道经营卖水果，堵住了盲道。"
GOOD = (
    "您好，您反映的幸福路23号门前占道经营问题，执法队员已于12月5日上午到现场劝离卖水果的摊贩，"
    "已清理占道物品，盲道已恢复通行。承办人王军，联系电话0477-8312345。"
)


@pytest.fixture
def accepted(routed_world, categories):
    case = submit(routed_world.citizen, NORTH_1, category=categories["06013"], description=REPORT)
    return run_to(case, "accepted", routed_world)


def test_feedback_through_the_api_stores_a_score(routed_world, accepted):
    client = as_user(Client(), routed_world.roads_handler)
    response = api_move(client, accepted.number, "feedback", note=GOOD)
    assert response.status_code == 200, response.content
    event = CaseEvent.objects.get(case=accepted, action=Action.FEEDBACK)
    score = ReplyScore.objects.get(event=event)
    assert score.case_id == accepted.pk and score.department.code == "ZJJ-SZ"
    assert score.score >= 80 and score.created_at == event.created_at
    codes = {c["code"]: c["passed"] for c in score.checks}
    assert codes["relevance"] and codes["result"] and codes["on_time"]
    assert all(set(c) == {"code", "passed", "weight"} for c in score.checks)  # no words of anyone stored


def test_boilerplate_feedback_is_stored_with_a_low_score_and_still_moves(routed_world, accepted):
    client = as_user(Client(), routed_world.roads_handler)
    assert api_move(client, accepted.number, "feedback", note="已处理").status_code == 200
    accepted.refresh_from_db()
    assert accepted.status == CaseStatus.HANDLED
    assert ReplyScore.objects.get(case=accepted).score <= 40


def test_each_feedback_after_a_rework_gets_its_own_score(routed_world, accepted):
    client = as_user(Client(), routed_world.roads_handler)
    api_move(client, accepted.number, "feedback", note="已处理")
    api_move(as_user(Client(), routed_world.dispatcher), accepted.number, "rework", note="答复过于简单")
    api_move(client, accepted.number, "feedback", note=GOOD)
    scores = list(
        ReplyScore.objects.filter(case=accepted).order_by("created_at", "id").values_list("score", flat=True)
    )
    assert len(scores) == 2 and scores[0] <= 40 <= 80 <= scores[1]


def test_an_exception_in_the_hints_is_logged_and_the_feedback_stands(
    routed_world, accepted, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("hints unavailable")

    monkeypatch.setattr(services, "reply_hints", broken)
    client = as_user(Client(), routed_world.roads_handler)
    with caplog.at_level(logging.ERROR, logger="civicgrid.replyquality.services"):
        response = api_move(client, accepted.number, "feedback", note=GOOD)
    assert response.status_code == 200, response.content
    fresh = Case.objects.get(pk=accepted.pk)
    assert fresh.status == CaseStatus.HANDLED
    assert fresh.events.filter(action=Action.FEEDBACK).count() == 1
    assert not ReplyScore.objects.exists()
    assert "no score for the feedback" in caplog.text and "hints unavailable" in caplog.text


def test_a_database_error_in_the_hook_leaves_the_move_usable(routed_world, accepted, monkeypatch, caplog):
    """A failed insert (here: a score out of range for the column) is rolled back to its savepoint only."""
    monkeypatch.setattr(services, "reply_hints", lambda *a, **k: hints.ReplyAssessment(score=-5, checks=[]))
    client = as_user(Client(), routed_world.roads_handler)
    with caplog.at_level(logging.ERROR, logger="civicgrid.replyquality.services"):
        response = api_move(client, accepted.number, "feedback", note=GOOD)
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=accepted.pk).status == CaseStatus.HANDLED
    assert not ReplyScore.objects.exists()


def test_the_hook_is_registered_and_idempotent(routed_world, accepted):
    from civicgrid.cases import hooks

    assert services.on_feedback in hooks._hooks[Action.FEEDBACK]
    client = as_user(Client(), routed_world.roads_handler)
    api_move(client, accepted.number, "feedback", note=GOOD)
    event = CaseEvent.objects.get(case=accepted, action=Action.FEEDBACK)
    services.on_feedback(accepted, event)  # again: still one row
    assert ReplyScore.objects.filter(event=event).count() == 1


def test_scores_are_append_only(routed_world, accepted):
    client = as_user(Client(), routed_world.roads_handler)
    api_move(client, accepted.number, "feedback", note=GOOD)
    assert_append_only(ReplyScore.objects.get(case=accepted))
