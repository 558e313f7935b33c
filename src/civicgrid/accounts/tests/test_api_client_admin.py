"""The admin's API clients: keys read-only inline, an action that revokes them, scopes checked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import ApiClient, ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def test_the_change_page_shows_keys_without_their_raw_value(admin_client, world):
    api_client = api_client_create(name="热线", user=world.dispatcher, scopes=["cases:read"])
    key, raw = api_key_issue(client=api_client)
    page = admin_client.get(reverse("admin:accounts_apiclient_change", args=[api_client.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert key.prefix in html and raw not in html


def test_the_action_revokes_every_key_of_the_selected_clients(admin_client, world):
    first = api_client_create(name="甲", user=world.dispatcher, scopes=["cases:read"])
    second = api_client_create(name="乙", user=world.leader, scopes=["cases:read"])
    keys = [api_key_issue(client=first)[0], api_key_issue(client=first)[0], api_key_issue(client=second)[0]]
    admin_client.post(
        reverse("admin:accounts_apiclient_changelist"),
        {"action": "revoke_keys", "_selected_action": [first.pk]},
    )
    revoked = {k.pk: ApiKey.objects.get(pk=k.pk).revoked_at is not None for k in keys}
    assert revoked == {keys[0].pk: True, keys[1].pk: True, keys[2].pk: False}


def test_an_unknown_scope_is_refused_by_the_form(world):
    from civicgrid.accounts.admin import ApiClientForm

    api_client = api_client_create(name="热线", user=world.dispatcher, scopes=["cases:read"])
    data = {
        "name": "热线", "kind": "hotline", "user": world.dispatcher.pk, "scopes": '["cases:everything"]',
        "streets": "[]", "rate_limit_per_minute": 60, "is_active": True, "contact_name": "",
        "contact_phone": "",
    }  # fmt: skip
    form = ApiClientForm(data, instance=api_client)
    assert not form.is_valid() and "scopes" in form.errors
    assert ApiClient.objects.get(pk=api_client.pk).scopes == ["cases:read"]
