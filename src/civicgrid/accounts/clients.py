"""API clients and their keys (API 客户端与密钥): create a client, issue a key (shown once), find the
client a key belongs to."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.models import ApiClient, ApiClientKind, ApiKey, ApiRateWindow, Department, User
from civicgrid.accounts.scopes import GRANTABLE
from civicgrid.core.errors import DomainError
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
    # expires_at null or > now, client__is_active=True, client__user__is_active=True).first().
    users, clients, keys, sql = _key_statement()
    now = timezone.now()
    row = fetchone_checking_connection(
        sql, [ApiKey.digest_of(raw), connection.ops.adapt_datetimefield_value(now)]
    )
    if row is None:
        return None
    n_users, n_clients = len(users), len(clients)
    user = users.instance(row[:n_users])
    client = clients.instance(row[n_users : n_users + n_clients])
    key = keys.instance(row[n_users + n_clients :])
    client.user = user
    key.client = client
    # Only touch the row once a minute so that a busy client does not write on every request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return Caller(client=client, user=user, key=key)


def api_key_user(raw: str) -> User | None:
    """The account a key acts as (carrying its client as `user.api_client`), or None."""
    caller = api_key_authenticate(raw)
    if caller is None:
        return None
    caller.user.api_client = caller.client
    return caller.user


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
    return api_key_issue(client=client)


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> None:
    """Stop a key at once."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
