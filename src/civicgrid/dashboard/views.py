"""The dashboard (数据看板), its drill-down lists, the big screen (大屏) and the exports.

Views stay thin: parse the filters (forms.py) → check the capability → ask `analytics.selectors`
for the figures → render or export. Every figure on a page is a link to the cases behind it
(`/dashboard/cases/?metric=…&by=…&key=…`), and that list is the same selector's query, so its
count is the figure. The charts fetch the stats API (/api/stats/…) with the same parameters.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Max, Min, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from civicgrid.accounts.models import Department
from civicgrid.accounts.roles import Capability, is_staff_member, user_can
from civicgrid.analytics import selectors as stats
from civicgrid.cases.access import department_subtree
from civicgrid.cases.choices import OPEN_STATUSES, Light
from civicgrid.cases.deadlines import light_of
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.cases.queues import QUEUES, may_open, parse_queue_query
from civicgrid.cases.selectors import filter_options
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.dashboard import exports
from civicgrid.dashboard.evaluation_card import evaluation_card
from civicgrid.dashboard.forms import PRESETS, Filters, local_today, parse_filters, parse_month
from civicgrid.dashboard.suggest import suggest_accuracy_context
from civicgrid.dashboard.templatetags.dashboard import percent
from civicgrid.grids.models import District, Street
from civicgrid.grids.scope import area_of, area_street_ids
from civicgrid.hotspots import selectors as hot
from civicgrid.maps import selectors as map_selectors
from civicgrid.replyquality import selectors as reply_selectors
from civicgrid.taxonomy.choices import Step
from civicgrid.taxonomy.models import Category
from civicgrid.volunteers.stats import volunteer_stats

PAGE_SIZE = 50
SCREEN_LAYERS = ["cell_density", "boundaries", "cases", "hotspots"]
SCREEN_HOT_ROWS = 5
EXPORT_LIMIT = 100_000  # rows in one export; beyond that, narrow the filters

METRIC_LABELS = {
    "reported": gettext_lazy("新上报"),
    "registered": gettext_lazy("立案数"),
    "dispatched": gettext_lazy("派遣数"),
    "handled": gettext_lazy("处置数"),
    "closed": gettext_lazy("结案数"),
    "rejected": gettext_lazy("不予立案数"),
    "merged": gettext_lazy("并案数"),
    "reworked": gettext_lazy("返工数"),
    "rated": gettext_lazy("评价数"),
    "satisfied": gettext_lazy("满意数"),
    "open": gettext_lazy("在办"),
    "yellow": gettext_lazy("黄灯"),
    "red": gettext_lazy("红灯"),
    "supervised": gettext_lazy("督办在办"),
    "supervised_open": gettext_lazy("督办在办"),
    "long_term": gettext_lazy("挂账"),
}
RATE_LABELS = {
    "on_time_registration_rate": gettext_lazy("按时立案率"),
    "on_time_handling_rate": gettext_lazy("按期处置率"),
    "on_time_closing_rate": gettext_lazy("按期结案率"),
    "closing_rate": gettext_lazy("结案率"),
    "rework_rate": gettext_lazy("返工率"),
    "satisfaction_rate": gettext_lazy("满意率"),
}
BY_LABELS = {
    "category": gettext_lazy("问题分类"),
    "department": gettext_lazy("处置部门"),
    "street": gettext_lazy("街道"),
    "cell": gettext_lazy("单元网格"),
    "channel": gettext_lazy("来源渠道"),
}
RATE_NUMERATOR_LABELS = {
    "registered_on_time": gettext_lazy("按时立案"),
    "handled_on_time": gettext_lazy("按期处置"),
    "closed_on_time_now": gettext_lazy("按期结案"),
    "closed_now": gettext_lazy("结案数（本期立案）"),
    "due_to_close": gettext_lazy("应结案数（本期立案）"),
    "supervised_open": gettext_lazy("督办在办"),
}
NOW_DRILL = {"supervised": "supervised_open"}  # the summary's "supervised" now-figure is this metric
NOW_TONES = {"red": "red", "yellow": "yellow"}
STATS_API = "/api/stats/"
TODAY_METRICS = ("reported", "registered", "dispatched", "closed")
PERIOD_METRICS = (
    "reported",
    "registered",
    "dispatched",
    "handled",
    "closed",
    "reworked",
    "rated",
    "satisfied",
)
NOW_METRICS = ("open", "yellow", "red", "supervised", "long_term")
# Breakdown cards: (by, chart kind, limit) — top 10 categories and places, every street and channel.
# Reports per category, cell, street and channel; dispatches per department (a report has no department yet).
BREAKDOWNS = (
    ("category", "bar", 10, "reported"),
    ("cell", "bar", 10, "reported"),
    ("department", "bar", 15, "dispatched"),
    ("street", "bar", 20, "reported"),
    ("channel", "pie", 10, "reported"),
)
BREAKDOWN_TITLES = {
    "category": gettext_lazy("高发问题"),
    "cell": gettext_lazy("高发网格"),
    "department": gettext_lazy("各部门派遣量"),
    "street": gettext_lazy("各街道上报量"),
    "channel": gettext_lazy("来源渠道"),
}
GRANULARITIES = (("day", gettext_lazy("日")), ("week", gettext_lazy("周")), ("month", gettext_lazy("月")))

D, S, C = "department", "street", "cell"
INDICATOR_COLUMNS = [
    {"field": "registered", "label": gettext_lazy("立案数"), "drill": "registered", "groups": (D, S, C)},
    {
        "field": "on_time_registration_rate",
        "label": gettext_lazy("按时立案率"),
        "rate": True,
        "groups": (S, C),
    },
    {"field": "dispatched", "label": gettext_lazy("派遣数"), "drill": "dispatched", "groups": (D, S, C)},
    {"field": "dispatch_accuracy", "label": gettext_lazy("派遣准确率"), "rate": True, "groups": (D,)},
    {"field": "handled", "label": gettext_lazy("处置数"), "drill": "handled", "groups": (D, S, C)},
    {"field": "handling_rate", "label": gettext_lazy("处置率"), "rate": True, "groups": (D,)},
    {
        "field": "on_time_handling_rate",
        "label": gettext_lazy("按期处置率"),
        "rate": True,
        "groups": (D, S, C),
    },
    {"field": "rework_rate", "label": gettext_lazy("返工率"), "rate": True, "groups": (D, S, C)},
    {
        "field": "due_to_close",
        "label": RATE_NUMERATOR_LABELS["due_to_close"],
        "drill": "due_to_close",
        "groups": (D, S, C),
    },
    {
        "field": "closed",
        "label": RATE_NUMERATOR_LABELS["closed_now"],
        "drill": "closed_now",
        "groups": (D, S, C),
    },
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


def _tile(f: Filters, metric: str, value, *, drill: str | None = None, tone: str = "") -> dict:
    return {
        "metric": drill or metric,
        "label": METRIC_LABELS[metric],
        "raw": value,
        "display": value,
        "tone": tone,
        "url": _drill_url(f, drill or metric),
    }


def _rate_tile(f: Filters, name: str, value: float | None) -> dict:
    good = value is not None and ((value >= 0.9) if name != "rework_rate" else (value <= 0.1))
    numerator = str(
        METRIC_LABELS.get(stats.RATES[name][0], RATE_NUMERATOR_LABELS.get(stats.RATES[name][0], ""))
    )
    return {
        "metric": name,
        "label": RATE_LABELS[name],
        "raw": value,
        "display": percent(value),
        "hint": _("点击查看：%(what)s") % {"what": numerator} if numerator else "",
        "url": _drill_url(f, name),
        "tone": "" if value is None else ("green" if good else "yellow"),
    }


def _options(f: Filters) -> dict:
    """The filter pickers; category options built here (hundreds of them: cheaper than in the template)."""
    options = filter_options(with_departments=True, street_ids=f.area)
    groups: list[tuple[str, list[tuple[str, str, bool]]]] = []
    for c in options.categories:
        value = f"{c.kind}:{c.code}"
        if not groups or groups[-1][0] != c.major_name:
            groups.append((c.major_name, []))
        groups[-1][1].append((value, f"{c.code} {c.name}", f.category in (value, c.code)))
    return {"streets": options.streets, "departments": options.departments, "category_groups": groups}


@require_GET
@city_view_required
def home(request: HttpRequest) -> HttpResponse:
    f = parse_filters(request.GET, user=request.user)
    today = local_today()
    period = stats.summary(f.stats())
    day = stats.summary(f.today_only.stats())
    # The indicators are defined per department / street over all categories: only the street filters them.
    indicator_filter = f.stats(dimensions=False)
    context = {
        "filters": f,
        "command_area": area_of(request.user),
        "today": today,
        "presets": list(PRESETS.items()),
        "options": _options(f),
        "today_tiles": [_tile(f.today_only, m, day["flows"][m]) for m in TODAY_METRICS],
        "period_tiles": [_tile(f, m, period["flows"][m]) for m in PERIOD_METRICS],
        "now_tiles": [
            _tile(f, m, period["now"][m], drill=NOW_DRILL.get(m), tone=NOW_TONES.get(m, ""))
            for m in NOW_METRICS
        ],
        "rate_tiles": [_rate_tile(f, name, period["rates"][name]) for name in RATE_LABELS],
        "trend_metrics": [(m, METRIC_LABELS[m]) for m in PERIOD_METRICS],
        "granularities": GRANULARITIES,
        "default_granularity": _default_granularity(f),
        "breakdowns": [
            {"by": by, "kind": kind, "limit": limit, "metric": metric, "label": BREAKDOWN_TITLES[by]}
            for by, kind, limit, metric in BREAKDOWNS
        ],
        "stats_api": STATS_API,
        "indicators_narrowed": bool(f.department or f.category),
        "department_rows": (departments := stats.ranking("department", indicator_filter)).rows,
        "street_rows": (streets := stats.ranking("street", indicator_filter)).rows,
        "indicator_tables": [
            indicator_view("department", departments, indicator_filters(f), _("部门绩效与综合排名")),
            indicator_view("street", streets, indicator_filters(f), _("街道综合排名")),
        ],
        "last_month": (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
        "reply_averages": reply_selectors.department_averages(
            now=clock.now(), street_ids=area_street_ids(request.user)
        ),
        "reply_days": reply_selectors.AVERAGE_DAYS,
        "hot_issues": hot_rows(hot.top_issues(request.user, street_id=f.street_id, limit=HOT_PANEL_ROWS)),
        "volunteers": volunteer_card(f),
    }
    context.update(suggest_accuracy_context())
    context["evaluation"] = evaluation_card()
    return render(request, "dashboard/home.html", context)


# --- volunteer service (志愿服务: volunteers.stats) -------------------------------------------------------

VOLUNTEER_TEAM_ROWS = 10


def _volunteer_streets(f: Filters) -> tuple[int, ...] | None:
    """The streets the figures cover: the street filter, else the viewer's command area, else the city."""
    return (f.street_id,) if f.street_id else f.area


