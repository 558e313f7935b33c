"""Administrators and leaders confirm their sign-in with a TOTP code when CIVICGRID_OTP_REQUIRED is on."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.CIVICGRID_OTP_REQUIRED = True
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def sign_in(client, user) -> None:
    response = client.post("/accounts/login/", {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_a_leader_enrols_an_authenticator_on_first_sign_in(client, world, required, clock):
    sign_in(client, world.leader)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/?next=%2Fdashboard%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html
    device = TOTPDevice.objects.get(user=world.leader, confirmed=False)
    secret = re.search(r'id="otp-secret">([A-Z2-7=]+)<', html).group(1)
    assert base64.b32decode(secret) == device.bin_key

    refused = client.post("/accounts/otp/setup/", {"token": wrong(code_of(device)), "next": "/dashboard/"})
    assert refused.status_code == 422 and "动态验证码不正确" in refused.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/dashboard/").status_code == 302

    clock.shift(timedelta(seconds=30))
    done = client.post("/accounts/otp/setup/", {"token": code_of(device), "next": "/dashboard/"})
    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/dashboard/").status_code == 200


def test_an_enrolled_administrator_confirms_each_sign_in_before_the_admin_site(
    client, world, required, clock
):
    device = enrolled(world.admin)
    sign_in(client, world.admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/verify/?next=%2Fadmin%2F"
    assert client.get("/admin/accounts/user/").status_code == 302

    refused = client.post("/accounts/otp/verify/", {"token": wrong(code_of(device)), "next": "/admin/"})
    assert refused.status_code == 422 and 'id="error-token"' in refused.content.decode()
    garbage = client.post("/accounts/otp/verify/", {"token": "12ab", "next": "/admin/"})
    assert garbage.status_code == 422 and "6 位数字" in garbage.content.decode()

    clock.shift(timedelta(seconds=30))  # the next code, past the pause a wrong try imposes
    done = client.post("/accounts/otp/verify/", {"token": code_of(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_a_code_is_not_accepted_twice(client, world, required, clock):
    device = enrolled(world.leader)
    sign_in(client, world.leader)
    code = code_of(device)
    assert client.post("/accounts/otp/verify/", {"token": code}).status_code == 302
    other = type(client)()
    sign_in(other, world.leader)
    assert other.post("/accounts/otp/verify/", {"token": code}).status_code == 422


def test_the_session_api_refuses_an_unconfirmed_sign_in(client, world, required):
    enrolled(world.leader)
    sign_in(client, world.leader)
    response = client.get("/api/cases")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "second_factor_required" and body["message_en"] and body["message_zh"]


def test_other_roles_and_citizens_need_no_second_factor(client, world, required):
    sign_in(client, world.dispatcher)
    assert client.get("/console/queue/new/").status_code == 200
    sign_in(client, world.citizen)
    assert client.get("/m/cases/").status_code == 200


def test_without_the_setting_leaders_go_straight_in(client, world, settings):
    settings.CIVICGRID_OTP_REQUIRED = False
    enrolled(world.leader)
    sign_in(client, world.leader)
    assert client.get("/dashboard/").status_code == 200


def test_an_enrolled_user_is_not_shown_the_secret_again(client, world, required):
    enrolled(world.leader)
    sign_in(client, world.leader)
    response = client.get("/accounts/otp/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/verify/")


def test_signing_out_stays_possible(client, world, required):
    sign_in(client, world.leader)
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_verification_page_speaks_english_when_chosen(client, world, required, settings):
    enrolled(world.leader)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, world.leader)
    response = client.post("/accounts/otp/verify/", {"token": "abc"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Two-factor verification" in html and "enter the 6 digits your authenticator shows" in html
