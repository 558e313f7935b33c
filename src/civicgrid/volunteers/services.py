"""Writes of volunteer service: profiles, teams, activities and shifts, sign-ups, check-in/out, hours.

Every function is keyword-only and runs in one transaction. The rules, and where each is kept:

- Places: `Shift.seats_taken` counts the sign-ups that hold a place (confirmed, attended) and changes
  only under the shift's row lock (`shift_locked`, SELECT … FOR UPDATE; on SQLite every write
  transaction is BEGIN IMMEDIATE, one writer at a time); the database refuses seats_taken > capacity.
  Every write that touches a shift's sign-ups takes the shift's lock first, then the sign-up's.
- One active sign-up (applied, confirmed, waitlisted) per person and shift: the partial unique
  constraint `vol_one_active_signup_per_shift`, checked here first for a clear error.
- The waiting list is ordered by `waitlist_rank`; a place that frees goes to the lowest (`_promote`).
- Every change of a sign-up appends a SignupEvent (append-only in the database).
- Sign-up moves are the table `MOVES` (from-states, who) and one function `move` that checks,
  writes the state and the event.
- The moves, the places and the hours arithmetic: `rules.py`; check-in/out and the review queue:
  `checkin.py` (re-exported here); hours and points: `hours_approve` below.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import is_staff_member
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.text import phone_check, text_check
from civicgrid.grids.models import Community, Street
from civicgrid.points.services import volunteer_hours_award
from civicgrid.volunteers.checkin import (  # noqa: F401  (the check-in services are part of this interface)
    CheckResult,
    anomaly_decide,
    check_in,
    check_out,
    organiser_check_in,
    organiser_check_out,
    remind_upcoming,
    shift_close,
    shifts_close_due,
)
from civicgrid.volunteers.codes import personal_code, personal_code_url, venue_code  # noqa: F401
from civicgrid.volunteers.geo import area_shape
from civicgrid.volunteers.models import (
    ACTIVE_STATES,
    Activity,
    ActivityStatus,
    ActivityType,
    HoursState,
    Qualification,
    Shift,
    Signup,
    SignupMethod,
    SignupState,
    Team,
    TeamMembership,
    VolunteerProfile,
)
from civicgrid.volunteers.rules import (  # noqa: F401  (may_organise and volunteer_of: part of this interface)
    MOVES,
    age_on,
    checkin_before_default,
    event_add,
    in_department,
    is_admin,
    may_organise,
    move,
    next_rank,
    quarter_hours,
    require_organiser,
    seat_free,
    seat_take,
    shift_hours,
    shift_locked,
    shift_when,
    signup_locked,
    tell,
    volunteer_of,
)

S = SignupState
MAX_CAPACITY = 10_000
MAX_SHIFT_HOURS = 24


# --- profiles and teams ---------------------------------------------------------------------------


@transaction.atomic
def volunteer_register(
    *,
    user: User,
    real_name: str,
    phone: str,
    birth_date: date | None = None,
    skills: Sequence[str] = (),
    street: Street | None = None,
    consent: bool = True,
) -> VolunteerProfile:
    """Register `user` as a volunteer (注册志愿者), or update their profile; consent is required."""
    if not consent:
        raise DomainError(
            "consent_required", "请阅读并同意志愿服务协议", "agree to the volunteer terms", field="consent"
        )
    real_name = text_check(real_name, field="real_name", max_length=40, required=True)
    phone = phone_check(phone or user.phone, field="phone", required=True)
    if birth_date is not None:
        clock.check_day(birth_date, field="birth_date")
        if birth_date > clock.now().date():
            raise DomainError(
                "birth_date_invalid",
                "出生日期不能晚于今天",
                "the birth date is in the future",
                field="birth_date",
            )
    skills = [text_check(s, field="skills", max_length=30, required=True) for s in skills]
    if len(skills) > 20:
        raise DomainError("skills_too_many", "技能最多 20 项", "at most 20 skills", field="skills")
    profile = VolunteerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        try:
            with transaction.atomic():  # a savepoint: a second registration at the same moment updates
                return VolunteerProfile.objects.create(
                    user=user,
                    # The volunteer number (志愿者编号): one account, one profile, so the account's id is unique.
                    number=f"ZY{user.pk:010d}",
                    real_name=real_name,
                    phone=phone,
                    birth_date=birth_date,
                    skills=skills,
                    street=street,
                    consent_at=clock.now(),
                    created_at=clock.now(),
                )
        except IntegrityError:
            profile = VolunteerProfile.objects.select_for_update().get(user=user)
    profile.real_name, profile.phone, profile.birth_date = real_name, phone, birth_date
    profile.skills, profile.street = skills, street
    profile.save(update_fields=["real_name", "phone", "birth_date", "skills", "street"])
    return profile


@transaction.atomic
def qualification_grant(*, volunteer: VolunteerProfile, qualification: Qualification, actor: User) -> None:
    if not is_admin(actor) and not is_staff_member(actor):
        raise PermissionDenied("forbidden", "无权认定志愿资质", "not allowed to record qualifications")
    volunteer.qualifications.add(qualification)


@transaction.atomic
def team_create(
    *,
    name: str,
    leader: User | None,
    street: Street | None = None,
    community: Community | None = None,
    department: Department | None = None,
    actor: User,
    description: str = "",
) -> Team:
    """A team (队伍) of a street or community. Administrators, or staff of its department."""
    if not (is_admin(actor) or in_department(actor, getattr(department, "pk", None))):
        raise PermissionDenied(
            "forbidden",
            "只有管理员或主管部门工作人员可以建立队伍",
            "only administrators or its department may create a team",
        )
    name = text_check(name, field="name", max_length=100, required=True)
    description = text_check(description, field="description", max_length=2000)
    if community is not None and street is None:
        street = community.street
    return Team.objects.create(
        name=name,
        leader=leader,
        street=street,
        community=community,
        department=department,
        description=description,
        created_at=clock.now(),
    )


@transaction.atomic
def team_join(*, team: Team, volunteer: VolunteerProfile) -> TeamMembership:
    membership, _ = TeamMembership.objects.get_or_create(
        team=team, volunteer=volunteer, defaults={"joined_at": clock.now()}
    )
    return membership


# --- activities and shifts ------------------------------------------------------------------------


def _area_check(area) -> dict | None:
    if area in (None, "", {}):
        return None
    area_shape(area)  # refuses what is not a valid polygon
    return area


def _coordinates_check(lat: float, lon: float) -> tuple[float, float]:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise DomainError("location_invalid", "坐标无效", "invalid coordinates", field="lat") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError("location_invalid", "坐标超出范围", "coordinates out of range", field="lat")
    return lat, lon


@transaction.atomic
def activity_create(
    *,
    actor: User,
    title: str,
    kind: str,
    address: str,
    lat: float,
    lon: float,
    description: str = "",
    team: Team | None = None,
    department: Department | None = None,
    street: Street | None = None,
    area: dict | None = None,
    fence_m: int = 300,
    publish: bool = True,
) -> Activity:
    """An activity organised by a team (its leader creates it) or a department (its staff)."""
    if team is not None:
        allowed = team.leader_id == actor.pk or is_admin(actor) or in_department(actor, team.department_id)
    elif department is not None:
        allowed = is_admin(actor) or in_department(actor, department.pk)
    else:
        if is_staff_member(actor) and actor.department_id is not None:
            department = actor.department
        allowed = department is not None or is_admin(actor)
    if not allowed:
        raise PermissionDenied(
            "forbidden",
            "只有队长、主管部门工作人员或管理员可以发布志愿活动",
            "only a team leader, the department's staff or an administrator may create activities",
        )
    title = text_check(title, field="title", max_length=100, required=True)
    address = text_check(address, field="address", max_length=200, required=True)
    description = text_check(description, field="description", max_length=5000)
    if kind not in ActivityType.values:
        raise DomainError(
            "kind_invalid", f"未知的活动类型：{kind}", f"unknown activity type {kind!r}", field="kind"
        )
    lat, lon = _coordinates_check(lat, lon)
    if not isinstance(fence_m, int) or not 10 <= fence_m <= 20_000:
        raise DomainError(
            "fence_invalid", "签到范围应在 10–20000 米之间", "the fence must be 10–20000 m", field="fence_m"
        )
    activity = Activity.objects.create(
        title=title,
        kind=kind,
        description=description,
        team=team,
        department=department,
        created_by=actor,
        street=street or (team.street if team is not None else None),
        address=address,
        lat=lat,
        lon=lon,
        area=_area_check(area),
        fence_m=fence_m,
        status=ActivityStatus.PUBLISHED if publish else ActivityStatus.DRAFT,
        venue_secret=secrets.token_hex(16),
        created_at=clock.now(),
    )
    activity.organisers.add(actor)
    return activity


@transaction.atomic
def activity_publish(*, activity: Activity, actor: User) -> Activity:
    require_organiser(actor, activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict("activity_cancelled", "活动已取消", "the activity was cancelled")
    activity.status = ActivityStatus.PUBLISHED
    activity.save(update_fields=["status"])
    return activity


@transaction.atomic
def activity_cancel(*, activity: Activity, actor: User, reason: str) -> Activity:
    """Cancel the activity: every active sign-up of its shifts is cancelled and told why."""
    require_organiser(actor, activity)
    reason = text_check(reason, field="reason", max_length=200, required=True)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict("activity_cancelled", "活动已取消", "the activity was already cancelled")
    activity.status = ActivityStatus.CANCELLED
    activity.save(update_fields=["status"])
    for shift in activity.shifts.all():
        shift = shift_locked(shift.pk)
        for signup in shift.signups.filter(state__in=ACTIVE_STATES).select_related("volunteer__user"):
            was_seated = signup.state == SignupState.CONFIRMED
            move(signup, "cancel_activity", actor=actor, note=reason)
            if was_seated:
                Shift.objects.filter(pk=shift.pk).update(seats_taken=F("seats_taken") - 1)
            tell(
                signup,
                title=f"志愿活动已取消：{activity.title}",
                body=f"您报名的「{activity.title}」（{shift_when(shift)}）已取消。原因：{reason}",
            )
    return activity


def activity_venue_reset(*, activity: Activity, actor: User) -> Activity:
    """Replace the activity's venue secret: every venue code shown so far stops working."""
    require_organiser(actor, activity)
    Activity.objects.filter(pk=activity.pk).update(venue_secret=secrets.token_hex(16))
    activity.refresh_from_db(fields=["venue_secret"])
    return activity