def volunteer_card(f: Filters) -> dict:
    """The period's volunteer figures (shifts that start in it): active volunteers, approved hours, the
    no-show rate, and hours by team, street and month; the department and category filters do not apply."""
    s = volunteer_stats(start=f.start, end=f.end, street_ids=_volunteer_streets(f))
    rate = s.no_show_rate
    tiles = [
        ("active", _("活跃志愿者"), s.active, s.active, ""),
        ("hours", _("服务时长（小时）"), float(s.hours), f"{float(s.hours):g}", ""),
        (
            "no_show_rate",
            _("缺席率"),
            rate,
            percent(rate),
            "" if rate is None else "yellow" if rate > 0.1 else "green",
        ),
        ("volunteers", _("注册志愿者"), s.volunteers, s.volunteers, ""),
        ("upcoming", _("即将开展的活动"), s.upcoming_activities, s.upcoming_activities, ""),
    ]
    return {
        "stats": s,
        "tiles": [
            {"metric": f"volunteers_{key}", "label": label, "raw": raw, "display": display, "tone": tone}
            for key, label, raw, display, tone in tiles
        ],
        "by_team": s.by_team[:VOLUNTEER_TEAM_ROWS],
    }


def volunteer_screen(area: tuple[int, ...] | None, today: date) -> dict:
    """The big screen's volunteer panel: the last 30 days."""
    s = volunteer_stats(start=today - timedelta(days=29), end=today, street_ids=area, breakdowns=False)
    return {
        "active": s.active,
        "hours": float(s.hours),
        "no_show_rate": s.no_show_rate,
        "upcoming_activities": s.upcoming_activities,
    }


