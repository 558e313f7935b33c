"""CIVICGRID_WORKING_PERIODS: parsed once, and a malformed value fails loudly."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.worktime.calendar import WorkingCalendar, get_calendar, parse_working_periods
from civicgrid.worktime.tests.clock import at


def test_the_default_setting():
    assert parse_working_periods("08:30-12:00,14:30-18:00") == [
        (time(8, 30), time(12)),
        (time(14, 30), time(18)),
    ]


def test_spaces_and_single_digit_hours_are_fine():
    assert parse_working_periods(" 8:30 - 12:00 , 14:30-18:00 ") == [
        (time(8, 30), time(12)),
        (time(14, 30), time(18)),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "08:30-12:00;14:30-18:00",
        "8-12",
        "08:30-12:00,",
        "12:00-08:30",
        "09:00-09:00",
        "08:30-12:00,11:00-18:00",
        "14:30-18:00,08:30-12:00",
        "25:00-26:00",
        "08:30-12:61",
        "08:30-24:00",
    ],
)
def test_a_malformed_setting_is_improperly_configured(raw):
    with pytest.raises(ImproperlyConfigured, match="CIVICGRID_WORKING_PERIODS"):
        parse_working_periods(raw)


@pytest.mark.django_db
def test_get_calendar_refuses_a_malformed_setting(settings):
    settings.CIVICGRID_WORKING_PERIODS = "08:30-12:00,14:30"
    with pytest.raises(ImproperlyConfigured, match="CIVICGRID_WORKING_PERIODS"):
        get_calendar()


@pytest.mark.django_db
def test_get_calendar_uses_the_setting(settings):
    settings.CIVICGRID_WORKING_PERIODS = "09:00-17:00"
    cal = get_calendar()
    assert cal.add(at(2026, 11, 24, 16), 2, "working") == at(2026, 11, 25, 10)


def test_a_calendar_built_in_code_checks_its_periods():
    with pytest.raises(ValueError, match="no working period"):
        WorkingCalendar([])
    with pytest.raises(ValueError, match="ends before"):
        WorkingCalendar([(time(12), time(8))])
