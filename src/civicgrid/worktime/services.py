"""Writes to the working calendar: the admin's holidays and make-up workdays.

Every process caches its calendar; this process drops its copy once the change is committed
(others reload within CACHE_SECONDS), so a deadline never uses a half-written schedule.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from civicgrid.core.errors import DomainError
from civicgrid.worktime.calendar import invalidate
from civicgrid.worktime.models import CalendarDay

NOTE_MAX_LENGTH = CalendarDay._meta.get_field("note").max_length


@transaction.atomic
def calendar_day_set(*, day: date, is_workday: bool, note: str = "") -> CalendarDay:
    """Make `day` a holiday (is_workday=False) or a make-up workday, replacing any earlier entry."""
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            "note_too_long",
            f"说明最多 {NOTE_MAX_LENGTH} 个字",
            f"the note is limited to {NOTE_MAX_LENGTH} characters",
            field="note",
        )
    entry, _ = CalendarDay.objects.update_or_create(
        date=day, defaults={"is_workday": is_workday, "note": note}
    )
    transaction.on_commit(invalidate)
    return entry


@transaction.atomic
def calendar_day_delete(*, day: date) -> None:
    """Remove the admin's entry for `day`: the library (or Monday–Friday) decides again."""
    CalendarDay.objects.filter(date=day).delete()
    transaction.on_commit(invalidate)
