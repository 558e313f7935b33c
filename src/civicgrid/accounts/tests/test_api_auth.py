"""GET /api/accounts/me: a session or a bearer key, otherwise 401."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from civicgrid.accounts.clients import api_key_revoke, api_key_user, api_personal_key_issue
from civicgrid.accounts.models import ApiKey

URL = "/api/accounts/me"


def test_anonymous_is_401_with_a_json_error(client, world):
    response = client.get(URL)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthenticated"
    assert body["message_zh"] and body["message_en"]


def test_a_session_is_enough(client, world):
    client.force_login(world.roads_handler)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "id": world.roads_handler.id,
        "display_name": "刘*",
        "role": "handler",
        "department": "ZJJ-SZ",
        "capabilities": ["handle", "report"],
    }


def test_a_bearer_token_is_enough(client, world):
    _, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    response = client.get(URL, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == world.dispatcher.id
    assert "dispatch" in body["capabilities"]


def test_a_revoked_token_is_401(client, world):
    token, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    api_key_revoke(key=token)
    assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_an_unknown_token_is_401(client, world):
    assert client.get(URL, headers={"Authorization": "Bearer cg_not-a-token"}).status_code == 401


def test_a_token_of_an_inactive_user_is_401(client, world):
    _, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    world.dispatcher.is_active = False
    world.dispatcher.save()
    assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_only_the_digest_is_stored(world):
    token, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    stored = ApiKey.objects.get(pk=token.pk)
    assert raw not in (stored.digest, stored.prefix)
    assert stored.digest == ApiKey.digest_of(raw)
    assert raw.startswith(stored.prefix)
    assert api_key_user(raw) == world.dispatcher
    assert ApiKey.objects.get(pk=token.pk).last_used_at is not None


def test_issue_token_command_prints_a_working_token(client, world):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("issue_token", world.leader.phone, "大屏", stdout=out)
    raw = out.getvalue().strip()
    assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).json()["id"] == world.leader.id


def test_the_token_lookup_gives_the_user_exactly_as_the_orm_loads_it(world):
    # The lookup is a hand-written statement (core/rawsql.py): every field must come back converted
    # as the ORM converts it — aware datetimes, booleans, foreign keys — on SQLite and PostgreSQL.
    world.dispatcher.last_login = world.dispatcher.date_joined
    world.dispatcher.save()
    _, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    user = api_key_user(raw)
    expected = type(world.dispatcher).objects.get(pk=world.dispatcher.pk)
    for field in expected._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(expected, field.attname), field.name
        assert type(getattr(user, field.attname)) is type(getattr(expected, field.attname)), field.name
    assert user.last_login.tzinfo is not None
    assert user._state.db == expected._state.db and not user._state.adding


def test_an_unknown_token_finds_nobody(world):
    assert api_key_user("cg_not-a-token") is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server connection that can be cut")
def test_the_token_lookup_replaces_a_connection_the_server_has_closed(world):
    """The lookup is the request's health check (core.rawsql.fetchone_checking_connection): on a
    connection the server has ended it connects again and answers, as Django's check would."""
    _, raw = api_personal_key_issue(user=world.citizen, name="phone")
    connection.ensure_connection()
    assert connection.health_check_enabled
    old_pid = connection.connection.info.backend_pid
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    finally:
        killer.close()
    connection.health_check_done = False  # a new request on the kept connection
    assert api_key_user(raw) == world.citizen
    assert connection.connection.info.backend_pid != old_pid


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server connection")
def test_a_healthy_connection_gets_no_select_1_before_the_lookup(world, monkeypatch):
    _, raw = api_personal_key_issue(user=world.citizen, name="phone")
    connection.ensure_connection()
    connection.health_check_done = False
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    assert api_key_user(raw) == world.citizen
    assert checks == []  # Django's check would have run SELECT 1 first
    assert connection.health_check_done  # and no other cursor of this request runs it


def test_an_expired_key_is_401_and_a_key_before_its_end_works(client, world):
    import time_machine
    from django.utils import timezone

    token, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    ApiKey.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timezone.timedelta(hours=1))
    assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1, seconds=1), tick=False):
        assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_key_of_an_inactive_client_is_401(client, world):
    token, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    token.client.is_active = False
    token.client.save()
    assert client.get(URL, headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_the_key_lookup_is_one_statement_with_the_client_and_its_account(world, django_assert_num_queries):
    token, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    ApiKey.objects.filter(pk=token.pk).update(last_used_at=token.created_at.now(token.created_at.tzinfo))
    with django_assert_num_queries(1):
        user = api_key_user(raw)
        assert user.api_client.pk == token.client.pk
        assert user.api_client.user == world.dispatcher
        assert user.api_client.scopes == token.client.scopes
