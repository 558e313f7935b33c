"""消息: my notifications, newest first; opening one marks it read and follows its link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.errors import DomainError
from civicgrid.mobile import selectors
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preferences_set,
    preference_rows,
    preferences_from_form,
)
from civicgrid.web import http_error, mobile_login_required, page_number


@mobile_login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = page_number(request)
    items, more = selectors.my_notifications(request.user, offset=(page - 1) * selectors.PAGE_SIZE)
    context = {"items": items, "more": more, "next_page": page + 1, "tab": "notifications"}
    if request.htmx:
        return render(request, "mobile/partials/_notification_items.html", context)
    return render(request, "mobile/notifications.html", context)


@mobile_login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of my notifications read and go where it points (only within this site)."""
    notification = Notification.objects.filter(pk=pk).first()
    try:
        if notification is None:
            from civicgrid.core.errors import NotFound

            raise NotFound("notification_not_found", "通知不存在", "no such notification")
        notification_mark_read(notification=notification, user=request.user)
    except DomainError as err:
        return http_error(err, request)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("mobile:notifications")


@require_POST
@mobile_login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = notification_mark_all_read(user=request.user)
    if marked:
        messages.success(request, _("已全部标为已读"))
    return redirect("mobile:notifications")


@mobile_login_required
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
            return redirect("mobile:notification_settings")
    context = {"rows": preference_rows(request.user), "error": error, "tab": "notifications"}
    return render(request, "mobile/notification_settings.html", context, status=status)
