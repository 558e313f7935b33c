"""Logins in the access audit: password and SMS code, success and failure, through the login pages."""

from __future__ import annotations

import re

import pytest

from civicgrid.audit.models import AccessEvent, AccessKind
from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_password_login_is_recorded(client, world):
    r = client.post("/accounts/login/", {"username": world.dispatcher.phone, "password": PASSWORD})
    assert r.status_code == 302
    entry = AccessEvent.objects.get()
    assert (entry.kind, entry.actor, entry.target) == (AccessKind.LOGIN, world.dispatcher, "password")
    assert entry.ip == "127.0.0.1" and entry.detail == {"path": "/accounts/login/"}
    assert entry.at is not None


def test_a_failed_password_login_is_recorded_with_the_account_tried(client, world):
    r = client.post("/accounts/login/", {"username": world.dispatcher.phone, "password": "wrong-password"})
    assert r.status_code == 200  # the form again
    entry = AccessEvent.objects.get()
    assert entry.kind == AccessKind.LOGIN_FAILED
    assert entry.actor is None and entry.subject == world.dispatcher  # who tried is not known
    assert entry.credential == world.dispatcher.phone and entry.target == "password"
    assert "wrong-password" not in str(entry.detail)  # never the password


def test_a_failed_admin_login_of_an_unknown_number_is_recorded(client, db):
    r = client.post("/admin/login/", {"username": "13800000000", "password": "guess-1234"})
    assert r.status_code == 200
    entry = AccessEvent.objects.get()
    assert entry.kind == AccessKind.LOGIN_FAILED and entry.subject is None
    assert entry.credential == "13800000000" and entry.detail == {"path": "/admin/login/"}


def test_sms_code_logins_are_recorded_success_and_failure(client, world, sms):
    phone = world.citizen.phone
    assert client.post("/accounts/code/", {"action": "send", "phone": phone}).status_code == 200
    code = re.search(r"\d{6}", sms.last_text_to(phone)).group(0)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = client.post("/accounts/code/", {"action": "verify", "phone": phone, "code": wrong})
    assert r.status_code >= 400
    failed = AccessEvent.objects.get()
    assert (failed.kind, failed.target, failed.subject, failed.credential) == (
        AccessKind.LOGIN_FAILED,
        "sms",
        world.citizen,
        phone,
    )
    r = client.post("/accounts/code/", {"action": "verify", "phone": phone, "code": code})
    assert r.status_code == 302
    login = AccessEvent.objects.exclude(pk=failed.pk).get()
    assert (login.kind, login.actor, login.target) == (AccessKind.LOGIN, world.citizen, "sms")
