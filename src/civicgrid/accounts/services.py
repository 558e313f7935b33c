"""Writes for accounts: users, departments and API tokens."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import ApiToken, Department, User
from civicgrid.accounts.roles import STAFF_ROLES, Role


@transaction.atomic
def user_create(*, phone: str, password: str | None = None, real_name: str = "", role: str = Role.CITIZEN,
                department: Department | None = None) -> User:
    """Create a user; staff roles get access to the admin site (what they see there is by role)."""
    return User.objects.create_user(
        phone, password, real_name=real_name, role=role, department=department,
        is_staff=role in STAFF_ROLES and role != Role.GRID_MEMBER,
        is_superuser=role == Role.ADMIN,
    )


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token; the raw value is returned once and never stored."""
    raw = "cg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], digest=ApiToken.digest_of(raw))
    return token, raw


def api_token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown or revoked token."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Only touch the row once a minute so that a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
