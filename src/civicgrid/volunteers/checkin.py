"""Check-in and check-out (签到/签退), the organiser's review queue (异常待审), closing a shift, reminders.

A volunteer scans the activity's rotating venue code (codes.py) with their phone's location; an
organiser scans a volunteer's personal code, or types their phone number (walk-ups, people without a
smartphone). What happens to a scan:

refused (an error, nothing written):
    a forged or altered code (token_invalid), a code of a replaced secret (code_revoked), a code older
    than CIVICGRID_VOLUNTEER_CODE_STALE_SECONDS (code_expired); no sign-up of the scanner to the code's
    activity (not_signed_up — so another activity's code checks in to nothing), a sign-up not (yet)
    confirmed (not_confirmed); a check-out before a check-in (not_checked_in) or a second one
    (already_checked_out).
queued for the organiser (a CheckAnomaly, accepted=False, nothing else changes until decided):
    STALE_CODE      a code older than its rotation (not the current slot nor the one before) but
                    younger than the stale limit;
    NO_LOCATION     a self check-in/out without the phone's location;
    OUTSIDE_FENCE   outside the area (+30 m) or farther than `fence_m` from the activity's point;
    OUTSIDE_WINDOW  a check-in before `checkin_before_min` minutes ahead of the start or after the end,
                    a check-out after `checkout_after_min` minutes past the end;
    SECOND_CHECKIN  a check-in of someone already checked in (a replay): never a second check-in;
                    one open anomaly per sign-up however often it is replayed;
    NOT_SIGNED_UP   an organiser's walk-up of someone without a place when the shift is full.
    A scan that breaks several rules is one anomaly of the first kind above, its detail naming all.
accepted: the check-in (the sign-up becomes ATTENDED) or check-out (the hours are computed, pending).
    An organiser's walk-up of someone not confirmed (no sign-up, waitlisted, applied) confirms them
    when there is a place, recorded as checked in by the organiser.

Deciding an anomaly: accepting it records what the scan asked for at the scan's time (a walk-up takes
a place if one is left, else 409 shift_full); rejecting it (with a note) leaves everything as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, NotFound
from civicgrid.core.text import phone_check, text_check
from civicgrid.notifications.services import notify
from civicgrid.volunteers.codes import personal_code_read, venue_code_read
from civicgrid.volunteers.geo import fence_distance
from civicgrid.volunteers.models import (
    ACTIVE_STATES,
    ActivityStatus,
    AnomalyKind,
    AnomalyState,
    CheckAnomaly,
    HoursState,
    Shift,
    Signup,
    SignupState,
    VolunteerProfile,
)
from civicgrid.volunteers.rules import (
    NOTIFY_KIND,
    event_add,
    hours_served,
    move,
    require_organiser,
    seat_free,
    seat_take,
    shift_locked,
    shift_when,
    signup_locked,
    tell,
    volunteer_of,
)

logger = logging.getLogger("civicgrid.volunteers")

S = SignupState
IN, OUT = "in", "out"
NOT_CHECKED_OUT_NOTE = "未签退，按班次结束时间计算"


@dataclass
class CheckResult:
    signup: Signup | None
    anomaly: CheckAnomaly | None
    accepted: bool
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        return self.message_en if (get_language() or "").startswith("en") else self.message_zh


# --- what a scan breaks ---------------------------------------------------------------------------


def _location(lat, lon) -> tuple[float | None, float | None]:
    if lat is None and lon is None:
        return None, None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise DomainError("location_invalid", "位置无效", "invalid location", field="lat") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError("location_invalid", "位置超出范围", "location out of range", field="lat")
    return lat, lon


def _in_window(shift: Shift, direction: str, at: datetime) -> bool:
    if direction == IN:
        return shift.starts_at - timedelta(minutes=shift.checkin_before_min) <= at <= shift.ends_at
    return (
        shift.starts_at - timedelta(minutes=shift.checkin_before_min)
        <= at
        <= shift.ends_at + timedelta(minutes=shift.checkout_after_min)
    )


def _breaches(
    shift: Shift,
    direction: str,
    at: datetime,
    *,
    fresh: bool = True,
    lat=None,
    lon=None,
    located: bool = True,
) -> list[tuple[str, str]]:
    """The rules a scan breaks, in the order of their kinds: (kind, detail)."""
    found = []
    if not fresh:
        found.append((AnomalyKind.STALE_CODE, "扫描的签到码已超过轮换周期"))
    if located:
        if lat is None:
            found.append((AnomalyKind.NO_LOCATION, "未提供手机位置"))
        else:
            activity = shift.activity
            outside = fence_distance(
                lat=lat,
                lon=lon,
                centre_lat=activity.lat,
                centre_lon=activity.lon,
                area=activity.area,
                fence_m=activity.fence_m,
            )
            if outside > 0:
                found.append((AnomalyKind.OUTSIDE_FENCE, f"距活动范围约 {outside:.0f} 米"))
    if not _in_window(shift, direction, at):
        label = "签到" if direction == IN else "签退"
        found.append((AnomalyKind.OUTSIDE_WINDOW, f"{label}时间 {clock_text(at)} 不在允许的时间内"))
    return found


def clock_text(at: datetime) -> str:
    return f"{timezone.localtime(at):%m-%d %H:%M}"


def _anomaly(
    *,
    shift: Shift,
    volunteer: VolunteerProfile,
    signup: Signup | None,
    direction: str,
    breaches: list[tuple[str, str]],
    at: datetime,
    lat=None,
    lon=None,
) -> CheckResult:
    kind = breaches[0][0]
    anomaly = CheckAnomaly.objects.create(
        signup=signup,
        shift=shift,
        volunteer=volunteer,
        kind=kind,
        direction=direction,
        detail="；".join(detail for _kind, detail in breaches)[:300],
        at=at,
        lat=lat,
        lon=lon,
    )
    label = AnomalyKind(kind).label
    return CheckResult(
        signup=signup,
        anomaly=anomaly,
        accepted=False,
        message_zh=f"{'签到' if direction == IN else '签退'}未直接通过（{label}），已提交组织者审核",
        message_en=f"not accepted at once ({kind}): the organiser will review it",
    )


def _second_checkin(shift: Shift, signup: Signup, at: datetime, lat=None, lon=None) -> CheckResult:
    """A replay: one open SECOND_CHECKIN anomaly per sign-up, never a second check-in."""
    open_one = CheckAnomaly.objects.filter(
        signup=signup, kind=AnomalyKind.SECOND_CHECKIN, state=AnomalyState.OPEN
    ).first()
    if open_one is not None:
        return CheckResult(
            signup=signup,
            anomaly=open_one,
            accepted=False,
            message_zh="您已签到，重复签到已提交组织者审核",
            message_en="you are already checked in: the repeat is with the organiser",
        )
    return _anomaly(
        shift=shift,
        volunteer=signup.volunteer,
        signup=signup,
        direction=IN,
        breaches=[(AnomalyKind.SECOND_CHECKIN, f"已于 {clock_text(signup.checked_in_at)} 签到")],
        at=at,
        lat=lat,
        lon=lon,
    )


# --- recording ------------------------------------------------------------------------------------


def _record_in(signup: Signup, *, at: datetime, lat=None, lon=None, by: User | None = None) -> None:
    signup.checked_in_at = at
    signup.checkin_lat, signup.checkin_lon, signup.checkin_by = lat, lon, by
    signup.save(update_fields=["checked_in_at", "checkin_lat", "checkin_lon", "checkin_by"])
    move(signup, "checked_in", actor=by, at=at)


def _record_out(
    signup: Signup, shift: Shift, *, at: datetime, by: User | None = None, note: str = ""
) -> None:
    signup.checked_out_at = at
    signup.hours_claimed = hours_served(shift, signup.checked_in_at, at)
    signup.hours_state = HoursState.PENDING
    signup.hours_note = note
    signup.save(update_fields=["checked_out_at", "hours_claimed", "hours_state", "hours_note"])
    event_add(signup, "checked_out", actor=by, note=f"{signup.hours_claimed} 小时", at=at)


def _seat_walkup(
    shift: Shift, volunteer: VolunteerProfile, signup: Signup | None, *, actor: User, at: datetime
):
    """A place for someone not confirmed (the shift is locked): their waitlisted/applied sign-up is
    confirmed, or a confirmed one is made; None when the shift is full."""
    if not seat_take(shift):
        return None
    if signup is not None and signup.state in (S.APPLIED, S.WAITLISTED):
        return move(signup, "confirm", actor=actor, note="现场签到", at=at)
    if signup is not None and signup.state == S.NO_SHOW:
        return move(signup, "present", actor=actor, note="组织者认可到场", at=at)
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, state=S.CONFIRMED, created_at=at)
    event_add(signup, "walk_up", actor=actor, note="现场报名", at=at)
    return signup


# --- the volunteer's scans ------------------------------------------------------------------------


def _own_signup(activity_id: int, volunteer: VolunteerProfile, direction: str, at: datetime) -> Signup:
    """The sign-up a scan of the activity's code is about."""
    signups = list(
        Signup.objects.filter(shift__activity_id=activity_id, volunteer=volunteer)
        .exclude(state__in=(S.CANCELLED, S.DECLINED))
        .select_related("shift")
        .order_by("shift__starts_at")
    )
    if direction == IN:
        seated = [s for s in signups if s.state in (S.CONFIRMED, S.ATTENDED)]
        if not seated:
            if any(s.state in (S.APPLIED, S.WAITLISTED) for s in signups):
                raise Conflict(
                    "not_confirmed", "您的报名尚未确认（待审核或候补中）", "your sign-up is not confirmed yet"
                )
            raise Conflict(
                "not_signed_up",
                "您没有报名该活动的班次，请确认扫描的是本活动的签到码",
                "you have not signed up for this activity: is this its code?",
            )
        # A shift whose window is open now, one not checked in first; else the nearest.
        return min(
            seated,
            key=lambda s: (
                not _in_window(s.shift, IN, at),
                s.checked_in_at is not None,
                abs((s.shift.starts_at - at).total_seconds()),
            ),
        )
    open_ones = [s for s in signups if s.checked_in_at is not None and s.checked_out_at is None]
    if open_ones:
        return min(open_ones, key=lambda s: abs((s.shift.ends_at - at).total_seconds()))
    if any(s.checked_out_at is not None for s in signups):
        raise Conflict("already_checked_out", "您已签退", "you have already checked out")
    if not signups:
        raise Conflict(
            "not_signed_up",
            "您没有报名该活动的班次，请确认扫描的是本活动的签到码",
            "you have not signed up for this activity: is this its code?",
        )
    raise Conflict(
        "not_checked_in", "您还没有签到（或签到正在审核）", "you have not checked in (or it is under review)"
    )


