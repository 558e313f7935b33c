"""Reads of volunteer service for the pages and the API: activities near a place, an activity with its
shifts, my sign-ups, a shift's roster, an organiser's activities, review queue and pending hours."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import is_staff_member
from civicgrid.core import clock
from civicgrid.core.errors import NotFound
from civicgrid.grids.coords import distance_m
from civicgrid.volunteers.models import (
    Activity,
    ActivityStatus,
    AnomalyState,
    CheckAnomaly,
    HoursState,
    Shift,
    Signup,
    SignupState,
    VolunteerProfile,
)
from civicgrid.volunteers.rules import is_admin, may_organise

MAX_RADIUS_M = 50_000
NEAR_LIMIT = 200


def shifts_with_counts() -> QuerySet[Shift]:
    """Shifts with `waitlisted` (how many wait) next to `seats_taken`."""
    return (
        Shift.objects.select_related("qualification")
        .annotate(waitlisted=Count("signups", filter=Q(signups__state=SignupState.WAITLISTED)))
        .order_by("starts_at", "id")
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def activities_near(
    lat: float,
    lon: float,
    *,
    radius_m: int,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    upcoming: bool = True,
    limit: int = NEAR_LIMIT,
) -> list[Activity]:
    """Published activities within `radius_m` of the point, nearest first, each with `distance_m` and its
    (counted) shifts in `shown_shifts`: the upcoming ones (not ended), within the dates if given."""
    radius_m = max(1, min(int(radius_m), MAX_RADIUS_M))
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(0.01, math.cos(math.radians(lat))))
    shifts = Q()
    if upcoming:
        shifts &= Q(ends_at__gt=clock.now())
    if date_from is not None:
        shifts &= Q(starts_at__gte=_day_start(date_from))
    if date_to is not None:
        shifts &= Q(starts_at__lt=_day_start(date_to + timedelta(days=1)))
    candidates = Activity.objects.filter(
        status=ActivityStatus.PUBLISHED,
        lat__gte=lat - dlat,
        lat__lte=lat + dlat,
        lon__gte=lon - dlon,
        lon__lte=lon + dlon,
    )
    if kind:
        candidates = candidates.filter(kind=kind)
    if shifts:
        matching = Shift.objects.filter(shifts).values("activity_id")
        candidates = candidates.filter(pk__in=matching)
    found = []
    for activity in candidates.only("id", "lat", "lon"):
        d = distance_m(lat, lon, activity.lat, activity.lon)
        if d <= radius_m:
            found.append((d, activity.pk))
    found.sort()
    found = found[:limit]
    by_id = {
        a.pk: a
        for a in Activity.objects.filter(pk__in=[pk for _d, pk in found])
        .select_related("team")
        .prefetch_related(
            Prefetch("shifts", queryset=shifts_with_counts().filter(shifts), to_attr="shown_shifts")
        )
    }
    out = []
    for d, pk in found:
        activity = by_id[pk]
        activity.distance_m = round(d)
        out.append(activity)
    return out


def activity_detail(activity_id: int, *, viewer: User | None = None) -> Activity:
    """A published activity (or any, for its organisers) with every shift counted in `shown_shifts`."""
    activity = (
        Activity.objects.filter(pk=activity_id)
        .select_related("team", "department", "street")
        .prefetch_related(Prefetch("shifts", queryset=shifts_with_counts(), to_attr="shown_shifts"), "photos")
        .first()
    )
    if activity is None or (activity.status == ActivityStatus.DRAFT and not may_organise(viewer, activity)):
        raise NotFound("activity_not_found", "活动不存在", "no such activity")
    return activity


def profile_of(user: User | None) -> VolunteerProfile | None:
    if user is None or not user.is_authenticated:
        return None
    return VolunteerProfile.objects.filter(user=user).first()


def my_signups(user: User, *, limit: int = 200) -> QuerySet[Signup]:
    """The person's sign-ups, the latest shifts first."""
    return (
        Signup.objects.filter(volunteer__user=user)
        .select_related("shift__activity")
        .order_by("-shift__starts_at", "-id")[:limit]
    )


ROSTER_ORDER = {
    SignupState.ATTENDED: 0,
    SignupState.CONFIRMED: 1,
    SignupState.APPLIED: 2,
    SignupState.WAITLISTED: 3,
    SignupState.NO_SHOW: 4,
    SignupState.DECLINED: 5,
    SignupState.CANCELLED: 6,
}


def roster(shift: Shift) -> list[Signup]:
    """Everyone on the shift: attended, confirmed, applied, waitlisted (in order), then the rest; each
    with `position` on the waiting list (1 = next to move up) or None."""
    signups = list(Signup.objects.filter(shift=shift).select_related("volunteer"))
    signups.sort(key=lambda s: (ROSTER_ORDER.get(s.state, 9), s.waitlist_rank or 0, s.pk))
    position = 0
    for signup in signups:
        if signup.state == SignupState.WAITLISTED:
            position += 1
            signup.position = position
        else:
            signup.position = None
    return signups


def _departments_of(user: User) -> list[int]:
    if not is_staff_member(user) or user.department_id is None:
        return []
    return [
        user.department_id,
        *Department.objects.filter(parent_id=user.department_id).values_list("pk", flat=True),
    ]


def organised_activities(actor: User) -> QuerySet[Activity]:
    """The activities `actor` may organise (rules.may_organise), the newest first."""
    if is_admin(actor):
        return Activity.objects.all().order_by("-id")
    mine = Q(team__leader=actor) | Q(organisers=actor)
    departments = _departments_of(actor)
    if departments:
        mine |= Q(department_id__in=departments)
    ids = Activity.objects.filter(mine).values("pk")
    return Activity.objects.filter(pk__in=ids).order_by("-id")


def review_queue(actor: User, *, state: str = AnomalyState.OPEN) -> QuerySet[CheckAnomaly]:
    """The check-in anomalies of the activities `actor` organises, newest first."""
    queue = CheckAnomaly.objects.filter(shift__activity__in=organised_activities(actor).values("pk"))
    if state:
        queue = queue.filter(state=state)
    return queue.select_related("shift__activity", "volunteer", "signup").order_by("-id")


def pending_hours(actor: User) -> QuerySet[Signup]:
    """Sign-ups whose hours wait for `actor`'s approval, oldest shift first."""
    return (
        Signup.objects.filter(
            hours_state=HoursState.PENDING, shift__activity__in=organised_activities(actor).values("pk")
        )
        .select_related("shift__activity", "volunteer")
        .order_by("shift__starts_at", "id")
    )
