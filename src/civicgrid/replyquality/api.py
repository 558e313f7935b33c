"""Reply-quality API: the hints on a reply, for any client that drafts one (staff only; nothing is stored)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.roles import is_staff_member
from civicgrid.accounts.scopes import Scope
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.replyquality.hints import reply_hints
from civicgrid.taxonomy.selectors import category_by_code

router = Router(tags=["replyquality"])
TEXT_MAX_LENGTH = 2000


class HintsIn(Schema):
    report_text: str  # what the citizen reported (问题描述)
    reply_text: str  # the reply being written (处置反馈 / 答复)
    category: str | None = None  # "09006" or "matter:09006": whether a legal basis is expected
    due_at: datetime | None = None  # the time limit of the reply
    replied_at: datetime | None = None  # when it is (or was) given; default: now


class CheckOut(Schema):
    code: str
    passed: bool
    message_zh: str
    message_en: str
    weight: int


class HintsOut(Schema):
    score: int
    checks: list[CheckOut]


@router.post("/hints", response=HintsOut, auth=AUTH)
@api_scope(Scope.REPLYQUALITY_USE)
def hints(request, body: HintsIn):
    """答复质量提示: a score of 0–100 with the reasons (relevance, result, time, place, contact, each part
    of a multi-part report, legal basis where the category needs one, on time). Advice only."""
    if not is_staff_member(request.auth):
        raise PermissionDenied(
            "forbidden_role", "仅工作人员可用答复质量提示", "reply hints are for staff only"
        )
    report = text_check(body.report_text, field="report_text", max_length=TEXT_MAX_LENGTH)
    reply = text_check(body.reply_text, field="reply_text", max_length=TEXT_MAX_LENGTH)
    category = None
    if body.category:
        category = category_by_code(body.category)
        if category is None:
            raise DomainError(
                "category_unknown",
                f"未知的分类 {body.category!r}",
                f"unknown category {body.category!r}",
                field="category",
            )
    due_at = _aware(body.due_at)
    replied_at = _aware(body.replied_at) or clock.now()
    return reply_hints(report, reply, category=category, due_at=due_at, replied_at=replied_at).as_dict()


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is local time (Asia/Shanghai), as the pages show it."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)
