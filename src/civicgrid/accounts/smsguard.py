"""Limits on sending login codes by SMS, against SMS pumping (短信轰炸/刷量).

Besides the per-phone limits of `services.login_code_send` (one a minute, ten a day):
- per client address: CIVICGRID_SMS_PER_ADDRESS_PER_HOUR sends an hour;
- per browser session: CIVICGRID_SMS_NUMBERS_PER_SESSION different numbers a day;
- a captcha (django-simple-captcha, self-hosted image) once the address has sent
  CIVICGRID_SMS_CAPTCHA_AFTER codes this hour or the session that many today;
- the whole platform: CIVICGRID_SMS_DAILY_BUDGET text messages a day, login codes and notifications
  by SMS together (`budget_take`); a security alert (log and
  administrators, `accounts.security`) when 80 % and when 100 % are used, then 429 until midnight.

Counters are `SmsQuota` rows; a slot is taken with a conditional UPDATE (count < limit) inside the
sending transaction, so two requests at once cannot both take the last slot (the row lock holds
the second until the first commits, and it then sees the new count). A refusal rolls back the
slots taken before it. A send the gateway then fails still counts: a gateway that is down is no
way around the limits. Days and hours are local time (TIME_ZONE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from captcha.helpers import captcha_image_url
from captcha.models import CaptchaStore
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from civicgrid.accounts.models import SmsQuota
from civicgrid.accounts.security import security_alert
from civicgrid.core import clock
from civicgrid.core.errors import DomainError

ADDRESS, SESSION_NUMBERS, SESSION_SENDS, SESSION_NUMBER, BUDGET = (
    "address",
    "session",
    "session_sends",
    "session_number",
    "budget",
)
UNLIMITED = 2**31 - 1


@dataclass(frozen=True)
class SmsRequester:
    """Who asks for a code: the client address, the browser session and the captcha answer, if any."""

    address: str | None = None
    session_key: str | None = None
    captcha_key: str = ""
    captcha_answer: str = ""


def requester_from(request: HttpRequest, *, captcha_key: str = "", captcha_answer: str = "") -> SmsRequester:
    """The requester of an HTTP request; starts a session for a visitor who has none yet."""
    from axes.helpers import get_client_ip_address  # the same client address as the sign-in throttle

    if not request.session.session_key:
        request.session.save()
    return SmsRequester(
        address=get_client_ip_address(request) or None,
        session_key=request.session.session_key,
        captcha_key=(captcha_key or "").strip(),
        captcha_answer=(captcha_answer or "").strip(),
    )


class CaptchaError(DomainError):
    """A refusal that asks for a captcha; the answer carries a new one for the client to show."""

    def __init__(self, code: str, message_zh: str, message_en: str, *, status: int) -> None:
        super().__init__(code, message_zh, message_en, field="captcha", status=status)
        self.captcha = new_captcha()

    def as_dict(self) -> dict:
        return {**super().as_dict(), "captcha": self.captcha}


def new_captcha() -> dict[str, str]:
    """A new challenge: its key (sent back with the answer) and the URL of its image."""
    key = CaptchaStore.generate_key()
    return {"key": key, "image_url": captcha_image_url(key)}


def _day(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _hour(now: datetime) -> datetime:
    return timezone.localtime(now).replace(minute=0, second=0, microsecond=0)


def _count(scope: str, key: str, window: datetime) -> int:
    return (
        SmsQuota.objects.filter(scope=scope, key=key, window=window).values_list("count", flat=True).first()
        or 0
    )


def _take(scope: str, key: str, window: datetime, limit: int) -> int | None:
    """Take one slot of the counter; its new count, or None if it is full. Call inside a transaction."""
    SmsQuota.objects.get_or_create(scope=scope, key=key, window=window)
    taken = SmsQuota.objects.filter(scope=scope, key=key, window=window, count__lt=limit).update(
        count=F("count") + 1
    )
    return _count(scope, key, window) if taken else None


def captcha_needed(requester: SmsRequester | None) -> bool:
    """Whether the next send from this address or session must come with a captcha answer."""
    if requester is None:
        return False
    after = settings.CIVICGRID_SMS_CAPTCHA_AFTER
    now = clock.now()
    if requester.address and _count(ADDRESS, requester.address, _hour(now)) >= after:
        return True
    return bool(requester.session_key) and _count(SESSION_SENDS, requester.session_key, _day(now)) >= after


def check_captcha(requester: SmsRequester | None) -> None:
    """Refuse the send if a captcha is needed and not answered right; a challenge is good for one try."""
    if not captcha_needed(requester):
        return
    assert requester is not None
    if not (requester.captcha_key and requester.captcha_answer):
        raise CaptchaError(
            "captcha_required",
            "获取验证码过于频繁，请输入图片中的字符",
            "too many codes asked for: type the characters in the picture",
            status=429,
        )
    CaptchaStore.remove_expired()
    # Deleted whatever the answer: one challenge, one try (no guessing the same picture).
    right = CaptchaStore.objects.filter(
        hashkey=requester.captcha_key, response=requester.captcha_answer.lower()
    ).exists()
    CaptchaStore.objects.filter(hashkey=requester.captcha_key).delete()
    if not right:
        raise CaptchaError(
            "captcha_wrong",
            "图片验证码不正确或已过期，请重新输入",
            "the characters do not match the picture, or it has expired: try the new one",
            status=422,
        )


def _too_many(code: str, zh: str, en: str) -> DomainError:
    return DomainError(code, zh, en, field="phone", status=429)


def take_slots(*, phone: str, requester: SmsRequester | None) -> None:
    """Count one send against every limit, or refuse it (429); call inside the sending transaction."""
    assert transaction.get_connection().in_atomic_block, "take_slots runs in the sending transaction"
    now = clock.now()
    day, hour = _day(now), _hour(now)
    if requester is not None and requester.address:
        if _take(ADDRESS, requester.address, hour, settings.CIVICGRID_SMS_PER_ADDRESS_PER_HOUR) is None:
            raise _too_many(
                "sms_address_limit",
                "该网络地址获取验证码的次数过多，请稍后再试",
                "too many codes asked for from this network address: try again later",
            )
    if requester is not None and requester.session_key:
        number = salted_hmac("civicgrid.accounts.smsguard", f"{requester.session_key}:{phone}").hexdigest()
        _, first_time = SmsQuota.objects.get_or_create(scope=SESSION_NUMBER, key=number, window=day)
        if (
            first_time
            and _take(SESSION_NUMBERS, requester.session_key, day, settings.CIVICGRID_SMS_NUMBERS_PER_SESSION)
            is None
        ):
            raise _too_many(
                "sms_session_limit",
                "今天已为过多的手机号获取验证码，请明天再试",
                "codes were asked for too many numbers today: try tomorrow",
            )
        _take(SESSION_SENDS, requester.session_key, day, UNLIMITED)
    _take_budget(day)


def budget_take() -> None:
    """Count one text message that is not a login code (a notification by SMS) against the day's
    budget, or refuse it (429): the budget is the city's SMS bill, whatever the text is."""
    with transaction.atomic():
        _take_budget(_day(clock.now()))


def _take_budget(day: datetime) -> None:
    budget = settings.CIVICGRID_SMS_DAILY_BUDGET
    used = _take(BUDGET, "all", day, budget)
    if used is None:
        raise _too_many(
            "sms_budget_exhausted",
            "今日短信验证码发送量已达上限，请明天再试或使用密码登录",
            "today's budget of text messages is used up: try tomorrow or sign in with a password",
        )
    for percent in (80, 100):
        # Each count is reached by exactly one send: the alert goes out once per threshold and day.
        if used == max(1, math.ceil(budget * percent / 100)):
            security_alert(
                key=f"sms-budget:{day:%Y-%m-%d}:{percent}",
                title=f"短信日预算已用 {percent}%",
                body=f"{day:%Y-%m-%d} 已发送 {used}/{budget} 条短信（登录验证码和通知）"
                + ("，今日不再发送" if used >= budget else "")
                + f"; {used} of {budget} text messages (login codes and notifications) sent today ({percent} %)",
            )
