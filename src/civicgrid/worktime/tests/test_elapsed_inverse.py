"""`elapsed` is the inverse of `add`, on random moments of 2025–2026 (and into 2027)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from civicgrid.worktime.calendar import WorkingCalendar, parse_working_periods
from civicgrid.worktime.tests.clock import SHANGHAI

# Built once: @given tests must not depend on function-scoped fixtures. The overrides exercise
# the admin's path too: a holiday on an ordinary Wednesday and a working Sunday in 2026.
CAL = WorkingCalendar(
    parse_working_periods("08:30-12:00,14:30-18:00"),
    {date(2026, 4, 15): False, date(2026, 11, 29): True},
    tz=SHANGHAI,
)
PERIODS = CAL.periods

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59), timezones=st.just(SHANGHAI)
)
hours = st.floats(min_value=0, max_value=300, allow_nan=False, allow_infinity=False)


@st.composite
def working_moments(draw: st.DrawFn) -> datetime:
    """A moment inside a period of a workday, or at its very end: (start, end]."""
    day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)))
    assume(CAL.is_workday(day))
    start, end = draw(st.sampled_from(PERIODS))
    length = int((datetime.combine(day, end) - datetime.combine(day, start)) / timedelta(microseconds=1))
    offset = draw(st.integers(min_value=1, max_value=length))
    return datetime.combine(day, start, tzinfo=SHANGHAI) + timedelta(microseconds=offset)


@settings(max_examples=400, deadline=None)
@given(start=moments, end=working_moments())
def test_add_of_elapsed_gives_back_a_working_end(start, end):
    spent = CAL.elapsed(start, end, "working")
    if end <= start:
        assert spent == 0.0
        assert CAL.add(start, spent, "working") == start
    else:
        assert CAL.add(start, spent, "working") == end


@settings(max_examples=400, deadline=None)
@given(start=moments, limit=hours)
def test_elapsed_of_add_gives_back_the_hours(start, limit):
    deadline = CAL.add(start, limit, "working")
    assert deadline >= start
    assert abs(CAL.elapsed(start, deadline, "working") - limit) < 1e-9
    if round(limit * 3_600_000_000) > 0:  # below a microsecond, a limit is no time at all
        # The deadline is inside a working period or exactly at its end, never at a later start.
        local = deadline.astimezone(SHANGHAI)
        assert CAL.is_workday(local.date())
        assert any(s < local.time() <= e for s, e in PERIODS)


@settings(max_examples=200, deadline=None)
@given(start=moments, end=moments)
def test_natural_add_and_elapsed_are_inverse(start, end):
    spent = CAL.elapsed(start, end, "natural")
    assert CAL.add(start, spent, "natural") == max(start, end)


@settings(max_examples=200, deadline=None)
@given(start=moments, first=hours, second=hours)
def test_two_limits_in_a_row_end_where_their_sum_ends(start, first, second):
    both = CAL.add(CAL.add(start, first, "working"), second, "working")
    at_once = CAL.add(start, first + second, "working")
    # Each call rounds its hours to whole microseconds, hence the tolerance.
    assert abs(both - at_once) <= timedelta(microseconds=2)
