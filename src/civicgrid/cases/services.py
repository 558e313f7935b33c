"""Case writes that are not moves of the loop."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from civicgrid.accounts.models import User
from civicgrid.cases.choices import OPEN_STATUSES, Action
from civicgrid.cases.models import Case, CaseEvent, CaseFollower
from civicgrid.core import clock
from civicgrid.core.errors import Conflict


@transaction.atomic
def case_me_too(*, case: Case, user: User) -> bool:
    """附议: follow an open case and count one more report; a second "me too" by the same person counts nothing."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status not in OPEN_STATUSES:
        raise Conflict("case_not_open", "该案件已办结，不能附议", "the case is no longer open")
    if case.reporter_id == user.pk:
        return False
    at = clock.now()
    try:
        with transaction.atomic():
            CaseFollower.objects.create(case=case, user=user, created_at=at)
    except IntegrityError:
        return False
    Case.objects.filter(pk=case.pk).update(me_too_count=F("me_too_count") + 1)
    CaseEvent.objects.create(case=case, action=Action.ME_TOO, from_status=case.status, to_status=case.status,
                             actor=user, actor_role=user.role, created_at=at)
    return True
