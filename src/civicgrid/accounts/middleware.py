"""Session lifetimes by role (等保 2.0): staff sessions end when idle and after a fixed span.

A staff member (`roles.is_staff_member`) is signed out after CIVICGRID_STAFF_IDLE_MINUTES without a
request, and CIVICGRID_STAFF_SESSION_HOURS after signing in whatever they do; both are checked here,
on the server, so that the person is told why. Their session (cookie and row) is kept only until
the end of the lifetime plus one idle span. Citizens keep Django's SESSION_COOKIE_AGE. The time of
the last request is written at most once a minute (TOUCH_SECONDS), not on every request.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts.roles import is_staff_member, needs_second_factor
from civicgrid.core.errors import PermissionDenied

SIGNED_IN_AT = "_civicgrid_signed_in_at"
LAST_SEEN_AT = "_civicgrid_last_seen_at"
TOUCH_SECONDS = 60


def stamp_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: the absolute lifetime counts from here (a new session key each login)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    if is_staff_member(user):
        _keep_until_the_end(request.session, now)


def _keep_until_the_end(session, signed_in_at: float) -> None:
    end = signed_in_at + lifetime_seconds() + idle_seconds()
    session.set_expiry(datetime.fromtimestamp(end, tz=UTC))


def idle_seconds() -> int:
    return settings.CIVICGRID_STAFF_IDLE_MINUTES * 60


def lifetime_seconds() -> int:
    return settings.CIVICGRID_STAFF_SESSION_HOURS * 3600


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if is_staff_member(user):
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request) -> None:
        session = request.session
        now = time.time()
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if signed_in_at is None or last_seen_at is None:  # signed in before this policy: count from now
            session[SIGNED_IN_AT] = signed_in_at = now
            session[LAST_SEEN_AT] = last_seen_at = now
            _keep_until_the_end(session, now)
        if now - last_seen_at > idle_seconds():
            self._end(request, _("您已长时间未操作，为保护数据安全已自动退出，请重新登录。"))
        elif now - signed_in_at > lifetime_seconds():
            self._end(request, _("登录已超过最长有效时间，请重新登录。"))
        elif now - last_seen_at >= TOUCH_SECONDS:
            session[LAST_SEEN_AT] = now

    @staticmethod
    def _end(request, message: str) -> None:
        logout(request)  # flushes the session; request.user becomes anonymous
        if not request.path.startswith("/api/"):
            messages.info(request, message)


# What a person who still owes the second factor may open: the pages that take it, signing out, the language.
SECOND_FACTOR_OPEN = ("/accounts/otp/", "/accounts/logout/", "/i18n/", "/static/")


class SecondFactorMiddleware:
    """With CIVICGRID_OTP_REQUIRED, an administrator or leader signed in with a password reaches
    nothing (pages, the session API, the admin site) until they confirm with a TOTP code: to the
    enrolment page if they have no authenticator yet, else to the verification page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            needs_second_factor(user)
            and not user.is_verified()
            and not request.path.startswith(SECOND_FACTOR_OPEN)
        ):
            if request.path.startswith("/api/"):
                error = PermissionDenied(
                    "second_factor_required",
                    "请先在网页上完成双因素验证",
                    "confirm your sign-in with a one-time code on the web page first",
                )
                return JsonResponse(error.as_dict(), status=error.status)
            page = "accounts:otp_verify" if has_confirmed_device(user) else "accounts:otp_setup"
            return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
