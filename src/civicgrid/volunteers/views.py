"""The volunteer H5 pages (/v/): activities near me (list and map), an activity and its shifts (sign up,
cancel), registering as a volunteer, my shifts, the check-in page a venue code opens, my personal code,
my hours and my team; and the organiser's walk-up page a volunteer's personal code opens.

Views stay thin: parse → service or selector (volunteers.services / selectors) → render. A refusal
(DomainError) is shown next to the form field it names, or as a message on the page it came from.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core import clock
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.grids.models import Cell
from civicgrid.volunteers import selectors, services
from civicgrid.volunteers.checkin import REMIND_AHEAD
from civicgrid.volunteers.codes import venue_code_read
from civicgrid.volunteers.forms import (
    DEFAULT_RADIUS_M,
    CheckForm,
    NearbyFilterForm,
    RegisterForm,
    ScanWalkupForm,
)
from civicgrid.volunteers.models import (
    ACTIVE_STATES,
    Activity,
    ActivityStatus,
    HoursState,
    Shift,
    Signup,
    SignupState,
    VolunteerProfile,
)
from civicgrid.volunteers.records import volunteer_record
from civicgrid.web import add_domain_error, forbidden, http_error, mobile_login_required

# Marker colours of the activities map: how full the next shift is.
FILL_COLOURS = (("green", 0.5), ("amber", 0.999), ("red", None))


def volunteer_of(user) -> VolunteerProfile | None:
    return selectors.profile_of(user)


def qr_svg(text: str, *, scale: int = 5) -> str:
    """A QR code as inline SVG (segno: no image request, works on a closed network); sized by the page's
    stylesheet (a viewBox, no width and height)."""
    return mark_safe(  # noqa: S308 - segno's own SVG, the text is only encoded in it
        segno.make(text, error="m").svg_inline(
            scale=scale, border=2, dark="#1f2933", light="#fff", omitsize=True
        )
    )


def absolute(request: HttpRequest, path: str) -> str:
    return path if path.startswith("http") else request.build_absolute_uri(path)


def city_centre() -> tuple[float, float]:
    box = Cell.objects.aggregate(s=Min("min_lat"), w=Min("min_lon"), n=Max("max_lat"), e=Max("max_lon"))
    if box["s"] is None:
        return 39.605, 109.79
    return (box["s"] + box["n"]) / 2, (box["w"] + box["e"]) / 2


def shift_rows(shifts, mine: dict[int, Signup], now: datetime) -> list[dict]:
    rows = []
    for shift in shifts:
        signup = mine.get(shift.pk)
        full = shift.seats_taken >= shift.capacity
        # As the service decides: sign-up closes at the deadline, or at the start when there is none.
        closed = now >= min(shift.signup_deadline or shift.starts_at, shift.ends_at)
        rows.append(
            {
                "shift": shift,
                "signup": signup,
                "full": full,
                "closed": closed,
                "left": max(shift.capacity - shift.seats_taken, 0),
                "may_sign_up": signup is None and not closed and (not full or shift.waitlist),
                "may_cancel": signup is not None and signup.state in ACTIVE_STATES and shift.starts_at > now,
                "position": services.waitlist_position(signup) if signup is not None else None,
            }
        )
    return rows


def fill_colour(taken: int, capacity: int) -> str:
    ratio = taken / capacity if capacity else 1
    for colour, upto in FILL_COLOURS:
        if upto is None or ratio <= upto:
            return colour
    return "red"


# --- activities near me ------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """志愿活动: upcoming activities near the phone (or the city centre), as a list and on a map."""
    query = request.GET.copy()
    query.setdefault("radius", str(DEFAULT_RADIUS_M))  # what the list shows is what the select says
    form = NearbyFilterForm(query)
    data = form.cleaned_data if form.is_valid() else {}
    centre_lat, centre_lon = city_centre()
    lat = data.get("lat") if data.get("lat") is not None else centre_lat
    lon = data.get("lon") if data.get("lon") is not None else centre_lon
    located = data.get("lat") is not None and data.get("lon") is not None
    radius = data.get("radius") or DEFAULT_RADIUS_M
    day = data.get("date")
    activities = list(
        selectors.activities_near(
            lat,
            lon,
            radius_m=radius,
            kind=data.get("kind") or None,
            date_from=day,
            date_to=day,
        )
    )
    now = clock.now()
    rows, markers = [], []
    for activity in activities:
        shifts = activity.shown_shifts
        nxt = shifts[0] if shifts else None
        taken = sum(s.seats_taken for s in shifts)
        capacity = sum(s.capacity for s in shifts)
        live = any(s.starts_at <= now < s.ends_at for s in shifts)
        url = reverse("volunteers:activity", args=[activity.pk])
        row = {
            "activity": activity,
            "next": nxt,
            "taken": taken,
            "capacity": capacity,
            "live": live,
            "distance": getattr(activity, "distance_m", None),
            "url": url,
        }
        rows.append(row)
        markers.append(
            {
                "id": activity.pk,
                "title": activity.title,
                "kind": activity.get_kind_display(),
                "lat": activity.lat,
                "lon": activity.lon,
                "url": url,
                "when": timezone.localtime(nxt.starts_at).strftime("%m-%d %H:%M") if nxt else "",
                "filled": f"{taken}/{capacity}",
                "colour": "blue" if live else fill_colour(taken, capacity),
            }
        )
    context = {
        "form": form,
        "rows": rows,
        "markers": markers,
        "centre": [lat, lon],
        "located": located,
        "radius": radius,
        "volunteer": volunteer_of(request.user),
        "may_organise": request.user.is_authenticated and _organises(request.user),
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
        "tab": "volunteers",
    }
    if request.htmx:
        return render(request, "volunteers/partials/_activity_list.html", context)
    return render(request, "volunteers/home.html", context)


def _organises(user) -> bool:
    return selectors.organised_activities(user).exists() or user.led_volunteer_teams.exists()


def activity(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity: what, where, its shifts with places taken, and my sign-up on each."""
    try:
        obj = selectors.activity_detail(pk, viewer=request.user if request.user.is_authenticated else None)
    except DomainError as err:
        return http_error(err, request)
    volunteer = volunteer_of(request.user)
    mine: dict[int, Signup] = {}
    if volunteer is not None:
        for s in Signup.objects.filter(shift__activity=obj, volunteer=volunteer).order_by("id"):
            mine[s.shift_id] = s  # the latest sign-up of each shift
    now = clock.now()
    context = {
        "activity": obj,
        "shifts": shift_rows(obj.shown_shifts, mine, now),
        "volunteer": volunteer,
        "photos": list(obj.photos.all()),
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
        "tab": "volunteers",
    }
    return render(request, "volunteers/activity.html", context)


