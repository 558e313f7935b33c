"""Volunteer figures for the dashboard and the big screen (志愿服务统计).

What each figure counts, over the shifts that start on the local days [start, end]:
- active volunteers (活跃志愿者): distinct volunteers who attended at least one shift (checked in, or
  marked attended);
- service hours (服务时长): approved hours, by team, by street (the activity's) and by month;
- no-show rate (缺席率): no-shows ÷ (no-shows + attended) — cancelled, declined and waitlisted sign-ups
  never count; None when nobody was due;
- registered volunteers and upcoming activities, as of now.
A street-scoped viewer (a command area, `grids.scope`) passes `street_ids`: only activities in those
streets count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from civicgrid.core import clock
from civicgrid.volunteers.models import (
    ActivityStatus,
    HoursState,
    Shift,
    Signup,
    SignupState,
    VolunteerProfile,
)

ZERO = Decimal("0.00")


@dataclass
class VolunteerStats:
    start: date
    end: date
    volunteers: int = 0  # registered, now
    active: int = 0
    hours: Decimal = ZERO
    attended: int = 0
    no_shows: int = 0
    upcoming_activities: int = 0
    upcoming_places: int = 0  # free places on the upcoming shifts
    by_team: list[dict] = field(default_factory=list)  # {"key", "name", "hours", "volunteers"}, most first
    by_street: list[dict] = field(default_factory=list)
    by_month: list[dict] = field(default_factory=list)  # {"month": "2026-11", "hours", "volunteers"}

    @property
    def no_show_rate(self) -> float | None:
        due = self.attended + self.no_shows
        return round(self.no_shows / due, 4) if due else None

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "volunteers": self.volunteers,
            "active": self.active,
            "hours": float(self.hours),
            "attended": self.attended,
            "no_shows": self.no_shows,
            "no_show_rate": self.no_show_rate,
            "upcoming_activities": self.upcoming_activities,
            "upcoming_places": self.upcoming_places,
            "by_team": [{**r, "hours": float(r["hours"])} for r in self.by_team],
            "by_street": [{**r, "hours": float(r["hours"])} for r in self.by_street],
            "by_month": [{**r, "hours": float(r["hours"])} for r in self.by_month],
        }


def _bound(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def period_signups(start: date, end: date, street_ids: Sequence[int] | None = None) -> QuerySet[Signup]:
    """Sign-ups to shifts starting on the local days [start, end] (optionally in these streets)."""
    qs = Signup.objects.filter(
        shift__starts_at__gte=_bound(start), shift__starts_at__lt=_bound(end + timedelta(days=1))
    )
    if street_ids is not None:
        qs = qs.filter(shift__activity__street_id__in=list(street_ids))
    return qs


ATTENDED_Q = Q(state=SignupState.ATTENDED) | (
    Q(checked_in_at__isnull=False) & ~Q(state__in=[SignupState.CANCELLED, SignupState.DECLINED])
)
APPROVED_Q = Q(hours_state=HoursState.APPROVED, hours_approved__gt=0)


def _grouped(qs: QuerySet[Signup], key: str, name: str, limit: int) -> list[dict]:
    rows = (
        qs.filter(APPROVED_Q)
        .values(key, name)
        .annotate(hours=Sum("hours_approved"), volunteers=Count("volunteer", distinct=True))
        .order_by("-hours", key)[:limit]
    )
    return [
        {"key": r[key], "name": r[name] or "—", "hours": r["hours"] or ZERO, "volunteers": r["volunteers"]}
        for r in rows
    ]


def volunteer_stats(
    *,
    start: date | None = None,
    end: date | None = None,
    street_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    limit: int = 20,
    breakdowns: bool = True,
) -> VolunteerStats:
    """The figures for shifts starting on [start, end] (default: the last 30 days up to today); without
    `breakdowns`, the totals alone (three queries instead of six)."""
    now = now or clock.now()
    today = timezone.localdate(now)
    end = end or today
    start = start or end - timedelta(days=29)
    out = VolunteerStats(start=start, end=end)
    qs = period_signups(start, end, street_ids)
    row = qs.aggregate(
        active=Count("volunteer", distinct=True, filter=ATTENDED_Q),
        attended=Count("id", filter=ATTENDED_Q),
        no_shows=Count("id", filter=Q(state=SignupState.NO_SHOW)),
        hours=Sum("hours_approved", filter=APPROVED_Q),
    )
    out.active, out.attended, out.no_shows = row["active"], row["attended"], row["no_shows"]
    out.hours = row["hours"] or ZERO
    profiles = VolunteerProfile.objects.all()
    if street_ids is not None:
        profiles = profiles.filter(street_id__in=list(street_ids))
    out.volunteers = profiles.count()
    upcoming = Shift.objects.filter(starts_at__gte=now, activity__status=ActivityStatus.PUBLISHED)
    if street_ids is not None:
        upcoming = upcoming.filter(activity__street_id__in=list(street_ids))
    up = upcoming.aggregate(
        activities=Count("activity", distinct=True), capacity=Sum("capacity"), taken=Sum("seats_taken")
    )
    out.upcoming_activities = up["activities"]
    out.upcoming_places = (up["capacity"] or 0) - (up["taken"] or 0)
    if not breakdowns:
        return out
    out.by_team = _grouped(qs, "shift__activity__team_id", "shift__activity__team__name", limit)
    out.by_street = _grouped(qs, "shift__activity__street_id", "shift__activity__street__name", limit)
    months = (
        qs.filter(APPROVED_Q)
        .annotate(month=TruncMonth("shift__starts_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(hours=Sum("hours_approved"), volunteers=Count("volunteer", distinct=True))
        .order_by("month")
    )
    out.by_month = [
        {"month": f"{r['month']:%Y-%m}", "hours": r["hours"] or ZERO, "volunteers": r["volunteers"]}
        for r in months
    ]
    return out
