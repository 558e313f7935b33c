"""The dashboard's filters: presets, dates, codes; bad input is a clear error, never another figure."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.http import QueryDict

from civicgrid.core.errors import DomainError
from civicgrid.dashboard.forms import parse_filters, parse_month, preset_range

TODAY = date(2026, 11, 18)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("today", (TODAY, TODAY)),
        ("7d", (date(2026, 11, 12), TODAY)),
        ("30d", (date(2026, 10, 20), TODAY)),
        ("month", (date(2026, 11, 1), TODAY)),
        ("last_month", (date(2026, 10, 1), date(2026, 10, 31))),
        ("quarter", (date(2026, 10, 1), TODAY)),
        ("year", (date(2026, 1, 1), TODAY)),
    ],
)
def test_presets(preset, expected):
    assert preset_range(preset, TODAY) == expected


@time_machine.travel(datetime(2026, 11, 18, 17, 0, 0).astimezone(), tick=False)
def test_default_is_this_month_and_local_day(world):
    # 17:00 in the machine's zone; the dashboard's day is Shanghai's.
    f = parse_filters(QueryDict(""), user=None)
    assert f.preset == "month" and f.end.month == 11 and f.start == f.end.replace(day=1)


def test_dates_and_codes(world, categories):
    f = parse_filters(
        QueryDict("start=2026-09-01&end=2026-09-30&street=150603001&department=ZJJ&category=06013"), user=None
    )
    assert (f.start, f.end, f.preset) == (date(2026, 9, 1), date(2026, 9, 30), "")
    assert f.params() == {
        "start": "2026-09-01",
        "end": "2026-09-30",
        "street": "150603001",
        "department": "ZJJ",
        "category": "06013",
    }
    assert "period" not in f.page_query() and "start=2026-09-01" in f.page_query()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("start=2026-13-01", "date_invalid"),
        ("start=2026-10-02&end=2026-10-01", "period_invalid"),
        ("start=2020-01-01&end=2026-10-01", "period_too_long"),
        ("period=decade", "period_invalid"),
        ("street=999", "street_unknown"),
        ("department=NOPE", "department_unknown"),
        ("category=99999", "category_unknown"),
    ],
)
def test_bad_input_is_refused(world, categories, query, code):
    with pytest.raises(DomainError) as err:
        parse_filters(QueryDict(query), user=None)
    assert err.value.code == code and err.value.status == 400


def test_month():
    assert parse_month("2026-10") == date(2026, 10, 1)
    for bad in ("", "2026-13", "oct", "2026/10"):
        with pytest.raises(DomainError):
            parse_month(bad)
