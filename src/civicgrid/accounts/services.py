"""Writes for accounts: users, departments, SMS login codes and the erasure of personal data."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac

from civicgrid.accounts import smsguard
from civicgrid.accounts.models import (
    ApiKey,
    Department,
    LoginCode,
    PersonalDataErasure,
    User,
    validate_phone,
)
from civicgrid.accounts.roles import STAFF_ROLES, Role
from civicgrid.accounts.sms import get_sms_sender
from civicgrid.accounts.smsgateways import SmsText
from civicgrid.accounts.smsguard import SmsRequester
from civicgrid.core import clock, immutable
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.masking import mask_phone
from civicgrid.core.text import text_check

logger = logging.getLogger("civicgrid.accounts")


@transaction.atomic
def user_create(
    *,
    phone: str,
    password: str | None = None,
    real_name: str = "",
    role: str = Role.CITIZEN,
    department: Department | None = None,
) -> User:
    """Create a user; staff roles get access to the admin site (what they see there is by role)."""
    real_name = text_check(real_name, field="real_name", max_length=40)
    return User.objects.create_user(
        phone,
        password,
        real_name=real_name,
        role=role,
        department=department,
        is_staff=role in STAFF_ROLES and role != Role.GRID_MEMBER,
        is_superuser=role == Role.ADMIN,
    )


# --- SMS login codes (短信验证码登录; the first login with a new number is the sign-up) ----------------

LOGIN_CODE_LENGTH = 6
LOGIN_CODE_TTL = timedelta(minutes=5)
LOGIN_CODE_RESEND_AFTER = timedelta(seconds=60)
LOGIN_CODE_MAX_ATTEMPTS = 5
# SMS cost money and every code is another five guesses: a phone gets at most this many a day.
LOGIN_CODE_DAILY_LIMIT = 10


def _code_hash(phone: str, code: str, secret: str | None = None) -> str:
    # Keyed with SECRET_KEY and bound to the phone: a leaked table does not give the codes away.
    return salted_hmac(
        "civicgrid.accounts.LoginCode", f"{phone}:{code}", secret=secret, algorithm="sha256"
    ).hexdigest()


def _code_matches(stored: str, phone: str, code: str) -> bool:
    """Is `code` the one hashed in `stored`? A code sent just before SECRET_KEY was rotated is
    checked with the keys in SECRET_KEY_FALLBACKS too, as Django does for sessions."""
    return any(
        constant_time_compare(stored, _code_hash(phone, code, secret))
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def _clean_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    try:
        validate_phone(phone)
    except ValidationError as exc:
        raise DomainError(
            "phone_invalid",
            "请输入 11 位中国大陆手机号码",
            "enter an 11-digit mainland China mobile number",
            field="phone",
        ) from exc
    return phone


def login_code_send(*, phone: str, requester: SmsRequester | None = None) -> LoginCode:
    """Send a new login code to `phone` (one a minute, LOGIN_CODE_DAILY_LIMIT a day).

    `requester` (from `smsguard.requester_from(request)`) brings the limits per client address and
    per session, and the captcha after a few sends; the platform's daily budget applies to every
    send (accounts/smsguard.py). Whether the number has an account is not revealed: every valid
    number gets a code.
    The row is committed before the gateway is called (no database lock is held over the
    network); a gateway failure deletes it again so that the person may retry at once.
    """
    phone = _clean_phone(phone)
    smsguard.check_captcha(requester)
    now = clock.now()
    with transaction.atomic():
        recent = list(
            LoginCode.objects.filter(phone=phone, created_at__gt=now - timedelta(days=1))
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:LOGIN_CODE_DAILY_LIMIT]
        )
        if recent and now - recent[0] < LOGIN_CODE_RESEND_AFTER:
            wait = int((LOGIN_CODE_RESEND_AFTER - (now - recent[0])).total_seconds()) + 1
            raise DomainError(
                "code_too_soon",
                f"验证码已发送，请 {wait} 秒后再重新获取",
                f"a code was just sent: wait {wait} seconds before asking again",
                field="phone",
                status=429,
            )
        if len(recent) >= LOGIN_CODE_DAILY_LIMIT:
            raise DomainError(
                "code_daily_limit",
                "今天获取验证码的次数已达上限，请明天再试或使用密码登录",
                "too many codes for this number today: try tomorrow or sign in with a password",
                field="phone",
                status=429,
            )
        smsguard.take_slots(phone=phone, requester=requester)
        code = f"{secrets.randbelow(10**LOGIN_CODE_LENGTH):0{LOGIN_CODE_LENGTH}d}"
        row = LoginCode.objects.create(
            phone=phone, code_hash=_code_hash(phone, code), created_at=now, expires_at=now + LOGIN_CODE_TTL
        )
    minutes = int(LOGIN_CODE_TTL.total_seconds() // 60)
    try:
        text = f"登录验证码 {code}，{minutes} 分钟内有效，请勿告诉他人。"
        get_sms_sender().send_text(
            phone, SmsText(text, template="login_code", params={"code": code, "minutes": str(minutes)})
        )
    except Exception as exc:
        logger.warning("login code to %s not sent: %s", mask_phone(phone), exc)
        LoginCode.objects.filter(pk=row.pk).delete()
        raise DomainError(
            "sms_failed",
            "短信发送失败，请稍后再试",
            "the text message could not be sent: try again later",
            field="phone",
            status=503,
        ) from exc
    return row


def login_code_verify(*, phone: str, code: str) -> User:
    """The user who owns `phone`, if `code` is its newest unused, unexpired code; a new citizen on first login.

    A wrong code counts against the code (LOGIN_CODE_MAX_ATTEMPTS tries); that count is committed
    even though the call raises.
    """
    phone = _clean_phone(phone)
    code = (code or "").strip()
    if not (len(code) == LOGIN_CODE_LENGTH and code.isdigit()):
        raise DomainError(
            "code_invalid",
            f"请输入 {LOGIN_CODE_LENGTH} 位数字验证码",
            f"enter the {LOGIN_CODE_LENGTH}-digit code",
            field="code",
        )
    now = clock.now()
    wrong: DomainError | None = None
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or row.expires_at <= now:
            raise DomainError(
                "code_expired",
                "验证码已过期或未获取，请重新获取",
                "the code has expired or was never sent: ask for a new one",
                field="code",
            )
        if row.attempts >= LOGIN_CODE_MAX_ATTEMPTS:
            raise DomainError(
                "code_locked",
                "验证码错误次数过多，请重新获取",
                "too many wrong tries: ask for a new code",
                field="code",
            )
        if not _code_matches(row.code_hash, phone, code):
            LoginCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            left = LOGIN_CODE_MAX_ATTEMPTS - row.attempts - 1
            if left > 0:
                wrong = DomainError(
                    "code_wrong",
                    f"验证码不正确，还可以再试 {left} 次",
                    f"wrong code: {left} more tries",
                    field="code",
                )
            else:
                wrong = DomainError(
                    "code_locked",
                    "验证码错误次数过多，请重新获取",
                    "too many wrong tries: ask for a new code",
                    field="code",
                )
        else:
            # Conditional: of two requests racing with the right code, only one logs in with it.
            if not LoginCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
                raise DomainError(
                    "code_expired",
                    "验证码已使用，请重新获取",
                    "the code was already used: ask for a new one",
                    field="code",
                )
            user = User.objects.filter(phone=phone).first()
            if user is None:
                user = user_create(phone=phone, role=Role.CITIZEN)  # sign-up: no password until one is set
            elif not user.is_active:
                raise PermissionDenied(
                    "account_disabled", "该账号已停用", "this account is disabled", field="phone"
                )
            elif user.api_clients.exists():
                # The account an API client acts as works through the client's keys only.
                raise PermissionDenied(
                    "account_api_only",
                    "该账号仅供接口调用，不能登录",
                    "this account is used by an API client and cannot sign in",
                    field="phone",
                )
    if wrong is not None:
        raise wrong  # outside the transaction: the wrong try stays counted
    return user


# --- Erasure of personal data (个人信息删除, PIPL art. 47) ----------------------------------------------

# What each app masks, registered from its AppConfig.ready (accounts knows no app above it):
# eraser(person=, phone=) masks the person's data in the app's tables and returns
# {"app.Model.what": how many values}. They run under an erasure permit (core/immutable.py).
PERSONAL_DATA_ERASERS: list[Callable[..., dict[str, int]]] = []


def personal_data_eraser(eraser: Callable[..., dict[str, int]]) -> Callable[..., dict[str, int]]:
    if eraser not in PERSONAL_DATA_ERASERS:
        PERSONAL_DATA_ERASERS.append(eraser)
    return eraser


def erased_phone(person: User) -> str:
    """The account's login name once erased: unique, 11 characters, and no phone number anyone has."""
    return f"x{person.pk:010d}"


