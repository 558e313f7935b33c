"""志愿服务 in the console: the organiser's pages, laid out to work on a phone at the venue too.

My activities; a new activity with its shifts (or last week's copied); a shift's roster (approve or
decline sign-ups, walk-up check-in by phone number, a message to everyone on it) and its hours (approve
the computed hours in bulk, or correct one with a reason, with a rating and a comment); the rotating
venue code (refreshed before it expires) and its printable sheet; the review queue of anomalies.

Who may open them: team leaders, an activity's listed organisers, department staff and administrators;
which activity one may manage is `volunteers.services.may_organise` (403 for another team's).
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.accounts.models import Department
from civicgrid.accounts.roles import Capability, is_staff_member, user_can
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.volunteers import selectors, services
from civicgrid.volunteers.forms import (
    ActivityForm,
    AnomalyDecisionForm,
    DeclineForm,
    HoursForm,
    MessageForm,
    ShiftFormSet,
    WalkupForm,
)
from civicgrid.volunteers.models import (
    Activity,
    AnomalyState,
    CheckAnomaly,
    HoursState,
    Shift,
    Signup,
    SignupState,
    Team,
)
from civicgrid.volunteers.views import absolute, qr_svg
from civicgrid.web import add_domain_error

# The venue code screen asks for a new code this many seconds before the shown one expires.
VENUE_REFRESH_MARGIN = 30


def may_organise_volunteers(user) -> bool:
    """Does the console show this person the volunteer pages at all? (Per activity: may_organise.)"""
    if not user.is_authenticated or not user.is_active:
        return False
    if user_can(user, Capability.CONFIGURE) or user.department_id:
        return True
    return Team.objects.filter(leader=user).exists() or user.organised_activities.exists()


def organiser_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_organise_volunteers(request.user):
            return _denied(request, _("志愿服务组织者页面仅供队长、活动组织者和部门工作人员使用。"))
        return view(request, *args, **kwargs)

    return wrapper


def _denied(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "console/volunteers/denied.html", {"reason": reason}, status=403)


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    context.setdefault("section", "")
    context["review_count"] = selectors.review_queue(request.user).count()
    context["works_in_console"] = is_staff_member(request.user)  # a citizen team leader has no queues
    return render(request, template, context, status=status)


def _activity_for(request: HttpRequest, pk: int) -> Activity | HttpResponse:
    obj = Activity.objects.select_related("team", "department").filter(pk=pk).first()
    if obj is None:
        return render(request, "console/volunteers/gone.html", {}, status=404)
    if not services.may_organise(request.user, obj):
        return _denied(request, _("您不是这个活动的组织者。"))
    return obj


def _shift_for(request: HttpRequest, pk: int) -> Shift | HttpResponse:
    shift = Shift.objects.select_related("activity", "activity__team").filter(pk=pk).first()
    if shift is None:
        return render(request, "console/volunteers/gone.html", {}, status=404)
    if not services.may_organise(request.user, shift.activity):
        return _denied(request, _("您不是这个活动的组织者。"))
    return shift


def _signup_for(request: HttpRequest, pk: int) -> Signup | HttpResponse:
    row = Signup.objects.select_related("shift__activity", "volunteer").filter(pk=pk).first()
    if row is None:
        return render(request, "console/volunteers/gone.html", {}, status=404)
    if not services.may_organise(request.user, row.shift.activity):
        return _denied(request, _("您不是这个活动的组织者。"))
    return row


def _owners(user) -> list[tuple[str, str]]:
    """Who an activity may be organised by: the teams one leads, one's department (administrators: all)."""
    teams = Team.objects.order_by("name")
    departments = Department.objects.order_by("code")
    if not user_can(user, Capability.CONFIGURE):
        teams = teams.filter(leader=user)
        departments = departments.filter(pk=user.department_id) if user.department_id else departments.none()
    return [
        *[(f"team:{t.pk}", _("队伍：%(name)s") % {"name": t.name}) for t in teams],
        *[(f"department:{d.pk}", _("部门：%(name)s") % {"name": d.name}) for d in departments],
    ]


# --- my activities -----------------------------------------------------------------------------------


