"""`add` runs on every report: a 21-working-hour limit must cost well under 100 µs."""

from __future__ import annotations

import statistics
import timeit

from civicgrid.worktime.tests.clock import at


def test_add_21_working_hours_is_fast(cal):
    start = at(2026, 9, 30, 16)  # across National Day: the slowest ordinary case
    cal.add(start, 21, "working")  # warm the per-day cache
    runs = timeit.repeat(lambda: cal.add(start, 21, "working"), number=200, repeat=7)
    per_call_us = statistics.median(runs) / 200 * 1e6
    assert per_call_us < 100, f"{per_call_us:.1f} µs per add()"


def test_elapsed_over_a_month_is_fast(cal):
    start, end = at(2026, 9, 1, 9), at(2026, 10, 15, 11)
    runs = timeit.repeat(lambda: cal.elapsed(start, end, "working"), number=200, repeat=7)
    per_call_us = statistics.median(runs) / 200 * 1e6
    assert per_call_us < 200, f"{per_call_us:.1f} µs per elapsed()"
