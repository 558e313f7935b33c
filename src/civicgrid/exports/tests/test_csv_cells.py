"""A CSV cell a spreadsheet would read as a formula is text: an apostrophe before = + - @ (and tab, CR)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicgrid.exports.services import _csv_cell


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("路面破损 =1", "路面破损 =1"),
        (-12.5, -12.5),  # a number stays a number (a longitude west of Greenwich)
        (None, ""),
        (True, "1"),
        (datetime(2026, 11, 2, 1, 0, tzinfo=UTC), "2026-11-02 09:00:00"),  # local time
    ],
)
def test_cells(value, cell):
    assert _csv_cell(value) == cell
