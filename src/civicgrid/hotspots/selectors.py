"""Reads of the hot issues (热点问题): the top N of the city and of each street, one issue and its cases.

Only viewers who may see the whole city (Capability.VIEW_CITY: dispatchers, leaders, administrators) read
hot issues, narrowed to their command area when they have one (grids/scope.py); pages and the API read the
rows the worker keeps (`services.hot_issues_refresh`) and never cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.cases.models import Case
from civicgrid.core.errors import NotFound, PermissionDenied
from civicgrid.grids.models import Street
from civicgrid.grids.scope import area_street_ids, check_street_in_area
from civicgrid.hotspots.models import HotIssue, HotIssueStatus
from civicgrid.taxonomy.models import Category

DEFAULT_TOP = 10
MAX_TOP = 50
MAX_CASES = 500  # cases listed with one issue


def check_viewer(user) -> None:
    if not user_can(user, Capability.VIEW_CITY):
        raise PermissionDenied("forbidden_role", "无权查看热点问题", "your role may not see the hot issues")


def visible_issues(user) -> QuerySet[HotIssue]:
    """The hot issues `user` may read: all of the city, or those of their command area's streets."""
    check_viewer(user)
    qs = HotIssue.objects.select_related("street", "category", "department", "cell", "representative_case")
    streets = area_street_ids(user)
    if streets is not None:
        qs = qs.filter(street_id__in=streets)
    return qs


def top_issues(
    user, *, street_id: int | None = None, limit: int = DEFAULT_TOP, include_cooled: bool = False
) -> list[HotIssue]:
    """The hottest issues of the city (or of one street), active ones only unless `include_cooled`."""
    check_street_in_area(user, street_id)
    qs = visible_issues(user)
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    if not include_cooled:
        qs = qs.filter(status=HotIssueStatus.ACTIVE)
    return list(qs.order_by("-heat", "-id")[: max(1, min(limit, MAX_TOP))])


@dataclass
class StreetTop:
    street: Street
    issues: list[HotIssue]


def top_by_street(user, *, limit: int = 3) -> list[StreetTop]:
    """Each street's hottest active issues (the streets with any, hottest street first)."""
    rows = (
        visible_issues(user)
        .filter(status=HotIssueStatus.ACTIVE, street__isnull=False)
        .order_by("-heat", "-id")
    )
    out: dict[int, StreetTop] = {}
    for issue in rows[: MAX_TOP * 10]:
        top = out.setdefault(issue.street_id, StreetTop(issue.street, []))
        if len(top.issues) < limit:
            top.issues.append(issue)
    return list(out.values())


def issue_get(user, pk: int) -> HotIssue:
    issue = visible_issues(user).filter(pk=pk).first()
    if issue is None:
        raise NotFound("hot_issue_not_found", f"没有热点问题 {pk}", f"no hot issue {pk}", field="id")
    return issue


def issue_cases(issue: HotIssue) -> list[Case]:
    """The issue's cases (merged duplicates are reports of these), the latest first."""
    return list(
        Case.objects.filter(pk__in=issue.members.values("case_id"))
        .select_related("category", "department")
        .order_by("-created_at", "-id")[:MAX_CASES]
    )


def category_names(issue: HotIssue) -> list[tuple[str, int]]:
    """The issue's categories by name with their cases, the main one first."""
    ids = [int(k) for k in issue.category_mix]
    names = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [(names.get(int(k), "—"), n) for k, n in issue.category_mix.items()]


def span_label(issue: HotIssue) -> str:
    """ "MM-DD HH:MM – MM-DD HH:MM" in local time (the year when it is not this year's)."""
    now = timezone.localtime()

    def fmt(at: datetime) -> str:
        local = timezone.localtime(at)
        return local.strftime("%m-%d %H:%M" if local.year == now.year else "%Y-%m-%d")

    return f"{fmt(issue.first_report_at)} – {fmt(issue.last_report_at)}"
