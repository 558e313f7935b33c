"""Work queues (工作队列): which cases each role works on, as data, and the viewer's filters on them.

A queue is the viewer's visible cases (cases/access.py) narrowed by a fixed condition — a
status, supervision, an overdue clock, the viewer's own department — on which the viewer's own
filters (status, category, grid, street, light, date, search; `parse_queue_query`) are laid.
Who sees which queue is decided by capabilities (accounts/roles.py), never by role names.
The console shows the queues; the dashboard exports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, Role, user_can
from civicgrid.cases.access import department_subtree
from civicgrid.cases.choices import OPEN_STATUSES, TIMED_STATUSES, CaseStatus
from civicgrid.cases.models import ExtensionRequest, ExtensionStatus
from civicgrid.cases.selectors import SORTS, CaseFilter

S = CaseStatus

# (user, now) → the part of a queue's condition that is not a status.
Where = Callable[[User, datetime], Q]


@dataclass(frozen=True)
class Queue:
    name: str
    label: Promise
    group: Promise
    capabilities: frozenset[str]  # any one of them opens the queue; empty: every staff member
    statuses: tuple[str, ...] = ()  # fixed statuses; empty: the viewer may filter by status
    where: Where | None = None
    sort: str = "due"  # work queues: the most urgent first

    @property
    def fixed_status(self) -> bool:
        return bool(self.statuses)

    def condition(self, user: User, now: datetime) -> Q:
        """The queue's fixed condition as one Q (so the sidebar counts every queue in one query)."""
        q = Q(status__in=self.statuses) if self.statuses else Q()
        if self.where is not None:
            q &= self.where(user, now)
        return q


def own_department_ids(user: User) -> list[int]:
    """The department a handler works for; a department admin's whole subtree (looked up once per request)."""
    if user.department_id is None:
        return []
    if user.role != Role.DEPARTMENT_ADMIN:
        return [user.department_id]
    cached = getattr(user, "_queue_department_ids", None)
    if cached is None or cached[0] != user.department_id:
        cached = (user.department_id, department_subtree(user.department_id))
        user._queue_department_ids = cached
    return cached[1]


def _own_department(user: User, now: datetime) -> Q:
    # visible_cases also lets a handler open cases they reported themself; those are not their work.
    return Q(department_id__in=own_department_ids(user))


def _supervised(user: User, now: datetime) -> Q:
    return Q(supervised=True, status__in=OPEN_STATUSES)


def _overdue(user: User, now: datetime) -> Q:
    return Q(status__in=TIMED_STATUSES, due_at__lt=now)


def _pending_extension(user: User, now: datetime) -> Q:
    # A subquery, not a join: a join would repeat a case once per old request and skew the counts.
    pending = ExtensionRequest.objects.filter(case=OuterRef("pk"), status=ExtensionStatus.PENDING)
    return Q(Exists(pending))


def _mine(user: User, now: datetime) -> Q:
    return Q(reporter=user)


DISPATCH_GROUP = _("受理派遣")
HANDLE_GROUP = _("部门处置")
LEAD_GROUP = _("督办")
OTHER_GROUP = _("其他")

