"""Exports (导出): any table of the dashboard or the console to Excel (.xlsx) or CSV.

A `Table` is a title, its columns and its rows of plain values; `table_response` turns one into a
download, `workbook_response` several into the sheets of one workbook. CSV is UTF-8 with a BOM
so that Excel opens Chinese text correctly. Text that a spreadsheet would read as a formula
(`=`, `+`, `-`, `@` first) is prefixed with an apostrophe: a case description is user input.

Personal data never leaves unmasked unless the viewer may see it: `case_rows` asks
`cases.access` for the reporter's name and phone of every case, as the case page does. Every
download is recorded in the access audit (who, which file, the filter, how many rows, whether it
carries unmasked personal data).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.audit.services import export_record
from civicgrid.cases.access import contact_phone_for, reporter_name
from civicgrid.cases.deadlines import light_of
from civicgrid.cases.models import Case
from civicgrid.core.errors import DomainError
from civicgrid.core.text import spreadsheet_text, text_clean

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDE3F0")


@dataclass
class Table:
    """One sheet: `columns` are (key, header) pairs; rows are dicts keyed by those keys."""

    title: str
    columns: Sequence[tuple[str, str]]
    rows: Iterable[dict] = field(default_factory=list)
    notes: Sequence[str] = ()  # lines above the header in the workbook (filters, period)


def check_format(value: str | None) -> str:
    fmt = (value or "").lower()
    if fmt not in FORMATS:
        raise DomainError(
            "format_invalid",
            "导出格式只能是 xlsx 或 csv",
            "format must be xlsx or csv",
            field="format",
            status=400,
        )
    return fmt


def _cell(value):
    """A value as a spreadsheet should hold it: local naive datetimes, safe text."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        # Control characters (rows older than the intake's check) would make openpyxl refuse the sheet.
        return spreadsheet_text(text_clean(value))
    return value


def _text(value) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _safe_filename(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    # ASCII file names: every browser keeps them as they are.
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _key, header in table.columns])
    for row in table.rows:
        writer.writerow([_text(row.get(key)) for key, _header in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


WIDTH_SAMPLE = 200  # rows looked at to size the columns (a write-only sheet is sized before its rows)


def _write_sheet(wb: Workbook, table: Table) -> None:
    """One sheet in write-only mode: rows stream to the file, memory stays flat for long lists."""
    ws = wb.create_sheet(_sheet_title(table.title))
    rows = iter(table.rows)
    sample = [
        [_cell(row.get(key)) for key, _header in table.columns]
        for row in itertools.islice(rows, WIDTH_SAMPLE)
    ]
    widths = [max(8, len(header) * 2) for _key, header in table.columns]
    for values in sample:
        for i, value in enumerate(values):
            if isinstance(value, str):
                widths[i] = min(60, max(widths[i], len(value) + 2))
            elif isinstance(value, datetime):
                widths[i] = max(widths[i], 17)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{len(table.notes) + 2}"
    for note in table.notes:
        ws.append([_cell(note)])
    header = []
    for _key, title in table.columns:
        cell = WriteOnlyCell(ws, value=_cell(title))
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADER_FILL, Alignment(vertical="center")
        header.append(cell)
    ws.append(header)
    for values in itertools.chain(
        sample, ([_cell(row.get(key)) for key, _h in table.columns] for row in rows)
    ):
        ws.append([_date_cell(ws, v) if isinstance(v, datetime) else v for v in values])


def _date_cell(ws, value: datetime) -> WriteOnlyCell:
    # Shown to the minute, stored as a real date (sortable and filterable in Excel).
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def _sheet_title(title: str) -> str:
    title = text_clean(title)
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "Sheet"


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    wb = Workbook(write_only=True)
    for table in tables:
        _write_sheet(wb, table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _Counted:
    """The rows of a table, counted as the file is written (they may be a one-pass iterator)."""

    def __init__(self, rows: Iterable[dict]):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def _audited(request: HttpRequest, tables: Sequence[Table], write, filename: str) -> bytes:
    """Write the file and record the export in the access audit: who, which, filter, rows."""
    counted = [_Counted(t.rows) for t in tables]
    data = write([replace(t, rows=c) for t, c in zip(tables, counted, strict=True)])
    match = request.resolver_match
    export_record(
        actor=request.user,
        request=request,
        name=filename,
        filters={**(match.kwargs if match else {}), **{k: v[-1] for k, v in request.GET.lists()}},
        rows=sum(c.count for c in counted),
        # Case lists carry the reporter and the phone, unmasked for who may see them (case_rows).
        personal=user_can(request.user, Capability.VIEW_PERSONAL_DATA)
        and any(key == "contact_phone" for t in tables for key, _h in t.columns),
    )
    return data


def table_response(table: Table, fmt: str, filename: str, *, request: HttpRequest) -> HttpResponse:
    """One table as `<filename>.csv` or `<filename>.xlsx`, recorded in the access audit."""
    fmt = check_format(fmt)
    if fmt == "csv":
        data = _audited(request, [table], lambda ts: csv_bytes(ts[0]), f"{filename}.{fmt}")
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            _audited(request, [table], xlsx_bytes, f"{filename}.{fmt}"), content_type=XLSX_TYPE
        )
    return _attachment(response, f"{filename}.{fmt}")


def workbook_response(tables: Sequence[Table], filename: str, *, request: HttpRequest) -> HttpResponse:
    data = _audited(request, tables, xlsx_bytes, f"{filename}.xlsx")
    return _attachment(HttpResponse(data, content_type=XLSX_TYPE), f"{filename}.xlsx")


# --- case lists ------------------------------------------------------------------------------------


def case_columns() -> list[tuple[str, str]]:
    return [
        ("number", _("案件编号")),
        ("status", _("状态")),
        ("light", _("时限灯")),
        ("category_code", _("分类编码")),
        ("category", _("问题分类")),
        ("description", _("描述")),
        ("address", _("地址")),
        ("street", _("街道")),
        ("cell", _("单元网格")),
        ("department", _("处置部门")),
        ("channel", _("来源")),
        ("reporter", _("上报人")),
        ("contact_phone", _("联系电话")),
        ("supervised", _("督办")),
        ("created_at", _("上报时间")),
        ("due_at", _("时限")),
        ("closed_at", _("结案时间")),
    ]


CASE_RELATED = ("category", "street", "cell", "department", "reporter")


def case_rows(cases: Iterable[Case], viewer: User, *, now: datetime) -> Iterable[dict]:
    """The export rows of these cases (`select_related(*CASE_RELATED)`), masked for this viewer."""
    from civicgrid.cases.choices import Light

    light_labels = dict(Light.choices)
    for case in cases:
        yield {
            "number": case.number,
            "status": case.get_status_display(),
            "light": str(light_labels.get(light_of(case, now), "")),
            "category_code": case.category.code if case.category_id else "",
            "category": case.category.name if case.category_id else "",
            "description": case.description,
            "address": case.address,
            "street": case.street.name if case.street_id else "",
            "cell": case.cell.name if case.cell_id else "",
            "department": case.department.name if case.department_id else "",
            "channel": case.get_channel_display(),
            "reporter": reporter_name(viewer, case) or "",
            "contact_phone": contact_phone_for(viewer, case),
            "supervised": _("是") if case.supervised else "",
            "created_at": case.created_at,
            "due_at": case.due_at,
            "closed_at": case.closed_at,
        }
