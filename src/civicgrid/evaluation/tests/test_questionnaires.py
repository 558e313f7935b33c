"""Questionnaires: quotas per street × group, one answer per phone or device, nothing personal kept."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError
from civicgrid.evaluation.models import Answer, Response
from civicgrid.evaluation.questionnaires import questionnaire_answer, respondent_key
from civicgrid.evaluation.scoring import round_scores
from civicgrid.evaluation.tests.score_helpers import open_round, questionnaire, small_edition


@pytest.fixture
def setup(world):
    edition, s = small_edition()
    rnd, _ = open_round(edition, world)
    q = questionnaire(rnd, world.street, s["satisfied"], quota=2)
    return world, rnd, s, q


def sheet(q, scale: str = "5", age: str = "18-40", text: str = "") -> dict:
    scale_q, choice_q, text_q = q.questions.order_by("position")
    return {scale_q.pk: scale, f"q{choice_q.pk}": age, text_q.pk: text}


def test_one_answer_per_device_and_no_phone_kept(setup):
    w, rnd, s, q = setup
    r = questionnaire_answer(
        questionnaire=q, street=w.street, group="resident", respondent="138 0000 1111", answers=sheet(q)
    )
    assert r.respondent_key == respondent_key(questionnaire=q, respondent="13800001111")
    assert "13800001111" not in r.respondent_key and len(r.respondent_key) == 64
    with pytest.raises(Conflict) as err:
        questionnaire_answer(
            questionnaire=q,
            street=w.street,
            group="resident",
            respondent="13800001111",
            answers=sheet(q, "1"),
        )
    assert err.value.code == "questionnaire_already_answered"
    assert Response.objects.count() == 1 and Answer.objects.count() == 2  # the empty comment is not kept


def test_quota_per_street_and_group(setup):
    w, rnd, s, q = setup
    for k, value in enumerate(["5", "2"]):
        questionnaire_answer(
            questionnaire=q, street=w.street, group="resident", respondent=f"dev-{k}", answers=sheet(q, value)
        )
    with pytest.raises(Conflict) as err:
        questionnaire_answer(
            questionnaire=q, street=w.street, group="resident", respondent="dev-9", answers=sheet(q)
        )
    assert err.value.code == "questionnaire_quota_full"
    # another group still has room
    questionnaire_answer(
        questionnaire=q, street=w.street, group="visitor", respondent="dev-9", answers=sheet(q, "3")
    )
    assert Response.objects.filter(questionnaire=q).count() == 3
    # satisfaction: (5, 2, 3) → (4 + 1 + 2) / 12 of 5 points
    line = round_scores(rnd).city.standards[s["satisfied"].pk]
    assert line.answers == 3 and line.score == Decimal("2.92")
    assert round_scores(rnd).streets[w.street.pk].standards[s["satisfied"].pk].score == Decimal("2.92")


def test_bad_answers_are_refused_and_change_nothing(setup):
    w, rnd, s, q = setup
    with pytest.raises(DomainError) as err:
        questionnaire_answer(
            questionnaire=q, street=w.street, group="resident", respondent="a", answers=sheet(q, "6")
        )
    assert err.value.code == "questionnaire_scale"
    with pytest.raises(DomainError) as err:
        questionnaire_answer(
            questionnaire=q, street=w.street, group="resident", respondent="a", answers=sheet(q, age="99")
        )
    assert err.value.code == "questionnaire_choice"
    with pytest.raises(DomainError) as err:
        questionnaire_answer(
            questionnaire=q, street=w.street, group="tourist", respondent="a", answers=sheet(q)
        )
    assert err.value.code == "questionnaire_group"
    with pytest.raises(DomainError) as err:
        questionnaire_answer(
            questionnaire=q,
            street=w.street,
            group="resident",
            respondent="a",
            answers={**sheet(q), 99999: "1"},
        )
    assert err.value.code == "questionnaire_unknown_question"
    with pytest.raises(DomainError) as err:
        questionnaire_answer(
            questionnaire=q, street=w.street, group="resident", respondent="  ", answers=sheet(q)
        )
    assert err.value.code == "questionnaire_respondent_required"
    with time_machine.travel(clock.now() + timedelta(days=6)), pytest.raises(Conflict) as err:
        questionnaire_answer(
            questionnaire=q, street=w.street, group="resident", respondent="a", answers=sheet(q)
        )
    assert err.value.code == "questionnaire_closed"
    assert not Response.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_answers_at_once_never_pass_the_quota_nor_repeat_a_device(world):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is exercised on PostgreSQL")
    edition, s = small_edition()
    rnd, _ = open_round(edition, world)
    q = questionnaire(rnd, world.street, s["satisfied"], quota=3)
    answers = sheet(q)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def answer(device: str) -> None:
        try:
            barrier.wait()
            questionnaire_answer(
                questionnaire=q, street=world.street, group="resident", respondent=device, answers=answers
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    devices = ["same", "same", "same", "d1", "d2", "d3", "d4", "d5"]
    threads = [threading.Thread(target=answer, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 8 and outcomes.count("ok") == 3
    assert Response.objects.filter(questionnaire=q).count() == 3
    keys = list(Response.objects.filter(questionnaire=q).values_list("respondent_key", flat=True))
    assert len(set(keys)) == 3