@transaction.atomic
def shift_add(
    *,
    activity: Activity,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    method: str = SignupMethod.INSTANT,
    signup_deadline: datetime | None = None,
    qualification: Qualification | None = None,
    min_age: int | None = None,
    waitlist: bool = True,
    checkin_before_min: int | None = None,
    checkout_after_min: int = 60,
) -> Shift:
    require_organiser(actor, activity)
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict("activity_cancelled", "活动已取消", "the activity was cancelled")
    if ends_at <= starts_at:
        raise DomainError(
            "shift_times_invalid",
            "结束时间应晚于开始时间",
            "the end must be after the start",
            field="ends_at",
        )
    if ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        raise DomainError(
            "shift_too_long", "一个班次不超过 24 小时", "a shift lasts at most 24 hours", field="ends_at"
        )
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(
            "capacity_invalid",
            f"名额应在 1–{MAX_CAPACITY} 之间",
            f"capacity must be 1–{MAX_CAPACITY}",
            field="capacity",
        )
    if method not in SignupMethod.values:
        raise DomainError(
            "method_invalid", "未知的报名方式", f"unknown sign-up method {method!r}", field="method"
        )
    if signup_deadline is not None and signup_deadline > ends_at:
        raise DomainError(
            "deadline_invalid",
            "报名截止时间不能晚于班次结束",
            "the deadline is after the shift's end",
            field="signup_deadline",
        )
    if min_age is not None and not 0 <= min_age <= 100:
        raise DomainError(
            "min_age_invalid", "最低年龄应在 0–100 之间", "minimum age must be 0–100", field="min_age"
        )
    before = checkin_before_default() if checkin_before_min is None else checkin_before_min
    for value, field in ((before, "checkin_before_min"), (checkout_after_min, "checkout_after_min")):
        if not 0 <= value <= 24 * 60:
            raise DomainError(
                "window_invalid",
                "签到时间窗应在 0–1440 分钟",
                "the window must be 0–1440 minutes",
                field=field,
            )
    return Shift.objects.create(
        activity=activity,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        method=method,
        signup_deadline=signup_deadline,
        qualification=qualification,
        min_age=min_age,
        waitlist=waitlist,
        checkin_before_min=before,
        checkout_after_min=checkout_after_min,
    )


