"""Fixtures for the working calendar's tests."""

from __future__ import annotations

import pytest

from civicgrid.worktime import calendar


@pytest.fixture(autouse=True)
def _fresh_calendar():
    # The process-wide calendar is cached for a minute; an override written (and rolled back)
    # by one test must not decide another test's deadlines.
    calendar.invalidate()
    yield
    calendar.invalidate()


@pytest.fixture
def cal() -> calendar.WorkingCalendar:
    """The default working day (08:30-12:00, 14:30-18:00) with no admin override."""
    return calendar.WorkingCalendar(calendar.parse_working_periods("08:30-12:00,14:30-18:00"))