def _scan(*, user: User, token: str, lat, lon, now: datetime | None, direction: str) -> CheckResult:
    now = now or clock.now()
    volunteer = volunteer_of(user)
    scanned = venue_code_read(token, now=now)
    lat, lon = _location(lat, lon)
    if scanned.activity.status != ActivityStatus.PUBLISHED:
        raise Conflict("activity_not_open", "活动未发布或已取消", "the activity is not open")
    with transaction.atomic():
        chosen = _own_signup(scanned.activity.pk, volunteer, direction, now)
        shift = shift_locked(chosen.shift_id)
        signup = signup_locked(chosen.pk)
        if direction == IN:
            if signup.checked_in_at is not None:
                return _second_checkin(shift, signup, now, lat, lon)
            if signup.state != S.CONFIRMED:
                raise Conflict("not_confirmed", "您的报名尚未确认", "your sign-up is not confirmed")
        elif signup.checked_in_at is None or signup.checked_out_at is not None:
            raise Conflict("not_checked_in", "您还没有签到", "you have not checked in")
        breaches = _breaches(shift, direction, now, fresh=scanned.fresh, lat=lat, lon=lon)
        if breaches:
            return _anomaly(
                shift=shift,
                volunteer=volunteer,
                signup=signup,
                direction=direction,
                breaches=breaches,
                at=now,
                lat=lat,
                lon=lon,
            )
        if direction == IN:
            _record_in(signup, at=now, lat=lat, lon=lon)
            return CheckResult(signup, None, True, "签到成功", "checked in")
        _record_out(signup, shift, at=now)
        return CheckResult(
            signup,
            None,
            True,
            f"签退成功，本次 {signup.hours_claimed} 小时待审定",
            "checked out; hours pending",
        )


