"""`civicgrid apiclient` (list, create, key, rotate, revoke) and `civicgrid issue_token` (a personal key)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civicgrid.accounts.models import ApiClient, ApiKey
from civicgrid.accounts.scopes import GRANTABLE

pytestmark = pytest.mark.django_db
ME = "/api/accounts/me"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_create_key_rotate_revoke_and_list(client, world):
    created = run(
        "apiclient", "create", "12345 热线", "--phone", world.dispatcher.phone,
        "--scope", "account:read", "--scope", "cases:read", "--kind", "hotline", "--rate-limit", "120",
    )  # fmt: skip
    api_client = ApiClient.objects.get(name="12345 热线")
    assert created.startswith(str(api_client.pk))
    assert api_client.scopes == ["account:read", "cases:read"]
    assert (api_client.kind, api_client.rate_limit_per_minute, api_client.user) == (
        "hotline",
        120,
        world.dispatcher,
    )
    first = run("apiclient", "key", str(api_client.pk))
    assert client.get(ME, headers={"Authorization": f"Bearer {first}"}).status_code == 200
    second = run("apiclient", "rotate", "12345 热线", "--overlap-hours", "0")
    assert client.get(ME, headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get(ME, headers={"Authorization": f"Bearer {second}"}).status_code == 200
    run("apiclient", "revoke", second[:12])
    assert client.get(ME, headers={"Authorization": f"Bearer {second}"}).status_code == 401
    listed = run("apiclient", "list")
    assert "12345 热线" in listed and "account:read,cases:read" in listed


def test_an_unknown_scope_is_refused_and_nothing_is_created(world):
    with pytest.raises(CommandError, match="scope_invalid"):
        run("apiclient", "create", "x", "--phone", world.dispatcher.phone, "--scope", "everything")
    assert not ApiClient.objects.exists()


def test_issue_token_makes_a_personal_client_with_every_grantable_scope(client, world):
    raw = run("issue_token", world.leader.phone, "大屏")
    key = ApiKey.objects.get()
    assert key.client.kind == "personal" and key.client.user == world.leader
    assert sorted(key.client.scopes) == sorted(str(s) for s in GRANTABLE)
    assert client.get(ME, headers={"Authorization": f"Bearer {raw}"}).json()["id"] == world.leader.id
