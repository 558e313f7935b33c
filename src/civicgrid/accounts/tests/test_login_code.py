"""Phone + SMS code login (短信验证码登录): the first login with a new number signs up a citizen."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from civicgrid.accounts.models import LoginCode, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import (
    LOGIN_CODE_DAILY_LIMIT,
    LOGIN_CODE_MAX_ATTEMPTS,
    login_code_send,
    login_code_verify,
)
from civicgrid.core.errors import DomainError

NEW_PHONE = "13712345678"


def code_in(sms, phone: str) -> str:
    text = sms.last_text_to(phone)
    assert text is not None, "no SMS sent"
    return re.search(r"\d{6}", text).group(0)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


# --- the services ----------------------------------------------------------------------------------


def test_a_new_number_signs_up_as_a_citizen(db, sms):
    login_code_send(phone=NEW_PHONE)
    text = sms.last_text_to(NEW_PHONE)
    assert text.startswith("登录验证码 ")
    user = login_code_verify(phone=NEW_PHONE, code=code_in(sms, NEW_PHONE))
    assert user.phone == NEW_PHONE and user.role == Role.CITIZEN
    assert not user.has_usable_password() and not user.is_staff
    assert User.objects.filter(phone=NEW_PHONE).count() == 1


def test_an_existing_user_logs_in_with_a_code(world, sms):
    login_code_send(phone=world.grid_member.phone)
    user = login_code_verify(phone=world.grid_member.phone, code=code_in(sms, world.grid_member.phone))
    assert user == world.grid_member and user.role == Role.GRID_MEMBER


def test_only_a_hash_of_the_code_is_stored(db, sms):
    row = login_code_send(phone=NEW_PHONE)
    code = code_in(sms, NEW_PHONE)
    row.refresh_from_db()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=5)


def test_a_code_works_once(db, sms):
    login_code_send(phone=NEW_PHONE)
    code = code_in(sms, NEW_PHONE)
    login_code_verify(phone=NEW_PHONE, code=code)
    with pytest.raises(DomainError) as err:
        login_code_verify(phone=NEW_PHONE, code=code)
    assert err.value.code == "code_expired" and err.value.field == "code"


def test_a_wrong_code_is_refused_and_counted(db, sms):
    login_code_send(phone=NEW_PHONE)
    code = code_in(sms, NEW_PHONE)
    with pytest.raises(DomainError) as err:
        login_code_verify(phone=NEW_PHONE, code=wrong(code))
    assert err.value.code == "code_wrong" and err.value.field == "code"
    assert "4" in err.value.message_zh  # tries left
    assert LoginCode.objects.get(phone=NEW_PHONE).attempts == 1  # committed although the call raised
    assert not User.objects.filter(phone=NEW_PHONE).exists()
    assert login_code_verify(phone=NEW_PHONE, code=code).phone == NEW_PHONE


def test_too_many_wrong_codes_kill_the_code(db, sms):
    login_code_send(phone=NEW_PHONE)
    code = code_in(sms, NEW_PHONE)
    codes = []
    for _ in range(LOGIN_CODE_MAX_ATTEMPTS):
        with pytest.raises(DomainError) as err:
            login_code_verify(phone=NEW_PHONE, code=wrong(code))
        codes.append(err.value.code)
    assert codes[-1] == "code_locked" and codes[:-1] == ["code_wrong"] * (LOGIN_CODE_MAX_ATTEMPTS - 1)
    with pytest.raises(DomainError) as err:
        login_code_verify(phone=NEW_PHONE, code=code)  # even the right code now
    assert err.value.code == "code_locked"
    assert not User.objects.filter(phone=NEW_PHONE).exists()


def test_an_expired_code_is_refused(db, sms, frozen):
    login_code_send(phone=NEW_PHONE)
    code = code_in(sms, NEW_PHONE)
    frozen.shift(timedelta(minutes=5, seconds=1))
    with pytest.raises(DomainError) as err:
        login_code_verify(phone=NEW_PHONE, code=code)
    assert err.value.code == "code_expired"


def test_a_code_is_good_until_it_expires(db, sms, frozen):
    login_code_send(phone=NEW_PHONE)
    frozen.shift(timedelta(minutes=4, seconds=59))
    assert login_code_verify(phone=NEW_PHONE, code=code_in(sms, NEW_PHONE)).phone == NEW_PHONE


def test_one_code_a_minute(db, sms, frozen):
    login_code_send(phone=NEW_PHONE)
    frozen.shift(timedelta(seconds=30))
    with pytest.raises(DomainError) as err:
        login_code_send(phone=NEW_PHONE)
    assert err.value.code == "code_too_soon" and err.value.status == 429 and err.value.field == "phone"
    assert len(sms.outbox) == 1
    frozen.shift(timedelta(seconds=31))
    login_code_send(phone=NEW_PHONE)
    assert len(sms.outbox) == 2


def test_only_the_newest_code_counts(db, sms, frozen):
    login_code_send(phone=NEW_PHONE)
    first = code_in(sms, NEW_PHONE)
    frozen.shift(timedelta(seconds=61))
    login_code_send(phone=NEW_PHONE)
    second = code_in(sms, NEW_PHONE)
    if first != second:
        with pytest.raises(DomainError):
            login_code_verify(phone=NEW_PHONE, code=first)
    assert login_code_verify(phone=NEW_PHONE, code=second).phone == NEW_PHONE


def test_a_daily_limit_of_codes(db, sms, frozen):
    for _ in range(LOGIN_CODE_DAILY_LIMIT):
        login_code_send(phone=NEW_PHONE)
        frozen.shift(timedelta(seconds=61))
    with pytest.raises(DomainError) as err:
        login_code_send(phone=NEW_PHONE)
    assert err.value.code == "code_daily_limit"
    frozen.shift(timedelta(days=1))
    login_code_send(phone=NEW_PHONE)


@pytest.mark.parametrize("phone", ["", "12345", "23900000001", "1390000000a", "139000000012"])
def test_a_bad_phone_number_is_refused(db, sms, phone):
    with pytest.raises(DomainError) as err:
        login_code_send(phone=phone)
    assert err.value.code == "phone_invalid" and err.value.field == "phone"
    assert sms.outbox == []


def test_spaces_and_the_country_code_are_tolerated(db, sms):
    login_code_send(phone="+86 137 1234 5678")
    assert sms.last_text_to(NEW_PHONE)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef"])
def test_a_malformed_code_is_refused_without_counting(db, sms, code):
    login_code_send(phone=NEW_PHONE)
    with pytest.raises(DomainError) as err:
        login_code_verify(phone=NEW_PHONE, code=code)
    assert err.value.code == "code_invalid"
    assert LoginCode.objects.get(phone=NEW_PHONE).attempts == 0


def test_a_disabled_account_cannot_log_in_with_a_code(world, sms):
    User.objects.filter(pk=world.citizen.pk).update(is_active=False)
    login_code_send(phone=world.citizen.phone)
    with pytest.raises(DomainError) as err:
        login_code_verify(phone=world.citizen.phone, code=code_in(sms, world.citizen.phone))
    assert err.value.code == "account_disabled" and err.value.status == 403


def test_a_gateway_failure_leaves_no_code_behind(db, settings):
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.FailingSmsSender"
    with pytest.raises(DomainError) as err:
        login_code_send(phone=NEW_PHONE)
    assert err.value.code == "sms_failed" and err.value.status == 503
    assert not LoginCode.objects.exists()  # so the person may try again at once


def test_the_default_sender_writes_the_code_to_the_log(db, settings, caplog):
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.LogSmsSender"
    with caplog.at_level(logging.INFO, logger="civicgrid.sms"):
        login_code_send(phone=NEW_PHONE)
    record = next(r for r in caplog.records if r.name == "civicgrid.sms")
    assert re.search(r"登录验证码 \d{6}", record.getMessage())
    assert NEW_PHONE not in record.getMessage()  # the number is masked in the log


# --- the page --------------------------------------------------------------------------------------


def test_the_code_login_page_renders(client, db):
    response = client.get("/accounts/code/?next=/m/cases/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="phone"' in html and 'value="send"' in html and 'value="/m/cases/"' in html
    assert "/accounts/login/?next=/m/cases/" in html  # the password login is one tap away


def test_sign_up_through_the_page(client, db, sms):
    response = client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send", "next": "/m/cases/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html and "137****5678" in html
    response = client.post(
        "/accounts/code/",
        {"phone": NEW_PHONE, "action": "verify", "next": "/m/cases/", "code": code_in(sms, NEW_PHONE)},
    )
    assert response.status_code == 302 and response["Location"] == "/m/cases/"
    user = User.objects.get(phone=NEW_PHONE)
    assert int(client.session["_auth_user_id"]) == user.pk and user.role == Role.CITIZEN


def test_a_wrong_code_on_the_page_shows_the_error_next_to_the_field(client, db, sms):
    client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send"})
    response = client.post(
        "/accounts/code/", {"phone": NEW_PHONE, "action": "verify", "code": wrong(code_in(sms, NEW_PHONE))}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="error-code"[^>]*>验证码不正确', html)
    assert 'name="code"' in html  # still on the code step, the phone kept
    assert "_auth_user_id" not in client.session


def test_a_bad_phone_on_the_page_is_shown_next_to_the_phone_field(client, db, sms):
    response = client.post("/accounts/code/", {"phone": "123", "action": "send"})
    assert response.status_code == 422
    assert re.search(r'id="error-phone"[^>]*>请输入 11 位', response.content.decode())


def test_asking_again_too_soon_keeps_the_code_step(client, db, sms):
    client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send"})
    response = client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send"})
    assert response.status_code == 429
    html = response.content.decode()
    assert 'name="code"' in html and "秒后再重新获取" in html


def test_the_page_refuses_an_offsite_next(client, db, sms):
    client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send"})
    response = client.post(
        "/accounts/code/",
        {
            "phone": NEW_PHONE,
            "action": "verify",
            "code": code_in(sms, NEW_PHONE),
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/m/"


def test_the_page_in_english(client, db, sms):
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/code/", {"phone": "123", "action": "send"})
    assert '<html lang="en">' in response.content.decode()
    assert "11-digit" in response.content.decode()  # the domain error in the active language


def test_a_signed_in_user_is_sent_on(client, world):
    client.force_login(world.citizen)
    response = client.get("/accounts/code/?next=/m/cases/")
    assert response.status_code == 302 and response["Location"] == "/m/cases/"


def test_a_code_sent_just_before_secret_key_is_rotated_still_signs_in(client, db, sms, settings):
    settings.SECRET_KEY = "the-key-before-the-rotation-" + "b" * 30
    client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send"})
    code = code_in(sms, NEW_PHONE)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-key-after-the-rotation-" + "a" * 30
    response = client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "verify", "code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(phone=NEW_PHONE).pk


def test_a_code_hashed_with_a_retired_key_no_longer_signs_in(client, db, sms, settings):
    settings.SECRET_KEY = "the-key-before-the-rotation-" + "b" * 30
    client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "send"})
    code = code_in(sms, NEW_PHONE)
    settings.SECRET_KEY = "the-key-after-the-rotation-" + "a" * 30
    response = client.post("/accounts/code/", {"phone": NEW_PHONE, "action": "verify", "code": code})
    assert response.status_code == 422 and "_auth_user_id" not in client.session
