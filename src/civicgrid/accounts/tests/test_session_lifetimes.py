"""Staff sessions end after 30 idle minutes and 12 hours after signing in; citizens stay signed in."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db

CONSOLE = "/console/queue/new/"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def sign_in(client, user) -> None:
    response = client.post("/accounts/login/", {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302


def signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_staff_session_ends_after_thirty_idle_minutes(client, world, clock):
    sign_in(client, world.dispatcher)
    assert client.get(CONSOLE).status_code == 200
    clock.shift(timedelta(minutes=29))
    assert client.get(CONSOLE).status_code == 200  # still there, and the idle clock starts again
    clock.shift(timedelta(minutes=29))
    assert client.get(CONSOLE).status_code == 200
    clock.shift(timedelta(minutes=31))
    response = client.get(CONSOLE)
    assert signed_out(response)
    page = client.get(response["Location"]).content.decode()
    assert "长时间未操作" in page
    assert "_auth_user_id" not in client.session


def test_the_idle_span_is_a_setting(client, world, clock, settings):
    settings.CIVICGRID_STAFF_IDLE_MINUTES = 5
    sign_in(client, world.leader)
    assert client.get("/dashboard/").status_code == 200
    clock.shift(timedelta(minutes=6))
    assert signed_out(client.get("/dashboard/"))


def test_the_staff_session_cookie_lasts_no_longer_than_the_lifetime_and_one_idle_span(client, world, clock):
    sign_in(client, world.dispatcher)
    assert client.cookies["sessionid"]["max-age"] == 12 * 3600 + 30 * 60


def test_the_session_api_refuses_an_idle_staff_session(client, world, clock):
    sign_in(client, world.dispatcher)
    assert client.get("/api/cases").status_code == 200
    clock.shift(timedelta(minutes=31))
    assert client.get("/api/cases").status_code == 401


def test_a_staff_session_ends_twelve_hours_after_sign_in_however_busy(client, world, clock):
    sign_in(client, world.dispatcher)
    for _ in range(11 * 4 + 3):  # a request every quarter of an hour: 11 h 45 min
        clock.shift(timedelta(minutes=15))
        assert client.get(CONSOLE).status_code == 200
    clock.shift(timedelta(minutes=16))
    response = client.get(CONSOLE)
    assert signed_out(response)
    assert "最长有效时间" in client.get(response["Location"]).content.decode()


def test_signing_in_again_starts_a_new_lifetime(client, world, clock):
    sign_in(client, world.dispatcher)
    clock.shift(timedelta(hours=11, minutes=50))
    sign_in(client, world.dispatcher)  # a fresh login, not idle: the staff member chose to
    clock.shift(timedelta(minutes=20))
    assert client.get(CONSOLE).status_code == 200


def test_a_citizen_stays_signed_in_for_days(client, world, clock):
    sign_in(client, world.citizen)
    assert client.get("/m/cases/").status_code == 200
    assert client.cookies["sessionid"]["max-age"] == 14 * 24 * 3600
    clock.shift(timedelta(days=6))
    assert client.get("/m/cases/").status_code == 200
    clock.shift(timedelta(hours=13))
    response = client.get("/m/cases/")
    assert response.status_code == 200
    assert "_auth_user_id" in client.session


def test_the_sign_out_notice_speaks_english_when_chosen(client, world, clock, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, world.dispatcher)
    clock.shift(timedelta(minutes=31))
    response = client.get(CONSOLE)
    assert signed_out(response)
    assert "signed out after a while without activity" in client.get(response["Location"]).content.decode()
