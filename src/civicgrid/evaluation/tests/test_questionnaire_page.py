"""The public questionnaire page (/e/q/<id>/): anonymous, one answer per device (a cookie), quotas and
unanswered questions refused next to their field with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.core import clock
from civicgrid.evaluation.models import Question, Questionnaire, Response
from civicgrid.evaluation.tests.pages_helpers import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet(world):
    ew = build(world)
    now = clock.now()
    sheet = Questionnaire.objects.create(
        round=ew.round,
        title="市民满意度调查",
        groups=[{"code": "resident", "name": "居民"}, {"code": "visitor", "name": "外来人员"}],
        quotas={world.street.code: {"resident": 1, "visitor": 5}},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
    )
    Question.objects.create(
        questionnaire=sheet, standard=ew.standards[0], text="您对街道环境卫生满意吗？", position=1
    )
    Question.objects.create(questionnaire=sheet, text="您的建议", kind="text", position=2)
    return sheet


def answer(client, sheet, world, **change):
    q1, q2 = sheet.questions.order_by("position")
    data = {
        "street": world.street.pk,
        "group": "visitor",
        f"q{q1.pk}": "4",
        f"q{q2.pk}": "多设垃圾桶",
        **change,
    }
    return client.post(reverse("evaluation:questionnaire", args=[sheet.pk]), data)


def test_an_anonymous_answer_is_recorded_once_per_device(world, sheet):
    phone = Client()
    assert phone.get(reverse("evaluation:questionnaire", args=[sheet.pk])).status_code == 200
    first = answer(phone, sheet, world)
    assert first.status_code == 200 and 'id="questionnaire-thanks"' in first.content.decode()
    again = answer(phone, sheet, world)
    assert again.status_code == 422
    assert "您已填写过本问卷" in again.content.decode()
    assert Response.objects.count() == 1
    other_phone = Client()
    assert answer(other_phone, sheet, world).status_code == 200
    assert Response.objects.count() == 2
    # Nothing personal is kept: the key is a hash, not the cookie's id.
    device = phone.cookies["cg_device"].value
    assert not Response.objects.filter(respondent_key__contains=device).exists()


def test_an_unanswered_question_is_refused_next_to_it(world, sheet):
    q1 = sheet.questions.order_by("position").first()
    response = answer(Client(), sheet, world, **{f"q{q1.pk}": ""})
    assert response.status_code == 422
    body = response.content.decode()
    block = body.split(f'id="question-{q1.pk}"', 1)[1].split("</fieldset>", 1)[0]
    assert "field-error" in block and "请回答" in block
    assert not Response.objects.exists()


def test_a_full_quota_is_refused(world, sheet):
    assert answer(Client(), sheet, world, group="resident").status_code == 200
    response = answer(Client(), sheet, world, group="resident")
    assert response.status_code == 422
    assert "样本已满" in response.content.decode()
    assert Response.objects.count() == 1


def test_a_closed_questionnaire_shows_no_form(world, sheet):
    Questionnaire.objects.filter(pk=sheet.pk).update(closes_at=clock.now() - timedelta(hours=1))
    body = Client().get(reverse("evaluation:questionnaire", args=[sheet.pk])).content.decode()
    assert 'id="questionnaire-closed"' in body and 'id="questionnaire-form"' not in body
