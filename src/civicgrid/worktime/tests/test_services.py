"""calendar_day_set / calendar_day_delete: one row per date, the cache dropped on commit."""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.core.errors import DomainError
from civicgrid.worktime.calendar import get_calendar
from civicgrid.worktime.models import CalendarDay
from civicgrid.worktime.services import calendar_day_delete, calendar_day_set

pytestmark = pytest.mark.django_db


def test_set_creates_then_replaces_the_days_entry(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(day=date(2027, 2, 6), is_workday=False, note="春节")
        entry = calendar_day_set(day=date(2027, 2, 6), is_workday=True, note="调休上班")
    assert CalendarDay.objects.count() == 1
    entry.refresh_from_db()
    assert (entry.is_workday, entry.note) == (True, "调休上班")


def test_the_cached_calendar_is_dropped_only_once_committed(django_capture_on_commit_callbacks):
    before = get_calendar()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        calendar_day_set(day=date(2027, 1, 1), is_workday=False)
    assert get_calendar() is before  # not committed yet: the old calendar still rules
    for callback in callbacks:
        callback()
    assert not get_calendar().is_workday(date(2027, 1, 1))


def test_delete_gives_the_day_back_to_the_library(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(day=date(2026, 10, 1), is_workday=True)
    assert get_calendar().is_workday(date(2026, 10, 1))
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_delete(day=date(2026, 10, 1))
    assert not CalendarDay.objects.exists()
    assert not get_calendar().is_workday(date(2026, 10, 1))


def test_a_too_long_note_is_refused():
    with pytest.raises(DomainError) as err:
        calendar_day_set(day=date(2027, 1, 1), is_workday=False, note="x" * 101)
    assert err.value.field == "note"
    assert not CalendarDay.objects.exists()
