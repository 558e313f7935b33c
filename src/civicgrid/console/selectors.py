"""Reads of the console pages: a queue page, the sidebar counts, the case page, the header count.

Every function here issues a fixed number of queries whatever the number of cases, events or
photos involved (pinned in tests/test_query_counts.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, QuerySet
from django.utils.translation import gettext

from civicgrid.accounts.models import Department, User
from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.access import (
    actor_name,
    actor_unit,
    allowed_actions,
    callback_extension,
    callback_relay,
    sees_personal_data,
)
from civicgrid.cases.choices import Action, CaseStatus
from civicgrid.cases.deadlines import light_of
from civicgrid.cases.models import Case, CaseEvent, ExtensionRequest, ExtensionStatus, PhotoStage
from civicgrid.cases.queues import Queue
from civicgrid.cases.selectors import CaseFilter
from civicgrid.cases.similar import similar_open_cases
from civicgrid.core.masking import mask_phone
from civicgrid.notifications.models import Notification
from civicgrid.taxonomy.choices import Step
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.routing import active_rules, route

PAGE_SIZE = 50


# --- queues ----------------------------------------------------------------------------------------


@dataclass
class Row:
    case: Case
    light: str


@dataclass
class QueuePage:
    rows: list[Row]
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def queue_page(
    visible: QuerySet[Case], user: User, queue: Queue, filters: CaseFilter, page: int, *, now: datetime
) -> QueuePage:
    """One page of a queue (`visible` = visible_cases(user)): the rows (one query) and the total (one query)."""
    qs = visible.filter(queue.condition(user, now))
    total = case_selectors.filter_cases(qs, filters, now=now).count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    filters = filters.model_copy(update={"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    cases = case_selectors.case_list(qs, filters, now=now)
    return QueuePage(rows=[Row(c, light_of(c, now)) for c in cases], total=total, page=page, pages=pages)


def queue_counts(visible: QuerySet[Case], user: User, queues: list[Queue], now: datetime) -> dict[str, int]:
    """How many cases wait in each of the viewer's queues, in one query."""
    if not queues:
        return {}
    totals = visible.aggregate(**{q.name: Count("pk", filter=q.condition(user, now)) for q in queues})
    return {name: value or 0 for name, value in totals.items()}


def unread_count(user: User) -> int:
    return Notification.objects.for_user(user).unread().count()


# --- the case page ---------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    event: CaseEvent
    actor: str
    photos: list[str]
    unit: str = ""  # the actor's own unit: their department, or their role
    target: str = ""  # where a dispatch sent the case, or what a merge joined


def _target(event: CaseEvent) -> str:
    data = event.data or {}
    if event.action in (Action.DISPATCH, Action.REDISPATCH) and event.department_id:
        return gettext("派往 %(d)s") % {"d": event.department.name}
    if event.action in (Action.RETURN, Action.RECALL) and event.department_id:
        return gettext("自 %(d)s") % {"d": event.department.name}
    if event.action in (Action.MERGE, Action.UNMERGE) and data.get("original"):
        return gettext("原案件 %(n)s") % {"n": data["original"]}
    if event.action == Action.UNMERGE and data.get("detached"):
        return gettext("不再并入本案：%(n)s") % {"n": data["detached"]}
    return ""


@dataclass
class CasePage:
    case: Case
    personal: bool
    may_reveal: bool
    reporter: str | None
    contact_phone: str
    timeline: list[TimelineEntry]
    deadlines: list[dict]
    photos: dict[str, list[dict]]
    duplicates: list[str]
    actions: list[str]
    pending_extension: ExtensionRequest | None = None
    departments: list[Department] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    light: str = ""
    callback_relay: str = ""  # 回访 through the relay: its number, and the case's extension code
    callback_code: str = ""
    dispatch_to: dict[int, str] = field(default_factory=dict)  # category → where 立案 dispatches at once

    @property
    def register_dispatch(self) -> str:
        """Where registering the case in its current category dispatches it at once, or ""."""
        return self.dispatch_to.get(self.case.category_id, "") if self.case.category_id else ""


PHOTO_STAGES = [PhotoStage.REPORT, PhotoStage.FEEDBACK, PhotoStage.VERIFY]


def case_page(user: User, case: Case, *, now: datetime, revealed: bool = False) -> CasePage:
    """What the case page shows to this viewer: masked where they need no identity.

    Who may see a case's personal data (the reporter's name and phone, the contact, citizens in the
    timeline) sees it masked too until they ask for it with a reason (`revealed`, after the view
    has recorded the reason in the access audit) — but for the reporter themself.
    """
    detail = case_selectors.case_detail(case)
    may_see = sees_personal_data(user, case)
    personal = may_see and (revealed or case.reporter_id == user.pk)
    reporter = None
    # The number to call back: the one given with the report, else the reporter's own (an app report).
    phone = case.contact_phone or (case.reporter.phone if case.reporter_id else "")
    if case.reporter_id:
        reporter = case.reporter.full_display_name if personal else case.reporter.display_name
    timeline = [
        TimelineEntry(
            e,
            actor_name(user, case, e, revealed=personal),
            detail.event_photos.get(e.pk, []),
            unit=actor_unit(e),
            target=_target(e),
        )
        for e in detail.events
    ]
    photos: dict[str, list[dict]] = {stage: [] for stage in PHOTO_STAGES}
    for p in detail.photos:
        photos.setdefault(p["stage"], []).append(p)
    step_labels = dict(Step.choices)
    deadlines = [{**d, "step_label": step_labels.get(d["step"], d["step"])} for d in detail.deadlines]
    actions = allowed_actions(user, case)
    out = CasePage(
        case=case,
        personal=personal,
        reporter=reporter,
        contact_phone=phone if personal else mask_phone(phone),
        may_reveal=may_see and not personal,
        timeline=timeline,
        deadlines=deadlines,
        photos={k: v for k, v in photos.items() if v},
        duplicates=detail.duplicates,
        actions=actions,
        light=light_of(case, now),
    )
    # The 时限 panel shows a pending request to everyone who opens the case.
    out.pending_extension = (
        case.extension_requests.select_related("requested_by", "deadline")
        .filter(status=ExtensionStatus.PENDING)
        .first()
    )
    out.callback_relay = callback_relay(user, case)
    if out.callback_relay:
        out.callback_code = callback_extension(case)
    if Action.DISPATCH in actions or Action.REDISPATCH in actions:
        out.departments = list(Department.objects.filter(active=True).order_by("code"))
    if Action.REGISTER in actions:
        out.categories = list(Category.objects.active().order_by("code", "kind"))
        out.dispatch_to = auto_dispatch_targets(case, out.categories)
    return out


def auto_dispatch_targets(case: Case, categories: list[Category]) -> dict[int, str]:
    """For each auto-dispatch category: the department a registration of this case in it goes to at
    once (立案并派遣), as routing would choose it (one query for the rules)."""
    rules = active_rules()
    cell_code = case.cell.code if case.cell_id else None
    out = {}
    for category in categories:
        if category.auto_dispatch:
            rule = route(category, cell_code, rules)
            if rule is not None:
                out[category.pk] = rule.department.name
    return out


def similar_for(user: User, case: Case, *, now: datetime) -> list:
    """可能重复: the open cases in the viewer's scope like a report still waiting for 立案 (to merge it)."""
    if case.status != CaseStatus.REPORTED or case.duplicate_of_id is not None:
        return []
    return similar_open_cases(
        text=case.description,
        lat=case.lat,
        lon=case.lon,
        when=now,
        category=case.category,
        viewer=user,
        public=False,
        exclude=case,
    )
