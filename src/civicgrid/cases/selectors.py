"""Reads over cases that span models or depend on the viewer: lists, detail, public view."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet
from ninja import Schema

from civicgrid.accounts.models import Department
from civicgrid.cases.choices import Action, CaseStatus, Light
from civicgrid.cases.models import PUBLIC_PHOTO_STAGES, Case, CaseDeadline, CaseEvent, CasePhoto
from civicgrid.cases.publication import case_public_text
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.core.paging import Offset
from civicgrid.grids.models import Street
from civicgrid.grids.selectors import parse_bbox
from civicgrid.taxonomy.models import Category

SORTS = {
    "created": "created_at",
    "-created": "-created_at",
    "due": "due_at",
    "-due": "-due_at",
    "number": "number",
    "-number": "-number",
}


class CaseFilter(Schema):
    status: list[CaseStatus] | None = None
    category: str | None = None
    department: str | None = None
    street: str | None = None  # street code
    cell: str | None = None  # cell code (or any code prefix: community, street)
    light: Light | None = None
    supervised: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    sort: str = "-created"
    limit: int = 50
    offset: Offset = 0


class PublicCaseFilter(Schema):
    bbox: str | None = None
    status: list[CaseStatus] | None = None
    category: str | None = None
    limit: int = 50
    offset: Offset = 0


def category_q(raw: str) -> Q:
    """`06010` (either kind) or `matter:06010` / `component:01003` (that kind only)."""
    kind, _, code = raw.rpartition(":")
    return Q(category__code=code, category__kind=kind) if kind else Q(category__code=code)


def department_from_code(code: str | None) -> Department | None:
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise DomainError(
            "department_unknown", f"未知的部门 {code!r}", f"unknown department {code!r}", field="department"
        )
    return department


def filter_cases(qs: QuerySet[Case], f: CaseFilter, *, now: datetime) -> QuerySet[Case]:
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.category:
        qs = qs.filter(category_q(f.category))
    if f.department:
        qs = qs.filter(department__code=f.department)
    if f.street:
        qs = qs.filter(street__code=f.street)
    if f.cell:
        qs = qs.filter(cell__code__startswith=f.cell)
    if f.supervised is not None:
        qs = qs.filter(supervised=f.supervised)
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    if f.q:
        qs = qs.filter(Q(number__startswith=f.q) | Q(description__contains=f.q) | Q(address__contains=f.q))
    if f.light == Light.RED:
        qs = qs.filter(due_at__lt=now)
    elif f.light == Light.YELLOW:
        qs = qs.filter(due_at__gte=now, warn_at__lte=now)
    elif f.light == Light.GREEN:
        qs = qs.filter(warn_at__gt=now)
    elif f.light == Light.NONE:
        qs = qs.filter(due_at__isnull=True)
    return qs


def case_list(qs: QuerySet[Case], f: CaseFilter, *, now: datetime) -> list[Case]:
    if f.sort not in SORTS:
        raise DomainError(
            "sort_invalid",
            f"排序只能是 {', '.join(SORTS)}",
            f"sort must be one of {', '.join(SORTS)}",
            field="sort",
        )
    limit = min(max(f.limit, 1), 200)
    qs = filter_cases(qs, f, now=now).select_related("category", "cell", "street", "department")
    return list(qs.order_by(SORTS[f.sort], "-id")[max(f.offset, 0) : max(f.offset, 0) + limit])


@dataclass
class FilterOptions:
    """What the filter pickers of a case list offer (the console's queues, the dashboard)."""

    categories: list[Category]
    streets: list[Street]
    departments: list[Department]


def filter_options(*, with_departments: bool, street_ids: tuple[int, ...] | None = None) -> FilterOptions:
    """`street_ids`: offer only these streets (the viewer's command area); None: every street."""
    categories = list(
        Category.objects.active().only("kind", "code", "name", "major_name").order_by("code", "kind")
    )
    streets = Street.objects.only("code", "name").order_by("code")
    if street_ids is not None:
        streets = streets.filter(pk__in=street_ids)
    streets = list(streets)
    departments = (
        list(Department.objects.filter(active=True).only("code", "name")) if with_departments else []
    )
    return FilterOptions(categories=categories, streets=streets, departments=departments)


@dataclass
class CaseDetail:
    events: list[CaseEvent]
    deadlines: list[dict]
    photos: list[dict]
    event_photos: dict[int, list[str]]
    duplicates: list[str]


def _photo_dict(p: CasePhoto) -> dict:
    return {
        "stage": p.stage,
        "url": p.public.url,
        "thumbnail": p.thumbnail.url,
        "width": p.width,
        "height": p.height,
    }


def case_detail(case: Case) -> CaseDetail:
    """Events (with actors and departments), deadlines, photos and duplicates in four queries."""
    events = list(
        case.events.select_related("actor", "actor__department", "department").order_by("created_at", "id")
    )
    photos = list(case.photos.all())
    by_event: dict[int, list[str]] = defaultdict(list)
    for p in photos:
        if p.event_id:
            by_event[p.event_id].append(p.public.url)
    deadlines = [
        {
            "step": d.step,
            "started_at": d.started_at,
            "due_at": d.due_at,
            "limit_hours": d.limit_hours,
            "extended_hours": d.extended_hours,
            "unit": d.unit,
            "completed_at": d.completed_at,
            "on_time": d.on_time,
        }
        for d in CaseDeadline.objects.filter(case=case).order_by("started_at", "id")
    ]
    duplicates = list(case.duplicates.exclude(number=None).values_list("number", flat=True))
    return CaseDetail(
        events=events,
        deadlines=deadlines,
        photos=[_photo_dict(p) for p in photos],
        event_photos=dict(by_event),
        duplicates=duplicates,
    )


# --- public (masked) ---------------------------------------------------------------------------------

PUBLIC_ACTIONS = {
    Action.REPORT,
    Action.REGISTER,
    Action.DISPATCH,
    Action.FEEDBACK,
    Action.CLOSE,
    Action.REWORK,
    Action.REJECT,
}


def public_case(number: str) -> Case:
    case = Case.objects.public().select_related("category", "street").filter(number=number).first()
    if case is None:
        raise NotFound(
            "case_not_found", f"案件 {number} 不存在或未公开", f"case {number} not found", field="number"
        )
    return case


def joinable_case(number: str) -> Case:
    """The case a "me too" joins: public and a case, though perhaps not published yet (CaseQuerySet.joinable)."""
    case = Case.objects.joinable().filter(number=number).first()
    if case is None:
        raise NotFound(
            "case_not_found", f"案件 {number} 不存在或未公开", f"case {number} not found", field="number"
        )
    return case


def nearby_text(case: Case) -> str:
    """What a nearby (possibly duplicate) case shows: its public text once published, else nothing."""
    return case_public_text(case) if case.is_published else ""


def public_case_list(f: PublicCaseFilter) -> list[Case]:
    qs = Case.objects.public().select_related("category", "street")
    if f.bbox:
        qs = qs.in_bbox(*parse_bbox(f.bbox))
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.category:
        qs = qs.filter(category_q(f.category))
    limit = min(max(f.limit, 1), 200)
    return list(qs.order_by("-created_at", "-id")[max(f.offset, 0) : max(f.offset, 0) + limit])


def public_out(case: Case, *, timeline: bool) -> dict:
    """What anyone may see: no reporter, no phone, no actor names, only result photos; the public
    summary or the redacted description (cases.publication)."""
    steps, photos = [], []
    if timeline:
        steps = [
            {
                "action": e.action,
                "label": e.get_action_display(),
                "status": e.to_status,
                "at": e.created_at,
                "department": e.department.name if e.department_id else None,
            }
            for e in case.events.filter(action__in=PUBLIC_ACTIONS)
            .select_related("department")
            .order_by("created_at", "id")
        ]
        photos = [p.public.url for p in case.photos.filter(stage__in=PUBLIC_PHOTO_STAGES)]
    # The public sees the place to about 10 m, enough to recognise it, not to pin a doorway.
    return {
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "category_name": case.category.name if case.category_id else None,
        "description": case_public_text(case),
        "address": case.address,
        "lat": round(case.lat, 4),
        "lon": round(case.lon, 4),
        "street": case.street.name if case.street_id else None,
        "me_too_count": case.me_too_count,
        "created_at": case.created_at,
        "closed_at": case.closed_at,
        "timeline": steps,
        "result_photos": photos,
    }


def overdue_open_deadlines(now: datetime, limit: int = 500) -> QuerySet[CaseDeadline]:
    return CaseDeadline.objects.filter(
        completed_at__isnull=True, due_at__lt=now, overdue_notified=False
    ).select_related("case")[:limit]


def status_in_sql(statuses) -> str:
    """`"cases_case"."status" IN ('a', 'b', …)` with the statuses written into the SQL text, sorted as in
    the partial indexes' conditions (case_open_idx, case_hidden_idx). SQLite plans a statement before
    binding its parameters, so with `IN (?, …)` it cannot tell that a partial index applies; only the
    same constants let it. They are the code's own statuses (checked here), never input."""
    quote = connection.ops.quote_name
    values = ", ".join(f"'{CaseStatus(status).value}'" for status in sorted(statuses))
    return f"{quote(Case._meta.db_table)}.{quote('status')} IN ({values})"


def overdue_counts(now: datetime) -> dict[str, int]:
    """How many running step clocks are past their time limit (超时), by step."""
    rows = (
        CaseDeadline.objects.filter(completed_at__isnull=True, due_at__lt=now)
        .order_by()
        .values_list("step")
        .annotate(n=Count("id"))
    )
    return dict(rows)
