"""Volunteer service API (mounted at /api/volunteers): my profile, activities near me, sign up and
cancel, my sign-ups, check-in/out with the venue code; for organisers: activities and shifts, the
venue code, the roster, approvals, walk-ups, the review queue and hours. Scope `volunteers:use`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.volunteers import selectors, services
from civicgrid.volunteers.models import (
    Activity,
    ActivityType,
    CheckAnomaly,
    Qualification,
    Shift,
    Signup,
    SignupMethod,
    Team,
)

router = Router(tags=["volunteers"], auth=AUTH)


# --- schemas --------------------------------------------------------------------------------------


class ProfileIn(Schema):
    real_name: str = Field(..., min_length=1, max_length=40)
    phone: str = Field("", max_length=20)
    birth_date: date | None = None
    skills: list[str] = Field(default_factory=list, max_length=20)
    consent: bool


class ProfileOut(Schema):
    id: int
    number: str
    real_name: str
    phone: str
    birth_date: date | None
    skills: list[str]
    personal_code: str
    personal_code_url: str


class ShiftOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    waitlisted: int
    method: str
    signup_deadline: datetime | None
    qualification: str | None
    min_age: int | None
    waitlist: bool


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    status: str
    description: str
    address: str
    lat: float
    lon: float
    area: dict | None
    fence_m: int
    team: str | None
    distance_m: int | None
    shifts: list[ShiftOut]


class NearIn(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    radius_m: int = Field(5000, ge=1, le=selectors.MAX_RADIUS_M)
    kind: ActivityType | None = None
    date_from: date | None = None
    date_to: date | None = None


class SignupOut(Schema):
    id: int
    shift_id: int
    activity_id: int
    activity_title: str
    starts_at: datetime
    ends_at: datetime
    state: str
    waitlist_position: int | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    hours_state: str
    hours_claimed: Decimal | None
    hours_approved: Decimal | None


class RosterOut(Schema):
    id: int
    volunteer_number: str
    real_name: str
    state: str
    waitlist_position: int | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    checked_in_by_organiser: bool
    hours_state: str
    hours_claimed: Decimal | None
    hours_approved: Decimal | None


class ScanIn(Schema):
    token: str = Field(..., min_length=1, max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class AnomalyOut(Schema):
    id: int
    kind: str
    kind_label: str
    direction: str
    detail: str
    at: datetime
    state: str
    shift_id: int
    activity_title: str
    volunteer_number: str
    real_name: str
    signup_id: int | None
    decision_note: str


class CheckResultOut(Schema):
    accepted: bool
    message: str
    signup: SignupOut | None
    anomaly: AnomalyOut | None


class ActivityIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    kind: ActivityType
    address: str = Field(..., min_length=1, max_length=200)
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    description: str = Field("", max_length=5000)
    team_id: int | None = None
    area: dict[str, Any] | None = None
    fence_m: int = Field(300, ge=10, le=20_000)
    publish: bool = True


class ShiftIn(Schema):
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(..., ge=1, le=10_000)
    method: SignupMethod = SignupMethod.INSTANT
    signup_deadline: datetime | None = None
    qualification: str | None = Field(None, max_length=32)
    min_age: int | None = Field(None, ge=0, le=100)
    waitlist: bool = True
    checkin_before_min: int | None = Field(None, ge=0, le=1440)
    checkout_after_min: int = Field(60, ge=0, le=1440)


class CopyIn(Schema):
    days: int = Field(7, ge=1, le=366)


class VenueCodeOut(Schema):
    token: str
    url: str
    expires_at: datetime


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


class WalkupIn(Schema):
    personal_token: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=20)
    direction: Literal["in", "out"] = "in"


class DecideIn(Schema):
    accept: bool
    note: str = Field("", max_length=200)


class AnomalyFilter(Schema):
    state: Literal["open", "accepted", "rejected", ""] = "open"
    limit: int = Field(100, ge=1, le=500)


class HoursIn(Schema):
    hours: Decimal | None = Field(None, ge=0, le=24)
    note: str = Field("", max_length=200)
    rating: int | None = Field(None, ge=1, le=5)
    evaluation: str = Field("", max_length=200)


class MessageIn(Schema):
    text: str = Field(..., min_length=1, max_length=500)


class CountOut(Schema):
    count: int


# --- builders -------------------------------------------------------------------------------------


def _shift_out(shift: Shift) -> ShiftOut:
    return ShiftOut(
        id=shift.pk,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        capacity=shift.capacity,
        taken=shift.seats_taken,
        waitlisted=getattr(shift, "waitlisted", 0),
        method=shift.method,
        signup_deadline=shift.signup_deadline,
        qualification=shift.qualification.name if shift.qualification_id else None,
        min_age=shift.min_age,
        waitlist=shift.waitlist,
    )


def _activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut(
        id=activity.pk,
        title=activity.title,
        kind=activity.kind,
        kind_label=activity.get_kind_display(),
        status=activity.status,
        description=activity.description,
        address=activity.address,
        lat=activity.lat,
        lon=activity.lon,
        area=activity.area,
        fence_m=activity.fence_m,
        team=activity.team.name if activity.team_id else None,
        distance_m=getattr(activity, "distance_m", None),
        shifts=[_shift_out(s) for s in getattr(activity, "shown_shifts", [])],
    )


def _signup_out(signup: Signup) -> SignupOut:
    shift = signup.shift
    return SignupOut(
        id=signup.pk,
        shift_id=shift.pk,
        activity_id=shift.activity_id,
        activity_title=shift.activity.title,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        state=signup.state,
        waitlist_position=services.waitlist_position(signup),
        checked_in_at=signup.checked_in_at,
        checked_out_at=signup.checked_out_at,
        hours_state=signup.hours_state,
        hours_claimed=signup.hours_claimed,
        hours_approved=signup.hours_approved,
    )


def _anomaly_out(a: CheckAnomaly) -> AnomalyOut:
    return AnomalyOut(
        id=a.pk,
        kind=a.kind,
        kind_label=a.get_kind_display(),
        direction=a.direction,
        detail=a.detail,
        at=a.at,
        state=a.state,
        shift_id=a.shift_id,
        activity_title=a.shift.activity.title,
        volunteer_number=a.volunteer.number,
        real_name=a.volunteer.real_name,
        signup_id=a.signup_id,
        decision_note=a.decision_note,
    )


def _check_out(result: services.CheckResult) -> CheckResultOut:
    signup = None
    if result.signup is not None:
        signup = Signup.objects.select_related("shift__activity").get(pk=result.signup.pk)
    return CheckResultOut(
        accepted=result.accepted,
        message=result.message,
        signup=_signup_out(signup) if signup is not None else None,
        anomaly=_anomaly_out(result.anomaly) if result.anomaly is not None else None,
    )


def _activity(activity_id: int) -> Activity:
    activity = Activity.objects.select_related("team").filter(pk=activity_id).first()
    if activity is None:
        raise NotFound("activity_not_found", "活动不存在", "no such activity")
    return activity


def _shift(shift_id: int) -> Shift:
    shift = Shift.objects.select_related("activity__team").filter(pk=shift_id).first()
    if shift is None:
        raise NotFound("shift_not_found", "班次不存在", "no such shift")
    return shift


def _signup(signup_id: int) -> Signup:
    signup = Signup.objects.select_related("shift__activity", "volunteer").filter(pk=signup_id).first()
    if signup is None:
        raise NotFound("signup_not_found", "报名不存在", "no such sign-up")
    return signup


def _organised(request, activity: Activity) -> None:
    """An organiser's endpoint: someone who may not organise the activity learns nothing of it (404)."""
    if not services.may_organise(request.auth, activity):
        raise NotFound("activity_not_found", "活动不存在", "no such activity")


