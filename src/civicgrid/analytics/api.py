"""Statistics API (/api/stats/): the figures of the dashboard and the big screen, and the cases
behind each figure. Whole-city figures: only roles with VIEW_CITY (dispatcher, leader, admin); a
district's or street's command centre gets its own area's (grids/scope.py).

Filters shared by every endpoint: `start`, `end` (YYYY-MM-DD local days, end inclusive; default
this month to today), `street` (street code), `department` (department code), `category`
(category code as in the cases API). Metric names: see `analytics.selectors` (METRICS).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.models import Department
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.analytics import selectors
from civicgrid.analytics.selectors import StatsFilter
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.deadlines import light_of
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.paging import MAX_PAGE
from civicgrid.grids.models import Street
from civicgrid.grids.scope import area_street_ids, check_street_in_area
from civicgrid.taxonomy.selectors import category_by_code

router = Router(tags=["stats"])


class FilterIn(Schema):
    start: date | None = None
    end: date | None = None
    street: str | None = None
    department: str | None = None
    category: str | None = None


class TrendIn(FilterIn):
    metric: str = "reported"
    granularity: str = "day"


class BreakdownIn(FilterIn):
    metric: str = "reported"
    by: str = "category"
    limit: int = 10


class IndicatorsIn(FilterIn):
    group: str = "department"


class CasesIn(FilterIn):
    metric: str = "reported"
    by: str | None = None
    key: str | None = None
    page: int = 1
    page_size: int = 50


def _viewer(request: HttpRequest) -> None:
    if not user_can(request.auth, Capability.VIEW_CITY):
        raise PermissionDenied(
            "forbidden_role", "无权查看全市统计", "your role may not see the city's statistics"
        )


def _id_of(model, code: str | None, field: str, zh: str) -> int | None:
    if not code:
        return None
    pk = model.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:  # never the whole city's figures under an unknown name
        raise DomainError(
            f"{field}_unknown", f"未知的{zh} {code!r}", f"unknown {field} {code!r}", field=field
        )
    return pk


def stats_filter(params: FilterIn, user) -> StatsFilter:
    """Parse the shared filters (codes → ids); unknown codes and bad periods are refused. The figures
    cover the viewer's command area (grids/scope.py): a street outside it is refused (403)."""
    start, end = selectors.default_period()
    category = category_by_code(params.category) if params.category else None
    street_id = _id_of(Street, params.street, "street", "街道")
    check_street_in_area(user, street_id)
    return StatsFilter(
        start=params.start or (params.end.replace(day=1) if params.end else start),
        end=params.end or end,
        street_id=street_id,
        department_id=_id_of(Department, params.department, "department", "部门"),
        category_id=category.pk if category else None,
        area=area_street_ids(user),
    )


@router.get("/summary", auth=AUTH)
@api_scope(Scope.STATS_READ)
def stats_summary(request, params: Query[FilterIn]):
    """Flows of the period, their rates, and what is open now."""
    _viewer(request)
    return selectors.summary(stats_filter(params, request.auth))


@router.get("/trend", auth=AUTH)
@api_scope(Scope.STATS_READ)
def stats_trend(request, params: Query[TrendIn]):
    """A metric per day, week or month, with the same days a year earlier (`last_year`)."""
    _viewer(request)
    return selectors.trend(params.metric, stats_filter(params, request.auth), params.granularity)


@router.get("/breakdown", auth=AUTH)
@api_scope(Scope.STATS_READ)
def stats_breakdown(request, params: Query[BreakdownIn]):
    """A metric per category, department, street, cell or channel, largest first (top `limit`)."""
    _viewer(request)
    return selectors.breakdown(params.metric, stats_filter(params, request.auth), params.by, params.limit)


@router.get("/indicators", auth=AUTH)
@api_scope(Scope.STATS_READ)
def stats_indicators(request, params: Query[IndicatorsIn]):
    """The performance indicators (绩效评价) per department, street or cell, ranked by composite.

    `rows`: the units with at least `min_cases` cases (`sample`: dispatched for a department,
    due_to_close for a street or cell); `thin` (样本不足): the others, with their counts, rank and
    composite null. Cases with no department or outside the grid are no unit and in neither."""
    _viewer(request)
    f = stats_filter(params, request.auth)
    ranking = selectors.ranking(params.group, f)
    return {
        "group": params.group,
        "period": {"start": f.start.isoformat(), "end": f.end.isoformat()},
        "min_cases": ranking.min_cases,
        "sample": ranking.sample,
        # plain numbers and text: a shallow copy, not dataclasses.asdict's recursive one (392 cells)
        "rows": [dict(vars(r)) for r in ranking.rows],
        "thin": [dict(vars(r)) for r in ranking.thin],
    }


def _key(by: str | None, raw: str | None):
    """A breakdown row's key: an id (or a channel); empty or "none" = the none row."""
    if by is None:
        if raw:
            raise DomainError(
                "by_required", "指定 key 时必须指定 by", "send by= together with key=", field="by"
            )
        return None
    if raw is None or raw in ("", "none", "null"):
        return None
    if by == "channel":
        return raw
    try:
        return int(raw)
    except ValueError:
        raise DomainError(
            "key_invalid", f"无效的 key {raw!r}", f"key must be an id, got {raw!r}", field="key"
        ) from None


@router.get("/cases", auth=AUTH)
@api_scope(Scope.STATS_READ)
def stats_cases(request, params: Query[CasesIn]):
    """The cases behind a figure (drill-down), newest counted event first (`selectors.drill_order`);
    `count` is the figure (read from the rollups: counting millions of joined rows for every page
    would not be fast)."""
    _viewer(request)
    f = stats_filter(params, request.auth)
    if not 1 <= params.page <= MAX_PAGE or not 1 <= params.page_size <= 200:
        raise DomainError(
            "page_invalid",
            f"页码为 1–{MAX_PAGE}，每页 1–200 条",
            f"page 1–{MAX_PAGE} and page_size 1–200",
            field="page",
        )
    key = _key(params.by, params.key)
    qs = selectors.drilldown(params.metric, f, by=params.by, key=key)
    count = selectors.figure_of(
        params.metric, f, by=params.by, key=key
    )  # == qs.count() (tests/test_figures.py)
    offset = (params.page - 1) * params.page_size
    page = list(
        qs.select_related("category", "street", "department").order_by(*selectors.drill_order(params.metric))[
            offset : offset + params.page_size
        ]
    )
    now = clock.now()
    rows = [
        {
            "number": c.number,
            "category": c.category.name if c.category_id else "",
            "status": c.status,
            "status_label": str(CaseStatus(c.status).label),
            "light": light_of(c, now) if c.status in selectors.OPEN else "none",
            "street": c.street.name if c.street_id else "",
            "department": c.department.name if c.department_id else "",
            "created_at": c.created_at,
            "url": f"/console/cases/{c.number}/",
        }
        for c in page
    ]
    return {"count": count, "page": params.page, "rows": rows}
