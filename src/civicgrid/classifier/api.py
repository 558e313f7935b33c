"""Classifier API: suggestions for a text (智能推荐) and how accurate the suggestions have been."""

from __future__ import annotations

from typing import Literal

from ninja import Query, Router, Schema

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.text import text_check

from .models import SuggestionWhere, Target
from .selectors import DEFAULT_WEEKS, AccuracyRow, suggestion_accuracy
from .services import MAX_TEXT, category_label, suggest_categories, suggest_department
from .suggestions import category_ranked, suggestion_log

router = Router(tags=["classifier"])
MAX_WEEKS = 104


class SuggestIn(Schema):
    text: str
    target: Literal["category", "department"] = "category"


class SuggestionOut(Schema):
    label: str  # category: "<kind>:<code>"; department: its code
    name: str
    confidence: float


class SuggestOut(Schema):
    target: str
    suggestions: list[SuggestionOut]  # likeliest first, at most 3, none below the threshold
    log_id: int | None  # the logged showing (null when nothing was suggested)


class AccuracyIn(Schema):
    weeks: int = DEFAULT_WEEKS


class AccuracyRowOut(Schema):
    key: str
    name: str
    count: int
    accepted: int
    top3: int
    accepted_rate: float | None
    top3_rate: float | None


class TargetAccuracyOut(Schema):
    weeks: list[AccuracyRowOut]
    labels: list[AccuracyRowOut]


class AccuracyOut(Schema):
    since: str
    category: TargetAccuracyOut
    department: TargetAccuracyOut


@router.post("/suggest", response=SuggestOut, auth=AUTH)
@api_scope(Scope.CLASSIFIER_USE)
def suggest(request, payload: SuggestIn):
    """The likeliest categories (or the department) of a report's text, with their confidences."""
    text = text_check(payload.text, field="text", max_length=MAX_TEXT, required=True)
    if payload.target == Target.DEPARTMENT:
        found = suggest_department(text)
        rows = [(found.department.code, found.department.name, found.confidence)] if found else []
        ranked = [(label, p) for label, _, p in rows]
    else:
        categories = suggest_categories(text, k=3)
        rows = [(category_label(s.category), s.category.name, s.confidence) for s in categories]
        ranked = category_ranked(categories)
    log = suggestion_log(
        where=SuggestionWhere.API, target=payload.target, text=text, ranked=ranked, user=request.auth
    )
    return {
        "target": payload.target,
        "suggestions": [{"label": label, "name": name, "confidence": round(p, 4)} for label, name, p in rows],
        "log_id": log.pk if log else None,
    }


def _rows(rows: list[AccuracyRow]) -> list[dict]:
    return [
        {
            "key": r.key,
            "name": r.name,
            "count": r.count,
            "accepted": r.accepted,
            "top3": r.top3,
            "accepted_rate": r.accepted_rate,
            "top3_rate": r.top3_rate,
        }
        for r in rows
    ]


@router.get("/accuracy", response=AccuracyOut, auth=AUTH)
@api_scope(Scope.CLASSIFIER_USE)
def accuracy(request, params: Query[AccuracyIn]):
    """Suggestion accuracy per ISO week and per final label (staff with the city view, leaders)."""
    if not user_can(request.auth, Capability.VIEW_CITY):
        raise PermissionDenied(
            "forbidden_role", "无权查看智能分类准确率", "your role may not see the accuracy"
        )
    if not 1 <= params.weeks <= MAX_WEEKS:
        raise DomainError(
            "weeks_invalid",
            f"周数应为 1 到 {MAX_WEEKS}",
            f"weeks must be between 1 and {MAX_WEEKS}",
            field="weeks",
        )
    found = suggestion_accuracy(weeks=params.weeks)
    return {
        "since": found.since.isoformat(),
        "category": {
            "weeks": _rows(found.weeks.get(Target.CATEGORY, [])),
            "labels": _rows(found.labels.get(Target.CATEGORY, [])),
        },
        "department": {
            "weeks": _rows(found.weeks.get(Target.DEPARTMENT, [])),
            "labels": _rows(found.labels.get(Target.DEPARTMENT, [])),
        },
    }