# --- volunteers -----------------------------------------------------------------------------------


@router.post("/profile", response={201: ProfileOut})
@api_scope(Scope.VOLUNTEERS_USE)
def profile(request, body: ProfileIn):
    """Register as a volunteer (注册志愿者), or update my profile; `consent` must be true."""
    p = services.volunteer_register(
        user=request.auth,
        real_name=body.real_name,
        phone=body.phone,
        birth_date=body.birth_date,
        skills=body.skills,
        consent=body.consent,
    )
    return Status(
        201,
        ProfileOut(
            id=p.pk,
            number=p.number,
            real_name=p.real_name,
            phone=p.phone,
            birth_date=p.birth_date,
            skills=p.skills,
            personal_code=services.personal_code(volunteer=p),
            personal_code_url=services.personal_code_url(p),
        ),
    )


@router.get("/activities", response=list[ActivityOut])
@api_scope(Scope.VOLUNTEERS_USE)
def activities(request, params: Query[NearIn]):
    """Published activities with upcoming shifts near a point, nearest first (filters: type, dates)."""
    found = selectors.activities_near(
        params.lat,
        params.lon,
        radius_m=params.radius_m,
        kind=params.kind,
        date_from=params.date_from,
        date_to=params.date_to,
    )
    return [_activity_out(a) for a in found]


@router.get("/activities/{int:activity_id}", response=ActivityOut)
@api_scope(Scope.VOLUNTEERS_USE)
def activity(request, activity_id: int):
    return _activity_out(selectors.activity_detail(activity_id, viewer=request.auth))


