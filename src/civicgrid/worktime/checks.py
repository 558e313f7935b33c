"""System check: warn while the current or next year's holiday schedule is unconfirmed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.checks import CheckMessage, Warning
from django.db import DatabaseError, connections
from django.utils import timezone

from civicgrid.worktime.calendar import library_covers, unconfirmed_message, unconfirmed_years


def _sqlite_file_missing() -> bool:
    # Connecting to a missing SQLite file would create an empty one (e.g. during `makemigrations`).
    db = connections["default"].settings_dict
    if not db["ENGINE"].endswith("sqlite3"):
        return False
    name = str(db["NAME"])
    return name != ":memory:" and not name.startswith("file:") and not Path(name).exists()


def check_years_confirmed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """civicgrid.worktime.W001 for each of this year and next that neither library nor admin covers."""
    this_year = timezone.localdate().year
    years = [this_year, this_year + 1]
    if all(library_covers(year) for year in years):
        return []
    if _sqlite_file_missing():
        return []
    try:
        unconfirmed = unconfirmed_years(years)
    except DatabaseError:
        # Not migrated yet, or the server is down (OperationalError, ProgrammingError are both
        # DatabaseErrors): `migrate` runs the checks first and must not fail because of them.
        return []
    return [
        Warning(
            unconfirmed_message(year),
            hint="Admin → 工作日历 Working calendar → 日历调整 calendar days: add the year's holidays "
            "(节假日) and make-up workdays (调休上班日); until then Monday–Friday count as workdays.",
            id="civicgrid.worktime.W001",
        )
        for year in unconfirmed
    ]
