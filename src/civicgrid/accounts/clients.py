"""API clients and their keys (API 客户端与密钥): create a client, issue a key (shown once), find the
client a key belongs to."""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.models import ApiClient, ApiClientKind, ApiKey, ApiRateWindow, Department, User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import GRANTABLE
from civicgrid.accounts.services import user_create
from civicgrid.accounts.staff import managed_departments
from civicgrid.core.errors import DomainError, NotFound, PermissionDenied
from civicgrid.core.rawsql import ModelColumns, fetchone_checking_connection
from civicgrid.core.text import text_check

KEY_PREFIX = "cgk_"


@dataclass(frozen=True)
class Caller:
    """Who a key belongs to: the client, the account it acts as, and the key itself."""

    client: ApiClient
    user: User
    key: ApiKey


def _checked_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - {str(s) for s in GRANTABLE})
    if unknown:
        raise DomainError(
            "scope_invalid",
            f"未知的权限范围：{', '.join(unknown)}",
            f"unknown scope: {', '.join(unknown)}",
            field="scopes",
        )
    return sorted(set(scopes))


@transaction.atomic
def api_client_create(
    *,
    name: str,
    user: User,
    scopes: list[str],
    kind: str = "department",
    department: Department | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    streets: list[str] | None = None,
    rate_limit_per_minute: int = 600,
) -> ApiClient:
    """A new client acting as `user` (its role and department decide what it sees and may do)."""
    name = text_check(name, field="name", max_length=ApiClient._meta.get_field("name").max_length)
    if not name:
        raise DomainError("name_required", "请填写名称", "a name is required", field="name")
    return ApiClient.objects.create(
        name=name,
        user=user,
        scopes=_checked_scopes(scopes),
        kind=kind,
        department=department if department is not None else user.department,
        contact_name=contact_name,
        contact_phone=contact_phone,
        streets=list(streets or []),
        rate_limit_per_minute=rate_limit_per_minute,
    )


