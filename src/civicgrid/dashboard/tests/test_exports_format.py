"""The export writer: CSV with a BOM that Excel reads as UTF-8, workbooks that read back as written."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from civicgrid.core.errors import DomainError
from civicgrid.dashboard import exports

TABLE = exports.Table(
    title="街道排名",
    columns=[("name", "名称"), ("value", "数量"), ("at", "时间"), ("note", "备注")],
    rows=[
        {"name": "青春山街道", "value": 12, "at": datetime(2026, 10, 3, 1, 30, tzinfo=UTC), "note": "=1+1"},
        {"name": "滨河街道", "value": 0, "at": None, "note": "-跨行\n文本"},
    ],
    notes=["2026-10-01 – 2026-10-31"],
)


def test_csv_has_a_bom_the_header_and_local_times():
    body = exports.csv_bytes(TABLE)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["名称", "数量", "时间", "备注"]
    # 01:30 UTC is 09:30 in Shanghai; a formula-looking text is defused.
    assert rows[1] == ["青春山街道", "12", "2026-10-03 09:30:00", "'=1+1"]
    assert rows[2] == ["滨河街道", "0", "", "'-跨行\n文本"]


def test_workbook_reads_back_with_notes_header_and_typed_values():
    wb = load_workbook(
        io.BytesIO(exports.xlsx_bytes([TABLE, exports.Table("第二页", [("a", "A")], [{"a": 1}])]))
    )
    assert wb.sheetnames == ["街道排名", "第二页"]
    ws = wb["街道排名"]
    values = list(ws.values)
    assert values[0][0] == "2026-10-01 – 2026-10-31"
    assert values[1] == ("名称", "数量", "时间", "备注")
    assert values[2] == ("青春山街道", 12, datetime(2026, 10, 3, 9, 30), "'=1+1")
    assert values[3][:3] == ("滨河街道", 0, None)
    assert list(wb["第二页"].values) == [("A",), (1,)]


def test_unknown_format_is_refused():
    with pytest.raises(DomainError) as err:
        exports.check_format("pdf")
    assert err.value.code == "format_invalid" and err.value.status == 400
    assert exports.check_format("XLSX") == "xlsx"


def test_sheet_titles_lose_characters_excel_refuses():
    assert exports._sheet_title("a/b:c" + "x" * 40) == ("a b c" + "x" * 40)[:31]
