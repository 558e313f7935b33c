"""The working calendar (工作日历): which days are workdays and how working hours add up.

Time limits (时限) run in natural hours or in working hours; working hours count only inside the
working periods (CIVICGRID_WORKING_PERIODS, local time) of workdays. Whether a day is a workday
is decided, in this order, by:

1. the admin's override (`CalendarDay`: a holiday 节假日 or a make-up workday 调休上班日);
2. the `chinese_calendar` library (the State Council's schedule, make-up workdays included);
3. Monday–Friday, for years the library does not know yet (the schedule for next year is only
   published around November–December; the admin is warned that such a year is unconfirmed).

`add()` runs on every report, so it steps over whole periods and whole days, never minutes, and
costs a few microseconds. Both `add()` and `elapsed()` count integer microseconds of local
wall-clock time, which makes them exact inverses; Asia/Shanghai has had no daylight saving time
since 1991, so a wall-clock hour is a real hour.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from time import monotonic

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from civicgrid.worktime.models import CalendarDay

# The clock units, spelled as taxonomy's ClockUnit values (a ClockUnit member compares equal).
WORKING = "working"
NATURAL = "natural"

# Another process's admin change is picked up within this many seconds.
CACHE_SECONDS = 60.0

_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 86_400_000_000
_ONE_DAY = timedelta(days=1)
_PERIOD_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Periods = Sequence[tuple[time, time]]


def parse_working_periods(raw: str) -> list[tuple[time, time]]:
    """Parse "08:30-12:00,14:30-18:00" into [(08:30, 12:00), (14:30, 18:00)]; fail loudly otherwise."""
    periods: list[tuple[time, time]] = []
    try:
        for part in raw.split(","):
            match = _PERIOD_RE.match(part.strip())
            if not match:
                raise ValueError(f"{part.strip()!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            periods.append((time(h1, m1), time(h2, m2)))  # ValueError for 25:00 or 08:61
        _check_periods(periods)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"CIVICGRID_WORKING_PERIODS must look like '08:30-12:00,14:30-18:00' (ascending, "
            f"non-overlapping local times), not {raw!r}: {exc}"
        ) from exc
    return periods


def _check_periods(periods: Periods) -> None:
    if not periods:
        # With no working time at all, a working-hour deadline would never arrive.
        raise ValueError("no working period")
    previous_end: time | None = None
    for start, end in periods:
        if not start < end:
            raise ValueError(f"period {start:%H:%M}-{end:%H:%M} ends before it starts")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"period {start:%H:%M}-{end:%H:%M} overlaps or precedes the one before")
        previous_end = end


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _hours_us(hours: Decimal | float) -> int:
    """Hours as whole microseconds (round half to even), refusing negative and non-finite values."""
    if isinstance(hours, Decimal):
        if not hours.is_finite():
            raise ValueError(f"hours must be finite, not {hours}")
        us = int((hours * _US_PER_HOUR).to_integral_value())
    else:
        value = float(hours)
        if not math.isfinite(value):
            raise ValueError(f"hours must be finite, not {hours}")
        # round(), not int(): elapsed() returns us / 3.6e9, and this must give `us` back exactly.
        us = round(value * _US_PER_HOUR)
    if us < 0:
        raise ValueError(f"hours must not be negative, not {hours}")
    return us


@functools.cache
def library_covers(year: int) -> bool:
    """Whether `chinese_calendar` knows the State Council's schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _library_is_workday(day: date) -> bool | None:
    # The library recomputes its year range on every call (~20 µs); the answer never changes.
    if not library_covers(day.year):
        return None
    return bool(chinese_calendar.is_workday(day))


