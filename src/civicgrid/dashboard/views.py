"""The dashboard (数据看板), its drill-down lists, the big screen (大屏) and the exports.

Views stay thin: parse the filters (forms.py) → check the capability → ask `analytics.selectors`
for the figures → render or export. Every figure on a page is a link to the cases behind it
(`/dashboard/cases/?metric=…&by=…&key=…`), and that list is the same selector's query, so its
count is the figure. The charts fetch the stats API (/api/stats/…) with the same parameters.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from civicgrid.accounts.models import Department
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.cases.access import department_subtree
from civicgrid.cases.choices import Light
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.console import forms as console_forms
from civicgrid.console import selectors as console_selectors
from civicgrid.console.queues import QUEUES, may_open
from civicgrid.console.views import is_console_user
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.dashboard import exports
from civicgrid.dashboard.forms import PRESETS, Filters, local_today, parse_filters, parse_month
from civicgrid.grids.models import District
from civicgrid.taxonomy.choices import Step


class _Stats:
    def __getattr__(self, name: str):
        from civicgrid.analytics import selectors

        return getattr(selectors, name)


stats = _Stats()
PAGE_SIZE = 50
REFRESH_DEFAULT = 30
EXPORT_LIMIT = 100_000  # rows in one export; beyond that, narrow the filters

METRIC_LABELS = {
    "reported": gettext_lazy("新上报"), "registered": gettext_lazy("立案"), "dispatched": gettext_lazy("派遣"),
    "handled": gettext_lazy("处置反馈"), "closed": gettext_lazy("结案"), "rejected": gettext_lazy("不予立案"),
    "merged": gettext_lazy("并案"), "reworked": gettext_lazy("返工"), "rated": gettext_lazy("评价"),
    "satisfied": gettext_lazy("满意"), "open": gettext_lazy("在办"), "yellow": gettext_lazy("黄灯"),
    "red": gettext_lazy("红灯"), "supervised": gettext_lazy("督办"), "long_term": gettext_lazy("挂账"),
}
RATE_LABELS = {
    "on_time_registration_rate": gettext_lazy("按时立案率"), "on_time_handling_rate": gettext_lazy("按期处置率"),
    "on_time_closing_rate": gettext_lazy("按期结案率"), "closing_rate": gettext_lazy("结案率"),
    "rework_rate": gettext_lazy("返工率"), "satisfaction_rate": gettext_lazy("满意率"),
}
BY_LABELS = {
    "category": gettext_lazy("问题分类"), "department": gettext_lazy("处置部门"), "street": gettext_lazy("街道"),
    "cell": gettext_lazy("单元网格"), "channel": gettext_lazy("来源渠道"),
}
TODAY_METRICS = ("reported", "registered", "dispatched", "closed")
PERIOD_METRICS = ("reported", "registered", "dispatched", "handled", "closed", "reworked", "rated", "satisfied")
NOW_METRICS = ("open", "yellow", "red", "supervised", "long_term")
# Breakdown cards: (by, chart kind, limit) — top 10 categories and places, every street and channel.
BREAKDOWNS = (("category", "bar", 10), ("cell", "bar", 10), ("department", "bar", 15), ("street", "bar", 20),
              ("channel", "pie", 10))
BREAKDOWN_TITLES = {
    "category": gettext_lazy("高发问题 Top 10"), "cell": gettext_lazy("高发网格 Top 10"),
    "department": gettext_lazy("按处置部门"), "street": gettext_lazy("按街道"), "channel": gettext_lazy("来源渠道"),
}
GRANULARITIES = (("day", gettext_lazy("日")), ("week", gettext_lazy("周")), ("month", gettext_lazy("月")))

D, S, C = "department", "street", "cell"
INDICATOR_COLUMNS = [
    {"field": "registered", "label": gettext_lazy("立案数"), "drill": "registered", "groups": (D, S, C)},
    {"field": "on_time_registration_rate", "label": gettext_lazy("按时立案率"), "rate": True, "groups": (S, C)},
    {"field": "dispatched", "label": gettext_lazy("派遣数"), "drill": "dispatched", "groups": (D, S, C)},
    {"field": "dispatch_accuracy", "label": gettext_lazy("派遣准确率"), "rate": True, "groups": (D,)},
    {"field": "handled", "label": gettext_lazy("处置数"), "drill": "handled", "groups": (D, S, C)},
    {"field": "handling_rate", "label": gettext_lazy("处置率"), "rate": True, "groups": (D,)},
    {"field": "on_time_handling_rate", "label": gettext_lazy("按期处置率"), "rate": True, "groups": (D, S, C)},
    {"field": "rework_rate", "label": gettext_lazy("返工率"), "rate": True, "groups": (D, S, C)},
    {"field": "due_to_close", "label": gettext_lazy("应结案数"), "groups": (D, S, C)},
    {"field": "closed", "label": gettext_lazy("结案数"), "groups": (D, S, C)},
    {"field": "closing_rate", "label": gettext_lazy("结案率"), "rate": True, "groups": (D, S, C)},
    {"field": "on_time_closing_rate", "label": gettext_lazy("按期结案率"), "rate": True, "groups": (D, S, C)},
    {"field": "satisfaction_rate", "label": gettext_lazy("满意率"), "rate": True, "groups": (D, S, C)},
    {"field": "grid_report_rate", "label": gettext_lazy("监督举报率"), "rate": True, "groups": (S, C)},
    {"field": "composite", "label": gettext_lazy("综合指标"), "groups": (D, S, C)},
]


def city_view_required(view):
    """Anonymous → the login page; staff without VIEW_CITY (and citizens) → 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_can(request.user, Capability.VIEW_CITY):
            return render(request, "dashboard/denied.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


# --- what the pages show ---------------------------------------------------------------------------


def _drill_url(f: Filters, metric: str, **extra: object) -> str:
    return f"{reverse('dashboard:cases')}?{f.query(metric=metric, **extra)}"


def _tile(f: Filters, metric: str, value, *, label=None, tone: str = "") -> dict:
    return {"metric": metric, "label": label or METRIC_LABELS[metric], "raw": value, "display": value,
            "tone": tone, "url": _drill_url(f, metric)}


def _rate_tile(f: Filters, name: str, value: float | None, numerator: str | None) -> dict:
    from civicgrid.dashboard.templatetags.dashboard import percent

    return {"metric": name, "label": RATE_LABELS[name], "raw": value, "display": percent(value),
            "url": _drill_url(f, numerator) if numerator else None,
            "tone": "" if value is None else ("green" if (value >= 0.9) != (name == "rework_rate") else "yellow")}


def _options():
    return console_selectors.filter_options(with_departments=True)


@require_GET
@city_view_required
def home(request: HttpRequest) -> HttpResponse:
    f = parse_filters(request.GET)
    today = local_today()
    period = stats.summary(**_stats_args(f))
    day = stats.summary(**_stats_args(f.today_only))
    tones = {"red": "red", "yellow": "yellow"}
    context = {
        "filters": f, "today": today, "presets": list(PRESETS.items()), "options": _options(),
        "today_tiles": [_tile(f.today_only, m, day["flows"][m]) for m in TODAY_METRICS],
        "period_tiles": [_tile(f, m, period["flows"][m]) for m in PERIOD_METRICS],
        "now_tiles": [_tile(f, m, period["now"][m], tone=tones.get(m, "")) for m in NOW_METRICS],
        "rate_tiles": [_rate_tile(f, name, period["rates"][name], RATE_NUMERATORS.get(name))
                       for name in RATE_LABELS],
        "trend_metrics": [(m, METRIC_LABELS[m]) for m in PERIOD_METRICS],
        "granularities": GRANULARITIES, "default_granularity": _default_granularity(f),
        "breakdowns": [{"by": by, "kind": kind, "limit": limit, "label": BREAKDOWN_TITLES[by]}
                       for by, kind, limit in BREAKDOWNS],
        "indicator_columns": INDICATOR_COLUMNS,
        "department_rows": stats.indicators(group="department", **_stats_args(f)),
        "street_rows": stats.indicators(group="street", **_stats_args(f)),
        "department_title": _("部门绩效与综合排名"), "street_title": _("街道综合排名"),
        "last_month": (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
    }
    return render(request, "dashboard/home.html", context)


def _default_granularity(f: Filters) -> str:
    days = (f.end - f.start).days
    return "day" if days <= 62 else "week" if days <= 200 else "month"


# --- drill-down ------------------------------------------------------------------------------------


@require_GET
@city_view_required
def cases(request: HttpRequest) -> HttpResponse:
    f = parse_filters(request.GET)
    metric = (request.GET.get("metric") or "reported").strip()
    by = (request.GET.get("by") or "").strip()
    key = request.GET.get("key")
    fmt = request.GET.get("format")
    if fmt is not None:
        fmt = exports.check_format(fmt)
        qs = stats.cases_queryset(metric=metric, by=by or None, key=key, **_stats_args(f))
        qs = qs.select_related(*exports.CASE_RELATED)[:EXPORT_LIMIT]
        table = exports.Table(title=str(METRIC_LABELS.get(metric, metric)), columns=exports.case_columns(),
                              rows=exports.case_rows(qs, request.user, now=clock.now()))
        return exports.table_response(table, fmt, f"cases-{metric}-{f.start}-{f.end}")
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    result = stats.cases(metric=metric, by=by or None, key=key, page=page, page_size=PAGE_SIZE, **_stats_args(f))
    light_labels = dict(Light.choices)
    for row in result["rows"]:
        row["light_label"] = light_labels.get(row.get("light"), "")
    extra = {"metric": metric, "by": by, "key": key if by else None}
    context = {
        "filters": f, "result": result, "pages": max(1, math.ceil(result["count"] / PAGE_SIZE)),
        "metric_label": METRIC_LABELS.get(metric, metric),
        "group_label": _group_label(by, key) if by else "",
        "filter_labels": _filter_labels(f),
        "export_query": f.query(**extra), "page_query": f.query(**extra),
    }
    return render(request, "dashboard/cases.html", context)


def _group_label(by: str, key: str | None) -> str:
    name = stats.dimension_name(by, key)
    return f"{BY_LABELS.get(by, by)}：{name}"


def _filter_labels(f: Filters) -> list[tuple[str, str]]:
    out = []
    if f.street:
        out.append((_("街道"), stats.dimension_name("street_code", f.street)))
    if f.department:
        out.append((_("处置部门"), stats.dimension_name("department_code", f.department)))
    if f.category:
        out.append((_("问题分类"), f.category))
    return out


# --- exports of the dashboard's tables ------------------------------------------------------------


@require_GET
@city_view_required
def breakdown_export(request: HttpRequest, fmt: str) -> HttpResponse:
    f = parse_filters(request.GET)
    metric = (request.GET.get("metric") or "reported").strip()
    by = (request.GET.get("by") or "").strip()
    limit = _int(request.GET.get("limit"), 1000, field="limit")
    data = stats.breakdown(metric=metric, by=by, limit=limit, **_stats_args(f))
    table = exports.Table(
        title=f"{BY_LABELS.get(by, by)}", notes=_notes(f, METRIC_LABELS.get(metric, metric)),
        columns=[("rank", _("序号")), ("code", _("编码")), ("name", _("名称")), ("value", str(METRIC_LABELS.get(metric, metric)))],
        rows=[{"rank": i, **row} for i, row in enumerate(data["rows"], start=1)],
    )
    return exports.table_response(table, fmt, f"breakdown-{by}-{metric}-{f.start}-{f.end}")


def indicator_table(rows: list, group: str, title: str, notes: list[str]) -> exports.Table:
    columns = [("rank", _("排名")), ("code", _("编码")), ("name", _("名称"))]
    columns += [(c["field"], str(c["label"])) for c in INDICATOR_COLUMNS if group in c["groups"]]
    return exports.Table(title=title, columns=columns, rows=[_as_dict(r) for r in rows], notes=notes)


@require_GET
@city_view_required
def indicators_export(request: HttpRequest, fmt: str) -> HttpResponse:
    f = parse_filters(request.GET)
    group = (request.GET.get("group") or "department").strip()
    rows = stats.indicators(group=group, **_stats_args(f))
    table = indicator_table(rows, group, str(BY_LABELS.get(group, group)), _notes(f, _("绩效指标")))
    return exports.table_response(table, fmt, f"indicators-{group}-{f.start}-{f.end}")


def _notes(f: Filters, what: str) -> list[str]:
    line = f"{what} · {f.start:%Y-%m-%d} – {f.end:%Y-%m-%d}"
    for label, value in _filter_labels(f):
        line += f" · {label}：{value}"
    return [line]


def _int(raw: str | None, default: int, *, field: str) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DomainError("number_invalid", f"{field} 必须是整数", f"{field} must be a whole number", field=field,
                          status=400) from None
    if value < 1:
        raise DomainError("number_invalid", f"{field} 必须大于 0", f"{field} must be positive", field=field, status=400)
    return value


def _as_dict(row) -> dict:
    return row if isinstance(row, dict) else row.as_dict()


# --- the monthly performance report ----------------------------------------------------------------


@require_GET
@city_view_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    """月度绩效报表: every department's indicators and rank, the street ranking, and the late cases."""
    first = parse_month(request.GET.get("month"))
    today = local_today()
    if first > today:
        raise DomainError("month_future", "不能生成未来月份的报表", "that month has not started yet", field="month",
                          status=400)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    code = (request.GET.get("department") or "").strip()
    department = None
    if code:
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise DomainError("department_unknown", f"未知的部门 {code!r}", f"unknown department {code!r}",
                              field="department", status=400)
    f = Filters(start=first, end=min(last, today))
    month = f"{first:%Y-%m}"
    notes = [_("月度绩效报表") + f" {month} · {f.start:%Y-%m-%d} – {f.end:%Y-%m-%d}"
             + (f" · {department.name}" if department else "")]
    departments = stats.indicators(group="department", **_stats_args(f))
    streets = stats.indicators(group="street", **_stats_args(f))
    late = late_cases(first, last, department)
    tables = [
        indicator_table(departments, "department", _("部门绩效排名"), notes),
        indicator_table(streets, "street", _("街道排名"), notes),
        exports.Table(title=_("超时案件"), columns=LATE_COLUMNS_FN(), rows=late, notes=notes),
    ]
    name = f"monthly-report-{month}" + (f"-{department.code}" if department else "")
    return exports.workbook_response(tables, name)


def LATE_COLUMNS_FN() -> list[tuple[str, str]]:  # noqa: N802 - translated at request time
    return [("number", _("案件编号")), ("step", _("环节")), ("department", _("处置部门")), ("category", _("问题分类")),
            ("street", _("街道")), ("status", _("状态")), ("started_at", _("开始")), ("due_at", _("时限")),
            ("completed_at", _("完成")), ("hours_late", _("超时（小时）"))]


def late_cases(first: date, last: date, department: Department | None) -> list[dict]:
    """Steps due within the month that were missed: completed after their limit, or still open past it.

    A department's report lists its cases (and its sections'); the city report lists them all.
    """
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    now = clock.now()
    qs = (CaseDeadline.objects.filter(due_at__gte=start, due_at__lt=min(end, now))
          .exclude(on_time=True)
          .select_related("case", "case__department", "case__category", "case__street")
          .order_by("due_at", "id"))
    if department is not None:
        qs = qs.filter(case__department_id__in=department_subtree(department.pk))
    steps = dict(Step.choices)
    rows = []
    for d in qs:
        finished = d.completed_at or now
        if finished <= d.due_at:
            continue  # completed on time but not flagged (should not happen): not late
        case = d.case
        rows.append({
            "number": case.number, "step": str(steps.get(d.step, d.step)),
            "department": case.department.name if case.department_id else "",
            "category": case.category.name if case.category_id else "",
            "street": case.street.name if case.street_id else "", "status": case.get_status_display(),
            "started_at": d.started_at, "due_at": d.due_at, "completed_at": d.completed_at,
            "hours_late": round((finished - d.due_at).total_seconds() / 3600, 1),
        })
    return rows


# --- console queue exports -------------------------------------------------------------------------


@require_GET
def queue_export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """A console queue with its filters, every page of it, to Excel or CSV (masked for the viewer)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    queue = QUEUES.get(name)
    if queue is None:
        raise DomainError("queue_unknown", f"没有这个队列 {name!r}", f"no such queue {name!r}", field="queue",
                          status=404)
    if not is_console_user(request.user) or not may_open(request.user, queue):
        return render(request, "dashboard/denied.html", {"reason": _("您的角色不能查看这个队列。")}, status=403)
    fmt = exports.check_format(fmt)
    query = console_forms.parse_queue_query(request.GET, queue)
    now = clock.now()
    from civicgrid.cases import selectors as case_selectors
    from civicgrid.cases.access import visible_cases

    visible = visible_cases(request.user).filter(queue.condition(request.user, now))
    qs = case_selectors.filter_cases(visible, query.filters, now=now)
    qs = qs.order_by(*_queue_order(query.filters.sort)).select_related(*exports.CASE_RELATED)[:EXPORT_LIMIT]
    table = exports.Table(title=str(queue.label), columns=exports.case_columns(),
                          rows=exports.case_rows(qs, request.user, now=now))
    return exports.table_response(table, fmt, f"queue-{name}-{timezone.localdate(now):%Y%m%d}")


def _queue_order(sort: str) -> tuple[str, ...]:
    from civicgrid.cases.selectors import SORTS

    return (SORTS.get(sort) or SORTS["-created"], "-id")  # the queue page's order


# --- the big screen --------------------------------------------------------------------------------


@require_GET
@city_view_required
def screen(request: HttpRequest) -> HttpResponse:
    refresh = _int(request.GET.get("refresh"), getattr(settings, "CIVICGRID_SCREEN_REFRESH_SECONDS", REFRESH_DEFAULT),
                   field="refresh")
    box = District.objects.aggregate(a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat"))
    bbox = ",".join(f"{v:.5f}" for v in box.values()) if None not in box.values() else "-180,-90,180,90"
    labels = {"this_year": _("本期"), "last_year": _("去年同期"), "offline": _("数据暂时无法更新，显示上次结果"),
              "legend": _("本月上报"), "low": _("少"), "high": _("多")}
    context = {"refresh_seconds": max(5, refresh), "labels": labels, "bbox": bbox, "map_layers_url": "",
               "map_js": "", "map_css": ""}
    return render(request, "dashboard/screen.html", context)


@require_GET
@city_view_required
def screen_data(request: HttpRequest) -> JsonResponse:
    """One snapshot of the figures the big screen shows (this month, today, the last 30 days)."""
    now = clock.now()
    today = timezone.localdate(now)
    month = Filters(start=today.replace(day=1), end=today, preset="month")
    day = Filters(start=today, end=today, preset="today")
    recent = Filters(start=today - timedelta(days=29), end=today)
    summary = stats.summary(**_stats_args(month))
    today_summary = stats.summary(**_stats_args(day))
    keep = ("key", "code", "name", "composite", "rank")
    body = {
        "updated_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "updated_label": timezone.localtime(now).strftime("%H:%M:%S"),
        "date": today.isoformat(),
        "today": {m: today_summary["flows"][m] for m in TODAY_METRICS},
        "month": dict(summary["flows"]),
        "now": dict(summary["now"]),
        "rates": dict(summary["rates"]),
        "trend": stats.trend(metric="reported", granularity="day", **_stats_args(recent))["points"],
        "channels": stats.breakdown(metric="reported", by="channel", limit=10, **_stats_args(month))["rows"],
        "categories": stats.breakdown(metric="reported", by="category", limit=10, **_stats_args(month))["rows"],
        "cells": stats.breakdown(metric="reported", by="cell", limit=10_000, **_stats_args(month))["rows"],
        "departments": [{k: _as_dict(r)[k] for k in keep}
                        for r in stats.indicators(group="department", **_stats_args(month))],
        "streets": [{k: _as_dict(r)[k] for k in keep} for r in stats.indicators(group="street", **_stats_args(month))],
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


def _stats_args(f: Filters) -> dict:
    return {"start": f.start, "end": f.end, "street": f.street or None, "department": f.department or None,
            "category": f.category or None}


RATE_NUMERATORS: dict[str, str] = {}
_unused = (Case, urlencode)