def check_in(*, user: User, token: str, lat=None, lon=None, now: datetime | None = None) -> CheckResult:
    """A volunteer's check-in with the venue code and their phone's location."""
    return _scan(user=user, token=token, lat=lat, lon=lon, now=now, direction=IN)


def check_out(*, user: User, token: str, lat=None, lon=None, now: datetime | None = None) -> CheckResult:
    return _scan(user=user, token=token, lat=lat, lon=lon, now=now, direction=OUT)


# --- the organiser's scans ------------------------------------------------------------------------


def _identify(personal_token: str | None, phone: str | None) -> VolunteerProfile:
    if personal_token:
        return personal_code_read(personal_token)
    phone = phone_check(phone, field="phone", required=True)
    digits = phone.replace(" ", "").replace("-", "").removeprefix("+86")
    found = list(
        VolunteerProfile.objects.filter(
            Q(phone=phone) | Q(phone=digits) | Q(user__phone=digits)
        ).select_related("user")[:2]
    )
    if not found:
        raise NotFound(
            "volunteer_not_found",
            "没有该手机号的志愿者",
            "no volunteer with this phone number",
            field="phone",
        )
    if len(found) > 1:
        raise Conflict(
            "phone_ambiguous",
            "该手机号对应多名志愿者，请扫描个人码",
            "several volunteers share this phone: scan their code",
        )
    return found[0]


