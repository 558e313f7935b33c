"""Hot issues API (/api/hotspots/): the hottest issues of the city or of a street, and one issue with its
cases. Staff who may see the whole city (VIEW_CITY); a command centre sees its own area's."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Street
from civicgrid.hotspots import selectors
from civicgrid.hotspots.models import HotIssue

router = Router(tags=["hotspots"])


class TopIn(Schema):
    street: str | None = Field(None, description="街道代码 street code (9 digits)")
    limit: int = Field(selectors.DEFAULT_TOP, ge=1, le=selectors.MAX_TOP)
    cooled: bool = Field(False, description="也列出已降温的 include cooled issues")


class CategoryShare(Schema):
    name: str
    cases: int


class IssueOut(Schema):
    id: int
    status: str
    heat: float
    first_report_at: datetime
    last_report_at: datetime
    lat: float
    lon: float
    address: str
    street: str | None
    street_name: str | None
    cell: str | None
    category: str | None
    department: str | None
    representative_text: str
    representative_case: str | None
    case_count: int
    report_count: int
    reporter_count: int
    alerted_at: datetime | None


class CaseRow(Schema):
    number: str | None
    status: str
    category: str | None
    description: str
    address: str
    created_at: datetime
    department: str | None


class IssueDetailOut(IssueOut):
    categories: list[CategoryShare]
    cases: list[CaseRow]


class StreetTopOut(Schema):
    street: str
    street_name: str
    issues: list[IssueOut]


def issue_out(issue: HotIssue) -> dict:
    return {
        "id": issue.pk,
        "status": issue.status,
        "heat": issue.heat,
        "first_report_at": issue.first_report_at,
        "last_report_at": issue.last_report_at,
        "lat": issue.lat,
        "lon": issue.lon,
        "address": issue.address,
        "street": issue.street.code if issue.street_id else None,
        "street_name": issue.street.name if issue.street_id else None,
        "cell": issue.cell.code if issue.cell_id else None,
        "category": issue.category.name if issue.category_id else None,
        "department": issue.department.name if issue.department_id else None,
        "representative_text": issue.representative_text,
        "representative_case": issue.representative_case.number if issue.representative_case_id else None,
        "case_count": issue.case_count,
        "report_count": issue.report_count,
        "reporter_count": issue.reporter_count,
        "alerted_at": issue.alerted_at,
    }


def _street_id(code: str | None) -> int | None:
    if not code:
        return None
    pk = Street.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise DomainError(
            "street_unknown", f"未知的街道 {code!r}", f"unknown street {code!r}", field="street"
        )
    return pk


@router.get("/top", auth=AUTH, response=list[IssueOut])
@api_scope(Scope.HOTSPOTS_READ)
def top(request: HttpRequest, q: Query[TopIn]):
    """The hottest issues (heat = reports × distinct reporters × recency), of the city or of one street."""
    selectors.check_viewer(request.auth)
    issues = selectors.top_issues(
        request.auth, street_id=_street_id(q.street), limit=q.limit, include_cooled=q.cooled
    )
    return [issue_out(i) for i in issues]


@router.get("/streets", auth=AUTH, response=list[StreetTopOut])
@api_scope(Scope.HOTSPOTS_READ)
def streets(request: HttpRequest, limit: int = Query(3, ge=1, le=10)):
    """Each street's hottest active issues."""
    rows = selectors.top_by_street(request.auth, limit=limit)
    return [
        {"street": r.street.code, "street_name": r.street.name, "issues": [issue_out(i) for i in r.issues]}
        for r in rows
    ]


@router.get("/issues/{issue_id}", auth=AUTH, response=IssueDetailOut)
@api_scope(Scope.HOTSPOTS_READ)
def issue(request: HttpRequest, issue_id: int):
    """One hot issue with its categories and its cases (the latest first)."""
    found = selectors.issue_get(request.auth, issue_id)
    body = issue_out(found)
    body["categories"] = [{"name": n, "cases": c} for n, c in selectors.category_names(found)]
    body["cases"] = [
        {
            "number": c.number,
            "status": c.status,
            "category": c.category.name if c.category_id else None,
            "description": c.description,
            "address": c.address,
            "created_at": c.created_at,
            "department": c.department.name if c.department_id else None,
        }
        for c in selectors.issue_cases(found)
    ]
    return body
