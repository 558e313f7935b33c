"""The working calendar's `add` for millions of deadlines: `FastCalendar`, and moments as epoch µs."""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from civicgrid.worktime.calendar import NATURAL, WORKING, WorkingCalendar

US_HOUR = 3_600_000_000
US_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def hours_us(hours: Decimal) -> int:
    """Hours as whole microseconds, rounded as `WorkingCalendar` rounds them."""
    return int((hours * US_HOUR).to_integral_value())


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // _US


def from_us(us: int) -> datetime:
    return EPOCH + us * _US


class FastCalendar:
    """`WorkingCalendar.add` for many starts: the working time of a range of days as one line.

    `cum[i]` is the working time (µs) before local day i; a start maps onto the line, the limit is
    added, and the earliest moment reaching that point (a period's end rather than the next
    period's start, as `add()` does) is found by binary search. Exact for the fixed-offset zones
    China uses (no daylight saving since 1991); `calendar.add` is used for anything else.
    """

    def __init__(self, calendar: WorkingCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self.spans = calendar._spans
        self.day_us = calendar._day_us
        self.lengths: dict[Decimal, int] = {}
        noon = datetime(first.year, first.month, first.day, 12)
        offsets = {
            (noon + timedelta(days=d)).replace(tzinfo=calendar.tz).utcoffset()
            for d in range(0, (last - first).days + 1, 7)
        }
        self.exact = len(offsets) == 1 and None not in offsets
        self.offset = next(iter(offsets)) // _US if self.exact else 0
        self.first = first
        self.day0 = (first - date(1970, 1, 1)).days
        days = (last - first).days + 1
        self.cum: list[int] = []
        self.cum_end: list[int] = []
        self.workday: list[bool] = []
        total = 0
        for i in range(days):
            work = calendar.is_workday(first + timedelta(days=i))
            self.workday.append(work)
            self.cum.append(total)
            total += self.day_us if work else 0
            self.cum_end.append(total)

    def add(self, start: datetime, hours: Decimal, unit: str) -> datetime:
        """`WorkingCalendar.add`, the same moment (in UTC): what `cases.deadlines` is given."""
        length = self.lengths.get(hours)
        if length is None:  # a few limits (and 80 % of them) come again and again
            length = self.lengths[hours] = hours_us(hours)
        return from_us(self.add_us(to_us(start), length, unit))

    def add_us(self, start: int, hours: int, unit: str) -> int:
        """`calendar.add(start, hours, unit)` with start and result as UTC epoch µs, hours as µs."""
        if unit == NATURAL or hours == 0:
            return start + hours
        if unit != WORKING:
            raise ValueError(f"unit must be {WORKING!r} or {NATURAL!r}, not {unit!r}")
        local = start + self.offset
        i = local // US_DAY - self.day0
        if not self.exact or i < 0 or i >= len(self.cum):
            return self._slow(start, hours, unit)
        tod = local % US_DAY
        position = self.cum[i]
        if self.workday[i]:
            for begin, end in self.spans:
                if tod > begin:
                    position += (tod if tod < end else end) - begin
        target = position + hours
        j = bisect.bisect_left(self.cum_end, target)
        if j >= len(self.cum):
            return self._slow(start, hours, unit)
        remaining = target - self.cum[j]
        for begin, end in self.spans:
            if remaining <= end - begin:
                return (self.day0 + j) * US_DAY + begin + remaining - self.offset
            remaining -= end - begin
        raise AssertionError("unreachable: the day's working time holds the remainder")

    def _slow(self, start: int, hours: int, unit: str) -> int:
        return to_us(self.calendar.add(from_us(start), Decimal(hours) / US_HOUR, unit))