@require_POST
@mobile_login_required
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    shift = Shift.objects.select_related("activity").filter(pk=pk).first()
    if shift is None or shift.activity.status != ActivityStatus.PUBLISHED:
        return http_error(NotFound("shift_not_found", "班次不存在", "no such shift"), request)
    if volunteer_of(request.user) is None:
        messages.info(request, _("报名前请先注册成为志愿者"))
        return redirect(
            f"{reverse('volunteers:register')}?next={reverse('volunteers:activity', args=[shift.activity_id])}"
        )
    try:
        made = services.signup_apply(shift=shift, user=request.user)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        if made.state == SignupState.CONFIRMED:
            messages.success(request, _("报名成功，请按时参加"))
        elif made.state == SignupState.WAITLISTED:
            messages.success(request, _("名额已满，已进入候补，有空位时将通知您"))
        else:
            messages.success(request, _("已提交报名，等待组织者审核"))
    return redirect("volunteers:activity", pk=shift.activity_id)


@require_POST
@mobile_login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    row = Signup.objects.select_related("shift").filter(pk=pk, volunteer__user=request.user).first()
    if row is None:
        return http_error(NotFound("signup_not_found", "报名记录不存在", "no such sign-up"), request)
    try:
        services.signup_cancel(signup=row, actor=request.user, reason=request.POST.get("reason", "")[:200])
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("已取消报名"))
    back = request.POST.get("next", "")
    if back == "mine":
        return redirect("volunteers:my_shifts")
    return redirect("volunteers:activity", pk=row.shift.activity_id)


