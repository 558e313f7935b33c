"""What the public read of a case: the centre's public summary (公开摘要), else the reporter's text
with the personal data in it hidden; and the one service that edits the summary.

Which cases the public see at all is `Case.objects.public()` / `Case.is_published`
(settings.CIVICGRID_PUBLISH_BEFORE_REGISTRATION). The stored description stays whole for the staff.
"""

from __future__ import annotations

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.cases.models import Case, CaseSummaryEdit
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.masking import redact_text

SUMMARY_MAX_CHARS = 2000


def public_text(description: str, public_summary: str) -> str:
    """The summary when the centre wrote one (it is shown as written), else the redacted description."""
    return public_summary if public_summary.strip() else redact_text(description)


def case_public_text(case: Case) -> str:
    return public_text(case.description, case.public_summary)


def may_edit_public_summary(user: User) -> bool:
    """Whoever registers cases (立案: the dispatch centre) decides what the public read of them."""
    return user_can(user, Capability.REGISTER)


def case_public_summary_edit(*, case: Case, actor: User, summary: str) -> CaseSummaryEdit:
    """Set (or, with an empty text, clear) the public summary and record the edit. Not a move of the
    loop: the status, the clocks and the events are untouched."""
    if not may_edit_public_summary(actor):
        raise PermissionDenied(
            "forbidden_role",
            "无权修改公开摘要",
            "your role may not edit the public summary",
            field="public_summary",
        )
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX_CHARS:
        raise DomainError(
            "summary_too_long",
            f"公开摘要最多 {SUMMARY_MAX_CHARS} 字",
            f"the public summary has at most {SUMMARY_MAX_CHARS} characters",
            field="public_summary",
        )
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(public_summary=summary)
        case.public_summary = summary
        return CaseSummaryEdit.objects.create(case=case, actor=actor, summary=summary, created_at=clock.now())