def _latest_signup(shift: Shift, volunteer: VolunteerProfile) -> Signup | None:
    signup = (
        Signup.objects.filter(shift=shift, volunteer=volunteer)
        .exclude(state__in=(S.CANCELLED, S.DECLINED))
        .order_by("-id")
        .first()
    )
    return signup_locked(signup.pk) if signup is not None else None


def organiser_check_in(
    *, actor: User, shift: Shift, personal_token: str | None = None, phone: str | None = None, now=None
) -> CheckResult:
    """The organiser checks someone in (their personal code or phone): a confirmed volunteer is checked
    in; a walk-up takes a free place; a full shift or a time outside the window goes to review."""
    now = now or clock.now()
    require_organiser(actor, shift.activity)
    volunteer = _identify(personal_token, phone)
    with transaction.atomic():
        shift = shift_locked(shift.pk)
        if shift.activity.status != ActivityStatus.PUBLISHED:
            raise Conflict("activity_not_open", "活动未发布或已取消", "the activity is not open")
        signup = _latest_signup(shift, volunteer)
        if signup is not None and signup.checked_in_at is not None:
            return _second_checkin(shift, signup, now)
        breaches = _breaches(shift, IN, now, located=False)
        if signup is None or signup.state in (S.APPLIED, S.WAITLISTED, S.NO_SHOW):
            if breaches:
                return _anomaly(
                    shift=shift, volunteer=volunteer, signup=signup, direction=IN, breaches=breaches, at=now
                )
            seated = _seat_walkup(shift, volunteer, signup, actor=actor, at=now)
            if seated is None:
                return _anomaly(
                    shift=shift,
                    volunteer=volunteer,
                    signup=signup,
                    direction=IN,
                    breaches=[(AnomalyKind.NOT_SIGNED_UP, "现场签到，班次名额已满")],
                    at=now,
                )
            signup = seated
        elif breaches:
            return _anomaly(
                shift=shift, volunteer=volunteer, signup=signup, direction=IN, breaches=breaches, at=now
            )
        if signup.state != S.CONFIRMED:
            raise Conflict("signup_state", "该报名不能签到", "this sign-up cannot be checked in")
        _record_in(signup, at=now, by=actor)
        return CheckResult(signup, None, True, f"{volunteer.real_name} 签到成功", "checked in")