@organiser_required
def activities(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = []
    for a in selectors.organised_activities(request.user).prefetch_related("shifts").order_by("-id")[:100]:
        shifts = list(a.shifts.all())
        upcoming = [s for s in shifts if s.ends_at > now]
        rows.append(
            {
                "activity": a,
                "next": upcoming[0] if upcoming else None,
                "live": any(s.starts_at <= now < s.ends_at for s in shifts),
                "taken": sum(s.seats_taken for s in upcoming),
                "capacity": sum(s.capacity for s in upcoming),
                "shifts": len(shifts),
            }
        )
    rows.sort(key=lambda r: (r["next"] is None, r["next"].starts_at if r["next"] else now))
    pending = selectors.pending_hours(request.user).count()
    return _page(
        request,
        "console/volunteers/activities.html",
        {"rows": rows, "pending_hours": pending, "section": "activities"},
    )


@organiser_required
def activity_new(request: HttpRequest) -> HttpResponse:
    owners = _owners(request.user)
    if not owners:
        return _denied(request, _("您没有带领的队伍，也不属于任何部门，不能发起活动。"))
    form = ActivityForm(request.POST or None, owners=owners, initial={"fence_m": 300})
    shifts = ShiftFormSet(request.POST or None, prefix="shifts")
    if request.method == "POST" and form.is_valid() and shifts.is_valid():
        data = form.cleaned_data
        kind, _sep, owner_pk = data["owner"].partition(":")
        owner = {"team": None, "department": None}
        if kind == "team":
            owner["team"] = Team.objects.get(pk=owner_pk)
        else:
            owner["department"] = Department.objects.get(pk=owner_pk)
        try:
            made = services.activity_create(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                address=data["address"],
                lat=data["lat"],
                lon=data["lon"],
                description=data["description"],
                fence_m=data["fence_m"],
                street=owner["team"].street if owner["team"] else None,
                **owner,
            )
            for row in shifts.cleaned_data:
                if not row:
                    continue
                services.shift_add(
                    activity=made,
                    actor=request.user,
                    starts_at=row["starts_at"],
                    ends_at=row["ends_at"],
                    capacity=row["capacity"],
                    method=row["method"],
                    min_age=row["min_age"],
                    waitlist=row["waitlist"],
                )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("活动已发布"))
            return redirect("console:vol_activity", pk=made.pk)
    context = {
        "form": form,
        "shifts": shifts,
        "section": "new",
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
    }
    status = 422 if request.method == "POST" else 200
    return _page(request, "console/volunteers/activity_new.html", context, status=status)


@organiser_required
def activity(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _activity_for(request, pk)
    if isinstance(obj, HttpResponse):
        return obj
    now = clock.now()
    shifts = [
        {
            "shift": s,
            "live": s.starts_at <= now < s.ends_at,
            "ended": s.ends_at <= now,
            "waitlisted": s.signups.filter(state=SignupState.WAITLISTED).count(),
            "applied": s.signups.filter(state=SignupState.APPLIED).count(),
            "pending": s.signups.filter(hours_state=HoursState.PENDING).count(),
        }
        for s in obj.shifts.order_by("starts_at")
    ]
    return _page(
        request,
        "console/volunteers/activity.html",
        {"activity": obj, "shifts": shifts, "section": "activities"},
    )


@require_POST
@organiser_required
def activity_copy(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _activity_for(request, pk)
    if isinstance(obj, HttpResponse):
        return obj
    try:
        copy = services.activity_copy(activity=obj, actor=request.user, days=7)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("console:vol_activity", pk=obj.pk)
    messages.success(request, _("已复制为下周的活动，班次时间顺延 7 天"))
    return redirect("console:vol_activity", pk=copy.pk)


@require_POST
@organiser_required
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _activity_for(request, pk)
    if isinstance(obj, HttpResponse):
        return obj
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("请填写取消原因，将通知已报名的志愿者"))
        return redirect("console:vol_activity", pk=obj.pk)
    try:
        services.activity_cancel(activity=obj, actor=request.user, reason=reason[:200])
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("活动已取消，已通知报名的志愿者"))
    return redirect("console:vol_activity", pk=obj.pk)


# --- the rotating venue code ------------------------------------------------------------------------


def _venue_context(request: HttpRequest, obj: Activity) -> dict:
    code = services.venue_code(activity=obj)
    url = absolute(request, code.url)
    left = max(int((code.expires_at - clock.now()).total_seconds()), 0)
    return {
        "activity": obj,
        "qr": qr_svg(url, scale=8),
        "url": url,
        "expires_at": code.expires_at,
        # Ask again a little before it expires (never more often than every 5 s).
        "refresh": max(min(left - VENUE_REFRESH_MARGIN, 60), 5),
    }


