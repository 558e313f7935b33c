"""Password sign-in throttling (django-axes): per account and per client address, backoff, lockout, alert.

Policy (settings, see settings.py "Sign-in throttling"):
- an account is locked after CIVICGRID_LOGIN_FAILURES_PER_ACCOUNT failed passwords from any address;
- a client address is locked after CIVICGRID_LOGIN_FAILURES_PER_ADDRESS failed passwords for any
  accounts (higher: many people share one address behind an office or carrier NAT);
- a lockout lasts CIVICGRID_LOGIN_LOCKOUT_MINUTES after the last failure, doubled for each failure
  recorded while locked in the last day (backoff, at most a day); each try while locked restarts it;
- every lockout is a security alert (`accounts.security`): log warning and the administrators.

The right password is refused while locked, on /accounts/login/ and /admin/login/ alike, with a
page that says so in Chinese or English (status 429). An administrator unlocks by deleting the
account's access attempts in the admin (Axes → Access attempts) or with `civicgrid axes_reset_username`.
"""

from __future__ import annotations

from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import Q, Sum
from django.shortcuts import render
from django.utils import timezone

from civicgrid.accounts.security import security_alert
from civicgrid.core.masking import mask_phone

MAX_LOCKOUT = timedelta(days=1)


class ThrottledBackend(AxesStandaloneBackend):
    """Refuses every sign-in of a locked account or address; the ModelBackend after it checks the password.

    `authenticate()` without a request (a management command, the test client's `login()`) is not
    an HTTP sign-in and cannot be attributed to an address: it passes to the next backend unthrottled.
    Every sign-in page of the platform passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            # Already locked: the try is recorded (and restarts the lockout) but alerts no one again.
            request.civicgrid_was_locked = True
            raise


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind CIVICGRID_PROXY_COUNT proxies the one the outermost saw.

    Only the entries our own proxies appended to X-Forwarded-For are trusted (counted from the
    right): whatever a client writes into the header itself stays to the left and is ignored.
    """
    proxies = settings.CIVICGRID_PROXY_COUNT
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _failures(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per account and another per address.

    Axes compares one number with one limit (AXES_FAILURE_LIMIT, set to the per-account limit):
    the address's failures are scaled to it, so that floor(n × account / address) reaches the
    account limit exactly when n reaches the address limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        per_account = settings.CIVICGRID_LOGIN_FAILURES_PER_ACCOUNT
        per_address = settings.CIVICGRID_LOGIN_FAILURES_PER_ADDRESS
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        account = _failures(recent.filter(username=username)) if username else 0
        address = _failures(recent.filter(ip_address=request.axes_ip_address))
        return max(account, address * per_account // per_address)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in clears its account's failures only, never its address's.

        (Axes would delete the address's too: one valid account would then let a guesser reset
        the address's count between rounds of guesses at other accounts.)
        """
        username = get_client_username(request, credentials)
        return AccessAttempt.objects.filter(username=username).delete()[0] if username else 0


def cool_off(request=None) -> timedelta:
    """How long a lockout lasts: the base time, doubled for each failure while locked in the last day."""
    base = timedelta(minutes=settings.CIVICGRID_LOGIN_LOCKOUT_MINUTES)
    if request is None:
        return base
    username = get_client_username(request)
    address = getattr(request, "axes_ip_address", None)
    who = Q(ip_address=address) if address else Q(pk__in=[])
    if username:
        who |= Q(username=username)
    while_locked = AccessFailureLog.objects.filter(
        who, locked_out=True, attempt_time__gte=timezone.now() - timedelta(days=1)
    ).count()
    # The failure that locks is logged as locked too: the first lockout lasts the base time.
    return min(base * 2 ** min(max(while_locked - 1, 0), 10), MAX_LOCKOUT)


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked account or address gets instead of the login form (429)."""
    minutes = int(cool_off(request).total_seconds() // 60)
    context = {"minutes": minutes, "next": request.POST.get("next") or request.GET.get("next") or ""}
    return render(request, "accounts/lockout.html", context, status=429)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """axes' `user_locked_out` signal: a security alert when a failure locks (not for tries while locked)."""
    if request is None or getattr(request, "civicgrid_was_locked", False):
        return
    who = mask_phone(username) if username else "—"
    path = getattr(request, "path", "")
    security_alert(
        key=f"login-lockout:{who}:{ip_address or ''}:{timezone.now().isoformat()}",
        title="登录失败次数过多，已锁定",
        body=f"账号 {who}，来源地址 {ip_address or '—'}，登录入口 {path}；"
        f"too many failed sign-ins: account {who}, address {ip_address or '—'}, at {path}",
    )
