"""Suggestions (智能推荐) from the active models, and the training rows the city's own cases give.

- `suggest_categories(text)`: the likeliest categories of a report's text, each with its confidence, nothing
  below CIVICGRID_SUGGEST_MIN_CONFIDENCE.
- `suggest_department(text)`: the department the handled cases of texts like it went to.
- `training_rows(target)`: (text, label) of every handled case: the category it was registered under (after
  a dispatcher's correction), the department whose feedback handled it (after returns and re-dispatches).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery

from civicgrid.accounts.models import Department
from civicgrid.cases.choices import Action, CaseKind
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.taxonomy.models import Category

from .models import Target
from .store import active_classifier

# A report's text as the classifier reads it, at intake and in training alike.
MAX_TEXT = 4000


def report_text(*, description: str, address: str = "", kind_label: str = "") -> str:
    parts = [kind_label, description, address]
    return " ".join(p.strip() for p in parts if p and p.strip())[:MAX_TEXT]


def category_label(category: Category) -> str:
    return f"{category.kind}:{category.code}"


@dataclass(frozen=True)
class CategorySuggestion:
    category: Category
    confidence: float


@dataclass(frozen=True)
class DepartmentSuggestion:
    department: Department
    confidence: float


def _threshold(minimum: float | None) -> float:
    return settings.CIVICGRID_SUGGEST_MIN_CONFIDENCE if minimum is None else minimum


def suggest_labels(
    text: str, *, target: str, k: int = 3, minimum: float | None = None
) -> list[tuple[str, float]]:
    """The active `target` model's `k` likeliest labels of `text` at or above the threshold."""
    text = (text or "").strip()
    classifier = active_classifier(target)
    if classifier is None or not text:
        return []
    floor = _threshold(minimum)
    return [(label, p) for label, p in classifier.top(text[:MAX_TEXT], k) if p >= floor]


def suggest_categories(text: str, *, k: int = 3, minimum: float | None = None) -> list[CategorySuggestion]:
    """Active categories only, likeliest first (a label whose category was retired is skipped)."""
    ranked = suggest_labels(text, target=Target.CATEGORY, k=k, minimum=minimum)
    if not ranked:
        return []
    keys = {tuple(label.split(":", 1)) for label, _ in ranked if ":" in label}
    found = {
        (c.kind, c.code): c
        for c in Category.objects.filter(active=True, code__in=[code for _, code in keys])
        if (c.kind, c.code) in keys
    }
    out = []
    for label, p in ranked:
        category = found.get(tuple(label.split(":", 1)))
        if category is not None:
            out.append(CategorySuggestion(category, p))
    return out


def suggest_department(text: str, *, minimum: float | None = None) -> DepartmentSuggestion | None:
    ranked = suggest_labels(text, target=Target.DEPARTMENT, k=1, minimum=minimum)
    if not ranked:
        return None
    department = Department.objects.filter(code=ranked[0][0]).first()
    return DepartmentSuggestion(department, ranked[0][1]) if department else None


def case_text(case: Case) -> str:
    return report_text(
        description=case.description, address=case.address, kind_label=str(case.get_kind_display())
    )


def training_rows(target: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of the handled cases for `target` (category or department), oldest first.

    Handled: a department fed back (处置反馈). The category is the case's own (as registered, after any
    correction); the department is the one of the last feedback (a return or a re-dispatch is a lesson: the
    first department was wrong)."""
    last_feedback = CaseEvent.objects.filter(
        case=OuterRef("pk"), action=Action.FEEDBACK, department__isnull=False
    ).order_by("-created_at", "-id")
    cases = (
        Case.objects.filter(category__isnull=False)
        .annotate(handled_by=Subquery(last_feedback.values("department__code")[:1]))
        .filter(handled_by__isnull=False)
        .values_list("description", "address", "kind", "category__kind", "category__code", "handled_by")
        .order_by("id")
    )
    kinds = dict(CaseKind.choices)
    texts: list[str] = []
    labels: list[str] = []
    for description, address, kind, category_kind, category_code, department in cases.iterator(
        chunk_size=5000
    ):
        texts.append(
            report_text(description=description, address=address, kind_label=str(kinds.get(kind, "")))
        )
        labels.append(f"{category_kind}:{category_code}" if target == Target.CATEGORY else department)
    return texts, labels
