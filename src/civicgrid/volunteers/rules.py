"""The rules every volunteer service shares: who may organise, the table of sign-up moves and the one
function that applies them, the shift's places under its row lock, the hours a stay earns.

`services.py` (sign-ups, activities, hours) and `checkin.py` (check-in/out, the review queue) build on it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import F, Max
from django.utils import timezone

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Capability, is_staff_member, user_can
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from civicgrid.notifications.services import notify
from civicgrid.volunteers.models import Activity, Shift, Signup, SignupEvent, SignupState, VolunteerProfile

NOTIFY_KIND = "volunteer"  # every message of volunteer service (notifications.choices.SETTABLE_KINDS)
QUARTER = Decimal("0.25")


def checkin_before_default() -> int:
    return int(getattr(settings, "CIVICGRID_VOLUNTEER_CHECKIN_BEFORE_MIN", 60))


# --- who may do what ------------------------------------------------------------------------------


def is_admin(user: User | None) -> bool:
    return user_can(user, Capability.CONFIGURE)


def in_department(user: User, department_id: int | None) -> bool:
    """Staff of the department, or of the bureau it is a section of."""
    if department_id is None or not is_staff_member(user) or user.department_id is None:
        return False
    if user.department_id == department_id:
        return True
    return Department.objects.filter(pk=department_id, parent_id=user.department_id).exists()


def may_organise(user: User | None, activity: Activity) -> bool:
    """May `user` run `activity` (rosters, codes, walk-ups, the review queue, hours)? Its team's
    leader, a listed organiser, staff of its department (or the bureau above), an administrator."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_admin(user):
        return True
    if activity.team_id is not None and activity.team.leader_id == user.pk:
        return True
    if in_department(user, activity.department_id):
        return True
    return activity.organisers.filter(pk=user.pk).exists()


def require_organiser(user: User | None, activity: Activity) -> None:
    if not may_organise(user, activity):
        raise PermissionDenied(
            "not_organiser", "只有该活动的组织者可以这样做", "only the activity's organisers may do this"
        )


def volunteer_of(user: User | None) -> VolunteerProfile:
    profile = VolunteerProfile.objects.filter(user_id=getattr(user, "pk", None)).first()
    if profile is None:
        raise DomainError(
            "not_volunteer",
            "请先注册成为志愿者",
            "register as a volunteer first",
            field="volunteer",
            status=400,
        )
    return profile


def shift_when(shift: Shift) -> str:
    start = timezone.localtime(shift.starts_at)
    end = timezone.localtime(shift.ends_at)
    return f"{start:%m月%d日 %H:%M}–{end:%H:%M}"


# --- sign-ups: the moves --------------------------------------------------------------------------

S = SignupState
# action → (the states it moves from, the state it moves to). Who may make it is checked by the
# service that makes it (the volunteer, or an organiser: `may_organise`).
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "confirm": ((S.APPLIED, S.WAITLISTED), S.CONFIRMED),  # approved, or walked up with room
    "waitlist": ((S.APPLIED,), S.WAITLISTED),  # approved with no room left
    "promote": ((S.WAITLISTED,), S.CONFIRMED),  # a place freed: the first waitlisted moves up
    "decline": ((S.APPLIED, S.WAITLISTED), S.DECLINED),
    "cancel": ((S.APPLIED, S.CONFIRMED, S.WAITLISTED), S.CANCELLED),
    "cancel_activity": ((S.APPLIED, S.CONFIRMED, S.WAITLISTED), S.CANCELLED),
    "expire": ((S.APPLIED, S.WAITLISTED), S.CANCELLED),  # still waiting when the shift ended
    "checked_in": ((S.CONFIRMED,), S.ATTENDED),
    "no_show": ((S.CONFIRMED,), S.NO_SHOW),
    "present": ((S.NO_SHOW,), S.CONFIRMED),  # an organiser accepts, after the close, that they came
}


def move(
    signup: Signup, action: str, *, actor: User | None, note: str = "", at: datetime | None = None
) -> Signup:
    """Move a (locked) sign-up by `action` of MOVES and append its event; Conflict if it cannot."""
    sources, target = MOVES[action]
    if signup.state not in sources:
        raise Conflict(
            "signup_state",
            f"报名当前状态（{signup.get_state_display()}）不允许此操作",
            f"a sign-up that is {signup.state} cannot be moved by {action}",
        )
    at = at or clock.now()
    signup.state = target
    fields = ["state"]
    if target != S.WAITLISTED and signup.waitlist_rank is not None:
        signup.waitlist_rank = None
        fields.append("waitlist_rank")
    if target == S.CANCELLED:
        signup.cancelled_at = at
        fields.append("cancelled_at")
    if actor is not None and action in ("confirm", "waitlist", "decline"):
        signup.decided_by = actor
        fields.append("decided_by")
    signup.save(update_fields=fields)
    event_add(signup, action, actor=actor, note=note, at=at)
    return signup


def event_add(
    signup: Signup, action: str, *, actor: User | None, note: str = "", at: datetime | None = None
) -> None:
    SignupEvent.objects.create(
        signup=signup, action=action, actor=actor, note=note[:200], at=at or clock.now()
    )


def tell(signup: Signup, *, title: str, body: str, link: str = "", dedupe: str | None = None) -> None:
    """A message to the sign-up's volunteer (in the caller's transaction)."""
    notify(
        recipient=signup.volunteer.user,
        kind=NOTIFY_KIND,
        title=title,
        body=body,
        link=link or "/v/me/",
        dedupe_key=dedupe,
    )


def shift_locked(shift_id: int) -> Shift:
    shift = Shift.objects.select_for_update().filter(pk=shift_id).first()
    if shift is None:
        raise NotFound("shift_not_found", "班次不存在", "no such shift")
    return shift


def signup_locked(signup_id: int) -> Signup:
    signup = Signup.objects.select_for_update().select_related("volunteer__user").filter(pk=signup_id).first()
    if signup is None:
        raise NotFound("signup_not_found", "报名不存在", "no such sign-up")
    return signup


def seat_take(shift: Shift) -> bool:
    """Take one of the (locked) shift's places if one is left."""
    taken = Shift.objects.filter(pk=shift.pk, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    if taken:
        shift.seats_taken += 1
    return bool(taken)


def seat_free(shift: Shift) -> None:
    Shift.objects.filter(pk=shift.pk, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)
    shift.seats_taken = max(0, shift.seats_taken - 1)


def next_rank(shift: Shift) -> int:
    last = Signup.objects.filter(shift=shift).aggregate(r=Max("waitlist_rank"))["r"] or 0
    return last + 1


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- hours ----------------------------------------------------------------------------------------


def quarter_hours(seconds: float) -> Decimal:
    """Hours rounded to the nearest quarter (half a quarter rounds up), never negative."""
    quarters = (Decimal(max(0.0, seconds)) / Decimal(900)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return quarters * QUARTER


def hours_served(shift: Shift, checked_in_at: datetime, checked_out_at: datetime) -> Decimal:
    """min(check-out, shift end) − max(check-in, shift start), never negative, to 0.25 h."""
    start = max(checked_in_at, shift.starts_at)
    end = min(checked_out_at, shift.ends_at)
    return quarter_hours((end - start).total_seconds())


def shift_hours(shift: Shift) -> Decimal:
    return quarter_hours((shift.ends_at - shift.starts_at).total_seconds())
