"""The dashboard's 智能分类准确率 panel: weekly accuracy of the suggestions and a table per category."""

from __future__ import annotations

from civicgrid.classifier.models import Target
from civicgrid.classifier.selectors import suggestion_accuracy


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def suggest_accuracy_context() -> dict:
    found = suggestion_accuracy()
    weeks = sorted({row.key for rows in found.weeks.values() for row in rows})
    series = {}
    for target in (Target.CATEGORY, Target.DEPARTMENT):
        by_week = {row.key: row for row in found.weeks.get(target, [])}
        series[target] = {
            "accepted": [_rate(by_week[w].accepted_rate) if w in by_week else None for w in weeks],
            "top3": [_rate(by_week[w].top3_rate) if w in by_week else None for w in weeks],
            "count": [by_week[w].count if w in by_week else 0 for w in weeks],
        }
    return {
        "suggest_accuracy": {
            "since": found.since,
            "chart": {"weeks": weeks, **series},
            "categories": found.labels.get(Target.CATEGORY, []),
            "departments": found.labels.get(Target.DEPARTMENT, []),
            "empty": not weeks,
        }
    }
