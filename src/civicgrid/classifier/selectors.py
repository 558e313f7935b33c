"""How often the suggestions were right (智能分类准确率): per ISO week and per category, from the logs.

Only resolved logs count (a final label is known). accepted: the top suggestion was chosen; top3: the chosen
label was among those shown; a department suggestion returned (退回) counts as wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from civicgrid.accounts.models import Department
from civicgrid.taxonomy.models import Category

from .models import SuggestionLog, SuggestionOutcome, Target

DEFAULT_WEEKS = 12
TOP3 = [SuggestionOutcome.ACCEPTED, SuggestionOutcome.IN_TOP3]


@dataclass(frozen=True)
class AccuracyRow:
    key: str  # an ISO week "2026-W49", or a label
    name: str  # what people read: the week, the category's or department's name
    count: int
    accepted: int
    top3: int

    @property
    def accepted_rate(self) -> float | None:
        return self.accepted / self.count if self.count else None

    @property
    def top3_rate(self) -> float | None:
        return self.top3 / self.count if self.count else None


@dataclass(frozen=True)
class Accuracy:
    since: datetime
    weeks: dict[str, list[AccuracyRow]]  # target → one row per ISO week, oldest first
    labels: dict[str, list[AccuracyRow]]  # target → one row per final label, most logs first


def _counts():
    return {
        "count": Count("id"),
        "accepted": Count("id", filter=Q(outcome=SuggestionOutcome.ACCEPTED)),
        "top3": Count("id", filter=Q(outcome__in=TOP3)),
    }


def iso_week(day) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _label_names(target: str, labels: list[str]) -> dict[str, str]:
    if target == Target.CATEGORY:
        codes = [label.split(":", 1)[-1] for label in labels]
        return {
            f"{c.kind}:{c.code}": f"{c.code} {c.name}"
            for c in Category.objects.filter(code__in=codes).only("kind", "code", "name")
        }
    if target == Target.DEPARTMENT:
        return dict(Department.objects.filter(code__in=labels).values_list("code", "name"))
    return {}


def suggestion_accuracy(*, weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> Accuracy:
    """Accuracy of the category and department suggestions resolved in the last `weeks` ISO weeks."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday() + 7 * (max(weeks, 1) - 1))
    since = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    logs = SuggestionLog.objects.filter(created_at__gte=since, resolved_at__isnull=False).exclude(
        outcome=SuggestionOutcome.PENDING
    )
    by_week: dict[str, list[AccuracyRow]] = {Target.CATEGORY: [], Target.DEPARTMENT: []}
    rows = (
        logs.annotate(week=TruncWeek("created_at"))
        .values("target", "week")
        .annotate(**_counts())
        .order_by("target", "week")
    )
    for row in rows:
        week = iso_week(row["week"])
        by_week.setdefault(row["target"], []).append(
            AccuracyRow(week, week, row["count"], row["accepted"], row["top3"])
        )
    by_label: dict[str, list[AccuracyRow]] = {Target.CATEGORY: [], Target.DEPARTMENT: []}
    rows = list(
        logs.values("target", "chosen_label")
        .annotate(**_counts())
        .order_by("target", "-count", "chosen_label")
    )
    for target in {row["target"] for row in rows}:
        names = _label_names(target, [row["chosen_label"] for row in rows if row["target"] == target])
        by_label[target] = [
            AccuracyRow(
                row["chosen_label"],
                names.get(row["chosen_label"], row["chosen_label"]),
                row["count"],
                row["accepted"],
                row["top3"],
            )
            for row in rows
            if row["target"] == target
        ]
    return Accuracy(since=since, weeks=by_week, labels=by_label)
