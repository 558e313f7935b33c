"""Senders: the log (phone masked), the SMS default, the webhook, and the configuration."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.notifications.senders import LogSender, Sender, SmsSender, WebhookSender, get_senders
from civicgrid.notifications.services import notify


@pytest.fixture
def dispatched(world):
    return notify(
        recipient=world.citizen,
        kind="case_progress",
        title="您反映的问题已派遣处置",
        body="住建局市政科正在处置。",
        case_id=42,
        link="/cases/42/",
        channels=[],
    )


def test_the_log_sender_masks_the_phone(dispatched, caplog):
    caplog.set_level(logging.INFO, logger="civicgrid.notifications")
    LogSender().send(dispatched)
    assert "139****0001" in caplog.text
    assert "13900000001" not in caplog.text
    assert "您反映的问题已派遣处置" in caplog.text
    assert caplog.records[-1].name == "civicgrid.notifications"
    assert caplog.records[-1].levelno == logging.INFO


def test_the_log_sender_handles_a_department_message(db, caplog):
    caplog.set_level(logging.INFO, logger="civicgrid.notifications")
    n = notify(recipient=None, kind="case_supervised", title="督办", body="", channels=[])
    LogSender().send(n)
    assert "department/webhook" in caplog.text


def test_the_sms_default_writes_the_text_to_the_log(dispatched, settings, caplog):
    settings.SITE_URL = "https://city.example.cn/"
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.LogSmsSender"
    caplog.set_level(logging.INFO, logger="civicgrid.sms")
    SmsSender().send(dispatched)
    assert (
        "您反映的问题已派遣处置：住建局市政科正在处置。 https://city.example.cn/cases/42/ (to 139****0001)"
        in caplog.text
    )
    assert "13900000001" not in caplog.text


def test_an_sms_needs_a_recipient(db):
    n = notify(recipient=None, kind="case_supervised", title="督办", body="", channels=[])
    with pytest.raises(ValueError, match="recipient"):
        SmsSender().send(n)


def test_a_gateway_overrides_send_text(dispatched):
    sent = []

    class Gateway(SmsSender):
        def send_text(self, phone: str, text: str) -> None:
            sent.append((phone, text))

    Gateway().send(dispatched)
    assert sent and sent[0][0] == "13900000001"


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[dict, dict]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Receiver.received.append((dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(_Receiver.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.status, _Receiver.received = 200, []
    settings.CIVICGRID_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield _Receiver
    server.shutdown()
    server.server_close()


def test_the_webhook_posts_json(dispatched, receiver):
    WebhookSender().send(dispatched)
    (headers, body) = receiver.received[0]
    assert headers["X-Civicgrid-Notification"] == str(dispatched.pk)
    assert headers["Content-Type"].startswith("application/json")
    assert body["kind"] == "case_progress" and body["case_id"] == 42
    assert body["title"] == "您反映的问题已派遣处置"
    assert body["recipient_id"] == dispatched.recipient_id
    assert "13900000001" not in json.dumps(body)


def test_a_webhook_error_status_raises(dispatched, receiver):
    receiver.status = 500
    with pytest.raises(HTTPError):
        WebhookSender().send(dispatched)


def test_an_unset_webhook_url_raises(dispatched, settings):
    settings.CIVICGRID_WEBHOOK_URL = ""
    with pytest.raises(ImproperlyConfigured, match="CIVICGRID_WEBHOOK_URL"):
        WebhookSender().send(dispatched)


def test_senders_come_from_the_settings_by_name(settings):
    settings.CIVICGRID_NOTIFICATION_SENDERS = [
        "civicgrid.notifications.senders.LogSender",
        "civicgrid.notifications.senders.WebhookSender",
    ]
    senders = get_senders()
    assert list(senders) == ["log", "webhook"]
    assert all(isinstance(s, Sender) for s in senders.values())


def test_the_default_setting_is_the_log():
    assert list(get_senders()) == ["log"]


@pytest.mark.parametrize(
    "paths, message",
    [
        (["civicgrid.notifications.senders.Nope"], "cannot import"),
        (["civicgrid.notifications.senders.absolute_link"], "no `name`"),
        (
            ["civicgrid.notifications.senders.LogSender", "civicgrid.notifications.senders.LogSender"],
            "two senders",
        ),
    ],
)
def test_a_wrong_sender_setting_fails_loudly(settings, paths, message):
    settings.CIVICGRID_NOTIFICATION_SENDERS = paths
    with pytest.raises(ImproperlyConfigured, match=message):
        get_senders()