@organiser_required
def venue(request: HttpRequest, pk: int) -> HttpResponse:
    """签到码: the current venue code, refreshed by htmx before it expires. Shown on the organiser's
    phone (or a screen at the venue) for volunteers to scan."""
    obj = _activity_for(request, pk)
    if isinstance(obj, HttpResponse):
        return obj
    context = _venue_context(request, obj)
    if request.htmx:
        response = render(request, "console/volunteers/partials/_venue_code.html", context)
    else:
        response = _page(request, "console/volunteers/venue.html", {**context, "section": "activities"})
    patch_cache_control(response, private=True, no_store=True)
    return response


@organiser_required
def venue_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable sheet of the current code, with the time it stops working written on it."""
    obj = _activity_for(request, pk)
    if isinstance(obj, HttpResponse):
        return obj
    response = render(request, "console/volunteers/venue_sheet.html", _venue_context(request, obj))
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- a shift: roster, walk-up, message, hours --------------------------------------------------------


def _roster_page(request: HttpRequest, shift: Shift, *, status: int = 200, **forms) -> HttpResponse:
    rows = list(selectors.roster(shift))
    counts = {state: sum(1 for r in rows if r.state == state) for state in SignupState.values}
    context = {
        "shift": shift,
        "activity": shift.activity,
        "rows": rows,
        "counts": counts,
        "walkup_form": forms.get("walkup_form") or WalkupForm(initial={"direction": "in"}),
        "message_form": forms.get("message_form") or MessageForm(),
        "decline_form": DeclineForm(),
        "open_anomalies": shift.anomalies.filter(state=AnomalyState.OPEN).count(),
        "section": "activities",
    }
    return _page(request, "console/volunteers/roster.html", context, status=status)


@organiser_required
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _shift_for(request, pk)
    if isinstance(shift, HttpResponse):
        return shift
    return _roster_page(request, shift)


@require_POST
@organiser_required
def signup_approve(request: HttpRequest, pk: int) -> HttpResponse:
    row = _signup_for(request, pk)
    if isinstance(row, HttpResponse):
        return row
    try:
        services.signup_approve(signup=row, actor=request.user)
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("已通过 %(name)s 的报名") % {"name": row.volunteer.real_name})
    return redirect("console:vol_roster", pk=row.shift_id)


@require_POST
@organiser_required
def signup_decline(request: HttpRequest, pk: int) -> HttpResponse:
    row = _signup_for(request, pk)
    if isinstance(row, HttpResponse):
        return row
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写不通过的理由"))
        return redirect("console:vol_roster", pk=row.shift_id)
    try:
        services.signup_decline(signup=row, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("已告知 %(name)s 报名未通过") % {"name": row.volunteer.real_name})
    return redirect("console:vol_roster", pk=row.shift_id)


@require_POST
@organiser_required
def walkup(request: HttpRequest, pk: int) -> HttpResponse:
    """现场签到 by phone number, for volunteers without a smartphone (or not signed up: a walk-up)."""
    shift = _shift_for(request, pk)
    if isinstance(shift, HttpResponse):
        return shift
    form = WalkupForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        check = services.organiser_check_in if data["direction"] == "in" else services.organiser_check_out
        try:
            result = check(actor=request.user, shift=shift, phone=data["phone"])
        except DomainError as err:
            form.add_error("phone" if err.field in (None, "phone", "personal_token") else None, err.message)
        else:
            name = result.signup.volunteer.real_name if result.signup else data["phone"]
            if result.accepted:
                messages.success(request, _("%(name)s：已记录") % {"name": name})
            else:
                messages.warning(
                    request,
                    _("%(name)s：已进入审核队列（%(reason)s）") % {"name": name, "reason": result.message},
                )
            return redirect("console:vol_roster", pk=shift.pk)
    return _roster_page(request, shift, status=422, walkup_form=form)


@require_POST
@organiser_required
def message(request: HttpRequest, pk: int) -> HttpResponse:
    shift = _shift_for(request, pk)
    if isinstance(shift, HttpResponse):
        return shift
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            sent = services.roster_message(shift=shift, actor=request.user, text=form.cleaned_data["text"])
        except DomainError as err:
            form.add_error("text", err.message)
        else:
            messages.success(request, _("已通知 %(n)s 人") % {"n": sent})
            return redirect("console:vol_roster", pk=shift.pk)
    return _roster_page(request, shift, status=422, message_form=form)


@organiser_required
def hours(request: HttpRequest, pk: int) -> HttpResponse:
    """审定时长: the shift's computed hours, approved in bulk, or one by one with a correction."""
    shift = _shift_for(request, pk)
    if isinstance(shift, HttpResponse):
        return shift
    if request.method == "POST" and request.POST.get("action") == "close":
        try:
            services.shift_close(shift=shift, actor=request.user)
        except DomainError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("班次已结束：未签到的记为缺席，时长已计算"))
        return redirect("console:vol_hours", pk=shift.pk)
    if request.method == "POST" and request.POST.get("action") == "bulk":
        chosen = {int(v) for v in request.POST.getlist("signup") if v.isdigit()}
        done, failed = 0, []
        for row in shift.signups.filter(pk__in=chosen, hours_state=HoursState.PENDING).select_related(
            "volunteer"
        ):
            try:
                services.hours_approve(signup=row, actor=request.user)
                done += 1
            except DomainError as err:
                failed.append(f"{row.volunteer.real_name}：{err.message}")
        if done:
            messages.success(request, _("已审定 %(n)s 人的服务时长") % {"n": done})
        for text in failed:
            messages.error(request, text)
        return redirect("console:vol_hours", pk=shift.pk)
    return _hours_page(request, shift)


