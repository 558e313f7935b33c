"""The dashboard's filters (筛选): period (a preset or two dates), street, department, category.

They live in the query string, so every view of the dashboard is a link: the page, its charts'
API calls, the drill-down lists and the exports all read the same parameters with `parse_filters`.
Bad input is a DomainError (a clear 400 page), never a silently different figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.analytics.selectors import MAX_DAYS, StatsFilter
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Street
from civicgrid.grids.scope import area_street_ids, check_street_in_area
from civicgrid.taxonomy.selectors import category_by_code

PRESETS = {
    "today": _("今天"),
    "7d": _("近7天"),
    "30d": _("近30天"),
    "month": _("本月"),
    "last_month": _("上月"),
    "quarter": _("本季度"),
    "year": _("本年"),
}
DEFAULT_PRESET = "month"


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    preset: str = ""  # empty: custom dates
    street: str = ""
    department: str = ""
    category: str = ""
    # The same, resolved (the analytics selectors filter by id).
    street_id: int | None = None
    department_id: int | None = None
    category_id: int | None = None
    # The viewer's command area (grids/scope.py): its streets, None for the whole city. Not a parameter
    # of the links: it follows the person, every figure and list of theirs is narrowed to it.
    area: tuple[int, ...] | None = None

    def stats(self, *, dimensions: bool = True) -> StatsFilter:
        """The analytics filter; without `dimensions` only the street applies (as the indicators allow)."""
        return StatsFilter(
            start=self.start,
            end=self.end,
            street_id=self.street_id,
            department_id=self.department_id if dimensions else None,
            category_id=self.category_id if dimensions else None,
            area=self.area,
        )

    def params(self, **extra: object) -> dict[str, str]:
        """The query parameters of the stats API (and of every dashboard link) for these filters."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("street", "department", "category"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
        return out

    def query(self, **extra: object) -> str:
        return urlencode(self.params(**extra))

    def page_query(self) -> str:
        """What the dashboard page's own URL carries: the preset when there is one, else the dates."""
        out = (
            {"period": self.preset}
            if self.preset
            else {"start": self.start.isoformat(), "end": self.end.isoformat()}
        )
        out.update({k: v for k, v in self.params().items() if k not in ("start", "end")})
        return urlencode(out)

    @property
    def today_only(self) -> Filters:
        today = local_today()
        return replace(self, start=today, end=today, preset="today")


def preset_range(preset: str, today: date) -> tuple[date, date]:
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "quarter":
        first_month = (today.month - 1) // 3 * 3 + 1
        return today.replace(month=first_month, day=1), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    raise DomainError(
        "period_invalid", f"未知的时段 {preset!r}", f"unknown period {preset!r}", field="period", status=400
    )


def _date(params: QueryDict, name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(
            "date_invalid",
            f"日期格式应为 YYYY-MM-DD（{name}={raw}）",
            f"dates are YYYY-MM-DD ({name}={raw})",
            field=name,
            status=400,
        ) from None


def local_today() -> date:
    return timezone.localdate(clock.now())


def parse_filters(params: QueryDict, *, user) -> Filters:
    """Query string → Filters for this viewer; unknown codes, bad dates, an inverted period and a street
    outside the viewer's command area are refused."""
    today = local_today()
    start, end = _date(params, "start"), _date(params, "end")
    preset = (params.get("period") or "").strip()
    if start is None and end is None:
        preset = preset or DEFAULT_PRESET
        start, end = preset_range(preset, today)
    else:
        preset = ""
        start = start or (end or today).replace(day=1)
        end = end or today
    if start > end:
        raise DomainError(
            "period_invalid",
            "开始日期不能晚于结束日期",
            "start must not be after end",
            field="start",
            status=400,
        )
    if (end - start).days >= MAX_DAYS:
        raise DomainError(
            "period_too_long",
            "统计区间不能超过 5 年",
            "the period may not exceed 5 years",
            field="start",
            status=400,
        )
    street = (params.get("street") or "").strip()
    street_id = None
    if street:
        street_id = Street.objects.filter(code=street).values_list("pk", flat=True).first()
        if street_id is None:
            raise DomainError(
                "street_unknown",
                f"未知的街道 {street!r}",
                f"unknown street {street!r}",
                field="street",
                status=400,
            )
        check_street_in_area(user, street_id)
    department = (params.get("department") or "").strip()
    department_id = None
    if department:
        department_id = Department.objects.filter(code=department).values_list("pk", flat=True).first()
        if department_id is None:
            raise DomainError(
                "department_unknown",
                f"未知的部门 {department!r}",
                f"unknown department {department!r}",
                field="department",
                status=400,
            )
    category = (params.get("category") or "").strip()
    category_id = None
    if category:
        try:
            category_id = category_by_code(category).pk
        except DomainError as err:
            raise DomainError(
                "category_unknown",
                f"未知的分类 {category!r}",
                f"unknown category {category!r}",
                field="category",
                status=400,
            ) from err
    return Filters(
        start=start,
        end=end,
        preset=preset,
        street=street,
        department=department,
        category=category,
        street_id=street_id,
        department_id=department_id,
        category_id=category_id,
        area=area_street_ids(user),
    )


def parse_month(raw: str | None) -> date:
    """`2026-10` → the first day of that month."""
    raw = (raw or "").strip()
    try:
        year, month = raw.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise DomainError(
            "month_invalid",
            f"月份格式应为 YYYY-MM（{raw or '空'}）",
            f"month must be YYYY-MM ({raw!r})",
            field="month",
            status=400,
        ) from None
