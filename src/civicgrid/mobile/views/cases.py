"""我的上报: the cases I reported or joined, one case with its timeline and photos, rating, "me too"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.access import (
    access_case,
    allowed_actions,
    description_for,
    event_note_for,
    is_rater,
    rating_comment_for,
    unit_as_seen,
)
from civicgrid.cases.choices import Action, CaseStatus, Rating
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.cases.workflow import case_me_too as me_too
from civicgrid.core.errors import DomainError
from civicgrid.mobile import selectors
from civicgrid.mobile.forms import RatingForm
from civicgrid.notifications.services import notification_mark_case_read
from civicgrid.web import add_domain_error, http_error, mobile_login_required, page_number


@mobile_login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """My reports and the cases I joined, newest first; htmx asks for the next page's items only."""
    page = page_number(request)
    cases, more = selectors.my_cases(request.user, offset=(page - 1) * selectors.PAGE_SIZE)
    context = {"cases": cases, "more": more, "next_page": page + 1, "tab": "cases"}
    if request.htmx:
        return render(request, "mobile/partials/_case_items.html", context)
    return render(request, "mobile/my_cases.html", context)


def timeline(case: Case, detail: case_selectors.CaseDetail, viewer) -> list[dict]:
    """The steps a reporter sees, each with when, who ("me", a unit or a role), the note and its photos."""
    thumbnails = {p["url"]: p["thumbnail"] for p in detail.photos}
    rows = []
    for event in detail.events:
        if event.action not in selectors.CITIZEN_TIMELINE_ACTIONS:
            continue
        who = _("我") if event.actor_id and event.actor_id == viewer.pk else unit_as_seen(event)
        moved_to = event.action in (Action.DISPATCH, Action.REOPEN)
        target = event.department.name if moved_to and event.department_id else ""
        rating = (event.data or {}).get("rating") if event.action == Action.RATE else None
        rows.append(
            {
                "event": event,
                "note": event_note_for(viewer, event),
                "label": event.get_action_display(),
                "who": who,
                "target": target,
                "photos": [(url, thumbnails.get(url, url)) for url in detail.event_photos.get(event.pk, [])],
                "rating_label": Rating(rating).label if rating in Rating.values else "",
            }
        )
    return rows


def case_page(
    request: HttpRequest, case: Case, *, rating_form: RatingForm | None = None, status: int = 200
) -> HttpResponse:
    detail = case_selectors.case_detail(case)
    actions = allowed_actions(request.user, case)
    context = {
        "case": case,
        "description": description_for(request.user, case),
        "timeline": timeline(case, detail, request.user),
        "photos": selectors.case_photos_by_stage(detail.photos),
        "can_rate": Action.RATE in actions,
        "is_rater": is_rater(request.user, case),
        "rating_comment": rating_comment_for(request.user, case),
        # A rating given before the case was reopened (重办) is history: the current round is unrated.
        "rating_earlier": bool(case.rating) and case.status != CaseStatus.CLOSED,
        "rating_form": rating_form or RatingForm(),
        "is_reporter": case.reporter_id == request.user.pk,
        "tab": "cases",
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
    }
    return render(request, "mobile/case_detail.html", context, status=status)


@mobile_login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        case = access_case(request.user, number)
    except DomainError as err:
        return http_error(err, request)
    notification_mark_case_read(user=request.user, case_id=case.pk)
    return case_page(request, case)


@require_POST
@mobile_login_required
def case_rate(request: HttpRequest, number: str) -> HttpResponse:
    """评价: satisfied / basically / unsatisfied and a comment, once the case is closed (the RATE move)."""
    try:
        case = access_case(request.user, number)
    except DomainError as err:
        return http_error(err, request)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            case_transition(
                case=case,
                action=Action.RATE,
                actor=request.user,
                note=form.cleaned_data["comment"],
                payload=MoveInput(rating=form.cleaned_data["rating"]),
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            case.refresh_from_db()
            if case.status == CaseStatus.DISPATCHED and case.department_id:
                messages.success(
                    request,
                    _("感谢您的评价，案件已重新交办给%(department)s") % {"department": case.department.name},
                )
            else:
                messages.success(request, _("感谢您的评价"))
            return redirect("mobile:case_detail", number=number)
    return case_page(request, case, rating_form=form, status=422)


@require_POST
@mobile_login_required
def case_me_too(request: HttpRequest, number: str) -> HttpResponse:
    """附议 ("me too"): follow an open public case instead of reporting it again."""
    try:
        case = case_selectors.joinable_case(number)
        me_too(case=case, user=request.user)
    except DomainError as err:
        if request.htmx:
            return render(
                request,
                "mobile/partials/_me_too_done.html",
                {"case_number": number, "error": err.message},
                status=200,
            )
        if err.status == 404:
            return http_error(err, request)
        messages.error(request, err.message)
        return redirect("mobile:report")
    if request.htmx:
        response = render(request, "mobile/partials/_me_too_done.html", {"case_number": number})
        response["HX-Trigger"] = "cg:joined"
        return response
    messages.success(request, _("已附议，可在“我的上报”中查看办理进度"))
    return redirect("mobile:case_detail", number=number)
