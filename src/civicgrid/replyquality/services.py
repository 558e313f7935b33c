"""Writes of the reply-quality app: the score of a feedback, from the cases.hooks registry."""

from __future__ import annotations

import logging

from django.db import transaction

from civicgrid.cases.models import Case, CaseDeadline, CaseEvent
from civicgrid.replyquality.hints import ReplyAssessment, reply_hints
from civicgrid.replyquality.models import ReplyScore

logger = logging.getLogger(__name__)


def feedback_assess(case: Case, event: CaseEvent) -> ReplyAssessment:
    """The hints on a feedback event: its note against the report, the category's needs, and the
    handling step's time limit (the clock this feedback finished)."""
    deadline = CaseDeadline.objects.filter(case=case, completed_at=event.created_at).order_by("-id").first()
    return reply_hints(
        case.description,
        event.note,
        category=case.category,
        due_at=deadline.due_at if deadline else None,
        replied_at=event.created_at,
    )


def reply_score_record(*, case: Case, event: CaseEvent) -> ReplyScore:
    """Store the score of a feedback (once per event: a second call returns the stored row)."""
    stored = ReplyScore.objects.filter(event=event).first()
    if stored is not None:
        return stored
    assessment = feedback_assess(case, event)
    with transaction.atomic():
        return ReplyScore.objects.create(
            case=case,
            event=event,
            department_id=event.department_id or case.department_id,
            score=assessment.score,
            checks=[
                {"code": c.code, "passed": c.passed, "weight": c.as_dict()["weight"]}
                for c in assessment.checks
            ],
            created_at=event.created_at,
        )


def on_feedback(case: Case, event: CaseEvent) -> None:
    """cases.hooks reaction to 处置反馈. Hints never block a move: whatever goes wrong here is logged and
    the feedback stands (the savepoint keeps the move's transaction usable after a database error)."""
    try:
        with transaction.atomic():
            reply_score_record(case=case, event=event)
    except Exception:
        logger.exception("reply quality: no score for the feedback of case %s", case.number)