# --- hot issues (热点问题: rows the worker keeps, see hotspots.services) -----------------------------------

HOT_PANEL_ROWS = 8


def hot_rows(issues) -> list[dict]:
    return [
        {
            "issue": i,
            "span": hot.span_label(i),
            "place": i.address or (i.street.name if i.street_id else "—"),
            "url": reverse("dashboard:hotspot", args=[i.pk]),
            "hot": i.heat >= settings.CIVICGRID_HOT_ISSUE_ALERT_HEAT,
        }
        for i in issues
    ]


@require_GET
@city_view_required
def hotspots(request: HttpRequest) -> HttpResponse:
    """热点问题: the city's hottest active issues, and each street's."""
    context = {
        "command_area": area_of(request.user),
        "hot_issues": hot_rows(hot.top_issues(request.user, limit=hot.MAX_TOP // 2)),
        "streets": [
            {"street": t.street, "rows": hot_rows(t.issues)} for t in hot.top_by_street(request.user, limit=3)
        ],
    }
    return render(request, "dashboard/hotspots.html", context)


@require_GET
@city_view_required
def hotspot(request: HttpRequest, pk: int) -> HttpResponse:
    """One hot issue: where, when, how hot, its categories and its cases (links to the console)."""
    try:
        issue = hot.issue_get(request.user, pk)
    except DomainError:
        reason = _("没有这个热点问题，或它不在您的指挥范围内。")
        return render(request, "dashboard/denied.html", {"reason": reason}, status=404)
    context = {
        "row": hot_rows([issue])[0],
        "categories": hot.category_names(issue),
        "cases": [
            {"case": c, "url": map_selectors.case_url(c.number, staff=True) if c.number else ""}
            for c in hot.issue_cases(issue)
        ],
    }
    return render(request, "dashboard/hotspot.html", context)


def indicator_view(group: str, ranking: stats.Ranking, f: Filters, title: str) -> dict:
    """An indicator table as the page shows it: the ranked units, then those with too few cases
    (样本不足, no rank); formatted cells, each count a link to its cases."""
    columns = [c for c in INDICATOR_COLUMNS if group in c["groups"]]
    base = reverse("dashboard:cases")

    def view(row) -> dict:
        key = "none" if row.key is None else row.key
        cells = []
        for col in columns:
            value = getattr(row, col["field"])
            url = (
                f"{base}?{f.query(metric=col['drill'], by=group, key=key)}"
                if col.get("drill") and value
                else ""
            )
            display = percent(value) if col.get("rate") else ("—" if value is None else value)
            cells.append({"field": col["field"], "display": display, "url": url})
        return {"row": row, "cells": cells}

    sample = next(str(c["label"]) for c in INDICATOR_COLUMNS if c["field"] == ranking.sample)
    return {
        "group": group,
        "title": title,
        "columns": columns,
        "rows": [view(row) for row in ranking.rows],
        "thin": [view(row) for row in ranking.thin],
        "thin_note": _("样本不足：本期%(sample)s少于 %(n)s 件，不参与排名。")
        % {"sample": sample, "n": ranking.min_cases},
        "filters": f,
    }


def _default_granularity(f: Filters) -> str:
    days = (f.end - f.start).days
    return "day" if days <= 62 else "week" if days <= 200 else "month"


# --- drill-down ------------------------------------------------------------------------------------


def _drill_query(
    request: HttpRequest, f: Filters
) -> tuple[str, str | None, int | str | None, QuerySet[Case]]:
    """metric, by, key → the cases behind that figure (analytics.selectors.drilldown)."""
    metric = (request.GET.get("metric") or "reported").strip()
    by = (request.GET.get("by") or "").strip() or None
    raw_key = request.GET.get("key")
    key = None if raw_key in (None, "", "none") else raw_key.strip()
    if by is not None and by != "channel" and key is not None:
        if not key.isdigit():
            raise DomainError(
                "key_invalid",
                f"分组键应为数字（{key}）",
                f"key must be a number ({key})",
                field="key",
                status=400,
            )
        key = int(key)
    try:
        qs = stats.drilldown(metric, f.stats(), by=by, key=key)
    except DomainError as err:
        err.status = 400
        raise
    return metric, by, key, qs


@require_GET
@city_view_required
def cases(request: HttpRequest) -> HttpResponse:
    """案件明细: the cases behind one figure; `count` is the figure (a case counts once per counted event)."""
    f = parse_filters(request.GET, user=request.user)
    metric, by, key, qs = _drill_query(request, f)
    now = clock.now()
    fmt = request.GET.get("format")
    if fmt is not None:
        fmt = exports.check_format(fmt)
        rows = (
            qs.select_related(*exports.CASE_RELATED)
            .order_by(*stats.drill_order(metric))[:EXPORT_LIMIT]
            .iterator(chunk_size=2000)
        )
        table = exports.Table(
            title=str(_metric_label(metric)),
            columns=exports.case_columns(),
            rows=exports.case_rows(rows, request.user, now=now),
            notes=_notes(f, _metric_label(metric) + (f" · {_group_label(by, key)}" if by else "")),
        )
        return exports.table_response(table, fmt, f"cases-{metric}-{f.start}-{f.end}", request=request)
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    # The figure from the rollups (== qs.count(), pinned by analytics' tests): counting millions of
    # joined events for every page of a list would not be fast.
    count = stats.figure_of(metric, f.stats(), by=by, key=key)
    pages = max(1, math.ceil(count / PAGE_SIZE))
    page = min(page, pages)
    selected = qs.select_related("category", "street", "department").order_by(*stats.drill_order(metric))[
        (page - 1) * PAGE_SIZE : page * PAGE_SIZE
    ]
    light_labels = dict(Light.choices)
    rows = []
    for case in selected:
        light = light_of(case, now)
        rows.append(
            {
                "number": case.number,
                "status_label": case.get_status_display(),
                "light": light,
                "light_label": light_labels.get(light, ""),
                "category": f"{case.category.code} {case.category.name}" if case.category_id else "",
                "street": case.street.name if case.street_id else "",
                "department": case.department.name if case.department_id else "",
                "created_at": case.created_at,
                "url": reverse("console:case", args=[case.number]),
            }
        )
    extra = {"metric": metric, "by": by, "key": ("none" if key is None else key) if by else None}
    context = {
        "filters": f,
        "result": {"count": count, "page": page, "rows": rows},
        "pages": pages,
        "metric_label": _metric_label(metric),
        "group_label": _group_label(by, key) if by else "",
        "filter_labels": _filter_labels(f),
        "is_rate": metric in stats.RATES,
        "export_query": f.query(**extra),
        "page_query": f.query(**extra),
    }
    return render(request, "dashboard/cases.html", context)


def _metric_label(metric: str) -> str:
    if metric in RATE_LABELS:
        numerator = stats.RATES[metric][0]
        return f"{RATE_LABELS[metric]} · {METRIC_LABELS.get(numerator, RATE_NUMERATOR_LABELS.get(numerator, numerator))}"
    return str(METRIC_LABELS.get(metric, RATE_NUMERATOR_LABELS.get(metric, metric)))


def _group_label(by: str | None, key: object) -> str:
    if by is None:
        return ""
    if key is None:
        name = stats.NONE_LABELS.get(by, "") or "—"
    else:
        lookup = stats._names(by, [key if by == "channel" else int(key)])
        name = next(iter(lookup.values()), ("", str(key)))[1]
    return f"{BY_LABELS.get(by, by)}：{name}"


def _filter_labels(f: Filters) -> list[tuple[str, str]]:
    out = []
    if f.street_id:
        out.append((_("街道"), Street.objects.get(pk=f.street_id).name))
    if f.department_id:
        out.append((_("处置部门"), Department.objects.get(pk=f.department_id).name))
    if f.category_id:
        category = Category.objects.get(pk=f.category_id)
        out.append((_("问题分类"), f"{category.code} {category.name}"))
    return out


# --- exports of the dashboard's tables ------------------------------------------------------------


@require_GET
@city_view_required
def breakdown_export(request: HttpRequest, fmt: str) -> HttpResponse:
    f = parse_filters(request.GET, user=request.user)
    metric = (request.GET.get("metric") or "reported").strip()
    by = (request.GET.get("by") or "").strip()
    limit = _int(request.GET.get("limit"), 500, field="limit")
    data = _bad_request(stats.breakdown, metric, f.stats(), by, limit)
    label = _metric_label(metric)
    table = exports.Table(
        title=str(BY_LABELS.get(by, by)),
        notes=_notes(f, label),
        columns=[("rank", _("序号")), ("code", _("编码")), ("name", _("名称")), ("value", label)],
        rows=[{"rank": i, **row} for i, row in enumerate(data["rows"], start=1)],
    )
    return exports.table_response(table, fmt, f"breakdown-{by}-{metric}-{f.start}-{f.end}", request=request)


def indicator_table(ranking: stats.Ranking, title: str, notes: list[str]) -> exports.Table:
    """The ranked units, then those with too few cases: rank "样本不足", no composite."""
    group = ranking.group
    columns = [("rank", _("排名")), ("code", _("编码")), ("name", _("名称"))]
    columns += [(c["field"], str(c["label"])) for c in INDICATOR_COLUMNS if group in c["groups"]]
    thin = [{**_as_dict(r), "rank": _("样本不足")} for r in ranking.thin]
    if thin:
        sample = next(str(c["label"]) for c in INDICATOR_COLUMNS if c["field"] == ranking.sample)
        # on the notes' last line: the header stays on the row where readers expect it
        notes = [
            *notes[:-1],
            f"{notes[-1]} · "
            + _("样本不足：本期%(sample)s少于 %(n)s 件，不参与排名。")
            % {"sample": sample, "n": ranking.min_cases},
        ]
    return exports.Table(
        title=title, columns=columns, rows=[_as_dict(r) for r in ranking.rows] + thin, notes=notes
    )


@require_GET
@city_view_required
def indicators_export(request: HttpRequest, fmt: str) -> HttpResponse:
    f = parse_filters(request.GET, user=request.user)
    group = (request.GET.get("group") or "department").strip()
    f = indicator_filters(f)
    ranking = _bad_request(stats.ranking, group, f.stats())
    table = indicator_table(ranking, str(BY_LABELS.get(group, group)), _notes(f, _("绩效指标")))
    return exports.table_response(table, fmt, f"indicators-{group}-{f.start}-{f.end}", request=request)


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
        raise DomainError(
            "number_invalid",
            f"{field} 必须是整数",
            f"{field} must be a whole number",
            field=field,
            status=400,
        ) from None
    if value < 1:
        raise DomainError(
            "number_invalid", f"{field} 必须大于 0", f"{field} must be positive", field=field, status=400
        )
    return value


def _bad_request(selector, *args):
    """A selector's refusal of what the query string asked is the client's error (400)."""
    try:
        return selector(*args)
    except DomainError as err:
        err.status = 400
        raise


def indicator_filters(f: Filters) -> Filters:
    """The indicators are defined per department / street over every category: only the street narrows them."""
    return replace(f, department="", category="", department_id=None, category_id=None)


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
        raise DomainError(
            "month_future",
            "不能生成未来月份的报表",
            "that month has not started yet",
            field="month",
            status=400,
        )
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    code = (request.GET.get("department") or "").strip()
    department = None
    if code:
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise DomainError(
                "department_unknown",
                f"未知的部门 {code!r}",
                f"unknown department {code!r}",
                field="department",
                status=400,
            )
    area = area_of(request.user)
    f = Filters(start=first, end=min(last, today), area=area_street_ids(request.user))
    month = f"{first:%Y-%m}"
    notes = [
        _("月度绩效报表")
        + f" {month} · {f.start:%Y-%m-%d} – {f.end:%Y-%m-%d}"
        + (f" · {department.name}" if department else "")
        + (f" · {area.name}" if area else "")
    ]
    departments = stats.ranking("department", f.stats())
    streets = stats.ranking("street", f.stats())
    late = late_cases(first, last, department, area=f.area)
    tables = [
        indicator_table(departments, _("部门绩效排名"), notes),
        indicator_table(streets, _("街道排名"), notes),
        exports.Table(title=_("超时案件"), columns=LATE_COLUMNS_FN(), rows=late, notes=notes),
    ]
    name = f"monthly-report-{month}" + (f"-{department.code}" if department else "")
    return exports.workbook_response(tables, name, request=request)


def LATE_COLUMNS_FN() -> list[tuple[str, str]]:  # noqa: N802 - translated at request time
    return [
        ("number", _("案件编号")),
        ("step", _("环节")),
        ("department", _("处置部门")),
        ("category", _("问题分类")),
        ("street", _("街道")),
        ("status", _("状态")),
        ("started_at", _("开始")),
        ("due_at", _("时限")),
        ("completed_at", _("完成")),
        ("hours_late", _("超时（小时）")),
    ]


def late_cases(
    first: date, last: date, department: Department | None, *, area: tuple[int, ...] | None = None
) -> list[dict]:
    """Steps due within the month that were missed: completed after their limit, or still open past it.

    A department's report lists its cases (and its sections'); the city report lists them all; a
    district's or street's command centre (`area`: its streets) its area's.
    """
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    now = clock.now()
    qs = (
        CaseDeadline.objects.filter(due_at__gte=start, due_at__lt=min(end, now))
        .exclude(on_time=True)
        .select_related("case", "case__department", "case__category", "case__street")
        .order_by("due_at", "id")
    )
    if department is not None:
        qs = qs.filter(case__department_id__in=department_subtree(department.pk))
    if area is not None:
        qs = qs.filter(case__street_id__in=area)
    steps = dict(Step.choices)
    rows = []
    for d in qs:
        finished = d.completed_at or now
        if finished <= d.due_at:
            continue  # completed on time but not flagged (should not happen): not late
        case = d.case
        rows.append(
            {
                "number": case.number,
                "step": str(steps.get(d.step, d.step)),
                "department": case.department.name if case.department_id else "",
                "category": case.category.name if case.category_id else "",
                "street": case.street.name if case.street_id else "",
                "status": case.get_status_display(),
                "started_at": d.started_at,
                "due_at": d.due_at,
                "completed_at": d.completed_at,
                "hours_late": round((finished - d.due_at).total_seconds() / 3600, 1),
            }
        )
    return rows


# --- console queue exports -------------------------------------------------------------------------


@require_GET
def queue_export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """A console queue with its filters, every page of it, to Excel or CSV (masked for the viewer)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    queue = QUEUES.get(name)
    if queue is None:
        raise DomainError(
            "queue_unknown", f"没有这个队列 {name!r}", f"no such queue {name!r}", field="queue", status=404
        )
    if not is_staff_member(request.user) or not may_open(request.user, queue):
        return render(
            request, "dashboard/denied.html", {"reason": _("您的角色不能查看这个队列。")}, status=403
        )
    fmt = exports.check_format(fmt)
    query = parse_queue_query(request.GET, queue)
    now = clock.now()
    from civicgrid.cases import selectors as case_selectors
    from civicgrid.cases.access import visible_cases

    visible = visible_cases(request.user).filter(queue.condition(request.user, now))
    qs = case_selectors.filter_cases(visible, query.filters, now=now)
    qs = (
        qs.order_by(*_queue_order(query.filters.sort))
        .select_related(*exports.CASE_RELATED)[:EXPORT_LIMIT]
        .iterator(chunk_size=2000)
    )
    table = exports.Table(
        title=str(queue.label),
        columns=exports.case_columns(),
        rows=exports.case_rows(qs, request.user, now=now),
    )
    return exports.table_response(
        table, fmt, f"queue-{name}-{timezone.localdate(now):%Y%m%d}", request=request
    )


def _queue_order(sort: str) -> tuple[str, ...]:
    from civicgrid.cases.selectors import SORTS

    return (SORTS.get(sort) or SORTS["-created"], "-id")  # the queue page's order


# --- the big screen --------------------------------------------------------------------------------


@require_GET
@city_view_required
def screen(request: HttpRequest) -> HttpResponse:
    """大屏: the page shell; its figures come from `screen_data` every `refresh` seconds (default 30)."""
    refresh = _int(request.GET.get("refresh"), settings.CIVICGRID_SCREEN_REFRESH_SECONDS, field="refresh")
    area = area_of(request.user)
    if area is not None:  # a district's or street's big screen opens on its area
        box = dict(zip("wsen", area.bounds, strict=True)) if area.bounds else {"w": None}
    else:
        box = District.objects.aggregate(
            w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat")
        )
    bounds = [[box["s"], box["w"]], [box["n"], box["e"]]] if None not in box.values() else None
    today = local_today()
    labels = {
        "this_year": _("本期"),
        "last_year": _("去年同期"),
        "offline": _("数据暂时无法更新，显示上次结果"),
        "composite": _("综合指标"),
        "too_few": _("本月各单位案件均不足 %(n)s 件，暂不排名") % {"n": settings.CIVICGRID_RANKING_MIN_CASES},
        "no_hot": _("目前没有活跃的热点问题"),
    }
    # The city map's own layers (maps app): open cases over the month's case density by cell.
    city_map = {
        "layers": map_selectors.catalogue(request.user),
        "enabled": SCREEN_LAYERS,
        "bounds": bounds,
        "filters": {
            "start": today.replace(day=1).isoformat(),
            "end": today.isoformat(),
            "status": sorted(OPEN_STATUSES),
        },
    }
    context = {
        "refresh_seconds": max(5, refresh),
        "labels": labels,
        "city_map": city_map,
        "command_area": area,
    }
    return render(request, "dashboard/screen.html", context)


@require_GET
@city_view_required
def screen_data(request: HttpRequest) -> JsonResponse:
    """One snapshot of the figures the big screen shows (this month, today, the last 30 days)."""
    now = clock.now()
    today = timezone.localdate(now)
    area = area_street_ids(request.user)
    month = Filters(start=today.replace(day=1), end=today, preset="month", area=area)
    day = Filters(start=today, end=today, preset="today", area=area)
    recent = Filters(start=today - timedelta(days=29), end=today, area=area)
    summary = stats.summary(month.stats())
    today_summary = stats.summary(day.stats())
    keep = ("key", "code", "name", "composite", "rank")
    body = {
        "updated_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "updated_label": timezone.localtime(now).strftime("%H:%M:%S"),
        "date": today.isoformat(),
        "today": {m: today_summary["flows"][m] for m in TODAY_METRICS},
        "month": dict(summary["flows"]),
        "now": dict(summary["now"]),
        "rates": dict(summary["rates"]),
        "trend": stats.trend("reported", recent.stats(), "day")["points"],
        "volunteers": volunteer_screen(area, today),
        "channels": stats.breakdown("reported", month.stats(), "channel", 10)["rows"],
        "categories": stats.breakdown("reported", month.stats(), "category", 10)["rows"],
        # The rankings proper: units with enough cases, no "not dispatched" or "outside the grid".
        "departments": [
            {k: _as_dict(r)[k] for k in keep} for r in stats.ranking("department", month.stats()).rows
        ],
        "streets": [{k: _as_dict(r)[k] for k in keep} for r in stats.ranking("street", month.stats()).rows],
        "hot": [
            {
                "id": r["issue"].pk,
                "heat": r["issue"].heat,
                "alert": r["hot"],
                "text": r["issue"].representative_text[:60],
                "place": r["place"],
                "span": r["span"],
                "counts": _("%(cases)s 件 · %(people)s 人")
                % {
                    "cases": r["issue"].case_count,
                    "people": r["issue"].reporter_count,
                },
                "url": r["url"],
            }
            for r in hot_rows(hot.top_issues(request.user, limit=SCREEN_HOT_ROWS))
        ],
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response
