"""A volunteer's service record (志愿服务记录): what they did, for how long, how it was judged.

The record is read from the approved sign-ups (`Signup.hours_state == approved`): hours count only once an
organiser has approved them, as the Ministry of Civil Affairs' rules ask (志愿服务记录与证明出具办法: a
service is recorded by whoever organised it). Each record line carries the ministry's fields: the activity's
name, its organiser, the date, the place, the hours, its content (type) and the recorder (the approving
organiser). A volunteer is known by their volunteer number, never by an ID-card number.

`volunteer_record` is the person's whole record (hours by month and by activity type, the activities with
their hours, the organisers' evaluations, the awards); `approved_lines` is the query every figure here, the
certificate (`certificates.py`) and the export (`export.py`) share, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from civicgrid.volunteers.models import (
    ActivityType,
    Award,
    HoursState,
    Signup,
    VolunteerProfile,
)

ZERO = Decimal("0.00")
KIND_LABELS = dict(ActivityType.choices)


def approved_lines(
    *,
    volunteer: VolunteerProfile | None = None,
    start: date | None = None,
    end: date | None = None,
    approved_until: datetime | None = None,
) -> QuerySet[Signup]:
    """Approved service records with hours: optionally one volunteer's, shifts starting on local days
    [start, end] (both included), approved no later than `approved_until`."""
    qs = Signup.objects.filter(hours_state=HoursState.APPROVED, hours_approved__gt=0)
    if volunteer is not None:
        qs = qs.filter(volunteer=volunteer)
    if start is not None:
        qs = qs.filter(shift__starts_at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(shift__starts_at__lt=_day_start(end + timedelta(days=1)))
    if approved_until is not None:
        qs = qs.filter(hours_approved_at__lte=approved_until)
    return qs


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def organiser_name(activity) -> str:
    """Who organised an activity, as the record names it: its team, else its department."""
    if activity.team_id:
        return activity.team.name
    if activity.department_id:
        return activity.department.name
    return ""


@dataclass(frozen=True)
class RecordLine:
    """One service in a record (a shift the volunteer served, with approved hours)."""

    signup_id: int
    day: date
    activity_id: int
    title: str
    kind: str
    kind_label: str
    organiser: str
    address: str
    hours: Decimal
    recorder: str
    rating: int | None
    evaluation: str


@dataclass
class VolunteerRecord:
    volunteer: VolunteerProfile
    total_hours: Decimal = ZERO
    services: int = 0  # approved shifts
    activities: int = 0  # distinct activities
    by_month: list[tuple[str, Decimal]] = field(default_factory=list)  # ("2026-11", hours), oldest first
    by_type: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (kind, label, hours), most first
    lines: list[RecordLine] = field(default_factory=list)  # newest first
    evaluations: list[RecordLine] = field(default_factory=list)  # lines the organiser rated or commented on
    awards: list[Award] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)

    @property
    def average_rating(self) -> float | None:
        rated = [line.rating for line in self.evaluations if line.rating]
        return round(sum(rated) / len(rated), 1) if rated else None


def record_lines(qs: QuerySet[Signup]) -> list[RecordLine]:
    """The record lines of approved sign-ups, newest first (three queries whatever their number)."""
    rows = qs.select_related(
        "shift__activity__team", "shift__activity__department", "hours_approved_by"
    ).order_by("-shift__starts_at", "-id")
    out = []
    for s in rows:
        activity = s.shift.activity
        recorder = s.hours_approved_by
        out.append(
            RecordLine(
                signup_id=s.pk,
                day=timezone.localdate(s.shift.starts_at),
                activity_id=activity.pk,
                title=activity.title,
                kind=activity.kind,
                kind_label=str(KIND_LABELS.get(activity.kind, activity.kind)),
                organiser=organiser_name(activity),
                address=activity.address,
                hours=s.hours_approved or ZERO,
                recorder=(recorder.real_name or recorder.phone) if recorder is not None else "",
                rating=s.rating,
                evaluation=s.evaluation,
            )
        )
    return out


def volunteer_record(
    volunteer: VolunteerProfile, *, start: date | None = None, end: date | None = None
) -> VolunteerRecord:
    """A volunteer's record: totals, hours by month and by activity type, each service, the evaluations
    and the awards (optionally for shifts on local days [start, end])."""
    lines = record_lines(approved_lines(volunteer=volunteer, start=start, end=end))
    record = VolunteerRecord(volunteer=volunteer, lines=lines)
    months: dict[str, Decimal] = {}
    kinds: dict[str, Decimal] = {}
    for line in lines:
        record.total_hours += line.hours
        months[f"{line.day:%Y-%m}"] = months.get(f"{line.day:%Y-%m}", ZERO) + line.hours
        kinds[line.kind] = kinds.get(line.kind, ZERO) + line.hours
    record.services = len(lines)
    record.activities = len({line.activity_id for line in lines})
    record.by_month = sorted(months.items())
    record.by_type = [
        (kind, str(KIND_LABELS.get(kind, kind)), hours)
        for kind, hours in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    record.evaluations = [line for line in lines if line.rating or line.evaluation]
    record.awards = list(volunteer.awards.order_by("-awarded_on", "id"))
    record.teams = list(volunteer.teams.order_by("id").values_list("name", flat=True))
    return record
