"""Durations as people read them: "2小时15分", never 8100 s or 2.25 h."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext


def minutes_of(value) -> int | None:
    """Whole minutes (rounded) of a number of hours (Decimal, float, int, str) or of a timedelta."""
    if value is None or value == "":
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 60)
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not hours.is_finite():
        return None
    return int((hours * 60).to_integral_value())


def hours_minutes(value) -> str:
    """ "2小时15分" for 2.25 hours (or a timedelta); "45分", "3小时"; "" for no value."""
    minutes = minutes_of(value)
    if minutes is None:
        return ""
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    days_hours, rest = divmod(minutes, 60)
    if days_hours and rest:
        text = gettext("%(h)d小时%(m)d分") % {"h": days_hours, "m": rest}
    elif days_hours:
        text = gettext("%(h)d小时") % {"h": days_hours}
    else:
        text = gettext("%(m)d分") % {"m": rest}
    return sign + text