def organiser_check_out(
    *, actor: User, shift: Shift, personal_token: str | None = None, phone: str | None = None, now=None
) -> CheckResult:
    now = now or clock.now()
    require_organiser(actor, shift.activity)
    volunteer = _identify(personal_token, phone)
    with transaction.atomic():
        shift = shift_locked(shift.pk)
        signup = (
            Signup.objects.filter(
                shift=shift, volunteer=volunteer, checked_in_at__isnull=False, checked_out_at__isnull=True
            )
            .order_by("-id")
            .first()
        )
        if signup is None:
            raise Conflict(
                "not_checked_in", "该志愿者未签到或已签退", "not checked in, or already checked out"
            )
        signup = signup_locked(signup.pk)
        breaches = _breaches(shift, OUT, now, located=False)
        if breaches:
            return _anomaly(
                shift=shift, volunteer=volunteer, signup=signup, direction=OUT, breaches=breaches, at=now
            )
        _record_out(signup, shift, at=now, by=actor)
        return CheckResult(signup, None, True, f"{volunteer.real_name} 签退成功", "checked out")


# --- the review queue -----------------------------------------------------------------------------


def anomaly_decide(*, anomaly: CheckAnomaly, actor: User, accept: bool, note: str = "") -> CheckAnomaly:
    """Accept (record what the scan asked for, at its time) or reject (a note is required) an anomaly."""
    note = text_check(note, field="note", max_length=200, required=not accept)
    with transaction.atomic():
        shift = shift_locked(anomaly.shift_id)
        require_organiser(actor, shift.activity)
        anomaly = CheckAnomaly.objects.select_for_update().get(pk=anomaly.pk)
        if anomaly.state != AnomalyState.OPEN:
            raise Conflict("anomaly_decided", "该异常已处理", "this anomaly was already decided")
        signup = signup_locked(anomaly.signup_id) if anomaly.signup_id else None
        if signup is None or signup.state in (S.CANCELLED, S.DECLINED):
            # cancelled since: what counts is the person's sign-up to the shift now, if any
            signup = _latest_signup(shift, anomaly.volunteer)
        if accept:
            signup = _accept(anomaly, shift, signup, actor=actor)
        anomaly.state = AnomalyState.ACCEPTED if accept else AnomalyState.REJECTED
        anomaly.decided_by = actor
        anomaly.decided_at = clock.now()
        anomaly.decision_note = note
        anomaly.signup = anomaly.signup or signup
        anomaly.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "signup"])
        if signup is not None:
            action = "anomaly_accepted" if accept else "anomaly_rejected"
            event_add(signup, action, actor=actor, note=f"{anomaly.get_kind_display()} {note}".strip())
        notify(
            recipient=anomaly.volunteer.user,
            kind=NOTIFY_KIND,
            title=f"{'签到' if anomaly.direction == IN else '签退'}审核{'通过' if accept else '未通过'}：{shift.activity.title}",
            body=f"{anomaly.get_kind_display()}（{anomaly.detail}）"
            + (f"。组织者意见：{note}" if note else ""),
            link="/v/me/",
        )
    return anomaly


def _accept(anomaly: CheckAnomaly, shift: Shift, signup: Signup | None, *, actor: User) -> Signup | None:
    if anomaly.kind == AnomalyKind.SECOND_CHECKIN:
        return signup  # the first check-in stands; nothing to record
    if anomaly.direction == OUT:
        if signup is None or signup.checked_in_at is None:
            raise Conflict("not_checked_in", "该志愿者没有签到记录", "there is no check-in to close")
        if signup.hours_state in (HoursState.APPROVED, HoursState.REJECTED):
            raise Conflict("hours_already_approved", "时长已审定", "the hours were already approved")
        _record_out(signup, shift, at=max(anomaly.at, signup.checked_in_at), by=actor)
        return signup
    if signup is not None and signup.checked_in_at is not None:
        return signup  # checked in meanwhile (a later scan was accepted)
    if signup is None or signup.state != S.CONFIRMED:
        seated = _seat_walkup(shift, anomaly.volunteer, signup, actor=actor, at=clock.now())
        if seated is None:
            raise Conflict("shift_full", "班次名额已满，无法认可签到", "the shift is full")
        signup = seated
    _record_in(signup, at=anomaly.at, lat=anomaly.lat, lon=anomaly.lon, by=actor)
    if clock.now() >= shift.ends_at:
        _pending_to_end(signup, shift, actor=actor)  # the shift has ended: as shift_close does
    return signup