@transaction.atomic
def personal_data_erase(*, person: User, actor: User, reason: str) -> PersonalDataErasure:
    """Erase a person's personal data by masking it, the one deliberate change of append-only history.

    Nothing is deleted, so every count, ledger balance and case history stays whole: the account
    keeps its id and role and loses its phone (→ `erased_phone`), name, password and access; login
    codes for the phone and the sign-in throttle's records of it (axes) are deleted and API tokens revoked; each app's eraser masks what it holds
    (cases: the contact fields and rating comment of the person's reports, the notes of the events
    they acted in; points: the notes of their ledger entries, their appeals' reasons). What a case
    reports (description, place, photos) is the city's record and stays. The masking runs under an
    erasure permit, which lets the append-only tables' free text change and nothing else
    (core/immutable.py). A `PersonalDataErasure` row records who erased whom, when, why and how
    many values — not the values. Administrators only; once per person; a reason is required.
    """
    reason = text_check(reason, field="reason")
    if not reason:
        raise DomainError(
            "reason_required",
            "请填写删除个人信息的依据（申请或法律依据）",
            "give the ground for the erasure (the request or the law)",
            field="reason",
        )
    if len(reason) > 500:
        raise DomainError(
            "reason_too_long",
            "依据不能超过 500 字",
            "the ground is limited to 500 characters",
            field="reason",
        )
    if actor.role != Role.ADMIN or not actor.is_active:
        raise PermissionDenied(
            "erasure_forbidden", "只有管理员可以删除个人信息", "only an administrator may erase personal data"
        )
    if actor.pk == person.pk:
        raise DomainError(
            "erasure_self",
            "不能删除自己的个人信息，请由另一位管理员处理",
            "an administrator cannot erase their own data: another administrator must",
        )
    person = User.objects.select_for_update().get(pk=person.pk)
    if PersonalDataErasure.objects.filter(person=person).exists():
        raise Conflict(
            "already_erased", "该用户的个人信息已删除", "this person's data has already been erased"
        )
    phone = person.phone
    masked: dict[str, int] = {}
    with immutable.permit(immutable.ERASURE):
        for eraser in PERSONAL_DATA_ERASERS:
            masked.update(eraser(person=person, phone=phone))
    masked["accounts.LoginCode"] = LoginCode.objects.filter(phone=phone).delete()[0]
    # The sign-in throttle's records of the account (its phone number as the login name, addresses).
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        masked[f"axes.{model.__name__}"] = model.objects.filter(username=phone).delete()[0]
    masked["accounts.ApiKey"] = ApiKey.objects.filter(client__user=person, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    person.phone, person.real_name = erased_phone(person), ""
    person.is_active = person.is_staff = person.is_superuser = False
    person.set_unusable_password()  # and every session of the account ends with its password hash
    person.save(update_fields=["phone", "real_name", "is_active", "is_staff", "is_superuser", "password"])
    masked["accounts.User"] = 1
    return PersonalDataErasure.objects.create(
        person=person, actor=actor, reason=reason, masked=masked, created_at=clock.now()
    )