@transaction.atomic
def activity_copy(*, activity: Activity, actor: User, days: int = 7) -> Activity:
    """A copy of the activity ("copy last week's"): same place and organisers, shifts moved by `days`."""
    require_organiser(actor, activity)
    if not isinstance(days, int) or not 1 <= days <= 366:
        raise DomainError("days_invalid", "天数应在 1–366 之间", "days must be 1–366", field="days")
    delta = timedelta(days=days)
    copy = Activity.objects.create(
        title=activity.title,
        kind=activity.kind,
        description=activity.description,
        team=activity.team,
        department=activity.department,
        created_by=actor,
        street=activity.street,
        address=activity.address,
        lat=activity.lat,
        lon=activity.lon,
        area=activity.area,
        fence_m=activity.fence_m,
        status=ActivityStatus.DRAFT if activity.status == ActivityStatus.CANCELLED else activity.status,
        venue_secret=secrets.token_hex(16),
        created_at=clock.now(),
    )
    copy.organisers.set([*activity.organisers.all(), actor])
    for shift in activity.shifts.all():
        Shift.objects.create(
            activity=copy,
            starts_at=shift.starts_at + delta,
            ends_at=shift.ends_at + delta,
            capacity=shift.capacity,
            method=shift.method,
            signup_deadline=shift.signup_deadline + delta if shift.signup_deadline else None,
            qualification=shift.qualification,
            min_age=shift.min_age,
            waitlist=shift.waitlist,
            checkin_before_min=shift.checkin_before_min,
            checkout_after_min=shift.checkout_after_min,
        )
    return copy


