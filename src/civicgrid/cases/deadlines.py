"""Time limits (时限) of the case loop and the traffic lights they produce.

Each timed step (立案, 派遣, 处置, 核查, 结案) of each case gets a CaseDeadline when it starts:
the limit comes from `taxonomy.TimeLimit` (category-specific row first, then the row for every
category, then the built-in defaults below), counted in working hours on the working calendar
or in natural hours. `warn_at` is the moment 80 % of the limit is used, so the light of any
number of cases is a comparison of two timestamps — in SQL as well as in Python.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from civicgrid.cases.choices import CaseStatus, Light
from civicgrid.cases.models import Case, CaseDeadline, ExtensionStatus
from civicgrid.taxonomy.cache import get_snapshot
from civicgrid.taxonomy.choices import ClockUnit, Step, Urgency
from civicgrid.taxonomy.models import Category
from civicgrid.worktime.calendar import get_calendar

YELLOW_SHARE = Decimal("0.8")

STEP_FOR_STATUS = {
    CaseStatus.REPORTED: Step.REGISTER,
    CaseStatus.REGISTERED: Step.DISPATCH,
    CaseStatus.RETURNED: Step.DISPATCH,
    CaseStatus.DISPATCHED: Step.HANDLE,
    CaseStatus.ACCEPTED: Step.HANDLE,
    CaseStatus.HANDLED: Step.VERIFY,
    CaseStatus.VERIFIED: Step.CLOSE,
}

# Used only when the admin has configured no TimeLimit row at all for a step.
FALLBACK_LIMITS = {
    Urgency.NORMAL: (
        {Step.REGISTER: 2, Step.DISPATCH: 1, Step.HANDLE: 21, Step.VERIFY: 4, Step.CLOSE: 2},
        ClockUnit.WORKING_HOURS,
    ),
    Urgency.URGENT: (
        {Step.REGISTER: 1, Step.DISPATCH: 1, Step.HANDLE: 4, Step.VERIFY: 2, Step.CLOSE: 1},
        ClockUnit.NATURAL_HOURS,
    ),
}


def limit_for(category: Category | None, step: str, urgency: str) -> tuple[Decimal, str]:
    """(hours, unit) for a step: the category's own limit, else the default row, else built-in."""
    # The limits are configuration read on every report: the per-process copy (taxonomy/cache.py).
    row = get_snapshot().limit(category.pk if category else None, step, urgency)
    if row is not None:
        return row
    hours, unit = FALLBACK_LIMITS[Urgency(urgency)]
    return Decimal(hours[step]), unit


def deadline_start(*, case: Case, step: str, at: datetime) -> CaseDeadline:
    """Start the clock of `step` for the case and put it on the case (caller saves the case)."""
    deadline = deadline_plan(case=case, step=step, at=at)
    deadline.save(force_insert=True)
    return deadline


def deadline_plan(*, case: Case, step: str, at: datetime) -> CaseDeadline:
    """The deadline `deadline_start` would write, unsaved, and put on the case (which may be unsaved:
    the intake writes the case with its first clock in one INSERT, then this row)."""
    return CaseDeadline(**deadline_values(case=case, step=step, at=at))


def deadline_values(*, case: Case, step: str, at: datetime, calendar=None) -> dict:
    """The values of the deadline of `step` starting at `at` (by field name), and the case's clock set to it.

    `calendar`: anything with `WorkingCalendar.add` (the bulk history passes a faster one); by
    default the working calendar.
    """
    hours, unit = limit_for(case.category, step, case.urgency)
    calendar = calendar or get_calendar()
    due, warn = calendar.add(at, hours, unit), calendar.add(at, hours * YELLOW_SHARE, unit)
    case.step, case.due_at, case.warn_at = step, due, warn
    return {
        "case": case,
        "step": step,
        "started_at": at,
        "limit_hours": hours,
        "unit": unit,
        "due_at": due,
        "warn_at": warn,
    }


def deadline_finish(*, case: Case, at: datetime) -> bool | None:
    """Stop the current step's clock; returns whether it finished within the limit (None: no clock)."""
    if not case.step:
        return None
    deadline = current_deadline(case)
    on_time = deadline_stop(case=case, deadline=deadline, at=at)
    if deadline is None:
        return None
    CaseDeadline.objects.filter(pk=deadline.pk).update(completed_at=at, on_time=on_time)
    # An extension asked for a step that has ended can no longer be granted, nor block a new one.
    deadline.extension_requests.filter(status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.LAPSED, decided_at=at
    )
    return on_time


def deadline_stop(*, case: Case, deadline: CaseDeadline | None, at: datetime) -> bool | None:
    """What `deadline_finish` changes, in memory: the case's clock stops and its running `deadline`
    (None: none; any object with the deadline's fields as attributes) is completed at `at`. Returns
    whether it was within the limit."""
    case.step, case.due_at, case.warn_at = "", None, None
    if deadline is None:
        return None
    deadline.completed_at, deadline.on_time = at, at <= deadline.due_at
    return deadline.on_time


def current_deadline(case: Case) -> CaseDeadline | None:
    return case.deadlines.filter(completed_at__isnull=True).order_by("-started_at", "-id").first()


def deadline_extend(*, case: Case, deadline: CaseDeadline, hours: Decimal) -> tuple[datetime, datetime]:
    """Move the deadline by `hours` more of its own clock. Returns (old due, new due)."""
    moved = deadline_lengthen(case=case, deadline=deadline, hours=hours)
    deadline.save(update_fields=["extended_hours", "due_at", "warn_at"])
    return moved


def deadline_lengthen(
    *, case: Case, deadline: CaseDeadline, hours: Decimal, calendar=None
) -> tuple[datetime, datetime]:
    """What `deadline_extend` changes, in memory (the deadline unsaved, or any object with its fields as
    attributes). Returns (old due, new due)."""
    calendar = calendar or get_calendar()
    total = deadline.limit_hours + deadline.extended_hours + hours
    old_due = deadline.due_at
    deadline.extended_hours += hours
    deadline.due_at = calendar.add(deadline.started_at, total, deadline.unit)
    deadline.warn_at = calendar.add(deadline.started_at, total * YELLOW_SHARE, deadline.unit)
    if case.step == deadline.step:
        case.due_at, case.warn_at = deadline.due_at, deadline.warn_at
    return old_due, deadline.due_at


def light_of(case: Case, now: datetime) -> str:
    """Green, yellow (≥ 80 % of the limit used) or red (overdue); none when no clock runs."""
    if not case.due_at:
        return Light.NONE
    if now > case.due_at:
        return Light.RED
    if case.warn_at and now >= case.warn_at:
        return Light.YELLOW
    return Light.GREEN
