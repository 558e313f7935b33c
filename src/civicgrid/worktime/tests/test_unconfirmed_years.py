"""Which years still need the State Council's schedule from an admin."""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.worktime.calendar import unconfirmed_years
from civicgrid.worktime.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_a_year_the_library_does_not_know_is_unconfirmed():
    assert unconfirmed_years([2026, 2027]) == [2027]
    assert unconfirmed_years([2028, 2027, 2027]) == [2027, 2028]
    assert unconfirmed_years([2003]) == [2003]  # the library starts at 2004


def test_covered_years_need_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unconfirmed_years([2025, 2026]) == []


def test_an_override_in_the_year_confirms_it():
    CalendarDay.objects.create(date=date(2027, 10, 1), is_workday=False, note="国庆节")
    assert unconfirmed_years([2026, 2027, 2028]) == [2028]


def test_an_override_in_a_covered_year_does_not_confirm_another_year():
    CalendarDay.objects.create(date=date(2026, 12, 31), is_workday=False)
    assert unconfirmed_years([2027]) == [2027]