@router.post("/shifts/{int:shift_id}/signups", response={201: SignupOut})
@api_scope(Scope.VOLUNTEERS_USE)
def signup_create(request, shift_id: int):
    """Sign up: confirmed, waitlisted or applied (organiser approval); 409 full or already signed up."""
    signup = services.signup_apply(shift=_shift(shift_id), user=request.auth)
    return Status(201, _signup_out(_signup(signup.pk)))


@router.post("/signups/{int:signup_id}/cancel", response=SignupOut)
@api_scope(Scope.VOLUNTEERS_USE)
def signup_cancel(request, signup_id: int, body: ReasonIn):
    signup = _signup(signup_id)
    if signup.volunteer.user_id != request.auth.pk and not services.may_organise(
        request.auth, signup.shift.activity
    ):
        raise NotFound("signup_not_found", "报名不存在", "no such sign-up")
    services.signup_cancel(signup=signup, actor=request.auth, reason=body.reason)
    return _signup_out(_signup(signup_id))


@router.get("/me/signups", response=list[SignupOut])
@api_scope(Scope.VOLUNTEERS_USE)
def me_signups(request):
    return [_signup_out(s) for s in selectors.my_signups(request.auth)]


@router.post("/checkin", response=CheckResultOut)
@api_scope(Scope.VOLUNTEERS_USE)
def checkin(request, body: ScanIn):
    """Check in with the scanned venue code and the phone's location: accepted, or queued for the
    organiser with the reason (`anomaly`); 400 for a forged, expired or revoked code."""
    return _check_out(services.check_in(user=request.auth, token=body.token, lat=body.lat, lon=body.lon))


@router.post("/checkout", response=CheckResultOut)
@api_scope(Scope.VOLUNTEERS_USE)
def checkout(request, body: ScanIn):
    return _check_out(services.check_out(user=request.auth, token=body.token, lat=body.lat, lon=body.lon))


# --- organisers -----------------------------------------------------------------------------------


@router.post("/activities", response={201: ActivityOut})
@api_scope(Scope.VOLUNTEERS_USE)
def activity_create(request, body: ActivityIn):
    team = None
    if body.team_id is not None:
        team = Team.objects.filter(pk=body.team_id).first()
        if team is None:
            raise DomainError("team_not_found", "队伍不存在", "no such team", field="team_id")
    a = services.activity_create(
        actor=request.auth,
        title=body.title,
        kind=body.kind,
        address=body.address,
        lat=body.lat,
        lon=body.lon,
        description=body.description,
        team=team,
        area=body.area,
        fence_m=body.fence_m,
        publish=body.publish,
    )
    return Status(201, _activity_out(selectors.activity_detail(a.pk, viewer=request.auth)))


@router.post("/activities/{int:activity_id}/shifts", response={201: ShiftOut})
@api_scope(Scope.VOLUNTEERS_USE)
def shift_create(request, activity_id: int, body: ShiftIn):
    a = _activity(activity_id)
    _organised(request, a)
    qualification = None
    if body.qualification:
        qualification = Qualification.objects.filter(code=body.qualification).first()
        if qualification is None:
            raise DomainError(
                "qualification_unknown", "未知的资质", "unknown qualification", field="qualification"
            )
    shift = services.shift_add(
        activity=a,
        actor=request.auth,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        capacity=body.capacity,
        method=body.method,
        signup_deadline=body.signup_deadline,
        qualification=qualification,
        min_age=body.min_age,
        waitlist=body.waitlist,
        checkin_before_min=body.checkin_before_min,
        checkout_after_min=body.checkout_after_min,
    )
    return Status(201, _shift_out(shift))


@router.post("/activities/{int:activity_id}/copy", response={201: ActivityOut})
@api_scope(Scope.VOLUNTEERS_USE)
def activity_copy(request, activity_id: int, body: CopyIn):
    """Copy an activity with its shifts moved by `days` (default a week): "copy last week's"."""
    a = _activity(activity_id)
    _organised(request, a)
    copy = services.activity_copy(activity=a, actor=request.auth, days=body.days)
    return Status(201, _activity_out(selectors.activity_detail(copy.pk, viewer=request.auth)))


@router.get("/activities/{int:activity_id}/venue-code", response=VenueCodeOut)
@api_scope(Scope.VOLUNTEERS_USE)
def venue_code(request, activity_id: int):
    """The rotating venue code now (its QR encodes `url`); fetch the next one at `expires_at`."""
    a = _activity(activity_id)
    _organised(request, a)
    code = services.venue_code(activity=a)
    return VenueCodeOut(token=code.token, url=code.url, expires_at=code.expires_at)


