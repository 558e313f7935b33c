"""Reads of the evaluation that depend on the viewer or span models.

Who sees what:
- an inspector: the sites of open rounds assigned to them, and the tasks of those rounds;
- a responsible unit's staff (handler, department admin): their unit's tasks;
- leaders and administrators (VIEW_CITY / CONFIGURE): everything.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core import clock
from civicgrid.core.errors import NotFound
from civicgrid.evaluation.models import (
    Edition,
    Observation,
    RectificationTask,
    Round,
    RoundSite,
    RoundStatus,
    TaskState,
)
from civicgrid.evaluation.rectification import ACTIVE_STATES, UNIT_STATES


def sees_everything(user: User | None) -> bool:
    return user_can(user, Capability.VIEW_CITY) or user_can(user, Capability.CONFIGURE)


def editions_visible(user: User | None) -> QuerySet[Edition]:
    if sees_everything(user) or user_can(user, Capability.INSPECT):
        return Edition.objects.all()
    return Edition.objects.none()


def rounds_visible(user: User | None) -> QuerySet[Round]:
    if sees_everything(user):
        return Round.objects.select_related("edition")
    if user_can(user, Capability.INSPECT):
        return Round.objects.filter(sites__inspector=user).distinct().select_related("edition")
    return Round.objects.none()


def sites_for_inspector(user: User, *, round: Round | None = None) -> QuerySet[RoundSite]:
    """The sampled sites of open rounds assigned to the inspector (today's list: not yet visited first)."""
    rows = RoundSite.objects.filter(inspector=user, round__status=RoundStatus.OPEN)
    if round is not None:
        rows = rows.filter(round=round)
    return rows.select_related("site__site_type", "site__street", "site__unit", "round").order_by(
        "visited_at", "site__name", "pk"
    )


def round_site_access(user: User | None, round_site_id: int) -> RoundSite:
    """A sampled site the user may see (its inspector, or staff who see everything), or NotFound."""
    row = (
        RoundSite.objects.select_related("site__site_type", "site__street", "site__unit", "round__edition")
        .filter(pk=round_site_id)
        .first()
    )
    if row is None or not (sees_everything(user) or (user is not None and row.inspector_id == user.pk)):
        raise NotFound("round_site_not_found", "点位不存在或无权查看", "no such site, or not yours")
    return row


def observations_of(round_site: RoundSite) -> dict[int, Observation]:
    """The latest observation of each standard at a sampled site (a re-inspection supersedes), by standard id."""
    latest: dict[int, Observation] = {}
    for observation in Observation.objects.filter(round_site=round_site).order_by("observed_at", "pk"):
        latest[observation.standard_id] = observation
    return latest


def tasks_visible(user: User | None) -> QuerySet[RectificationTask]:
    rows = RectificationTask.objects.select_related(
        "unit", "observation__standard", "observation__round_site__site", "observation__round_site__round"
    )
    if sees_everything(user):
        return rows
    if user_can(user, Capability.HANDLE) and user.department_id:
        return rows.filter(unit_id=user.department_id)
    if user_can(user, Capability.INSPECT):
        return rows.filter(observation__round_site__round__sites__inspector=user).distinct()
    return rows.none()


def task_access(user: User | None, task_id: int) -> RectificationTask:
    task = tasks_visible(user).filter(pk=task_id).first()
    if task is None:
        raise NotFound("task_not_found", "整改任务不存在或无权查看", "no such task, or not visible to you")
    return task


def task_light(task: RectificationTask, now: datetime | None = None) -> str:
    """The task's light: "red" past its deadline while the unit owes the work, "green" before it,
    "none" when the unit is not the one to act (waiting for re-inspection, or finished)."""
    if task.state not in UNIT_STATES:
        return "none"
    return "red" if task.due_at < (now or clock.now()) else "green"


def tasks_overdue(now: datetime | None = None) -> QuerySet[RectificationTask]:
    """Every red task, most overdue first."""
    return RectificationTask.objects.filter(state__in=UNIT_STATES, due_at__lt=now or clock.now()).order_by(
        "due_at", "pk"
    )


def task_counts(user: User | None) -> dict[str, int]:
    """How many visible tasks are in each state, and how many are red."""
    rows = tasks_visible(user)
    counts = {state: 0 for state in TaskState.values}
    for state in rows.values_list("state", flat=True):
        counts[state] += 1
    counts["active"] = sum(counts[s] for s in ACTIVE_STATES)
    counts["red"] = rows.filter(state__in=UNIT_STATES, due_at__lt=clock.now()).count()
    return counts
