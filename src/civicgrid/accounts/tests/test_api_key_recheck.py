"""A server process keeps a key it has looked up for CIVICGRID_API_KEY_RECHECK_SECONDS: a busy client
costs no lookup per request, a change made in this process applies at once, one made by another process
within the interval."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.clients import (
    api_client_update,
    api_key_authenticate,
    api_key_revoke,
    api_key_rotate,
    api_personal_key_issue,
)
from civicgrid.accounts.models import ApiKey

URL = "/api/accounts/me"


def statements(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def test_a_key_seen_lately_costs_no_statement(world, settings):
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    _, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    first, caller = statements(lambda: api_key_authenticate(raw))
    assert first >= 1 and caller.user == world.dispatcher
    again, kept = statements(lambda: api_key_authenticate(raw))
    assert again == 0
    assert (kept.user, kept.client, kept.key) == (caller.user, caller.client, caller.key)
    assert kept.user is not caller.user  # each request gets its own instances


def test_a_kept_key_is_read_again_after_the_interval(world, settings):
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    _, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    assert api_key_authenticate(raw) is not None
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 0
    assert statements(lambda: api_key_authenticate(raw))[0] == 1


def test_another_process_revoke_applies_within_the_interval(world, settings):
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    key, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    assert api_key_authenticate(raw) is not None
    # `civicgrid apiclient revoke` in another process: this process hears nothing of it.
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    assert api_key_authenticate(raw) is not None  # within the interval
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 0
    assert api_key_authenticate(raw) is None


def _revoke(world, key):
    api_key_revoke(key=key)


def _rotate_now(world, key):
    api_key_rotate(client=key.client, overlap_hours=0)


def _client_off(world, key):
    key.client.is_active = False
    key.client.save()


def _account_off(world, key):
    world.dispatcher.is_active = False
    world.dispatcher.save()


def _key_deleted(world, key):
    ApiKey.objects.get(pk=key.pk).delete()


@pytest.mark.parametrize("change", [_revoke, _rotate_now, _client_off, _account_off, _key_deleted])
def test_a_change_in_this_process_applies_at_once(client, world, settings, change):
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    key, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(URL, headers=headers).status_code == 200
    assert client.get(URL, headers=headers).status_code == 200  # from the kept row
    change(world, key)
    assert client.get(URL, headers=headers).status_code == 401


def test_a_scope_taken_away_applies_at_once(client, world, settings):
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    key, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(URL, headers=headers).status_code == 200
    api_client_update(
        actor=world.admin,
        client=key.client,
        scopes=["cases:read"],
        streets=[],
        rate_limit_per_minute=600,
    )
    response = client.get(URL, headers=headers)
    assert response.status_code == 403 and response.json()["error"] == "scope_missing"


def test_last_use_is_written_once_a_minute_from_a_kept_key(world, settings):
    import time_machine
    from django.utils import timezone

    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    key, raw = api_personal_key_issue(user=world.dispatcher, name="12345 热线")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert statements(lambda: api_key_authenticate(raw))[0] == 2  # the lookup, then last_used_at
    with time_machine.travel(start + timezone.timedelta(seconds=30), tick=False):
        assert statements(lambda: api_key_authenticate(raw))[0] == 0
    with time_machine.travel(start + timezone.timedelta(seconds=61), tick=False):
        assert statements(lambda: api_key_authenticate(raw))[0] == 1  # only last_used_at
        assert ApiKey.objects.get(pk=key.pk).last_used_at == timezone.now()


def test_an_unknown_key_is_looked_up_every_time(world, settings):
    settings.CIVICGRID_API_KEY_RECHECK_SECONDS = 3600
    assert statements(lambda: api_key_authenticate("cgk_not-a-key"))[0] == 1
    assert statements(lambda: api_key_authenticate("cgk_not-a-key"))[0] == 1
