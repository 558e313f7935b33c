"""The working-hour clock on real 2026 dates (chinese_calendar 1.11.0's schedule).

2026 around National Day, as the library knows it: Fri 25 Sep is the Mid-autumn Festival
holiday; Thu 1 Oct – Wed 7 Oct are the National Day holidays (3–4 Oct is the weekend);
Sun 20 Sep and Sat 10 Oct are make-up workdays (调休上班日).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from civicgrid.worktime.tests.clock import at


def test_the_library_knows_the_2026_national_day_schedule_used_below():
    holidays = [date(2026, 9, 25), *(date(2026, 10, d) for d in (1, 2, 5, 6, 7))]
    makeup_workdays = [date(2026, 9, 20), date(2026, 10, 10)]
    assert not any(chinese_calendar.is_workday(d) for d in holidays)
    assert all(chinese_calendar.is_workday(d) for d in makeup_workdays)
    assert [d.strftime("%a") for d in makeup_workdays] == ["Sun", "Sat"]


def test_friday_evening_runs_over_the_weekend_to_monday(cal):
    # 20 Nov 2026 is an ordinary Friday: 17:00-18:00, then 08:30-09:30 on Monday.
    assert cal.add(at(2026, 11, 20, 17), 2, "working") == at(2026, 11, 23, 9, 30)


def test_lunch_break_does_not_count(cal):
    assert cal.add(at(2026, 11, 24, 11), 2, "working") == at(2026, 11, 24, 15, 30)


def test_a_limit_used_up_exactly_at_noon_ends_at_noon(cal):
    assert cal.add(at(2026, 11, 24, 11), 1, "working") == at(2026, 11, 24, 12)
    assert cal.add(at(2026, 11, 24, 17), 1, "working") == at(2026, 11, 24, 18)
    # A whole working day from the morning's start ends the same evening, not the next morning.
    assert cal.add(at(2026, 11, 24, 8, 30), 7, "working") == at(2026, 11, 24, 18)


def test_start_before_the_working_day_counts_from_0830(cal):
    assert cal.add(at(2026, 11, 24, 7), 1, "working") == at(2026, 11, 24, 9, 30)


def test_start_after_the_working_day_counts_from_next_morning(cal):
    assert cal.add(at(2026, 11, 24, 19), 1, "working") == at(2026, 11, 25, 9, 30)
    assert cal.add(at(2026, 11, 24, 18), 1, "working") == at(2026, 11, 25, 9, 30)


def test_start_in_the_lunch_break_or_at_noon_counts_from_1430(cal):
    assert cal.add(at(2026, 11, 24, 12, 30), 1, "working") == at(2026, 11, 24, 15, 30)
    assert cal.add(at(2026, 11, 24, 12), Decimal("0.5"), "working") == at(2026, 11, 24, 15)


def test_start_on_a_weekend_counts_from_monday(cal):
    assert cal.add(at(2026, 11, 21, 10), 1, "working") == at(2026, 11, 23, 9, 30)


def test_national_day_holidays_do_not_count(cal):
    # Wed 30 Sep 17:00: one hour that day, then 1–7 Oct off, the second hour on Thu 8 Oct.
    assert cal.add(at(2026, 9, 30, 17), 2, "working") == at(2026, 10, 8, 9, 30)


def test_a_21_hour_limit_over_national_day_ends_on_the_makeup_saturday(cal):
    # 2 h on 30 Sep, 7 h on 8 Oct, 7 h on 9 Oct, then 5 h of Sat 10 Oct (a make-up workday).
    assert cal.add(at(2026, 9, 30, 16), 21, "working") == at(2026, 10, 10, 16)


def test_mid_autumn_holiday_does_not_count(cal):
    assert cal.add(at(2026, 9, 24, 17), 2, "working") == at(2026, 9, 28, 9, 30)


def test_makeup_sunday_counts(cal):
    # Fri 18 Sep 17:00 → Sat 19 Sep is off, Sun 20 Sep is a make-up workday.
    assert cal.add(at(2026, 9, 18, 17), 2, "working") == at(2026, 9, 20, 9, 30)
    assert cal.is_workday(date(2026, 9, 20))
    assert not cal.is_workday(date(2026, 9, 19))


def test_makeup_saturday_counts(cal):
    assert cal.add(at(2026, 10, 9, 17), 2, "working") == at(2026, 10, 10, 9, 30)


def test_zero_hours_is_the_start_itself(cal):
    assert cal.add(at(2026, 11, 21, 10), 0, "working") == at(2026, 11, 21, 10)


def test_decimal_float_and_int_hours_agree(cal):
    start = at(2026, 11, 24, 9)
    assert (
        cal.add(start, Decimal("1.5"), "working")
        == cal.add(start, 1.5, "working")
        == at(2026, 11, 24, 10, 30)
    )
    assert cal.add(start, Decimal("0.25"), "working") == at(2026, 11, 24, 9, 15)


def test_a_start_given_in_utc_is_counted_in_shanghai_time_and_returned_there(cal):
    # 09:00 UTC is 17:00 in Shanghai on the Friday.
    start = at(2026, 11, 20, 17).astimezone(ZoneInfo("UTC"))
    deadline = cal.add(start, 2, "working")
    assert deadline == at(2026, 11, 23, 9, 30)
    assert deadline.utcoffset().total_seconds() == 8 * 3600


def test_natural_hours_ignore_weekends_holidays_and_lunch(cal):
    assert cal.add(at(2026, 11, 20, 17), 2, "natural") == at(2026, 11, 20, 19)
    assert cal.add(at(2026, 9, 30, 17), 24, "natural") == at(2026, 10, 1, 17)
    assert cal.add(at(2026, 11, 24, 11), Decimal("2"), "natural") == at(2026, 11, 24, 13)


def test_natural_hours_are_real_hours_across_a_daylight_saving_change(cal):
    # 8 Mar 2026 in New York skips 02:00-03:00; four real hours after 00:00 EST is 05:00 EDT.
    start = at(2026, 3, 8, 0).replace(tzinfo=ZoneInfo("America/New_York"))
    assert cal.add(start, 4, "natural") == start.replace(hour=5)
    assert cal.elapsed(start, start.replace(hour=5), "natural") == 4.0


def test_elapsed_counts_working_hours(cal):
    assert cal.elapsed(at(2026, 11, 20, 17), at(2026, 11, 23, 9, 30), "working") == 2.0
    assert cal.elapsed(at(2026, 9, 30, 16), at(2026, 10, 10, 16), "working") == 21.0
    assert cal.elapsed(at(2026, 11, 24, 11), at(2026, 11, 24, 15, 30), "working") == 2.0
    assert cal.elapsed(at(2026, 11, 21, 0), at(2026, 11, 22, 23, 59), "working") == 0.0
    assert cal.elapsed(at(2026, 11, 23, 0), at(2026, 11, 30, 0), "working") == 35.0


def test_elapsed_is_zero_when_the_end_is_not_after_the_start(cal):
    assert cal.elapsed(at(2026, 11, 24, 15), at(2026, 11, 24, 10), "working") == 0.0
    assert cal.elapsed(at(2026, 11, 24, 15), at(2026, 11, 24, 15), "working") == 0.0
    assert cal.elapsed(at(2026, 11, 24, 15), at(2026, 11, 24, 10), "natural") == 0.0


def test_elapsed_natural_hours(cal):
    assert cal.elapsed(at(2026, 11, 20, 17), at(2026, 11, 23, 9, 30), "natural") == 64.5


def test_a_deadline_that_would_fall_on_a_period_start_is_the_previous_periods_end(cal):
    # Two working hours after Friday 16:00 are used up at 18:00; Monday 08:30 adds no working time.
    assert cal.elapsed(at(2026, 11, 20, 16), at(2026, 11, 23, 8, 30), "working") == 2.0
    assert cal.add(at(2026, 11, 20, 16), 2, "working") == at(2026, 11, 20, 18)


def test_is_working_time(cal):
    assert cal.is_working_time(at(2026, 11, 24, 8, 30))
    assert cal.is_working_time(at(2026, 11, 24, 11, 59))
    assert not cal.is_working_time(at(2026, 11, 24, 12))
    assert not cal.is_working_time(at(2026, 11, 21, 10))  # Saturday
    assert not cal.is_working_time(at(2026, 10, 1, 10))  # National Day
    assert cal.is_working_time(at(2026, 10, 10, 10))  # make-up Saturday


@pytest.mark.parametrize("unit", ["hours", "WORKING", ""])
def test_an_unknown_unit_is_refused(cal, unit):
    with pytest.raises(ValueError, match="unit"):
        cal.add(at(2026, 11, 24, 9), 1, unit)
    with pytest.raises(ValueError, match="unit"):
        cal.elapsed(at(2026, 11, 24, 9), at(2026, 11, 24, 10), unit)


def test_naive_datetimes_are_refused(cal):
    from datetime import datetime

    with pytest.raises(ValueError, match="aware"):
        cal.add(datetime(2026, 11, 24, 9), 1, "working")
    with pytest.raises(ValueError, match="aware"):
        cal.elapsed(at(2026, 11, 24, 9), datetime(2026, 11, 24, 10), "natural")


@pytest.mark.parametrize("hours", [-1, Decimal("-0.5"), float("nan"), float("inf"), Decimal("Infinity")])
def test_negative_and_non_finite_hours_are_refused(cal, hours):
    with pytest.raises(ValueError, match="hours"):
        cal.add(at(2026, 11, 24, 9), hours, "working")
