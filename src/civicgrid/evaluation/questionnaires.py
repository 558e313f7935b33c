"""Questionnaires (问卷调查): anonymous answers from the public, quotas per street × respondent group, one
answer per phone or device.

Nothing personal is kept: the phone number or device id becomes `respondent_key`, an HMAC keyed by the
server's secret and the questionnaire (so keys of two questionnaires cannot be linked), and the street and
group are the quota key. An answer beyond the quota, a second answer from the same key, or an answer
outside the questionnaire's window is refused and writes nothing. The questionnaire's row is locked while
an answer is counted against the quota, so two answers at once cannot both take the last place.

Satisfaction (scale questions, 1–5) feeds the standards the questions name: `scoring.py` turns the mean
into a rate (1 → 0 %, 5 → 100 %).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count

from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError
from civicgrid.core.text import text_check
from civicgrid.evaluation.models import Answer, Question, Questionnaire, Response
from civicgrid.grids.models import Street

SCALE = ("1", "2", "3", "4", "5")


def respondent_key(*, questionnaire: Questionnaire, respondent: str) -> str:
    """The keyed hash kept instead of the phone or device id (64 hex characters)."""
    normal = "".join(str(respondent).split()).lower()
    if not normal:
        raise DomainError(
            "questionnaire_respondent_required",
            "缺少手机号或设备标识",
            "a phone number or device id is required",
            field="respondent",
        )
    key = hashlib.sha256(("civicgrid-questionnaire-respondent:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{questionnaire.pk}|{normal}".encode(), hashlib.sha256).hexdigest()


def quota_of(questionnaire: Questionnaire, street: Street, group: str) -> int | None:
    """The quota of a street × group (None: that street or group is not asked)."""
    value = (questionnaire.quotas or {}).get(street.code, {}).get(group)
    return int(value) if value is not None else None


def quota_filled(questionnaire: Questionnaire) -> dict[tuple[str, str], int]:
    """How many answers each street code × group has."""
    rows = (
        Response.objects.filter(questionnaire=questionnaire)
        .values_list("street__code", "group")
        .order_by()
        .annotate(n=Count("id"))
    )
    return {(code, group): n for code, group, n in rows}


def _value(question: Question, raw: object) -> str:
    value = "" if raw is None else str(raw).strip()
    if question.kind == "scale":
        if value not in SCALE:
            raise DomainError(
                "questionnaire_scale",
                f"「{question.text}」请在 1 到 5 分之间选择",
                f"{question.text!r}: choose from 1 to 5",
                field=f"q{question.pk}",
            )
        return value
    if question.kind == "choice":
        if value not in [str(c) for c in question.choices or ()]:
            raise DomainError(
                "questionnaire_choice",
                f"「{question.text}」请选择一个选项",
                f"{question.text!r}: choose one of the options",
                field=f"q{question.pk}",
            )
        return value
    return text_check(value, field=f"q{question.pk}", max_length=500)


def questionnaire_answer(
    *,
    questionnaire: Questionnaire,
    street: Street,
    group: str,
    respondent: str,
    answers: Mapping[int | str, object],
) -> Response:
    """Record one anonymous answer sheet; every scale and choice question must be answered."""
    now = clock.now()
    if not (questionnaire.opens_at <= now <= questionnaire.closes_at):
        raise Conflict(
            "questionnaire_closed",
            f"问卷「{questionnaire.title}」不在填写时间内",
            f"the questionnaire {questionnaire.title!r} is not open now",
        )
    groups = {g.get("code") for g in questionnaire.groups or ()}
    if group not in groups:
        raise DomainError("questionnaire_group", "请选择受访群体", "choose a respondent group", field="group")
    quota = quota_of(questionnaire, street, group)
    if not quota:
        raise DomainError(
            "questionnaire_street",
            f"本问卷不在{street.name}面向该群体调查",
            f"this questionnaire does not ask this group in {street.name}",
            field="street",
        )
    questions = {q.pk: q for q in questionnaire.questions.all()}
    given = {}
    for raw_id, raw in (answers or {}).items():
        try:
            qid = int(str(raw_id).removeprefix("q"))
        except ValueError:
            qid = None
        if qid not in questions:
            raise DomainError(
                "questionnaire_unknown_question",
                "答卷含有不属于本问卷的题目",
                "the answers name a question not in this questionnaire",
            )
        given[qid] = raw
    values = {}
    for qid, question in questions.items():
        if qid not in given or given[qid] in (None, ""):
            if question.kind in ("scale", "choice"):
                raise DomainError(
                    "questionnaire_unanswered",
                    f"请回答「{question.text}」",
                    f"please answer {question.text!r}",
                    field=f"q{qid}",
                )
            continue
        values[qid] = _value(question, given[qid])
    key = respondent_key(questionnaire=questionnaire, respondent=respondent)
    duplicate = Conflict(
        "questionnaire_already_answered",
        "您已填写过本问卷，感谢参与",
        "this phone or device has already answered; thank you",
    )
    try:
        with transaction.atomic():
            Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
            if Response.objects.filter(questionnaire=questionnaire, respondent_key=key).exists():
                raise duplicate
            taken = Response.objects.filter(questionnaire=questionnaire, street=street, group=group).count()
            if taken >= quota:
                raise Conflict(
                    "questionnaire_quota_full",
                    f"{street.name}该群体的样本已满，感谢参与",
                    f"the quota of this group in {street.name} is full; thank you",
                )
            response = Response.objects.create(
                questionnaire=questionnaire, street=street, group=group, respondent_key=key, submitted_at=now
            )
            Answer.objects.bulk_create(
                [Answer(response=response, question_id=qid, value=value) for qid, value in values.items()]
            )
    except IntegrityError as exc:  # the same key at the same moment
        raise duplicate from exc
    return response