QUEUES: dict[str, Queue] = {
    q.name: q
    for q in [
        Queue("new", _("新上报待立案"), DISPATCH_GROUP, frozenset({Capability.REGISTER}), (S.REPORTED,)),
        Queue(
            "to_dispatch",
            _("已立案待派遣"),
            DISPATCH_GROUP,
            frozenset({Capability.DISPATCH}),
            (S.REGISTERED,),
        ),
        Queue("returned", _("被退回待重派"), DISPATCH_GROUP, frozenset({Capability.DISPATCH}), (S.RETURNED,)),
        Queue(
            "extensions",
            _("延期待审批"),
            DISPATCH_GROUP,
            frozenset({Capability.APPROVE_EXTENSION}),
            where=_pending_extension,
        ),
        Queue(
            "to_verify",
            _("已处置待核查"),
            DISPATCH_GROUP,
            frozenset({Capability.CLOSE, Capability.VERIFY_ON_SITE}),
            (S.HANDLED,),
        ),
        Queue("to_close", _("已核查待结案"), DISPATCH_GROUP, frozenset({Capability.CLOSE}), (S.VERIFIED,)),
        Queue(
            "to_accept",
            _("待签收"),
            HANDLE_GROUP,
            frozenset({Capability.HANDLE}),
            (S.DISPATCHED,),
            where=_own_department,
        ),
        Queue(
            "handling",
            _("处置中"),
            HANDLE_GROUP,
            frozenset({Capability.HANDLE}),
            (S.ACCEPTED,),
            where=_own_department,
        ),
        Queue("supervised", _("督办案件"), LEAD_GROUP, frozenset({Capability.SUPERVISE}), where=_supervised),
        Queue("red", _("红灯超时"), LEAD_GROUP, frozenset({Capability.SUPERVISE}), where=_overdue),
        Queue("all", _("全部案件"), OTHER_GROUP, frozenset({Capability.VIEW_CITY}), sort="-created"),
        Queue("mine", _("我录入/上报的"), OTHER_GROUP, frozenset(), where=_mine, sort="-created"),
    ]
}

# The first queue of this list that a viewer may open is where /console/ takes them.
DEFAULT_ORDER = ["new", "to_accept", "red", "to_verify", "all", "mine"]


def may_open(user: User, queue: Queue) -> bool:
    if not queue.capabilities:
        return True
    return any(user_can(user, c) for c in queue.capabilities)


def queues_for(user: User) -> list[Queue]:
    return [q for q in QUEUES.values() if may_open(user, q)]


def default_queue(user: User) -> Queue:
    mine = {q.name for q in queues_for(user)}
    return QUEUES[next(name for name in DEFAULT_ORDER if name in mine)]


# --- the viewer's filters on a queue ---------------------------------------------------------------

FILTER_FIELDS = ("category", "department", "street", "cell", "light", "date_from", "date_to", "q", "sort")

FILTER_MESSAGES = {
    "light": _("请选择绿灯、黄灯、红灯或不计时"),
    "date_from": _("日期格式应为 YYYY-MM-DD"),
    "date_to": _("日期格式应为 YYYY-MM-DD"),
    "status": _("未知的状态"),
    "sort": _("未知的排序方式"),
}


@dataclass
class QueueQuery:
    """A queue's filters as parsed from the query string, the page wanted, and what was wrong."""

    filters: CaseFilter
    page: int
    values: dict[str, object]  # what the form shows again (the raw, valid input)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Does the viewer filter anything beyond the queue itself?"""
        return any(v for k, v in self.values.items() if k != "sort")


def parse_queue_query(params: QueryDict, queue: Queue) -> QueueQuery:
    """GET parameters → CaseFilter; an invalid field is dropped and reported, the rest applies."""
    data: dict[str, object] = {}
    for name in FILTER_FIELDS:
        value = (params.get(name) or "").strip()
        if value:
            data[name] = value
    if not queue.fixed_status:
        statuses = [s for s in params.getlist("status") if s]
        if statuses:
            data["status"] = statuses
    data.setdefault("sort", queue.sort)
    errors: dict[str, str] = {}
    if data["sort"] not in SORTS:
        errors["sort"] = str(FILTER_MESSAGES["sort"])
        data["sort"] = queue.sort
    while True:
        try:
            filters = CaseFilter.model_validate(data)
            break
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0]) if error.get("loc") else ""
                errors[name] = str(FILTER_MESSAGES.get(name, _("输入有误")))
                data.pop(name, None)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = str(_("结束日期不能早于开始日期"))
        filters = filters.model_copy(update={"date_to": None})
        data.pop("date_to", None)
    try:
        page = max(int(params.get("page") or 1), 1)
    except ValueError:
        page = 1
    return QueueQuery(filters=filters, page=page, values=data, errors=errors)
