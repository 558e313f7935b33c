"""The volunteer figures on the dashboard (a card) and the big screen (a panel), from a known history
(volunteers/tests/records_fixtures.py)."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.volunteers.tests.records_fixtures import NOW, history_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_dashboard_card_shows_the_periods_volunteer_figures(client, world, history):
    client.force_login(world.leader)
    with time_machine.travel(NOW, tick=False):
        r = client.get("/dashboard/", {"start": "2026-10-01", "end": "2026-11-27"})
    assert r.status_code == 200
    card = r.context["volunteers"]
    tiles = {t["metric"]: t["raw"] for t in card["tiles"]}
    assert tiles["volunteers_active"] == 3 and tiles["volunteers_hours"] == 9.0
    assert tiles["volunteers_no_show_rate"] == round(1 / 6, 4) and tiles["volunteers_volunteers"] == 3
    body = r.content.decode()
    assert 'id="volunteers"' in body and "清洁队" in body and "2026-10" in body
    assert [row["name"] for row in card["by_team"]] == ["清洁队", "交通队"]


def test_a_street_filter_narrows_the_card(client, world, history):
    client.force_login(world.leader)
    with time_machine.travel(NOW, tick=False):
        r = client.get(
            "/dashboard/", {"start": "2026-10-01", "end": "2026-11-27", "street": world.street.code}
        )
    card = r.context["volunteers"]
    assert [row["name"] for row in card["by_team"]] == ["清洁队"]
    assert {t["metric"]: t["raw"] for t in card["tiles"]}["volunteers_hours"] == 7.5


def test_the_screen_panel(client, world, history):
    client.force_login(world.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/screen/")
        data = client.get("/dashboard/screen.json").json()
    assert 'data-k="volunteers.active"' in page.content.decode()
    # The last 30 days (10-29 … 11-27): 王芳 twice and 刘 once attended, nobody missed a shift.
    assert data["volunteers"] == {"active": 2, "hours": 3.5, "no_show_rate": 0.0, "upcoming_activities": 0}