def _pending_to_end(signup: Signup, shift: Shift, *, actor: User | None, at: datetime | None = None) -> None:
    """A stay without a check-out counts to the shift's end, pending with a note."""
    signup.hours_claimed = hours_served(shift, signup.checked_in_at, shift.ends_at)
    signup.hours_state = HoursState.PENDING
    signup.hours_note = NOT_CHECKED_OUT_NOTE
    signup.save(update_fields=["hours_claimed", "hours_state", "hours_note"])
    event_add(signup, "hours_pending", actor=actor, note=NOT_CHECKED_OUT_NOTE, at=at)


# --- after the shift ------------------------------------------------------------------------------


def shift_close(*, shift: Shift, actor: User | None = None, now: datetime | None = None) -> dict[str, int]:
    """After the end: confirmed without a check-in → no-show (their places freed), still waiting →
    cancelled, checked in without a check-out → hours to the shift's end, pending with a note.
    Closing again changes nothing. How many of each."""
    now = now or clock.now()
    if actor is not None:
        require_organiser(actor, shift.activity)
    counts = {"no_show": 0, "expired": 0, "pending": 0}
    with transaction.atomic():
        shift = shift_locked(shift.pk)
        if now < shift.ends_at:
            raise Conflict("shift_not_ended", "班次尚未结束", "the shift has not ended")
        for signup in shift.signups.select_for_update().filter(state__in=ACTIVE_STATES).order_by("id"):
            if signup.state == S.CONFIRMED:
                move(signup, "no_show", actor=actor, at=now)
                seat_free(shift)
                counts["no_show"] += 1
            else:
                move(signup, "expire", actor=actor, note="班次已结束", at=now)
                counts["expired"] += 1
        unfinished = shift.signups.select_for_update().filter(
            state=S.ATTENDED, checked_out_at__isnull=True, hours_state=HoursState.NONE
        )
        for signup in unfinished.order_by("id"):
            _pending_to_end(signup, shift, actor=actor, at=now)
            counts["pending"] += 1
    return counts


CLOSE_LOOKBACK = timedelta(days=14)
BATCH = 50


def shifts_close_due(now: datetime | None = None) -> int:
    """Periodic task: close the shifts whose check-out window has passed and that still have
    something to close (a confirmed or waiting sign-up, a stay without check-out)."""
    now = now or clock.now()
    due = (
        Shift.objects.filter(ends_at__lt=now, ends_at__gt=now - CLOSE_LOOKBACK)
        .filter(
            Q(signups__state__in=ACTIVE_STATES)
            | Q(
                signups__state=S.ATTENDED,
                signups__checked_out_at__isnull=True,
                signups__hours_state=HoursState.NONE,
            )
        )
        .distinct()
        .order_by("ends_at")[:BATCH]
    )
    closed = 0
    for shift in due:
        if shift.ends_at + timedelta(minutes=shift.checkout_after_min) <= now:
            shift_close(shift=shift, now=now)
            closed += 1
    return closed


REMIND_AHEAD = timedelta(hours=24)


def remind_upcoming(now: datetime | None = None) -> int:
    """Periodic task: the day before (within 24 hours of its start), tell everyone confirmed on a shift.
    Each shift is claimed once (reminded_at, a conditional UPDATE), so two workers send one reminder."""
    now = now or clock.now()
    shifts = Shift.objects.filter(
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMIND_AHEAD,
        activity__status=ActivityStatus.PUBLISHED,
    ).select_related("activity")[:BATCH]
    sent = 0
    for shift in shifts:
        with transaction.atomic():
            if not Shift.objects.filter(pk=shift.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            for signup in shift.signups.filter(state=S.CONFIRMED).select_related("volunteer__user"):
                tell(
                    signup,
                    title=f"明日志愿活动提醒：{shift.activity.title}",
                    body=f"您报名的「{shift.activity.title}」将于 {shift_when(shift)} 开始，地点：{shift.activity.address}。请准时到场扫码签到。",
                    dedupe=f"volunteer:remind:{signup.pk}",
                )
                sent += 1
    return sent