def _signup_rules(shift: Shift, volunteer: VolunteerProfile, now: datetime) -> None:
    if shift.activity.status != ActivityStatus.PUBLISHED:
        raise Conflict("activity_not_open", "活动未发布或已取消", "the activity is not open for sign-up")
    deadline = shift.signup_deadline or shift.starts_at
    if now >= min(deadline, shift.ends_at):
        raise DomainError("signup_closed", "报名已截止", "sign-up has closed", field="shift", status=400)
    if shift.min_age:
        if volunteer.birth_date is None:
            raise DomainError(
                "birth_date_required",
                f"该班次要求年满 {shift.min_age} 岁，请先在志愿者资料中填写出生日期",
                f"this shift requires age {shift.min_age}: add your birth date to your profile",
                field="birth_date",
                status=400,
            )
        if age_on(volunteer.birth_date, timezone.localtime(shift.starts_at).date()) < shift.min_age:
            raise DomainError(
                "too_young",
                f"该班次要求年满 {shift.min_age} 岁",
                f"this shift requires age {shift.min_age}",
                field="shift",
                status=400,
            )
    if shift.qualification_id and not volunteer.qualifications.filter(pk=shift.qualification_id).exists():
        raise DomainError(
            "qualification_required",
            f"该班次要求资质：{shift.qualification.name}",
            f"this shift requires the qualification {shift.qualification.code}",
            field="shift",
            status=400,
        )
    if Signup.objects.filter(
        shift=shift, volunteer=volunteer, state__in=(*ACTIVE_STATES, S.ATTENDED)
    ).exists():
        raise Conflict("already_signed_up", "您已报名该班次", "you have already signed up for this shift")


def signup_apply(*, shift: Shift, user: User, now: datetime | None = None) -> Signup:
    """Sign `user` up: confirmed while there is room (instant), applied (organiser approval), else
    waitlisted; a full shift without a waiting list is refused (409 shift_full)."""
    volunteer = volunteer_of(user)
    now = now or clock.now()
    try:
        with transaction.atomic():
            shift = shift_locked(shift.pk)
            _signup_rules(shift, volunteer, now)
            room = shift.seats_taken < shift.capacity
            if shift.method == SignupMethod.APPROVAL:
                state = S.APPLIED if (room or shift.waitlist) else None
            elif room:
                state = S.CONFIRMED
            else:
                state = S.WAITLISTED if shift.waitlist else None
            if state is None:
                raise Conflict("shift_full", "该班次名额已满", "this shift is full")
            if state == S.CONFIRMED and not seat_take(shift):
                raise Conflict("shift_full", "该班次名额已满", "this shift is full")
            signup = Signup.objects.create(
                shift=shift,
                volunteer=volunteer,
                state=state,
                created_at=now,
                waitlist_rank=next_rank(shift) if state == S.WAITLISTED else None,
            )
            event_add(signup, "applied", actor=user, at=now)
            if state != S.APPLIED:
                event_add(signup, "confirmed" if state == S.CONFIRMED else "waitlisted", actor=None, at=now)
            return signup
    except IntegrityError as exc:  # the partial unique constraint: a second request of the same person
        if Signup.objects.filter(shift_id=shift.pk, volunteer=volunteer, state__in=ACTIVE_STATES).exists():
            raise Conflict(
                "already_signed_up", "您已报名该班次", "you have already signed up for this shift"
            ) from exc
        raise


