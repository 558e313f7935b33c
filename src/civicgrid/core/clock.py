"""The platform's notion of "now".

Services ask `clock.now()` instead of `timezone.now()` so that the demo can replay a year of
history through the real service layer (`at(moment)`), exactly as it would have happened.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.utils import timezone

from civicgrid.core.errors import DomainError

_local = threading.local()


def now() -> datetime:
    override = getattr(_local, "moment", None)
    return override if override is not None else timezone.now()


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (this thread only)."""
    previous = getattr(_local, "moment", None)
    _local.moment = moment
    try:
        yield
    finally:
        _local.moment = previous


# The days a period may name: a day far enough from year 1 and year 9999 that a local midnight, the
# day after and the same day years earlier are all dates the database can hold.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)


def check_day(day: date, *, field: str) -> date:
    """The day, or a DomainError if it lies outside FIRST_DAY…LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DomainError(
            "date_out_of_range",
            f"日期超出范围（{FIRST_DAY}…{LAST_DAY}）：{day}",
            f"date out of range ({FIRST_DAY}…{LAST_DAY}): {day}",
            field=field,
        )
    return day
