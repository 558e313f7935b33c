"""civicgrid.worktime.W001: the current or next year has no holiday schedule yet."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core import checks
from django.db import OperationalError, ProgrammingError

from civicgrid.worktime import checks as worktime_checks
from civicgrid.worktime.checks import check_years_confirmed
from civicgrid.worktime.models import CalendarDay
from civicgrid.worktime.tests.clock import at


@pytest.mark.django_db
def test_next_year_unconfirmed_in_november_warns():
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        warnings = check_years_confirmed()
    assert [w.id for w in warnings] == ["civicgrid.worktime.W001"]
    assert isinstance(warnings[0], checks.Warning)
    assert "year 2027 is unconfirmed: enter the State Council's holiday schedule" in warnings[0].msg


@pytest.mark.django_db
def test_the_check_is_registered():
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        ids = [message.id for message in checks.run_checks()]
    assert "civicgrid.worktime.W001" in ids


@pytest.mark.django_db
def test_both_years_unconfirmed_give_two_warnings():
    with time_machine.travel(at(2027, 3, 1, 10), tick=False):
        warnings = check_years_confirmed()
    assert ["2027" in w.msg for w in warnings] == [True, False]
    assert "2028" in warnings[1].msg


@pytest.mark.django_db
def test_an_entered_schedule_silences_the_warning():
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        assert check_years_confirmed() == []


def test_covered_years_do_not_touch_the_database():
    # No `db` fixture: pytest-django would fail any query.
    with time_machine.travel(at(2025, 6, 1, 10), tick=False):
        assert check_years_confirmed() == []


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("no such table: worktime_calendarday"),
        ProgrammingError('relation "worktime_calendarday" does not exist'),
    ],
)
def test_a_database_that_is_not_ready_is_skipped(monkeypatch, error):
    def not_ready(years):
        raise error

    monkeypatch.setattr(worktime_checks, "unconfirmed_years", not_ready)
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        assert check_years_confirmed() == []


def test_a_missing_sqlite_file_is_not_created(monkeypatch, tmp_path):
    from django.db import connections

    missing = tmp_path / "nowhere.sqlite3"
    monkeypatch.setitem(connections["default"].settings_dict, "NAME", str(missing))
    monkeypatch.setitem(connections["default"].settings_dict, "ENGINE", "django.db.backends.sqlite3")
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        assert check_years_confirmed() == []
    assert not missing.exists()