@transaction.atomic
def api_key_issue(*, client: ApiClient) -> tuple[ApiKey, str]:
    """A new key for the client; the raw value is returned once and never stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(client=client, prefix=raw[:12], digest=ApiKey.digest_of(raw))
    return key, raw


def api_key_authenticate(raw: str) -> Caller | None:
    """The caller a key belongs to, or None for an unknown, revoked or expired key, an inactive client
    or an inactive account."""
    # On the path of every API request: one hand-written statement (core/rawsql.py) — the same as
    # ApiKey.objects.select_related("client__user").filter(digest=…, revoked_at__isnull=True,
    # expires_at null or > now, client__is_active=True, client__user__is_active=True).first() — and
    # for a key seen in the last CIVICGRID_API_KEY_RECHECK_SECONDS, not even that (_kept, below).
    users, clients, keys, sql = _key_statement()
    now = timezone.now()
    digest = ApiKey.digest_of(raw)
    kept = _kept.get(digest)
    if kept is None or time.monotonic() - kept.read_at >= settings.CIVICGRID_API_KEY_RECHECK_SECONDS:
        row = fetchone_checking_connection(sql, [digest, connection.ops.adapt_datetimefield_value(now)])
        if row is None:
            _kept.pop(digest, None)
            return None
        if len(_kept) >= KEPT_MAX:
            _kept.clear()
        kept = _kept[digest] = _Kept(row, time.monotonic())
    n_users, n_clients = len(users), len(clients)
    user = users.instance(kept.row[:n_users])
    client = clients.instance(kept.row[n_users : n_users + n_clients])
    key = keys.instance(kept.row[n_users + n_clients :])
    if key.expires_at is not None and key.expires_at <= now:
        return None  # kept since before its end
    client.user = user
    key.client = client
    # Only touch the row once a minute so that a busy client does not write on every request.
    used_at = max(filter(None, (key.last_used_at, kept.used_at)), default=None)
    if used_at is None or (now - used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        kept.used_at = now
    return Caller(client=client, user=user, key=key)


def api_key_user(raw: str) -> User | None:
    """The account a key acts as (carrying its client as `user.api_client`), or None."""
    caller = api_key_authenticate(raw)
    if caller is None:
        return None
    caller.user.api_client = caller.client
    return caller.user


# Keys seen lately, per process: a key's row (with its client and account) is read again at most every
# CIVICGRID_API_KEY_RECHECK_SECONDS, so that a busy client costs no lookup per request. A change made in
# this process (a revoke or rotation, a client or account saved or deleted) forgets them all at once;
# one made elsewhere (another server process, `civicgrid apiclient revoke`) applies within the interval.
# An expired key is refused by its kept end; unknown keys are never kept.
KEPT_MAX = 10_000


@dataclass
class _Kept:
    row: tuple
    read_at: float  # time.monotonic() when it was read
    used_at: datetime | None = None  # when this process last wrote the key's last_used_at


_kept: dict[str, _Kept] = {}


def api_keys_forget(**_signal) -> None:
    """Forget the keys this process keeps (after a change to keys, clients or accounts), and again when
    the changing transaction commits (a request in between may have read the row before the change)."""
    _kept.clear()
    if connection.in_atomic_block:
        transaction.on_commit(_kept.clear)


@functools.cache
def _key_statement() -> tuple[ModelColumns, ModelColumns, ModelColumns, str]:
    q = connection.ops.quote_name
    users, clients, keys = ModelColumns(User, "u"), ModelColumns(ApiClient, "c"), ModelColumns(ApiKey, "k")
    sql = (
        f"SELECT {users.sql}, {clients.sql}, {keys.sql} FROM {q(ApiKey._meta.db_table)} k "  # noqa: S608
        f"INNER JOIN {q(ApiClient._meta.db_table)} c ON c.{q('id')} = k.{q('client_id')} "
        f"INNER JOIN {q(User._meta.db_table)} u ON u.{q('id')} = c.{q('user_id')} "
        f"WHERE k.{q('digest')} = %s AND k.{q('revoked_at')} IS NULL "
        f"AND (k.{q('expires_at')} IS NULL OR k.{q('expires_at')} > %s) "
        f"AND c.{q('is_active')} AND u.{q('is_active')} LIMIT 1"
    )
    return users, clients, keys, sql


# --- Rate limit (每分钟调用上限) ----------------------------------------------------------------------


def api_rate_count(*, client: ApiClient, now=None) -> tuple[int, int]:
    """Count one request of `client` in the current minute: (requests so far in it, seconds until it ends).

    One statement (an upsert that adds one and returns the count), so that concurrent requests in
    several processes each get their own number.
    """
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    row = fetchone_checking_connection(
        _rate_statement(), [client.pk, connection.ops.adapt_datetimefield_value(window)]
    )
    retry_after = max(1, 60 - now.second - (1 if now.microsecond else 0))
    return int(row[0]), retry_after


@functools.cache
def _rate_statement() -> str:
    q = connection.ops.quote_name
    table = q(ApiRateWindow._meta.db_table)
    return (
        f"INSERT INTO {table} ({q('client_id')}, {q('window')}, {q('count')}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({q('client_id')}, {q('window')}) DO UPDATE SET {q('count')} = {table}.{q('count')} + 1 "
        f"RETURNING {q('count')}"
    )


def api_rate_check(*, client: ApiClient) -> None:
    """Refuse (429 rate_limited, with the seconds to wait) a request over the client's limit per minute."""
    count, retry_after = api_rate_count(client=client)
    if count > client.rate_limit_per_minute:
        raise DomainError(
            "rate_limited",
            f"调用过于频繁：每分钟最多 {client.rate_limit_per_minute} 次，请 {retry_after} 秒后再试",
            f"too many requests: at most {client.rate_limit_per_minute} a minute; retry in {retry_after} s",
            status=429,
            headers={"Retry-After": str(retry_after)},
        )


def api_rate_windows_prune() -> int:
    """Drop the counts of minutes that have ended (periodic)."""
    cutoff = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    return ApiRateWindow.objects.filter(window__lt=cutoff).delete()[0]


