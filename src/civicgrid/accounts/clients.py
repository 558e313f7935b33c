"""API clients and their keys (API 客户端与密钥): create a client, issue a key (shown once), find the
client a key belongs to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.models import ApiClient, ApiKey, Department, User
from civicgrid.accounts.scopes import GRANTABLE
from civicgrid.core.errors import DomainError
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
    now = timezone.now()
    key = (
        ApiKey.objects.select_related("client", "client__user")
        .filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            digest=ApiKey.digest_of(raw),
            revoked_at__isnull=True,
            client__is_active=True,
            client__user__is_active=True,
        )
        .first()
    )
    if key is None:
        return None
    # Only touch the row once a minute so that a busy client does not write on every request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return Caller(client=key.client, user=key.client.user, key=key)


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