def waitlist_position(signup: Signup) -> int | None:
    """1 for the first waitlisted of the shift, …; None when not waitlisted."""
    if signup.state != S.WAITLISTED or signup.waitlist_rank is None:
        return None
    ahead = Signup.objects.filter(
        shift_id=signup.shift_id, state=S.WAITLISTED, waitlist_rank__lt=signup.waitlist_rank
    ).count()
    return ahead + 1


def _promote(shift: Shift, *, actor: User | None) -> list[Signup]:
    """Fill the (locked) shift's free places from its waiting list, in order, and tell who moved up."""
    promoted = []
    while shift.seats_taken < shift.capacity:
        first = (
            Signup.objects.select_for_update()
            .select_related("volunteer__user")
            .filter(shift=shift, state=S.WAITLISTED)
            .order_by("waitlist_rank", "id")
            .first()
        )
        if first is None or not seat_take(shift):
            break
        move(first, "promote", actor=actor)
        tell(
            first,
            title=f"候补成功：{shift.activity.title}",
            body=f"有人取消了报名，您已从候补转为正式报名：「{shift.activity.title}」{shift_when(shift)}，地点：{shift.activity.address}。",
        )
        promoted.append(first)
    return promoted


@transaction.atomic
def signup_approve(*, signup: Signup, actor: User) -> Signup:
    """Approve an application (organiser approval shifts): confirmed if there is room, else waitlisted."""
    shift = shift_locked(signup.shift_id)
    require_organiser(actor, shift.activity)
    signup = signup_locked(signup.pk)
    if signup.state != S.APPLIED:
        raise Conflict("signup_state", "只能审核待审核的报名", "only an application can be approved")
    if seat_take(shift):
        move(signup, "confirm", actor=actor)
        tell(
            signup,
            title=f"报名已通过：{shift.activity.title}",
            body=f"您报名的「{shift.activity.title}」（{shift_when(shift)}）已通过审核。",
        )
    elif shift.waitlist:
        signup.waitlist_rank = next_rank(shift)
        signup.save(update_fields=["waitlist_rank"])
        move(signup, "waitlist", actor=actor)
        signup.waitlist_rank = Signup.objects.get(pk=signup.pk).waitlist_rank
        tell(
            signup,
            title=f"已列入候补：{shift.activity.title}",
            body=f"「{shift.activity.title}」（{shift_when(shift)}）名额已满，您已列入候补，有空位时会通知您。",
        )
    else:
        raise Conflict("shift_full", "该班次名额已满", "this shift is full")
    return signup


@transaction.atomic
def signup_decline(*, signup: Signup, actor: User, reason: str) -> Signup:
    shift = shift_locked(signup.shift_id)
    require_organiser(actor, shift.activity)
    reason = text_check(reason, field="reason", max_length=200, required=True)
    signup = signup_locked(signup.pk)
    move(signup, "decline", actor=actor, note=reason)
    tell(
        signup,
        title=f"报名未通过：{shift.activity.title}",
        body=f"您报名的「{shift.activity.title}」（{shift_when(shift)}）未通过审核。原因：{reason}",
    )
    return signup


@transaction.atomic
def signup_cancel(*, signup: Signup, actor: User, reason: str = "") -> Signup:
    """Cancel a sign-up (the volunteer, before the shift starts; an organiser, any time before its
    end): a place it held goes to the first waitlisted, who is told."""
    shift = shift_locked(signup.shift_id)
    signup = signup_locked(signup.pk)
    reason = text_check(reason, field="reason", max_length=200)
    own = signup.volunteer.user_id == actor.pk
    organiser = may_organise(actor, shift.activity)
    if not own and not organiser:
        raise PermissionDenied(
            "forbidden", "不能取消他人的报名", "you may not cancel another person's sign-up"
        )
    now = clock.now()
    if not organiser and now >= shift.starts_at:
        raise Conflict(
            "shift_started",
            "班次已开始，不能取消报名，请联系组织者",
            "the shift has started: ask the organiser",
        )
    was_seated = signup.state == S.CONFIRMED
    move(signup, "cancel", actor=actor, note=reason)
    if not own:
        tell(
            signup,
            title=f"报名已被取消：{shift.activity.title}",
            body=f"组织者取消了您在「{shift.activity.title}」（{shift_when(shift)}）的报名。"
            + (f"原因：{reason}" if reason else ""),
        )
    if was_seated:
        seat_free(shift)
        if now < shift.ends_at:
            _promote(shift, actor=None)
    return signup


