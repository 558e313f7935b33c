"""The staff console (工作台): queues by role, the case page with its actions, hotline entry, notices.

Views stay thin: parse → access (cases/access.py) → service (case_transition, case_submit) →
render. A refused move re-renders the case page with the message next to the field (422); a
done move redirects back (POST/redirect/GET). An htmx request gets the queue table partial.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.accounts.clients import may_manage_clients
from civicgrid.accounts.roles import Capability, is_staff_member, user_can
from civicgrid.accounts.staff import may_manage_staff
from civicgrid.audit.selectors import may_read_api_calls
from civicgrid.audit.services import personal_data_view_record
from civicgrid.cases import selectors as case_selectors
from civicgrid.cases.access import access_case, sees_personal_data, visible_cases
from civicgrid.cases.choices import Action, CaseStatus, Light
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import PhotoStage
from civicgrid.cases.publication import case_public_summary_edit, case_public_text, may_edit_public_summary
from civicgrid.cases.queues import QUEUES, Queue, default_queue, may_open, parse_queue_query, queues_for
from civicgrid.cases.workflow import NOTE_MAX_LENGTH, case_transition
from civicgrid.console import forms, selectors
from civicgrid.console.suggestions import case_suggestions
from civicgrid.console.volunteer_views import may_organise_volunteers
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.core.text import text_check
from civicgrid.grids.scope import area_street_ids
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import (
    notification_mark_all_read,
    notification_mark_case_read,
    notification_mark_read,
    notification_preferences_set,
    preference_rows,
    preferences_from_form,
)
from civicgrid.open311.selectors import case_open311
from civicgrid.replyquality import selectors as reply_selectors
from civicgrid.replyquality.hints import reply_hints, warm_up

POLL_SECONDS_DEFAULT = 15
# What "show contact" reveals on the case page (recorded with each view in the access audit).
PERSONAL_FIELDS = ["reporter", "contact_name", "contact_phone", "timeline_citizens"]


def staff_required(view):
    """Anonymous → the login page; a citizen → 403. Everything finer is the access functions' job."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return render(
                request, "console/denied.html", {"reason": _("工作台仅供工作人员使用。")}, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def _visible(request: HttpRequest):
    """visible_cases(user), built once per request (a department admin's costs a walk of the tree)."""
    if not hasattr(request, "_console_visible"):
        request._console_visible = visible_cases(request.user)
    return request._console_visible


def _chrome(request: HttpRequest, current: Queue | None) -> dict:
    """What every console page shows around its content: the queue sidebar and the unread count."""
    queues = queues_for(request.user)
    return {
        "queues": queues,
        "queue_counts": selectors.queue_counts(_visible(request), request.user, queues, clock.now()),
        "current_queue": current,
        "unread_count": selectors.unread_count(request.user),
        "may_enter_calls": user_can(request.user, Capability.REGISTER),
        "may_manage_staff": may_manage_staff(request.user),
        "may_manage_clients": may_manage_clients(request.user),
        "may_read_api_calls": may_read_api_calls(request.user),
        "may_organise_volunteers": may_organise_volunteers(request.user),
    }


def _page(
    request: HttpRequest, template: str, context: dict, *, status: int = 200, current: Queue | None = None
) -> HttpResponse:
    return render(request, template, {**_chrome(request, current), **context}, status=status)


def _queue_from(request: HttpRequest, case=None) -> Queue:
    """The way back: the queue the page was opened from (`?from=`), else the viewer's queue for the
    case's status (a link from a notification), else the viewer's default queue."""
    name = request.GET.get("from") or request.POST.get("from") or ""
    queue = QUEUES.get(name)
    if queue is not None and may_open(request.user, queue):
        return queue
    if case is not None:
        for queue in queues_for(request.user):
            if case.status in queue.statuses:
                return queue
    return default_queue(request.user)


def case_url(number: str, queue: Queue | None = None) -> str:
    url = reverse("console:case", args=[number])
    return f"{url}?{urlencode({'from': queue.name})}" if queue else url


# --- queues ----------------------------------------------------------------------------------------


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("console:queue", name=default_queue(request.user).name)


