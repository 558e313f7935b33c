"""Periodic work for `civicgrid worker` (registered in CasesConfig.ready, see core/periodic.py)."""

from __future__ import annotations

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases.models import CaseDeadline
from civicgrid.cases.selectors import overdue_open_deadlines
from civicgrid.core import clock
from civicgrid.grids.scope import area_of
from civicgrid.notifications.services import notify


def scan_overdue() -> int:
    """Tell the department and the leaders once when a step of a case turns red (超期): the city's leaders
    of every case, a district's or street's leaders of their area's (grids/scope.py)."""
    now = clock.now()
    count = 0
    leaders = list(User.objects.filter(role=Role.LEADER, is_active=True))
    for deadline in overdue_open_deadlines(now):
        with transaction.atomic():
            # Claim the deadline first: two workers never notify the same red light twice.
            if not CaseDeadline.objects.filter(pk=deadline.pk, overdue_notified=False).update(
                overdue_notified=True
            ):
                continue
            case = deadline.case
            recipients = (
                list(
                    User.objects.filter(
                        department_id=case.department_id,
                        is_active=True,
                        role__in=[Role.HANDLER, Role.DEPARTMENT_ADMIN],
                    )
                )
                if case.department_id
                else []
            )
            in_area = [u for u in leaders if (area := area_of(u)) is None or area.covers(case.street_id)]
            for user in [*recipients, *in_area]:
                notify(
                    recipient=user,
                    kind="case_overdue",
                    title=f"案件超期（红灯）{case.number}",
                    body=f"{deadline.get_step_display()}环节已超过时限",
                    case_id=case.pk,
                    link=f"/console/cases/{case.number}/",
                    dedupe_key=f"overdue:{deadline.pk}:{user.pk}",
                )
            count += 1
    return count
