"""Against SMS pumping: limits per client address, per session, a daily budget, and a captcha after a few sends.

Through the real endpoints: the API (/api/accounts/login-code) and the H5 page (/accounts/code/).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from captcha.models import CaptchaStore
from django.db import connections
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.models import LoginCode, SmsQuota
from civicgrid.notifications.models import Notification

PHONES = [f"1371234{n:04d}" for n in range(20)]


@pytest.fixture(autouse=True)
def _limits(settings, sms):
    settings.CIVICGRID_SMS_PER_ADDRESS_PER_HOUR = 20
    settings.CIVICGRID_SMS_NUMBERS_PER_SESSION = 3
    settings.CIVICGRID_SMS_CAPTCHA_AFTER = 100  # the captcha tests lower it
    settings.CIVICGRID_SMS_DAILY_BUDGET = 5000


@pytest.fixture
def frozen():
    # Mid-morning local time: the hour and the day do not turn over during a test.
    moment = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller


def api_send(client, phone, address="10.1.0.1", **captcha):
    return client.post(
        "/api/accounts/login-code",
        json.dumps({"phone": phone, **captcha}),
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def page_send(client, phone, address="10.1.0.1", **extra):
    return client.post("/accounts/code/", {"phone": phone, "action": "send", **extra}, REMOTE_ADDR=address)


def answer_of(key: str) -> str:
    return CaptchaStore.objects.get(hashkey=key).response


# --- per session --------------------------------------------------------------------------------


def test_one_session_may_ask_codes_for_three_numbers_a_day(db, sms, frozen):
    client = Client()
    for phone in PHONES[:3]:
        assert api_send(client, phone).status_code == 200
    response = api_send(client, PHONES[3])
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "sms_session_limit" and body["field"] == "phone"
    assert "过多的手机号" in body["message_zh"] and "too many numbers" in body["message_en"]
    assert len(sms.outbox) == 3 and not LoginCode.objects.filter(phone=PHONES[3]).exists()
    # a number the session already had is no new number: a resend a minute later goes out
    frozen.shift(timedelta(seconds=61))
    assert api_send(client, PHONES[0]).status_code == 200
    # another session (another browser, another address) is not affected
    assert api_send(Client(), PHONES[3], address="10.1.0.2").status_code == 200
    # the next day the session may ask again
    frozen.shift(timedelta(days=1))
    assert api_send(client, PHONES[4]).status_code == 200


def test_the_page_limits_the_numbers_of_a_session(client, db, sms, frozen):
    for phone in PHONES[:3]:
        assert page_send(client, phone).status_code == 200
    response = page_send(client, PHONES[3])
    assert response.status_code == 429
    assert re.search(r'id="error-phone"[^>]*>今天已为过多的手机号获取验证码', response.content.decode())
    assert len(sms.outbox) == 3


def test_the_session_limit_in_english(db, sms, frozen):
    client = Client()
    client.cookies["django_language"] = "en"
    for phone in PHONES[:3]:
        page_send(client, phone)
    assert "too many numbers today" in page_send(client, PHONES[3]).content.decode()


# --- per client address -------------------------------------------------------------------------


def test_an_address_may_ask_a_few_codes_an_hour(db, sms, settings, frozen):
    settings.CIVICGRID_SMS_PER_ADDRESS_PER_HOUR = 4
    # a new session for each request (cookies dropped) does not get around it
    for phone in PHONES[:4]:
        assert api_send(Client(), phone, address="10.2.0.1").status_code == 200
    response = api_send(Client(), PHONES[4], address="10.2.0.1")
    assert response.status_code == 429 and response.json()["error"] == "sms_address_limit"
    assert "网络地址" in response.json()["message_zh"]
    response = page_send(Client(), PHONES[4], address="10.2.0.1")
    assert response.status_code == 429 and "该网络地址获取验证码的次数过多" in response.content.decode()
    assert len(sms.outbox) == 4
    assert api_send(Client(), PHONES[4], address="10.2.0.2").status_code == 200  # another address
    frozen.shift(timedelta(hours=1))
    assert api_send(Client(), PHONES[5], address="10.2.0.1").status_code == 200  # the next hour


def test_behind_a_proxy_the_address_it_saw_counts_not_what_the_client_wrote(db, sms, settings, frozen):
    settings.CIVICGRID_PROXY_COUNT = 1
    settings.CIVICGRID_SMS_PER_ADDRESS_PER_HOUR = 2
    for n, phone in enumerate(PHONES[:3]):
        response = Client().post(
            "/api/accounts/login-code",
            json.dumps({"phone": phone}),
            content_type="application/json",
            REMOTE_ADDR="172.16.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 10.6.0.1",  # a forged first entry, then what nginx saw
        )
        assert response.status_code == (200 if n < 2 else 429)
    assert SmsQuota.objects.get(scope="address").key == "10.6.0.1"


def test_a_refused_send_takes_no_slot(db, sms, settings, frozen):
    settings.CIVICGRID_SMS_NUMBERS_PER_SESSION = 1
    client = Client()
    assert api_send(client, PHONES[0], address="10.3.0.1").status_code == 200
    assert api_send(client, PHONES[1], address="10.3.0.1").status_code == 429  # the session's limit
    # the refused send was rolled back whole: the address counts one send, the budget one
    assert SmsQuota.objects.get(scope="address", key="10.3.0.1").count == 1
    assert SmsQuota.objects.get(scope="budget").count == 1


# --- the daily budget ---------------------------------------------------------------------------


def test_the_daily_budget_alerts_at_80_and_100_percent_then_refuses(world, sms, settings, frozen, caplog):
    settings.CIVICGRID_SMS_DAILY_BUDGET = 5
    with caplog.at_level(logging.WARNING, logger="civicgrid.security"):
        for n, phone in enumerate(PHONES[:5]):
            assert api_send(Client(), phone, address=f"10.4.0.{n}").status_code == 200
            alerts = [r.getMessage() for r in caplog.records if r.name == "civicgrid.security"]
            assert len(alerts) == {0: 0, 1: 0, 2: 0, 3: 1, 4: 2}[n]  # at 4 of 5 (80 %) and 5 of 5
        response = api_send(Client(), PHONES[5], address="10.4.0.9")
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "sms_budget_exhausted" and "今日短信验证码发送量已达上限" in body["message_zh"]
    assert "budget" in body["message_en"]
    response = page_send(Client(), PHONES[6], address="10.4.0.10")
    assert response.status_code == 429 and "今日短信验证码发送量已达上限" in response.content.decode()
    assert len(sms.outbox) == 5
    alerts = [r.getMessage() for r in caplog.records if r.name == "civicgrid.security"]
    assert len(alerts) == 2 and "80%" in alerts[0] and "100%" in alerts[1] and "5/5" in alerts[1]
    notes = Notification.objects.filter(kind="security_alert").order_by("id")
    assert [(n.recipient, n.title) for n in notes] == [
        (world.admin, "短信日预算已用 80%"),
        (world.admin, "短信日预算已用 100%"),
    ]
    frozen.shift(timedelta(days=1))
    assert api_send(Client(), PHONES[5], address="10.4.0.9").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_cannot_both_take_the_last_slot(settings, sms):
    settings.CIVICGRID_SMS_DAILY_BUDGET = 3
    threads_n = 8
    start = threading.Barrier(threads_n)
    statuses: list[int] = []
    lock = threading.Lock()

    def ask(i: int) -> None:
        try:
            client = Client()
            start.wait(timeout=30)
            status = api_send(client, PHONES[i], address=f"10.5.0.{i}").status_code
        except Exception as exc:  # reported below
            status = repr(exc)
        finally:
            connections.close_all()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses, key=str) == [200] * 3 + [429] * (threads_n - 3), statuses
    assert len(sms.outbox) == 3 and LoginCode.objects.count() == 3
    assert SmsQuota.objects.get(scope="budget").count == 3


# --- the captcha --------------------------------------------------------------------------------


def test_the_api_asks_for_a_captcha_after_a_few_sends(client, db, sms, settings, frozen):
    settings.CIVICGRID_SMS_CAPTCHA_AFTER = 2
    first = api_send(client, PHONES[0])
    assert first.status_code == 200 and first.json()["captcha_next"] is False
    second = api_send(client, PHONES[1])
    assert second.status_code == 200 and second.json()["captcha_next"] is True
    # required: refused without one, with a new challenge in the answer
    response = api_send(client, PHONES[2])
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "captcha_required" and body["field"] == "captcha"
    assert "图片中的字符" in body["message_zh"]
    image = client.get(body["captcha"]["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    key = body["captcha"]["key"]
    right = answer_of(key)
    # a wrong answer is refused, and the challenge is spent (no second guess at the same picture)
    response = api_send(client, PHONES[2], captcha_key=key, captcha_answer=right + "x")
    assert response.status_code == 422 and response.json()["error"] == "captcha_wrong"
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    response = api_send(client, PHONES[2], captcha_key=key, captcha_answer=right)
    assert response.status_code == 422  # the spent one does not come back
    assert len(sms.outbox) == 2
    # the right answer to a fresh challenge passes (case does not matter)
    fresh = response.json()["captcha"]
    response = api_send(
        client, PHONES[2], captcha_key=fresh["key"], captcha_answer=answer_of(fresh["key"]).upper()
    )
    assert response.status_code == 200 and sms.last_text_to(PHONES[2])


def test_a_new_session_from_the_same_address_still_needs_the_captcha(db, sms, settings, frozen):
    settings.CIVICGRID_SMS_CAPTCHA_AFTER = 2
    api_send(Client(), PHONES[0])
    api_send(Client(), PHONES[1])
    assert api_send(Client(), PHONES[2]).json()["error"] == "captcha_required"
    assert api_send(Client(), PHONES[2], address="10.1.0.77").status_code == 200  # another address


def test_the_captcha_endpoint_gives_a_challenge(client, db):
    body = client.get("/api/accounts/captcha").json()
    assert CaptchaStore.objects.filter(hashkey=body["key"]).exists()
    assert client.get(body["image_url"]).status_code == 200


def test_the_page_asks_for_a_captcha_after_a_few_sends(client, db, sms, settings, frozen):
    settings.CIVICGRID_SMS_CAPTCHA_AFTER = 2
    assert 'name="captcha"' not in page_send(client, PHONES[0]).content.decode()
    response = page_send(client, PHONES[1])
    html = response.content.decode()
    # the code step's "send again" form now carries the captcha
    assert response.status_code == 200 and 'name="captcha"' in html and "/captcha/image/" in html
    # the phone step too
    html = client.get("/accounts/code/", REMOTE_ADDR="10.1.0.1").content.decode()
    assert 'name="captcha"' in html and 'name="captcha_key"' in html
    # without an answer
    response = page_send(client, PHONES[2])
    assert response.status_code == 429
    html = response.content.decode()
    assert re.search(r'id="error-captcha"[^>]*>获取验证码过于频繁', html)
    key = re.search(r'name="captcha_key" value="(\w+)"', html).group(1)
    # a wrong answer
    response = page_send(client, PHONES[2], captcha_key=key, captcha="zzzzz")
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'id="error-captcha"[^>]*>图片验证码不正确', html)
    assert 'name="phone"' in html and PHONES[2] in html  # the number is kept
    assert len(sms.outbox) == 2
    # the right answer
    key = re.search(r'name="captcha_key" value="(\w+)"', html).group(1)
    response = page_send(client, PHONES[2], captcha_key=key, captcha=answer_of(key))
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    assert sms.last_text_to(PHONES[2])


def test_the_captcha_on_the_resend_form_keeps_the_code_step(client, db, sms, settings, frozen):
    settings.CIVICGRID_SMS_CAPTCHA_AFTER = 1
    page_send(client, PHONES[0])
    frozen.shift(timedelta(seconds=61))
    response = page_send(client, PHONES[0], step="code")  # "send again" without the answer
    assert response.status_code == 429
    html = response.content.decode()
    assert 'name="code"' in html and 'name="captcha"' in html


# --- the API's sign-in ----------------------------------------------------------------------------


def test_sign_in_through_the_api(client, db, sms):
    assert api_send(client, PHONES[0]).status_code == 200
    code = re.search(r"\d{6}", sms.last_text_to(PHONES[0])).group(0)
    response = client.post(
        "/api/accounts/login-code/verify",
        json.dumps({"phone": PHONES[0], "code": code}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["role"] == "citizen"
    assert client.get("/api/accounts/me").json()["id"] == response.json()["id"]


def test_a_wrong_code_through_the_api_is_refused(client, db, sms):
    api_send(client, PHONES[0])
    response = client.post(
        "/api/accounts/login-code/verify",
        json.dumps({"phone": PHONES[0], "code": "000000" if "000000" not in sms.outbox[-1][1] else "111111"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["error"] == "code_wrong"
    assert client.get("/api/accounts/me").status_code == 401
