"""Periodic work for `civicgrid worker` (registered in CasesConfig.ready, see core/periodic.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.cases import hooks
from civicgrid.cases.choices import OPEN_STATUSES
from civicgrid.cases.models import CaseDeadline
from civicgrid.cases.selectors import overdue_open_deadlines
from civicgrid.core import clock
from civicgrid.grids.scope import area_of
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notify
from civicgrid.taxonomy.choices import Step

DIGEST_PERIODS = ("hourly", "daily")
DIGEST_LIST_MAX = 10  # case numbers named in one digest; the rest are "等 N 件"


def scan_overdue() -> int:
    """Mark each step of a case that turned red (超期) once; returns how many turned red since the
    last pass. Nobody is told here: `overdue_digest` tells each person once per period; other apps'
    reactions (`hooks.on_overdue`) run with the mark, once per step."""
    now = clock.now()
    count = 0
    for deadline in overdue_open_deadlines(now):
        with transaction.atomic():
            # Claimed once: two workers never count the same red light twice.
            if CaseDeadline.objects.filter(pk=deadline.pk, overdue_notified=False).update(
                overdue_notified=True
            ):
                count += 1
                hooks.run_overdue(deadline.case, deadline)
    return count


def digest_period(now: datetime) -> str | None:
    """The period a digest belongs to (CIVICGRID_OVERDUE_DIGEST: "hourly" or "daily"), as a key such as
    "2026-11-23T09" or "2026-11-23"; None before the day's digest hour (CIVICGRID_OVERDUE_DIGEST_HOUR)."""
    if settings.CIVICGRID_OVERDUE_DIGEST not in DIGEST_PERIODS:
        raise ImproperlyConfigured(
            f"CIVICGRID_OVERDUE_DIGEST must be one of {', '.join(DIGEST_PERIODS)}, "
            f"not {settings.CIVICGRID_OVERDUE_DIGEST!r}"
        )
    local = timezone.localtime(now)
    if settings.CIVICGRID_OVERDUE_DIGEST == "hourly":
        return local.strftime("%Y-%m-%dT%H")
    if local.hour < settings.CIVICGRID_OVERDUE_DIGEST_HOUR:
        return None
    return local.strftime("%Y-%m-%d")


def red_cases_by_person(now: datetime) -> dict[User, list[str]]:
    """Who must act on which red (overdue) open cases: a department's handlers (its admins when it
    has none) on the steps it holds (签收, 处置), the dispatch centre on its own steps (立案, 派遣,
    核查, 结案), the leaders on all of them (督办). Case numbers, most overdue first."""
    deadlines = (
        CaseDeadline.objects.filter(completed_at__isnull=True, due_at__lt=now, case__status__in=OPEN_STATUSES)
        .exclude(case__number=None)
        .select_related("case")
        .order_by("due_at")
    )
    by_department: dict[int, list[str]] = defaultdict(list)
    centre: list[str] = []
    everything: list[str] = []
    for deadline in deadlines:
        number = deadline.case.number
        if number in everything:
            continue
        everything.append(number)
        if deadline.step == Step.HANDLE and deadline.case.department_id:
            by_department[deadline.case.department_id].append(number)
        else:
            centre.append(number)
    out: dict[User, list[str]] = {}
    if not everything:
        return out
    staff = User.objects.filter(is_active=True, department_id__in=list(by_department)).filter(
        role__in=[Role.HANDLER, Role.DEPARTMENT_ADMIN]
    )
    handlers_of = defaultdict(list)
    for user in staff:
        handlers_of[user.department_id].append(user)
    for department_id, numbers in by_department.items():
        people = handlers_of[department_id]
        for user in [u for u in people if u.role == Role.HANDLER] or people:
            out[user] = numbers
    if centre:
        for user in User.objects.filter(is_active=True, role=Role.DISPATCHER):
            out[user] = centre
    # The city's leaders on every red case; a district's or street's on their area's (grids/scope.py).
    street_of = {d.case.number: d.case.street_id for d in deadlines}
    for user in User.objects.filter(is_active=True, role=Role.LEADER):
        area = area_of(user)
        mine = everything if area is None else [n for n in everything if area.covers(street_of[n])]
        if mine:
            out[user] = mine
    return out


def overdue_digest(now: datetime | None = None) -> int:
    """One message per person per period listing the red cases they must act on (超期汇总).

    Idempotent: a person's digest of a period has the key `overdue-digest:<period>:<person>`, which the
    outbox holds once (a unique index), so a second pass — or a second worker at the same moment —
    adds nothing. Returns how many digests were queued."""
    now = now or clock.now()
    period = digest_period(now)
    if period is None:
        return 0
    prefix = f"overdue-digest:{period}:"
    done = set(
        Notification.objects.filter(dedupe_key__startswith=prefix).values_list("recipient_id", flat=True)
    )
    sent = 0
    for user, numbers in red_cases_by_person(now).items():
        if user.pk in done or not numbers:
            continue
        listed = "、".join(numbers[:DIGEST_LIST_MAX])
        more = len(numbers) - DIGEST_LIST_MAX
        with transaction.atomic():
            queued = notify(
                recipient=user,
                kind="case_overdue",
                title=f"超期案件汇总：{len(numbers)} 件红灯",
                body=listed + (f" 等 {len(numbers)} 件" if more > 0 else ""),
                link="/console/queue/red/" if user.role == Role.LEADER else "/console/",
                dedupe_key=f"{prefix}{user.pk}",
            )
        sent += queued is not None
    return sent