class WorkingCalendar:
    """Working periods of a day plus the admin's overrides; immutable, shared between threads."""

    def __init__(
        self, periods: Periods, overrides: Mapping[date, bool] | None = None, *, tz: tzinfo | None = None
    ) -> None:
        _check_periods(periods)
        self.periods: tuple[tuple[time, time], ...] = tuple(periods)
        self.overrides: dict[date, bool] = dict(overrides or {})
        self.tz: tzinfo = tz if tz is not None else timezone.get_default_timezone()
        self._spans = tuple((_time_us(start), _time_us(end)) for start, end in self.periods)
        self._day_us = sum(end - start for start, end in self._spans)

    @classmethod
    def from_settings(cls, overrides: Mapping[date, bool] | None = None) -> WorkingCalendar:
        """The calendar of CIVICGRID_WORKING_PERIODS and TIME_ZONE (ImproperlyConfigured if malformed)."""
        return cls(parse_working_periods(settings.CIVICGRID_WORKING_PERIODS), overrides)

    def __repr__(self) -> str:
        periods = ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)
        return f"<WorkingCalendar {periods} {len(self.overrides)} overrides>"

    # --- days -------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Admin override first, then the library, then Monday–Friday."""
        if isinstance(d, datetime):
            d = self._local(d).date() if d.tzinfo is not None else d.date()
        return self._is_workday(d)

    def _is_workday(self, d: date) -> bool:
        override = self.overrides.get(d)
        if override is not None:
            return override
        official = _library_is_workday(d)
        return official if official is not None else d.weekday() < 5

    def is_working_time(self, at: datetime) -> bool:
        """Whether `at` (aware) falls inside a working period [start, end) of a workday."""
        local = self._local(at)
        if not self._is_workday(local.date()):
            return False
        tod = _time_us(local.time())
        return any(start <= tod < end for start, end in self._spans)

    # --- clocks -----------------------------------------------------------------------------

    def add(self, start: datetime, hours: Decimal | float, unit: str) -> datetime:
        """The moment at which `hours` (natural or working) hours have elapsed since `start`.

        In working hours the result is the earliest such moment: a limit used up exactly at the
        end of a period (12:00) ends there, not at the start of the next one (14:30). A start
        outside working time begins counting at the next working period; zero hours is `start`.
        """
        local = self._local(start)
        remaining = _hours_us(hours)
        if unit == NATURAL:
            # Through UTC, so that a start in a zone with daylight saving time still adds real hours.
            return (start.astimezone(UTC) + timedelta(microseconds=remaining)).astimezone(self.tz)
        if unit != WORKING:
            raise ValueError(f"unit must be {WORKING!r} or {NATURAL!r}, not {unit!r}")
        if remaining == 0:
            return start.astimezone(self.tz)
        day = local.date()
        tod = _time_us(local.time())
        spans, day_us = self._spans, self._day_us
        while True:
            if self._is_workday(day):
                if tod == 0 and remaining > day_us:
                    remaining -= day_us  # a whole working day, in one step
                else:
                    for begin, end in spans:
                        if end <= tod:
                            continue
                        if begin < tod:
                            begin = tod
                        available = end - begin
                        # `<=`: a limit used up exactly at the period's end ends there.
                        if remaining <= available:
                            return self._aware(day, begin + remaining)
                        remaining -= available
            day += _ONE_DAY
            tod = 0

    def elapsed(self, start: datetime, end: datetime, unit: str) -> float:
        """Hours (natural or working) between two aware moments; 0 if `end` is not after `start`."""
        local_start, local_end = self._local(start), self._local(end)
        if unit == NATURAL:
            # Through UTC: subtracting two datetimes of the same zone would give wall-clock time.
            return max(0.0, (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1))
        if unit != WORKING:
            raise ValueError(f"unit must be {WORKING!r} or {NATURAL!r}, not {unit!r}")
        if end <= start:
            return 0.0
        return self._elapsed_us(local_start, local_end) / _US_PER_HOUR

    def _elapsed_us(self, local_start: datetime, local_end: datetime) -> int:
        spans, day_us = self._spans, self._day_us
        day, last = local_start.date(), local_end.date()
        low, last_high = _time_us(local_start.time()), _time_us(local_end.time())
        total = 0
        while day <= last:
            high = last_high if day == last else _US_PER_DAY
            if self._is_workday(day):
                if low == 0 and high == _US_PER_DAY:
                    total += day_us
                else:
                    for begin, end in spans:
                        overlap = (end if end < high else high) - (begin if begin > low else low)
                        if overlap > 0:
                            total += overlap
            day += _ONE_DAY
            low = 0
        return total

    # --- helpers ----------------------------------------------------------------------------

    def _local(self, at: datetime) -> datetime:
        """`at` as naive local wall-clock time; naive input is refused, it would be ambiguous."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"an aware datetime is required, not the naive {at!r}")
        return at.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, day: date, us: int) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(microseconds=us)


# --- the process-wide calendar ---------------------------------------------------------------

_lock = threading.Lock()
_calendar: WorkingCalendar | None = None
_loaded_at = 0.0


def _load() -> WorkingCalendar:
    overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
    return WorkingCalendar.from_settings(overrides)


def get_calendar() -> WorkingCalendar:
    """The process's calendar with the admin's overrides, reloaded at most every CACHE_SECONDS."""
    global _calendar, _loaded_at
    calendar = _calendar
    if calendar is not None and monotonic() - _loaded_at < CACHE_SECONDS:
        return calendar
    with _lock:
        if _calendar is None or monotonic() - _loaded_at >= CACHE_SECONDS:
            _calendar = _load()
            _loaded_at = monotonic()
        return _calendar


def invalidate() -> None:
    """Forget this process's calendar (after an override changed, or between tests)."""
    global _calendar, _loaded_at
    with _lock:
        _calendar = None
        _loaded_at = 0.0


def unconfirmed_years(years: Iterable[int]) -> list[int]:
    """The years (sorted) that the library does not cover and that have no admin override at all."""
    uncovered = sorted({year for year in years if not library_covers(year)})
    if not uncovered:
        return []  # no query: the common case for most of the year
    entered = set(CalendarDay.objects.filter(date__year__in=uncovered).values_list("date__year", flat=True))
    return [year for year in uncovered if year not in entered]


def unconfirmed_message(year: int) -> str:
    """What the admin page and the system check tell the admin about an unconfirmed year."""
    return (
        f"{year} 年节假日安排未确认：请录入国务院办公厅公布的节假日和调休上班日 "
        f"(year {year} is unconfirmed: enter the State Council's holiday schedule)"
    )
