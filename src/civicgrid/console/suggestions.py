"""智能推荐 on the case page: the top 3 categories at 立案 (the top one pre-selected when confident), and the
model's department beside the routing rule's at 派遣. Each showing is logged (classifier.suggestions)."""

from __future__ import annotations

from civicgrid.accounts.models import User
from civicgrid.cases.choices import Action
from civicgrid.cases.models import Case
from civicgrid.classifier.suggestions import case_category_suggestions, case_department_suggestion


def _percent(confidence: float) -> int:
    return round(confidence * 100)


def case_suggestions(user: User, case: Case, actions) -> dict:
    """Template context: `register_suggest`, `dispatch_suggest` (None when there is nothing to show) and
    `category_preselect_id` (the category the 立案 picker starts on)."""
    out: dict = {
        "register_suggest": None,
        "dispatch_suggest": None,
        "category_preselect_id": case.category_id,
    }
    if Action.REGISTER in actions:
        found = case_category_suggestions(case, user=user)
        if found.suggestions:
            items = [
                {
                    "value": f"{s.category.kind}:{s.category.code}",
                    "category": s.category,
                    "percent": _percent(s.confidence),
                }
                for s in found.suggestions
            ]
            out["register_suggest"] = {
                "items": items,
                "preselect": items[0] if found.preselect else None,
                "citizen_pick": case.category if found.preselect and case.category_id else None,
            }
            if found.preselect:
                out["category_preselect_id"] = found.preselect.category.pk
    if Action.DISPATCH in actions:
        found = case_department_suggestion(case, user=user)
        if found is not None:
            out["dispatch_suggest"] = {
                "rule": case.routed_department,
                "model": found.suggestion.department,
                "percent": _percent(found.suggestion.confidence),
                "disagrees": found.disagrees,
            }
    return out
