"""Monitoring: /metrics (Prometheus), /healthz (database and worker heartbeat), request ids in answers
and log lines."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from civicgrid.cases.models import CaseDeadline
from civicgrid.core import clock
from civicgrid.core.models import WorkerHeartbeat
from civicgrid.notifications.models import Notification


def scrape(client: Client, **extra) -> str:
    r = client.get("/metrics", **extra)
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("text/plain")
    return r.content.decode()


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in the Prometheus text format (None if it is not there)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return None


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_url_pattern():
    client = Client()
    before = sample(
        scrape(client), "civicgrid_http_requests_total", method="GET", status="200", view="api/health"
    )
    for _ in range(3):
        assert client.get("/api/health").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    text = scrape(client)
    after = sample(text, "civicgrid_http_requests_total", method="GET", status="200", view="api/health")
    assert after - (before or 0) == 3
    assert sample(text, "civicgrid_http_requests_total", method="GET", status="404", view="<unmatched>") >= 1
    assert sample(text, "civicgrid_http_request_duration_seconds_count", view="api/health") >= 3


@pytest.mark.django_db
def test_metrics_answer_only_the_machine_itself_or_the_token(settings):
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    # nginx on the same machine passes the outside on from 127.0.0.1, with X-Forwarded-For
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.CIVICGRID_METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 403  # with a token set, the address is not enough
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")


@pytest.mark.django_db
def test_metrics_show_the_outbox_the_worker_and_overdue_clocks(routed_world):
    from civicgrid.cases.tests.helpers import submit

    client = Client()
    case = submit(routed_world.citizen)
    text = scrape(client)
    assert (
        sample(text, "civicgrid_outbox_backlog") == Notification.objects.filter(processed_at=None).count() > 0
    )
    assert sample(text, "civicgrid_cases_overdue", step="register") is None
    assert str(sample(text, "civicgrid_worker_heartbeat_age_seconds")) == "nan"  # no worker has run

    CaseDeadline.objects.filter(case=case).update(due_at=clock.now() - timedelta(hours=1))
    call_command("worker", "--once")
    text = scrape(client)
    assert sample(text, "civicgrid_cases_overdue", step="register") == 1
    assert sample(text, "civicgrid_outbox_backlog") == Notification.objects.filter(processed_at=None).count()
    assert 0 <= sample(text, "civicgrid_worker_heartbeat_age_seconds") < 5


@pytest.mark.django_db
def test_healthz_needs_the_database_and_a_recent_worker_pass(settings):
    client = Client()
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "degraded", "database": "ok", "worker": {"status": "missing"}}
    call_command("worker", "--once")
    r = client.get("/healthz")
    assert (r.status_code, r.json()["status"], r.json()["worker"]["status"]) == (200, "ok", "ok")
    assert r["Cache-Control"].startswith("max-age=0")
    assert WorkerHeartbeat.objects.count() == 1
    with time_machine.travel(clock.now() + timedelta(seconds=settings.CIVICGRID_WORKER_STALE_SECONDS + 5)):
        r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["worker"]["status"] == "stale"


@pytest.mark.django_db
def test_healthz_says_when_the_database_is_down(monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    r = Client().get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "down", "database": "error: OperationalError"}


@pytest.mark.django_db
def test_every_answer_carries_a_request_id_and_a_sane_one_from_the_proxy_is_kept():
    client = Client()
    made = client.get("/api/health")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/api/health")["X-Request-ID"] != made
    assert (
        client.get("/api/health", HTTP_X_REQUEST_ID="nginx-0123456789ab")["X-Request-ID"]
        == "nginx-0123456789ab"
    )
    hostile = client.get("/api/health", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", hostile)


@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id(settings):
    """The platform's own log configuration (settings.LOGGING, json format) on a request that logs:
    sending an SMS login code through the log sender."""
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.LogSmsSender"
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    logging.config.dictConfig(config)
    stream = logging.getLogger("civicgrid").handlers[0].stream = io.StringIO()
    try:
        r = Client().post("/accounts/code/", {"action": "send", "phone": "13800138000"})
        assert r.status_code == 200
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    sms = [line for line in lines if line["logger"] == "civicgrid.sms"]
    assert sms, lines
    assert sms[0]["request_id"] == r["X-Request-ID"]
    assert sms[0]["level"] == "INFO" and "time" in sms[0]