@transaction.atomic
def api_personal_key_issue(*, user: User, name: str, rate_limit_per_minute: int = 600) -> tuple[ApiKey, str]:
    """A personal key (`civicgrid issue_token`): a personal client acting as `user` with every grantable
    scope, and its key; the raw value is returned once."""
    client = api_client_create(
        name=name,
        user=user,
        scopes=[str(s) for s in GRANTABLE],
        kind=ApiClientKind.PERSONAL,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    return api_key_issue(client=client)


@transaction.atomic
def api_key_rotate(*, client: ApiClient, overlap_hours: int = 24) -> tuple[ApiKey, str]:
    """A new key; the client's other live keys keep working for `overlap_hours` (0: they stop now),
    so that a system can switch over without an outage."""
    if overlap_hours < 0:
        raise DomainError(
            "overlap_invalid", "重叠时间不能为负", "the overlap cannot be negative", field="overlap_hours"
        )
    now = timezone.now()
    ends = now + timedelta(hours=overlap_hours)
    live = ApiKey.objects.select_for_update().filter(client=client, revoked_at__isnull=True)
    live.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=ends)).update(expires_at=ends)
    api_keys_forget()
    return api_key_issue(client=client)


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> None:
    """Stop a key at once."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_keys_forget()


# --- Managing clients from the console (API 客户端管理) --------------------------------------------
#
# An administrator (Capability.CONFIGURE) manages every client; a department admin
# (Capability.MANAGE_DEPARTMENT) only the department systems of their department and the sections below
# it, and may grant them only DEPARTMENT_ADMIN_SCOPES: reading and reporting cases, acting on the
# department's cases, statistics. Personal data (cases:read:personal), bulk exports, webhook
# subscriptions and the Open311 interface for civic apps are the administrator's to grant.

DEPARTMENT_ADMIN_SCOPES = frozenset({"cases:create", "cases:read", "cases:act", "stats:read"})
# The role of the account a new client acts as, by kind (a personal token acts as its owner, so it is
# not created here).
KIND_ROLES = {
    "department": "handler",
    "hotline": "dispatcher",
    "platform": "leader",
    "civic": "citizen",
}
RATE_LIMIT_MAX = 100_000
STREET_CODE_LENGTH = 9
SERVICE_PHONE_PREFIX = "199"


def may_manage_clients(user: User | None) -> bool:
    return user_can(user, Capability.CONFIGURE) or (
        user_can(user, Capability.MANAGE_DEPARTMENT) and getattr(user, "department_id", None) is not None
    )


def _require_client_manager(actor: User) -> None:
    if not may_manage_clients(actor):
        raise PermissionDenied(
            "clients_forbidden",
            "只有系统管理员或部门管理员可以管理 API 客户端",
            "only an administrator or a department admin may manage API clients",
        )


def _is_admin(actor: User) -> bool:
    return user_can(actor, Capability.CONFIGURE)


def scopes_grantable_by(actor: User) -> list[str]:
    """The scopes `actor` may give a client (in GRANTABLE's order)."""
    if _is_admin(actor):
        return [str(s) for s in GRANTABLE]
    if may_manage_clients(actor):
        return [str(s) for s in GRANTABLE if str(s) in DEPARTMENT_ADMIN_SCOPES]
    return []


def kinds_creatable_by(actor: User) -> list[str]:
    if _is_admin(actor):
        return list(KIND_ROLES)
    return ["department"] if may_manage_clients(actor) else []


def _granted_scopes(actor: User, scopes: list[str]) -> list[str]:
    scopes = _checked_scopes(list(scopes))
    refused = sorted(set(scopes) - set(scopes_grantable_by(actor)))
    if refused:
        raise PermissionDenied(
            "scope_not_grantable",
            f"您不能授予以下权限范围：{', '.join(refused)}",
            f"you may not grant: {', '.join(refused)}",
            field="scopes",
        )
    return scopes


def _checked_streets(streets: list[str]) -> list[str]:
    codes = sorted({s.strip() for s in streets if s and s.strip()})
    bad = [c for c in codes if not (len(c) == STREET_CODE_LENGTH and c.isdigit())]
    if bad:
        raise DomainError(
            "street_invalid",
            f"街道编码应为 9 位数字：{', '.join(bad[:5])}",
            f"a street code has 9 digits: {', '.join(bad[:5])}",
            field="streets",
        )
    return codes


def _checked_rate_limit(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= RATE_LIMIT_MAX:
        raise DomainError(
            "rate_limit_invalid",
            f"每分钟调用上限应为 1 到 {RATE_LIMIT_MAX} 之间的整数",
            f"the rate limit is a whole number from 1 to {RATE_LIMIT_MAX}",
            field="rate_limit_per_minute",
        )
    return value


def _checked_contact(contact_name: str, contact_phone: str) -> tuple[str, str]:
    return (
        text_check(contact_name, field="contact_name", max_length=50),
        text_check(contact_phone, field="contact_phone", max_length=30),
    )


def clients_managed_by(actor: User):
    """The clients `actor` manages: all for an administrator; a department admin's department's (and its
    sections')."""
    if _is_admin(actor):
        return ApiClient.objects.all()
    if not may_manage_clients(actor):
        return ApiClient.objects.none()
    return ApiClient.objects.filter(department__in=managed_departments(actor))


def _managed_client(actor: User, client: ApiClient) -> ApiClient:
    _require_client_manager(actor)
    found = clients_managed_by(actor).select_for_update().filter(pk=client.pk).first()
    if found is None:
        raise NotFound("client_not_found", "没有这个客户端", "no such client")
    return found


def _service_phone() -> str:
    """An unused number for a client's account (it signs in with keys only, never with this number)."""
    for _attempt in range(20):
        phone = SERVICE_PHONE_PREFIX + "".join(secrets.choice("0123456789") for _ in range(8))
        if not User.objects.filter(phone=phone).exists():
            return phone
    raise DomainError("phone_exhausted", "无法分配账号，请重试", "could not allocate an account: try again")


@transaction.atomic
def api_client_register(
    *,
    actor: User,
    name: str,
    kind: str,
    department: Department | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    scopes: list[str],
    streets: list[str] | None = None,
    rate_limit_per_minute: int = 600,
) -> ApiClient:
    """A new client with the account it acts as (创建客户端): a handler of `department` for a department
    system, a dispatcher for the hotline, a leader for a platform, a citizen for a civic app. The account
    has no password and is not staff: it acts only through the client's keys."""
    _require_client_manager(actor)
    if kind not in KIND_ROLES:
        raise DomainError("kind_invalid", "请选择客户端类型", "choose the kind of client", field="kind")
    if kind not in kinds_creatable_by(actor):
        raise PermissionDenied(
            "kind_not_allowed",
            "部门管理员只能创建本部门的业务系统客户端",
            "a department admin creates only department systems",
            field="kind",
        )
    if kind == "department" and department is None:
        raise DomainError(
            "department_required", "部门业务系统须选择所属部门", "choose the department", field="department"
        )
    if department is not None and not managed_departments(actor).filter(pk=department.pk).exists():
        raise PermissionDenied(
            "department_not_managed",
            "不能为其他部门创建客户端",
            "you may not create a client for another department",
            field="department",
        )
    name = text_check(name, field="name", max_length=ApiClient._meta.get_field("name").max_length)
    if not name:
        raise DomainError("name_required", "请填写名称", "a name is required", field="name")
    granted = _granted_scopes(actor, scopes)
    contact_name, contact_phone = _checked_contact(contact_name, contact_phone)
    streets = _checked_streets(streets or [])
    rate = _checked_rate_limit(rate_limit_per_minute)
    role = KIND_ROLES[kind]
    account = user_create(
        phone=_service_phone(),
        real_name=f"{name}（接口）"[:40],
        role=role,
        department=department if role == "handler" else None,
    )
    account.is_staff = False  # no admin site: it never signs in to pages
    account.save(update_fields=["is_staff"])
    return api_client_create(
        name=name,
        user=account,
        scopes=granted,
        kind=kind,
        department=department,
        contact_name=contact_name,
        contact_phone=contact_phone,
        streets=streets,
        rate_limit_per_minute=rate,
    )


@transaction.atomic
def api_client_update(
    *,
    actor: User,
    client: ApiClient,
    scopes: list[str],
    streets: list[str],
    rate_limit_per_minute: int,
    contact_name: str = "",
    contact_phone: str = "",
) -> ApiClient:
    """Change what a client may do and who to call about it (scopes, streets, rate limit, contact)."""
    client = _managed_client(actor, client)
    granted = _granted_scopes(actor, scopes)
    # A department admin keeps what an administrator granted beyond their own reach, but cannot add to it.
    kept = [s for s in client.scopes if s not in scopes_grantable_by(actor)]
    client.scopes = sorted(set(granted) | set(kept))
    client.streets = _checked_streets(streets)
    client.rate_limit_per_minute = _checked_rate_limit(rate_limit_per_minute)
    client.contact_name, client.contact_phone = _checked_contact(contact_name, contact_phone)
    client.save(update_fields=["scopes", "streets", "rate_limit_per_minute", "contact_name", "contact_phone"])
    return client


@transaction.atomic
def api_client_set_active(*, actor: User, client: ApiClient, active: bool) -> ApiClient:
    """Switch a client off (its keys stop at once) or on again."""
    client = _managed_client(actor, client)
    client.is_active = active
    client.save(update_fields=["is_active"])
    return client


def api_client_key_issue(*, actor: User, client: ApiClient) -> tuple[ApiKey, str]:
    """A manager issues a key for a client they manage (the raw key is returned once)."""
    with transaction.atomic():
        return api_key_issue(client=_managed_client(actor, client))


def api_client_key_rotate(*, actor: User, client: ApiClient, overlap_hours: int) -> tuple[ApiKey, str]:
    if not isinstance(overlap_hours, int) or overlap_hours > 24 * 30:
        raise DomainError(
            "overlap_invalid",
            "重叠时间应为 0 到 720 小时",
            "the overlap is 0 to 720 hours",
            field="overlap_hours",
        )
    with transaction.atomic():
        return api_key_rotate(client=_managed_client(actor, client), overlap_hours=overlap_hours)


def api_client_key_revoke(*, actor: User, client: ApiClient, key_id: int) -> ApiKey:
    with transaction.atomic():
        client = _managed_client(actor, client)
        key = ApiKey.objects.filter(pk=key_id, client=client).first()
        if key is None:
            raise NotFound("key_not_found", "没有这个密钥", "no such key")
        api_key_revoke(key=key)
        key.refresh_from_db()
        return key
