"""A volunteer's record: hours by month and by type, each service, the evaluations and the awards, counted
from approved hours only (a pending, cancelled or no-show sign-up is in no record)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from civicgrid.volunteers.models import HoursState
from civicgrid.volunteers.records import volunteer_record
from civicgrid.volunteers.tests.records_fixtures import history_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_record_counts_approved_hours_by_month_and_type(history):
    record = volunteer_record(history.wang)
    assert record.total_hours == Decimal("6.5")
    assert record.services == 3 and record.activities == 2
    assert record.by_month == [("2026-10", Decimal("3")), ("2026-11", Decimal("3.5"))]
    assert [(kind, hours) for kind, _label, hours in record.by_type] == [
        ("cleaning", Decimal("5")),
        ("traffic", Decimal("1.5")),
    ]
    assert record.by_type[0][1] == "环境清洁"
    assert [line.day for line in record.lines] == [date(2026, 11, 14), date(2026, 11, 7), date(2026, 10, 10)]
    first = record.lines[-1]
    assert (first.title, first.organiser, first.address, first.recorder) == (
        "北苑清扫",
        "清洁队",
        "北苑社区广场",
        "李强",
    )
    assert [(e.rating, e.evaluation) for e in record.evaluations] == [(5, "认真负责")]
    assert record.average_rating == 5.0
    assert [a.title for a in record.awards] == ["优秀志愿者"]
    assert record.teams == ["清洁队", "交通队"]


def test_pending_no_show_and_cancelled_sign_ups_are_in_no_record(history):
    liu = volunteer_record(history.liu)
    assert liu.total_hours == 0 and liu.lines == [] and liu.by_month == []
    chen = volunteer_record(history.chen)
    assert chen.total_hours == Decimal("2.5") and chen.services == 1
    # Once the pending hours are approved, they count.
    s = history.signups["liu_cross"]
    s.hours_state, s.hours_approved, s.hours_approved_at = HoursState.APPROVED, Decimal("2"), s.shift.ends_at
    s.save()
    assert volunteer_record(history.liu).total_hours == Decimal("2")


def test_a_period_narrows_the_record(history):
    november = volunteer_record(history.wang, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert november.total_hours == Decimal("3.5") and november.services == 2
    one_day = volunteer_record(history.wang, start=date(2026, 11, 7), end=date(2026, 11, 7))
    assert [line.title for line in one_day.lines] == ["北苑清扫"]
