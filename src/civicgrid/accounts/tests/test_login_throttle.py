"""Password sign-in throttling: per account, per address, lockout with backoff, alert (django-axes)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from civicgrid.notifications.models import Notification
from civicgrid.testing import PASSWORD

PER_ACCOUNT = 5
PER_ADDRESS = 20
LOGIN_URLS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.CIVICGRID_LOGIN_FAILURES_PER_ACCOUNT = PER_ACCOUNT
    settings.CIVICGRID_LOGIN_FAILURES_PER_ADDRESS = PER_ADDRESS
    settings.AXES_FAILURE_LIMIT = PER_ACCOUNT
    settings.CIVICGRID_LOGIN_LOCKOUT_MINUTES = 15


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def post(client, url, phone, password, address="10.0.0.1"):
    return client.post(url, {"username": phone, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_right_password_is_refused_while_the_account_is_locked(client, world, url):
    phone = world.admin.phone  # staff: the admin site accepts it too
    for n in range(1, PER_ACCOUNT):
        response = post(client, url, phone, f"wrong-{n}")
        assert response.status_code == 200 and not signed_in(client)
    response = post(client, url, phone, "wrong-last")
    assert response.status_code == 429  # the failure that locks already says so
    html = response.content.decode()
    assert "登录已暂时锁定" in html and "15 分钟后再试" in html
    response = post(client, url, phone, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert "登录已暂时锁定" in response.content.decode()


def test_the_lockout_page_in_english(client, world):
    client.cookies["django_language"] = "en"
    for n in range(PER_ACCOUNT):
        post(client, "/accounts/login/", world.citizen.phone, f"wrong-{n}")
    response = post(client, "/accounts/login/", world.citizen.phone, PASSWORD)
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in response.content.decode()


def test_a_locked_account_is_locked_from_every_address_and_other_accounts_are_not(client, world):
    for n in range(PER_ACCOUNT):
        post(client, "/accounts/login/", world.citizen.phone, f"wrong-{n}", address="10.0.0.1")
    # another address does not unlock the account (the guesser changes address: still refused)
    assert (
        post(client, "/accounts/login/", world.citizen.phone, PASSWORD, address="10.9.9.9").status_code == 429
    )
    assert not signed_in(client)
    # another account from the first address is not locked (5 failures are below the address limit)
    response = post(client, "/accounts/login/", world.dispatcher.phone, PASSWORD, address="10.0.0.1")
    assert response.status_code == 302 and signed_in(client)


def test_an_address_guessing_many_accounts_is_locked(client, world):
    phones = [f"1390000{n:04d}" for n in range(100, 100 + PER_ADDRESS)]  # no such accounts
    for phone in phones:
        post(client, "/accounts/login/", phone, "guess", address="10.0.0.7")
    # the address is locked: even a real account with its right password is refused from it
    response = post(client, "/accounts/login/", world.citizen.phone, PASSWORD, address="10.0.0.7")
    assert response.status_code == 429 and not signed_in(client)
    # the same account from another address is fine: it had no failure of its own
    response = post(client, "/accounts/login/", world.citizen.phone, PASSWORD, address="10.0.0.8")
    assert response.status_code == 302 and signed_in(client)


def test_signing_in_to_an_own_account_does_not_reset_the_address(client, world):
    phones = [f"1390000{n:04d}" for n in range(100, 100 + PER_ADDRESS - 1)]
    for phone in phones:
        post(client, "/accounts/login/", phone, "guess", address="10.0.0.9")
    # the guesser signs in to an account of their own from the same address, and out again
    assert (
        post(client, "/accounts/login/", world.citizen.phone, PASSWORD, address="10.0.0.9").status_code == 302
    )
    client.post("/accounts/logout/", REMOTE_ADDR="10.0.0.9")
    post(client, "/accounts/login/", "13900009999", "guess", address="10.0.0.9")  # the 20th guess locks
    response = post(client, "/accounts/login/", world.citizen.phone, PASSWORD, address="10.0.0.9")
    assert response.status_code == 429 and not signed_in(client)


def test_a_success_below_the_limit_clears_the_failures(client, world):
    for n in range(PER_ACCOUNT - 1):
        post(client, "/accounts/login/", world.citizen.phone, f"wrong-{n}")
    assert post(client, "/accounts/login/", world.citizen.phone, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for n in range(PER_ACCOUNT - 1):
        assert post(client, "/accounts/login/", world.citizen.phone, f"again-{n}").status_code == 200
    assert post(client, "/accounts/login/", world.citizen.phone, PASSWORD).status_code == 302


def test_the_lockout_expires_and_tries_while_locked_double_it(client, world, frozen):
    phone = world.citizen.phone
    for n in range(PER_ACCOUNT):
        post(client, "/accounts/login/", phone, f"wrong-{n}")
    frozen.shift(timedelta(minutes=14))
    assert post(client, "/accounts/login/", phone, PASSWORD).status_code == 429  # still locked
    # that try while locked doubled the lockout, counted from it: 30 minutes more
    frozen.shift(timedelta(minutes=29))
    assert post(client, "/accounts/login/", phone, PASSWORD).status_code == 429
    response = client.get("/accounts/login/")
    assert response.status_code == 200  # the form itself is always shown
    frozen.shift(timedelta(hours=2, minutes=1))  # the third try made it an hour: past it now
    response = post(client, "/accounts/login/", phone, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_a_plain_lockout_expires_after_the_base_time(client, world, frozen):
    for n in range(PER_ACCOUNT):
        post(client, "/accounts/login/", world.citizen.phone, f"wrong-{n}")
    frozen.shift(timedelta(minutes=15, seconds=1))
    response = post(client, "/accounts/login/", world.citizen.phone, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_a_lockout_is_logged_and_the_administrators_are_told(client, world, caplog):
    with caplog.at_level(logging.WARNING, logger="civicgrid.security"):
        for n in range(PER_ACCOUNT):
            post(client, "/accounts/login/", world.citizen.phone, f"wrong-{n}", address="10.0.0.3")
        post(client, "/accounts/login/", world.citizen.phone, PASSWORD, address="10.0.0.3")  # while locked
    records = [r for r in caplog.records if r.name == "civicgrid.security"]
    assert len(records) == 1  # the lockout, not every try while locked
    message = records[0].getMessage()
    assert "登录失败次数过多" in message and "10.0.0.3" in message
    assert world.citizen.phone not in message and "139****0001" in message  # masked
    alerts = Notification.objects.filter(kind="security_alert")
    assert [a.recipient for a in alerts] == [world.admin]
    assert "10.0.0.3" in alerts[0].body


def test_failures_are_kept_for_the_audit(client, world):
    from axes.models import AccessFailureLog

    for n in range(3):
        post(client, "/accounts/login/", world.citizen.phone, f"wrong-{n}", address="10.0.0.4")
    rows = AccessFailureLog.objects.filter(username=world.citizen.phone, ip_address="10.0.0.4")
    assert rows.count() == 3 and not rows.filter(locked_out=True).exists()