@transaction.atomic
def hours_approve(
    *,
    signup: Signup,
    actor: User,
    hours: Decimal | float | int | str | None = None,
    note: str = "",
    rating: int | None = None,
    evaluation: str = "",
) -> Signup:
    """Approve (审定) a sign-up's pending hours, or a corrected number with a note; approved hours
    become points once (source key volunteer:signup:<id>). Approving again is refused (409)."""
    shift = Shift.objects.select_related("activity").get(pk=signup.shift_id)
    require_organiser(actor, shift.activity)
    signup = signup_locked(signup.pk)
    if signup.hours_state == HoursState.APPROVED or signup.hours_state == HoursState.REJECTED:
        raise Conflict("hours_already_approved", "该记录的时长已审定", "these hours were already approved")
    if signup.hours_state != HoursState.PENDING:
        raise Conflict("hours_not_pending", "该报名没有待审定的时长", "there are no hours to approve")
    note = text_check(note, field="note", max_length=200)
    evaluation = text_check(evaluation, field="evaluation", max_length=200)
    if rating is not None and (not isinstance(rating, int) or not 1 <= rating <= 5):
        raise DomainError("rating_invalid", "评价应为 1–5 星", "the rating must be 1–5", field="rating")
    claimed = signup.hours_claimed or Decimal(0)
    if hours is None:
        approved = claimed
    else:
        try:
            approved = Decimal(str(hours))
        except ArithmeticError as exc:
            raise DomainError("hours_invalid", "时长无效", "invalid hours", field="hours") from exc
        if not approved.is_finite() or approved < 0 or approved > shift_hours(shift):
            raise DomainError(
                "hours_invalid",
                f"认定时长应在 0–{shift_hours(shift)} 小时之间（不超过班次时长）",
                f"hours must be 0–{shift_hours(shift)} (at most the shift)",
                field="hours",
            )
        approved = quarter_hours(float(approved) * 3600)
        if approved != claimed and not note:
            raise DomainError(
                "note_required",
                "认定时长与计算时长不同，请说明理由",
                "explain why the hours differ",
                field="note",
            )
    now = clock.now()
    signup.hours_approved = approved
    signup.hours_state = HoursState.APPROVED if approved > 0 else HoursState.REJECTED
    signup.hours_note = note or signup.hours_note
    signup.hours_approved_by = actor
    signup.hours_approved_at = now
    signup.rating = rating if rating is not None else signup.rating
    signup.evaluation = evaluation or signup.evaluation
    signup.save(
        update_fields=[
            "hours_approved",
            "hours_state",
            "hours_note",
            "hours_approved_by",
            "hours_approved_at",
            "rating",
            "evaluation",
        ]
    )
    action = "hours_approved" if approved == claimed else "hours_corrected"
    event_add(signup, action, actor=actor, note=f"{approved} 小时" + (f"：{note}" if note else ""), at=now)
    if approved > 0:
        volunteer_hours_award(
            person=signup.volunteer.user,
            hours=approved,
            source_key=f"volunteer:signup:{signup.pk}",
            actor=actor,
            note=f"志愿服务「{shift.activity.title}」{approved} 小时",
            source_id=str(signup.pk),
        )
    tell(
        signup,
        title=f"志愿时长已审定：{approved} 小时",
        body=f"「{shift.activity.title}」（{shift_when(shift)}）认定志愿时长 {approved} 小时。"
        + (f"说明：{note}" if note else ""),
        link="/v/me/hours/",
    )
    return signup


@transaction.atomic
def roster_message(*, shift: Shift, actor: User, text: str) -> int:
    """Tell everyone confirmed (checked in or not) or waitlisted on the shift; how many were told."""
    shift = Shift.objects.select_related("activity").get(pk=shift.pk)
    require_organiser(actor, shift.activity)
    text = text_check(text, field="text", max_length=500, required=True)
    signups = shift.signups.filter(state__in=(S.CONFIRMED, S.ATTENDED, S.WAITLISTED)).select_related(
        "volunteer__user"
    )
    count = 0
    for signup in signups:
        tell(signup, title=f"活动通知：{shift.activity.title}", body=text)
        count += 1
    return count
