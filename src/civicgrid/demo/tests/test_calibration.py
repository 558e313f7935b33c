"""The demo city tells a believable story (demo/calibration.py), and `civicgrid demo` says what it
does: its steps with counts and times, the accounts to sign in with, a code to scan.

A small demo: 300 cases over 30 days, as many a day as the 3000-case demo over a year."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.analytics import rollups
from civicgrid.cases.tests.helpers import as_user
from civicgrid.demo.city import DEMO_PASSWORD
from civicgrid.demo.report import receiving_departments

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=SH)  # a Wednesday afternoon
PERIOD = {"start": (NOW - timedelta(days=29)).date().isoformat(), "end": NOW.date().isoformat()}

pytestmark = pytest.mark.django_db


def demo(*args: str, **options) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("demo", *args, stdout=out, **options)
        while rollups.apply_pending():
            pass
    return out.getvalue()


def figures(client) -> dict:
    leader = User.objects.get(phone="13800000006")
    with time_machine.travel(NOW, tick=False):
        return as_user(client, leader).get("/api/stats/summary", PERIOD).json()


def test_the_calm_city_closes_most_cases_on_time_with_few_overdue(client):
    demo(cases=300, days=30)
    body = figures(client)
    now, rates = body["now"], body["rates"]
    assert now["open"] >= 5, now  # cases still being handled, as in any working day
    assert now["red"] / now["open"] < 0.10, now
    assert 0.85 <= rates["on_time_closing_rate"] <= 0.98, rates
    assert rates["on_time_handling_rate"] >= 0.85, rates
    # The departments do not all score alike: their own pace shows in the ranking.
    with time_machine.travel(NOW, tick=False):
        ranking = client.get("/api/stats/indicators", {"group": "department", **PERIOD}).json()
    scores = [r["composite"] for r in ranking["rows"]]
    assert len(scores) >= 3 and max(scores) - min(scores) >= 2, scores


def test_the_stressed_city_has_its_red_lights(client):
    demo(cases=150, days=30, stressed=True)
    now = figures(client)["now"]
    assert now["red"] / now["open"] > 0.5, now


def test_the_demo_command_reports_its_steps_accounts_and_a_code_on_the_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    out = demo(cases=40, days=10)
    # Numbered steps, each with what it did and the time it took.
    assert re.search(r"^\[1\] The city.*…$", out, re.M)
    assert re.search(r"^\[4\] 40 cases of the past 10 days through the case loop \(calm\) …$", out, re.M)
    assert re.search(r"^    \d+ added, [\d.]+ s \(total [\d.]+ s\)$", out, re.M), out
    # The accounts: the password, one account of every role, a staff account of every receiving department.
    assert f"password for all: {DEMO_PASSWORD}" in out
    for role in (Role.CITIZEN, Role.GRID_MEMBER, Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.ADMIN):
        phone = User.objects.filter(role=role).order_by("phone").values_list("phone", flat=True).first()
        assert re.search(rf"{re.escape(str(role.label))}\s+{phone}", out), role
    departments = receiving_departments()
    assert len(departments) >= 10
    for department in departments:
        line = next(line for line in out.splitlines() if line.strip().startswith(department.code + " "))
        phone = re.search(r"\b1\d{10}\b", line).group()
        user = User.objects.get(phone=phone)
        assert user.department_id == department.pk and user.check_password(DEMO_PASSWORD)
    # A household code, on the address the site is served at; it opens its page there.
    url = re.search(r"household QR code.*: (\S+)", out).group(1)
    assert url.startswith("http://127.0.0.1:8765/c/")
    path = url.removeprefix("http://127.0.0.1:8765")
    from django.test import Client

    assert Client().get(path).status_code == 200


def test_the_demo_warns_when_codes_point_away_from_the_served_port(settings, monkeypatch):
    settings.SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.setenv("CIVICGRID_BIND", "127.0.0.1:9000")
    out = demo(cases=0)
    assert "the server listens on 127.0.0.1:9000 but SITE_URL is http://127.0.0.1:8000" in out
