"""Erasing a person's data revokes the keys of the clients acting as them."""

from __future__ import annotations

import pytest

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.accounts.models import ApiKey
from civicgrid.accounts.services import personal_data_erase

pytestmark = pytest.mark.django_db


def test_erasure_revokes_the_persons_keys_only(client, world):
    key, raw = api_personal_key_issue(user=world.citizen, name="phone")
    other, other_raw = api_personal_key_issue(user=world.dispatcher, name="热线")
    erasure = personal_data_erase(person=world.citizen, actor=world.admin, reason="本人申请")
    assert erasure.masked["accounts.ApiKey"] == 1
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=other.pk).revoked_at is None
    assert client.get("/api/accounts/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