# --- registering, my shifts, my code, my team ---------------------------------------------------------


@mobile_login_required
def register(request: HttpRequest) -> HttpResponse:
    """注册志愿者: real name, phone, date of birth, skills, and consent to the service agreement."""
    back = request.GET.get("next") or request.POST.get("next") or ""
    if not back.startswith("/v/"):
        back = reverse("volunteers:home")
    if volunteer_of(request.user) is not None:
        return redirect(back)
    initial = {"phone": request.user.phone, "real_name": getattr(request.user, "real_name", "")}
    form = RegisterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile = services.volunteer_register(
                user=request.user,
                real_name=data["real_name"],
                phone=data["phone"],
                birth_date=data["birth_date"],
                skills=data["skills"],
                consent=data["consent"],
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("注册成功，您的志愿者编号：%(n)s") % {"n": profile.number})
            return redirect(back)
    return render(
        request,
        "volunteers/register.html",
        {"form": form, "next": back, "tab": "volunteers"},
        status=422 if form.errors else 200,
    )


def _volunteer_required(request: HttpRequest) -> VolunteerProfile | HttpResponse:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect(f"{reverse('volunteers:register')}?next={request.path}")
    return volunteer


@mobile_login_required
def my_shifts(request: HttpRequest) -> HttpResponse:
    """我的班次: upcoming (with the reminder) and past (with the hours)."""
    volunteer = _volunteer_required(request)
    if isinstance(volunteer, HttpResponse):
        return volunteer
    now = clock.now()
    upcoming, past = [], []
    for s in selectors.my_signups(request.user):
        if s.shift.ends_at > now and s.state in (*ACTIVE_STATES, SignupState.ATTENDED):
            upcoming.append(
                {
                    "signup": s,
                    "live": s.shift.starts_at <= now,
                    "remind_at": s.shift.starts_at - REMIND_AHEAD,
                    "may_cancel": s.state in ACTIVE_STATES and s.shift.starts_at > now,
                }
            )
        else:
            past.append({"signup": s})
    upcoming.sort(key=lambda r: r["signup"].shift.starts_at)
    past.sort(key=lambda r: r["signup"].shift.starts_at, reverse=True)
    return render(
        request,
        "volunteers/my_shifts.html",
        {"upcoming": upcoming, "past": past, "volunteer": volunteer, "tab": "volunteers", "now": now},
    )


@mobile_login_required
def my_code(request: HttpRequest) -> HttpResponse:
    """我的志愿码: the personal code an organiser scans to check in someone at the venue (walk-up)."""
    volunteer = _volunteer_required(request)
    if isinstance(volunteer, HttpResponse):
        return volunteer
    url = absolute(request, services.personal_code_url(volunteer))
    return render(
        request,
        "volunteers/my_code.html",
        {"volunteer": volunteer, "qr": qr_svg(url, scale=6), "tab": "volunteers"},
    )


@mobile_login_required
def my_team(request: HttpRequest) -> HttpResponse:
    volunteer = _volunteer_required(request)
    if isinstance(volunteer, HttpResponse):
        return volunteer
    now = clock.now()
    teams = []
    for team in volunteer.teams.select_related("leader", "street", "community").order_by("name"):
        upcoming = (
            Activity.objects.filter(team=team, status=ActivityStatus.PUBLISHED, shifts__ends_at__gt=now)
            .distinct()
            .order_by("id")[:5]
        )
        teams.append({"team": team, "members": team.memberships.count(), "upcoming": list(upcoming)})
    return render(request, "volunteers/my_team.html", {"teams": teams, "tab": "volunteers"})