def _hours_page(request: HttpRequest, shift: Shift, *, errors: dict | None = None, status: int = 200):
    errors = errors or {}
    rows = []
    for s in shift.signups.filter(
        Q(hours_state__in=[HoursState.PENDING, HoursState.APPROVED, HoursState.REJECTED])
        | Q(state__in=[SignupState.ATTENDED, SignupState.NO_SHOW])
    ).select_related("volunteer"):
        form = errors.get(s.pk) or HoursForm(
            prefix=f"s{s.pk}", initial={"hours": None, "rating": s.rating, "evaluation": s.evaluation}
        )
        rows.append({"signup": s, "form": form})
    context = {
        "shift": shift,
        "activity": shift.activity,
        "rows": rows,
        "ended": shift.ends_at <= clock.now(),
        "pending": sum(1 for r in rows if r["signup"].hours_state == HoursState.PENDING),
        "section": "hours",
    }
    return _page(request, "console/volunteers/hours.html", context, status=status)


@require_POST
@organiser_required
def hours_one(request: HttpRequest, pk: int) -> HttpResponse:
    row = _signup_for(request, pk)
    if isinstance(row, HttpResponse):
        return row
    form = HoursForm(request.POST, prefix=f"s{row.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.hours_approve(
                signup=row,
                actor=request.user,
                hours=data["hours"],
                note=data["note"],
                rating=data["rating"],
                evaluation=data["evaluation"],
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已审定 %(name)s 的服务时长") % {"name": row.volunteer.real_name})
            return redirect("console:vol_hours", pk=row.shift_id)
    return _hours_page(request, row.shift, errors={row.pk: form}, status=422)


@organiser_required
def pending(request: HttpRequest) -> HttpResponse:
    """Every shift of mine with hours waiting for approval."""
    by_shift: dict[int, dict] = {}
    for s in selectors.pending_hours(request.user).select_related("shift__activity"):
        entry = by_shift.setdefault(s.shift_id, {"shift": s.shift, "count": 0, "hours": Decimal(0)})
        entry["count"] += 1
        entry["hours"] += s.hours_claimed or 0
    rows = sorted(by_shift.values(), key=lambda e: e["shift"].starts_at)
    return _page(request, "console/volunteers/pending.html", {"rows": rows, "section": "hours"})


# --- the review queue -----------------------------------------------------------------------------------


@organiser_required
def review(request: HttpRequest) -> HttpResponse:
    rows = selectors.review_queue(request.user).select_related("volunteer", "shift__activity", "signup")
    return _page(
        request,
        "console/volunteers/review.html",
        {"rows": rows, "form": AnomalyDecisionForm(), "section": "review"},
    )


@require_POST
@organiser_required
def anomaly_decide(request: HttpRequest, pk: int) -> HttpResponse:
    row = CheckAnomaly.objects.select_related("shift__activity", "volunteer").filter(pk=pk).first()
    if row is None:
        return render(request, "console/volunteers/gone.html", {}, status=404)
    if not services.may_organise(request.user, row.shift.activity):
        return _denied(request, _("您不是这个活动的组织者。"))
    form = AnomalyDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择认可或驳回，并填写处理意见"))
        return redirect("console:vol_review")
    try:
        services.anomaly_decide(
            anomaly=row,
            actor=request.user,
            accept=form.cleaned_data["decision"] == "accept",
            note=form.cleaned_data["note"],
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("已处理 %(name)s 的签到异常") % {"name": row.volunteer.real_name})
    return redirect("console:vol_review")
