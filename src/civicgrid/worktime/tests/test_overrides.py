"""Years the library does not know (2027) and the admin's overrides, through get_calendar()."""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.worktime import calendar
from civicgrid.worktime.calendar import get_calendar, library_covers
from civicgrid.worktime.models import CalendarDay
from civicgrid.worktime.services import calendar_day_set
from civicgrid.worktime.tests.clock import at

pytestmark = pytest.mark.django_db


def test_the_library_does_not_know_2027():
    assert library_covers(2026)
    assert not library_covers(2027)


def test_2027_falls_back_to_monday_to_friday():
    cal = get_calendar()
    assert cal.is_workday(date(2027, 1, 1))  # a Friday: New Year's Day, but nobody said so yet
    assert not cal.is_workday(date(2027, 1, 2))
    assert not cal.is_workday(date(2027, 1, 3))
    # Thu 31 Dec 2026 17:00 + 2 h: the second hour is on Fri 1 Jan 2027.
    assert cal.add(at(2026, 12, 31, 17), 2, "working") == at(2027, 1, 1, 9, 30)


def test_an_admin_holiday_on_2027_01_01_is_respected(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(day=date(2027, 1, 1), is_workday=False, note="元旦 New Year's Day")
    cal = get_calendar()
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.add(at(2026, 12, 31, 17), 2, "working") == at(2027, 1, 4, 9, 30)
    assert cal.elapsed(at(2026, 12, 31, 17), at(2027, 1, 4, 9, 30), "working") == 2.0


def test_an_admin_makeup_workday_in_2027_counts(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(day=date(2027, 1, 9), is_workday=True, note="调休上班")
    # Fri 8 Jan 17:00 + 2 h: Saturday 9 Jan is a working day now.
    assert get_calendar().add(at(2027, 1, 8, 17), 2, "working") == at(2027, 1, 9, 9, 30)


def test_overrides_beat_the_library_in_a_covered_year(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # The library says 8 Oct 2026 is a workday and 1 Oct a holiday; the admin says otherwise.
        calendar_day_set(day=date(2026, 10, 8), is_workday=False, note="本地放假 local holiday")
        calendar_day_set(day=date(2026, 10, 1), is_workday=True, note="值班 on duty")
    cal = get_calendar()
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.is_workday(date(2026, 10, 1))
    # Wed 30 Sep 17:00 + 2 h → Thu 1 Oct 09:30 (not Thu 8 Oct as the library alone would give).
    assert cal.add(at(2026, 9, 30, 17), 2, "working") == at(2026, 10, 1, 9, 30)
    # And from Wed 7 Oct 17:00 (still a holiday), Thu 8 Oct is skipped too.
    assert cal.add(at(2026, 10, 7, 17), 1, "working") == at(2026, 10, 9, 9, 30)


def test_the_calendar_is_cached_and_reloaded_after_a_minute(monkeypatch):
    first = get_calendar()
    # A row written behind the services' back (another process) is not seen at once …
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False)
    assert get_calendar() is first
    assert first.is_workday(date(2027, 1, 1))
    # … but within CACHE_SECONDS.
    now = calendar.monotonic()
    monkeypatch.setattr(calendar, "monotonic", lambda: now + calendar.CACHE_SECONDS + 1)
    reloaded = get_calendar()
    assert reloaded is not first
    assert not reloaded.is_workday(date(2027, 1, 1))


def test_get_calendar_costs_no_query_while_cached(django_assert_num_queries):
    get_calendar()
    with django_assert_num_queries(0):
        for _ in range(10):
            get_calendar().add(at(2026, 11, 20, 17), 21, "working")