@mobile_login_required
def my_hours(request: HttpRequest) -> HttpResponse:
    """我的时长与证明: approved hours by month and by type, each service, evaluations and awards
    (records.volunteer_record), the hours still waiting for approval, and the certificate (PDF)."""
    volunteer = _volunteer_required(request)
    if isinstance(volunteer, HttpResponse):
        return volunteer
    pending = (
        Signup.objects.filter(volunteer=volunteer, hours_state=HoursState.PENDING)
        .select_related("shift__activity")
        .order_by("-shift__starts_at")
    )
    context = {
        "record": volunteer_record(volunteer),
        "pending": pending,
        "volunteer": volunteer,
        "tab": "volunteers",
    }
    return render(request, "volunteers/my_hours.html", context)


# --- check-in by the venue code -----------------------------------------------------------------------


@mobile_login_required
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The page a scanned venue code opens: check in (or out) here, with the phone's position (checkin.js
    asks for it before sending). Refused codes (replayed, expired, another activity's) say so; a
    check-in that breaks a rule is sent to the organiser's review queue with the reason."""
    form = CheckForm(request.POST or None)
    result, refused = None, None
    direction = request.POST.get("direction") or ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        check = services.check_in if data["direction"] == "in" else services.check_out
        try:
            result = check(user=request.user, token=token, lat=data["lat"], lon=data["lon"])
        except DomainError as err:
            refused = err.message
    elif request.method == "POST":
        refused = _("请求无效，请重新扫码")
    scanned, checked_in = None, False
    if result is None and refused is None:
        # What was scanned, before anything is sent: the activity, or why the code will be refused.
        try:
            scanned = venue_code_read(token).activity
        except DomainError as err:
            refused = err.message
        else:
            checked_in = Signup.objects.filter(
                shift__activity=scanned,
                volunteer__user=request.user,
                checked_in_at__isnull=False,
                checked_out_at__isnull=True,
            ).exists()
    context = {
        "activity": scanned,
        "checked_in": checked_in,
        "token": token,
        "form": form,
        "result": result,
        "direction": direction,
        "refused": refused,
        "volunteer": volunteer_of(request.user),
        "tab": "volunteers",
    }
    status = 422 if refused and request.method == "POST" else 200
    return render(request, "volunteers/checkin.html", context, status=status)


# --- the organiser's walk-up page (a volunteer's personal code opens it) ------------------------------


@mobile_login_required
def walkup(request: HttpRequest, token: str) -> HttpResponse:
    """现场签到: the organiser scanned a volunteer's personal code; choose the shift and check them in or out."""
    now = clock.now()
    shifts = [
        s
        for s in Shift.objects.filter(
            activity__in=selectors.organised_activities(request.user),
            starts_at__lte=now + timedelta(hours=2),
            ends_at__gte=now - timedelta(hours=2),
        )
        .select_related("activity")
        .order_by("starts_at")
    ]
    if not shifts:
        return forbidden(request, _("您当前没有正在进行的活动班次，无法为志愿者签到。"))
    choices = [(s.pk, f"{s.activity.title} {timezone.localtime(s.starts_at):%m-%d %H:%M}") for s in shifts]
    form = ScanWalkupForm(request.POST or None, shifts=choices, initial={"shift": shifts[0].pk})
    result = None
    if request.method == "POST" and form.is_valid():
        shift = next(s for s in shifts if s.pk == form.cleaned_data["shift"])
        check = (
            services.organiser_check_in
            if form.cleaned_data["direction"] == "in"
            else services.organiser_check_out
        )
        try:
            result = check(actor=request.user, shift=shift, personal_token=token)
        except DomainError as err:
            add_domain_error(form, err)
    return render(
        request,
        "volunteers/walkup.html",
        {"form": form, "result": result, "tab": "volunteers"},
        status=422 if form.errors else 200,
    )
