"""Reads of the reply-quality scores: the latest feedback's score of a case, averages per department."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count

from civicgrid.cases.models import Case
from civicgrid.replyquality.messages import check_message
from civicgrid.replyquality.models import ReplyScore

AVERAGE_DAYS = 30


@dataclass(frozen=True)
class ShownCheck:
    code: str
    passed: bool
    message: str  # translated (replyquality.messages)


@dataclass(frozen=True)
class ShownScore:
    score: int
    created_at: datetime
    checks: list[ShownCheck]

    @property
    def tone(self) -> str:
        return "good" if self.score >= 80 else "fair" if self.score >= 50 else "poor"


def latest_score(case: Case) -> ShownScore | None:
    """The score of the case's latest feedback (处置反馈), for whoever verifies it; None before any."""
    if case.handled_at is None:  # never fed back: no score to read (the case page's query count)
        return None
    row = ReplyScore.objects.filter(case=case).order_by("-created_at", "-id").first()
    if row is None:
        return None
    checks = [ShownCheck(c["code"], c["passed"], check_message(c["code"], c["passed"])) for c in row.checks]
    return ShownScore(score=row.score, created_at=row.created_at, checks=checks)


@dataclass(frozen=True)
class DepartmentAverage:
    department: str
    average: float
    count: int


def department_averages(
    *, now: datetime, days: int = AVERAGE_DAYS, street_ids: tuple[int, ...] | None = None
) -> list[DepartmentAverage]:
    """The average reply-quality score per department over the last `days` days (with the number of
    feedbacks), lowest first: where the replies need work. `street_ids` narrows to a command area."""
    qs = ReplyScore.objects.filter(created_at__gte=now - timedelta(days=days), created_at__lte=now)
    if street_ids is not None:
        qs = qs.filter(case__street_id__in=street_ids)
    rows = (
        qs.values("department_id", "department__name")
        .annotate(average=Avg("score"), count=Count("id"))
        .order_by("average", "department__name")
    )
    return [
        DepartmentAverage(
            department=r["department__name"] or "—", average=round(float(r["average"]), 1), count=r["count"]
        )
        for r in rows
    ]
