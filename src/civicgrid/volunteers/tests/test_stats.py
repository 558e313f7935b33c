"""Volunteer statistics from a known history: active volunteers, approved hours by team, street and
month, the no-show rate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from civicgrid.volunteers.models import Shift
from civicgrid.volunteers.stats import volunteer_stats
from civicgrid.volunteers.tests.records_fixtures import NOW, at, history_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_figures_over_the_whole_history(history, world):
    s = volunteer_stats(start=date(2026, 10, 1), end=date(2026, 11, 30), now=NOW)
    # Attended: 王芳 ×3, 陈 ×1, 刘 ×1 (checked in on 11-14, hours pending) → 3 people, 5 attendances.
    assert (s.active, s.attended, s.no_shows) == (3, 5, 1)
    assert s.no_show_rate == round(1 / 6, 4)
    assert s.hours == Decimal("9.00")  # 3 + 2.5 + 2 + 1.5; 刘's pending 2 h not yet
    assert [(r["name"], r["hours"], r["volunteers"]) for r in s.by_team] == [
        ("清洁队", Decimal("7.5"), 2),
        ("交通队", Decimal("1.5"), 1),
    ]
    assert [(r["name"], r["hours"]) for r in s.by_street] == [
        ("青春山街道", Decimal("7.5")),
        ("—", Decimal("1.5")),
    ]
    assert [(r["month"], r["hours"], r["volunteers"]) for r in s.by_month] == [
        ("2026-10", Decimal("5.5"), 2),
        ("2026-11", Decimal("3.5"), 1),
    ]
    assert s.volunteers == 3
    assert s.as_dict()["hours"] == 9.0


def test_a_period_and_a_street_narrow_the_figures(history, world):
    november = volunteer_stats(start=date(2026, 11, 1), end=date(2026, 11, 30), now=NOW)
    assert (november.active, november.no_shows, november.no_show_rate) == (2, 0, 0.0)
    street = volunteer_stats(
        start=date(2026, 10, 1), end=date(2026, 11, 30), street_ids=[world.street.pk], now=NOW
    )
    assert (street.active, street.attended, street.no_shows, street.hours) == (2, 3, 1, Decimal("7.5"))
    assert street.volunteers == 2  # 刘 names no street
    empty = volunteer_stats(start=date(2026, 1, 1), end=date(2026, 1, 31), now=NOW)
    assert (empty.active, empty.hours, empty.no_show_rate) == (0, 0, None)


def test_upcoming_activities_and_free_places(history, world):
    Shift.objects.create(
        activity=history.sweep,
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=3),
        capacity=6,
        seats_taken=2,
    )
    Shift.objects.create(
        activity=history.crossing,
        starts_at=at("2026-11-28", 7),
        ends_at=at("2026-11-28", 9),
        capacity=5,
        seats_taken=4,
    )
    s = volunteer_stats(now=NOW)
    assert (s.upcoming_activities, s.upcoming_places) == (2, 5)
    assert volunteer_stats(now=NOW, street_ids=[world.street.pk]).upcoming_places == 4