@router.get("/shifts/{int:shift_id}/roster", response=list[RosterOut])
@api_scope(Scope.VOLUNTEERS_USE)
def roster(request, shift_id: int):
    shift = _shift(shift_id)
    _organised(request, shift.activity)
    return [
        RosterOut(
            id=s.pk,
            volunteer_number=s.volunteer.number,
            real_name=s.volunteer.real_name,
            state=s.state,
            waitlist_position=s.position,
            checked_in_at=s.checked_in_at,
            checked_out_at=s.checked_out_at,
            checked_in_by_organiser=s.checkin_by_id is not None,
            hours_state=s.hours_state,
            hours_claimed=s.hours_claimed,
            hours_approved=s.hours_approved,
        )
        for s in selectors.roster(shift)
    ]


@router.post("/shifts/{int:shift_id}/message", response=CountOut)
@api_scope(Scope.VOLUNTEERS_USE)
def roster_message(request, shift_id: int, body: MessageIn):
    """Message everyone confirmed or waitlisted on the shift."""
    shift = _shift(shift_id)
    _organised(request, shift.activity)
    return CountOut(count=services.roster_message(shift=shift, actor=request.auth, text=body.text))


@router.post("/shifts/{int:shift_id}/close", response=dict[str, int])
@api_scope(Scope.VOLUNTEERS_USE)
def shift_close(request, shift_id: int):
    """After the end: no-shows marked, stays without a check-out counted to the end (pending)."""
    shift = _shift(shift_id)
    _organised(request, shift.activity)
    return services.shift_close(shift=shift, actor=request.auth)


def _organised_signup(request, signup_id: int) -> Signup:
    signup = _signup(signup_id)
    if not services.may_organise(request.auth, signup.shift.activity):
        raise NotFound("signup_not_found", "报名不存在", "no such sign-up")
    return signup


@router.post("/signups/{int:signup_id}/approve", response=SignupOut)
@api_scope(Scope.VOLUNTEERS_USE)
def signup_approve(request, signup_id: int):
    services.signup_approve(signup=_organised_signup(request, signup_id), actor=request.auth)
    return _signup_out(_signup(signup_id))


@router.post("/signups/{int:signup_id}/decline", response=SignupOut)
@api_scope(Scope.VOLUNTEERS_USE)
def signup_decline(request, signup_id: int, body: ReasonIn):
    services.signup_decline(
        signup=_organised_signup(request, signup_id), actor=request.auth, reason=body.reason
    )
    return _signup_out(_signup(signup_id))


@router.post("/shifts/{int:shift_id}/walkup", response=CheckResultOut)
@api_scope(Scope.VOLUNTEERS_USE)
def walkup(request, shift_id: int, body: WalkupIn):
    """The organiser checks someone in or out by their personal code or phone number (walk-ups too)."""
    shift = _shift(shift_id)
    _organised(request, shift.activity)
    if not body.personal_token and not body.phone:
        raise DomainError(
            "volunteer_required",
            "请扫描个人码或输入手机号",
            "scan a personal code or give a phone",
            field="phone",
        )
    call = services.organiser_check_in if body.direction == "in" else services.organiser_check_out
    return _check_out(
        call(actor=request.auth, shift=shift, personal_token=body.personal_token, phone=body.phone)
    )


@router.get("/anomalies", response=list[AnomalyOut])
@api_scope(Scope.VOLUNTEERS_USE)
def anomalies(request, params: Query[AnomalyFilter]):
    """The review queue of the activities I organise (open ones by default)."""
    return [_anomaly_out(a) for a in selectors.review_queue(request.auth, state=params.state)[: params.limit]]


@router.post("/anomalies/{int:anomaly_id}/decide", response=AnomalyOut)
@api_scope(Scope.VOLUNTEERS_USE)
def anomaly_decide(request, anomaly_id: int, body: DecideIn):
    anomaly = (
        CheckAnomaly.objects.select_related("shift__activity", "volunteer").filter(pk=anomaly_id).first()
    )
    if anomaly is None or not services.may_organise(request.auth, anomaly.shift.activity):
        raise NotFound("anomaly_not_found", "异常记录不存在", "no such anomaly")
    services.anomaly_decide(anomaly=anomaly, actor=request.auth, accept=body.accept, note=body.note)
    return _anomaly_out(
        CheckAnomaly.objects.select_related("shift__activity", "volunteer").get(pk=anomaly_id)
    )


@router.post("/signups/{int:signup_id}/hours", response=SignupOut)
@api_scope(Scope.VOLUNTEERS_USE)
def hours(request, signup_id: int, body: HoursIn):
    """Approve the pending hours, or a corrected number with a note; the points are awarded once."""
    services.hours_approve(
        signup=_organised_signup(request, signup_id),
        actor=request.auth,
        hours=body.hours,
        note=body.note,
        rating=body.rating,
        evaluation=body.evaluation,
    )
    return _signup_out(_signup(signup_id))