@require_GET
@staff_required
def queue(request: HttpRequest, name: str) -> HttpResponse:
    q = QUEUES.get(name)
    if q is None:
        raise Http404("no such queue")
    if not may_open(request.user, q):
        return _page(request, "console/denied.html", {"reason": _("您的角色不能查看这个队列。")}, status=403)
    query = parse_queue_query(request.GET, q)
    now = clock.now()
    result = selectors.queue_page(_visible(request), request.user, q, query.filters, query.page, now=now)
    context = {
        "queue": q,
        "query": query,
        "result": result,
        "now": now,
        "light_labels": dict(Light.choices),
        "poll_seconds": getattr(settings, "CIVICGRID_CONSOLE_POLL_SECONDS", POLL_SECONDS_DEFAULT),
        "base_params": _params_without(request, "page", "sort"),
        "page_params": _params_without(request, "page"),
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        # The table, plus the sidebar counts and the unread count swapped out of band.
        response = render(
            request, "console/partials/_queue_table.html", {**_chrome(request, q), **context, "oob": True}
        )
    else:
        context.update(
            options=case_selectors.filter_options(
                with_departments=user_can(request.user, Capability.VIEW_CITY),
                street_ids=area_street_ids(request.user),
            ),
            statuses=CaseStatus.choices,
            lights=forms.LIGHT_CHOICES,
        )
        response = _page(request, "console/queue.html", context, current=q)
    # One URL, two bodies: a cache (or the back button) must not serve the partial as the page.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _params_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    params = {k: [v for v in params.getlist(k) if v] for k in params}
    return urlencode({k: v for k, v in params.items() if v}, doseq=True)


# --- the case page ---------------------------------------------------------------------------------


def _case_or_404(request: HttpRequest, number: str):
    try:
        return access_case(request.user, number)
    except NotFound:
        return None


def _not_found(request: HttpRequest, number: str) -> HttpResponse:
    return _page(
        request, "console/not_found.html", {"number": number, "back": _queue_from(request)}, status=404
    )


def _case_page(
    request: HttpRequest,
    case,
    *,
    status: int = 200,
    error: DomainError | None = None,
    failed_action: str = "",
    revealed: bool = False,
) -> HttpResponse:
    back = _queue_from(request, case)
    page = selectors.case_page(request.user, case, now=clock.now(), revealed=revealed)
    context = {
        "page": page,
        "case": case,
        "back": back,
        "error": error,
        "failed_action": failed_action,
        "forms": forms.action_forms(
            page.actions, failed=failed_action, error=error, submitted=request.POST if failed_action else None
        ),
        "action_labels": dict(Action.choices),
        "public_text": case_public_text(case) if case.is_published else "",
        "may_edit_summary": may_edit_public_summary(request.user),
        "light_labels": dict(Light.choices),
        "stage_labels": dict(PhotoStage.choices),
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
        "reply_score": reply_selectors.latest_score(case),
        "similar": selectors.similar_for(request.user, case, now=clock.now()),
        "open311": case_open311(case),
    }
    context.update(case_suggestions(request.user, case, page.actions))
    response = _page(request, "console/case.html", context, status=status, current=back)
    if page.personal:
        patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
@staff_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    if case is None:
        return _not_found(request, number)
    notification_mark_case_read(user=request.user, case_id=case.pk)
    return _case_page(request, case)


@require_POST
@staff_required
def case_contact(request: HttpRequest, number: str) -> HttpResponse:
    """查看联系方式: the case page with its personal data shown, once the reason is in the access audit.

    Each view is one POST with its reason (a reload asks again); who may not see the data gets the
    404 of a case they may not open.
    """
    case = _case_or_404(request, number)
    if case is None or not sees_personal_data(request.user, case):
        return _not_found(request, number)
    try:
        personal_data_view_record(
            actor=request.user,
            request=request,
            case=case,
            reason=request.POST.get("reason", ""),
            fields=PERSONAL_FIELDS,
        )
    except DomainError as exc:
        return _case_page(request, case, status=422, error=exc, failed_action="contact")
    return _case_page(request, case, revealed=True)


@require_POST
@staff_required
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    if action not in Action.values:
        raise Http404("no such action")
    case = _case_or_404(request, number)
    if case is None:
        return _not_found(request, number)
    try:
        note, payload = forms.move_input(request.POST, request.FILES, user=request.user)
        case_transition(case=case, action=action, actor=request.user, note=note, payload=payload)
    except DomainError as exc:
        # Nothing was written (the move runs in one transaction); show why, next to the field.
        return _case_page(request, case, status=422, error=exc, failed_action=action)
    label = Action(action).label
    case.refresh_from_db()
    if action == Action.REGISTER and case.status == CaseStatus.DISPATCHED and case.department_id:
        # An auto-dispatch category: the registration dispatched it at once; say where.
        messages.success(
            request,
            _("已立案并自动派遣至“%(department)s”：案件 %(number)s")
            % {"department": case.department.name, "number": number},
        )
    elif action == Action.REDISPATCH:
        messages.success(
            request,
            _("已改派至“%(department)s”：案件 %(number)s")
            % {"department": case.department.name, "number": number},
        )
    elif action == Action.MERGE:
        messages.success(
            request,
            _("案件 %(number)s 已并入 %(original)s，上报人将收到该案件的进展")
            % {"number": number, "original": case.duplicate_of.number},
        )
    else:
        messages.success(
            request, _("“%(action)s”已完成：案件 %(number)s") % {"action": label, "number": number}
        )
    back = _queue_from(request)
    if _visible(request).filter(number=number).exists():
        return HttpResponseRedirect(case_url(number, back))
    # E.g. a handler who returned a case no longer sees it: back to their queue.
    return redirect("console:queue", name=back.name)


@require_POST
@staff_required
def case_reply_hints(request: HttpRequest, number: str) -> HttpResponse:
    """答复质量提示: the hints on the feedback being typed (htmx, debounced), under the text box.
    Nothing is stored; hints never block the move."""
    case = _case_or_404(request, number)
    if case is None:
        return _not_found(request, number)
    try:
        note = text_check(request.POST.get("note", ""), field="note", max_length=NOTE_MAX_LENGTH)
    except DomainError as exc:
        return render(request, "console/partials/_reply_hints.html", {"error": exc}, status=exc.status)
    assessment = None
    if not note.strip():
        warm_up()  # the form was just shown: the handler is about to write, load the word list now
    else:
        assessment = reply_hints(
            case.description, note, category=case.category, due_at=case.due_at, replied_at=clock.now()
        )
    return render(request, "console/partials/_reply_hints.html", {"assessment": assessment})


@require_POST
@staff_required
def case_public_summary(request: HttpRequest, number: str) -> HttpResponse:
    """公开摘要: what the public read of the case instead of the reporter's words (empty: the redacted text)."""
    case = _case_or_404(request, number)
    if case is None:
        return _not_found(request, number)
    try:
        case_public_summary_edit(
            case=case, actor=request.user, summary=request.POST.get("public_summary", "")
        )
    except DomainError as exc:
        return _case_page(request, case, status=exc.status, error=exc, failed_action="public_summary")
    messages.success(request, _("公开摘要已保存：案件 %(number)s") % {"number": number})
    return HttpResponseRedirect(case_url(number, _queue_from(request)))


# --- hotline and mailbox entry ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def intake(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Capability.REGISTER):
        return _page(
            request, "console/denied.html", {"reason": _("只有受理员可以录入热线和信箱来件。")}, status=403
        )
    form = forms.IntakeForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                submission = Submission(
                    description=data["description"],
                    lat=data["lat"],
                    lon=data["lon"],
                    kind=data["kind"],
                    channel=data["channel"],
                    category=data["category"],
                    urgency=data["urgency"] or None,
                    address=data["address"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    is_public=data["is_public"],
                    photos=forms.photos_from_files(request.FILES, user=request.user),
                )
                case = case_submit(
                    reporter=request.user, submission=submission, idempotency_key=data["idempotency_key"]
                ).case
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                if case.duplicate_of_id:
                    messages.info(
                        request,
                        _("已录入 %(number)s：附近已有相同问题 %(original)s，已并案。")
                        % {"number": case.number, "original": case.duplicate_of.number},
                    )
                else:
                    messages.success(request, _("已录入来件 %(number)s") % {"number": case.number})
                return HttpResponseRedirect(case_url(case.number, QUEUES["new"]))
        status = 422
    context = {
        "form": form,
        "categories": case_selectors.filter_options(with_departments=False).categories,
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
    }
    return _page(request, "console/intake.html", context, status=status)


# --- notifications ---------------------------------------------------------------------------------

NOTIFICATIONS_SHOWN = 50


@require_GET
@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(
        Notification.objects.for_user(request.user).order_by("-created_at", "-id")[:NOTIFICATIONS_SHOWN]
    )
    return _page(request, "console/notifications.html", {"items": items, "back": default_queue(request.user)})


@require_http_methods(["GET", "POST"])
@staff_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """通知设置: per kind, in the inbox (站内) and/or by SMS (短信); delivery reads them (notify)."""
    error, status = "", 200
    if request.method == "POST":
        try:
            notification_preferences_set(
                user=request.user, choices=preferences_from_form(request.user, request.POST)
            )
        except DomainError as err:
            error, status = err.message, err.status
        else:
            messages.success(request, _("通知设置已保存"))
            return redirect("console:notification_settings")
    return _page(
        request,
        "console/notification_settings.html",
        {"rows": preference_rows(request.user), "error": error},
        status=status,
    )


@require_POST
@staff_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = Notification.objects.filter(pk=pk).first()
    if notification is None:
        raise Http404("no such notification")
    try:
        notification_mark_read(notification=notification, user=request.user)
    except NotFound as exc:
        raise Http404("no such notification") from exc
    link = notification.link or ""
    # Only links inside the platform are followed (a notification is not an open redirect).
    if link.startswith("/") and not link.startswith("//"):
        return HttpResponseRedirect(link)
    return redirect("console:notifications")


@require_POST
@staff_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    messages.success(request, _("已将 %(count)s 条通知标为已读") % {"count": count})
    return redirect("console:notifications")
