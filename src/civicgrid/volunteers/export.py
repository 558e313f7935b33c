"""Export of volunteer service records (志愿服务记录导出), per team or per street, as CSV or Excel.

The columns are the record fields of the Ministry of Civil Affairs' rules (志愿服务记录与证明出具办法):
the volunteer number, the name, the service activity's name, its organiser, the date, the place, the hours,
the content and type of the service, and who recorded it (the organiser who approved the hours). A
volunteer is identified by their volunteer number — never an ID-card number, which the platform does not
hold — and the phone is masked (138****5678). Gender is not recorded, so it is left out.

Which records: the approved services of the team's activities (`--team`), or of the activities in the
street (`--street`). Who may export them (`may_export_records`): administrators; the team's leader and
the staff of its department; the staff of a street office for the teams and activities it runs in its
street; command centres and leaders for the streets they command. Every export is recorded in the access
audit, as the case exports are (`audit.services.export_record`).

CSV is UTF-8 with a BOM (Excel then reads Chinese correctly); a cell a spreadsheet would read as a formula
starts with an apostrophe (activity names and descriptions are typed by people).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicgrid.accounts.models import DepartmentKind
from civicgrid.accounts.roles import DEPARTMENT_ROLES, Capability, user_can
from civicgrid.audit.services import export_record
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.core.masking import mask_phone
from civicgrid.core.text import spreadsheet_text
from civicgrid.grids.models import Street
from civicgrid.grids.scope import area_of
from civicgrid.volunteers.models import Activity, Signup, Team
from civicgrid.volunteers.records import KIND_LABELS, approved_lines, organiser_name

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CONTENT_CHARS = 200
AUDIT_NAME = "volunteer_records"

# (key, header): the ministry's record fields, in this order.
COLUMNS: list[tuple[str, str]] = [
    ("number", "志愿者编号"),
    ("name", "姓名"),
    ("phone", "联系电话"),
    ("activity", "服务活动名称"),
    ("organiser", "组织单位"),
    ("date", "服务日期"),
    ("start", "开始时间"),
    ("end", "结束时间"),
    ("place", "服务地点"),
    ("hours", "服务时长（小时）"),
    ("type", "服务类型"),
    ("content", "服务内容"),
    ("recorder", "记录人"),
    ("recorded_at", "记录时间"),
]


@dataclass
class RecordsExport:
    """A finished export: the file's bytes, its name and type, and how many records it holds."""

    content: bytes
    filename: str
    content_type: str
    rows: int


def check_format(fmt: str | None) -> str:
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise DomainError(
            "format_invalid",
            "导出格式只能是 csv 或 xlsx",
            "format must be csv or xlsx",
            field="format",
            status=400,
        )
    return fmt


def _street_office_q(user) -> Q | None:
    """What a street office's staff run: the teams and activities that name their department."""
    dept = getattr(user, "department", None)
    if dept is None or dept.kind != DepartmentKind.STREET_OFFICE or user.role not in DEPARTMENT_ROLES:
        return None
    return Q(department=dept)


def may_export_records(user, *, team: Team | None = None, street: Street | None = None) -> bool:
    """May `user` export the records of this team, or of this street?"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user_can(user, Capability.CONFIGURE):
        return True
    street_id = team.street_id if team is not None else street.pk if street is not None else None
    if user_can(user, Capability.VIEW_CITY):
        area = area_of(user)
        if area is None or area.covers(street_id):
            return True
    office = _street_office_q(user)
    if team is not None:
        if team.leader_id == user.pk:
            return True
        if team.department_id and user.role in DEPARTMENT_ROLES and user.department_id == team.department_id:
            return True
        return bool(
            office is not None
            and team.street_id
            and Team.objects.filter(office, street_id=team.street_id).exists()
        )
    if street is not None and office is not None:
        return (
            Team.objects.filter(office, street=street).exists()
            or Activity.objects.filter(office, street=street).exists()
        )
    return False


def export_lines(*, team: Team | None = None, street: Street | None = None) -> QuerySet[Signup]:
    if (team is None) == (street is None):
        raise DomainError(
            "scope_required",
            "请指定一个队伍或一个街道",
            "give one team or one street",
            field="team",
            status=400,
        )
    qs = approved_lines()
    qs = (
        qs.filter(shift__activity__team=team)
        if team is not None
        else qs.filter(shift__activity__street=street)
    )
    return qs.select_related(
        "volunteer", "shift__activity__team", "shift__activity__department", "hours_approved_by"
    ).order_by("shift__starts_at", "volunteer__number", "id")


def _row(s: Signup, tz) -> dict:
    activity = s.shift.activity
    recorder = s.hours_approved_by
    content = activity.description or ""
    if len(content) > CONTENT_CHARS:
        content = content[:CONTENT_CHARS] + "…"
    starts, ends = s.shift.starts_at.astimezone(tz), s.shift.ends_at.astimezone(tz)
    return {
        "number": s.volunteer.number,
        "name": s.volunteer.real_name,
        "phone": mask_phone(s.volunteer.phone),
        "activity": activity.title,
        "organiser": organiser_name(activity),
        "date": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "place": activity.address,
        "hours": s.hours_approved,
        "type": str(KIND_LABELS.get(activity.kind, activity.kind)),
        "content": content,
        "recorder": (recorder.real_name or recorder.phone) if recorder is not None else "",
        "recorded_at": s.hours_approved_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if s.hours_approved_at
        else "",
    }


def _safe(value) -> object:
    return spreadsheet_text(value) if isinstance(value, str) else value


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _key, header in COLUMNS])
    for row in rows:
        writer.writerow(["" if row[k] is None else _safe(row[k]) for k, _h in COLUMNS])
    return out.getvalue().encode("utf-8")


def _xlsx(rows: list[dict], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "志愿服务记录"
    ws.append([title])
    ws.append([header for _key, header in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([float(row[k]) if k == "hours" else _safe(row[k]) for k, _h in COLUMNS])
    for letter, width in zip(
        "ABCDEFGHIJKLMN", (12, 10, 14, 28, 22, 12, 8, 8, 28, 10, 12, 40, 10, 16), strict=True
    ):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def records_export(
    *,
    team: Team | None = None,
    street: Street | None = None,
    fmt: str = "csv",
    actor=None,
    request=None,
    via: str = "page",
) -> RecordsExport:
    """The approved service records of a team or a street as CSV or xlsx, recorded in the access audit.
    `actor` None is an operator's command (no access check: whoever runs it holds the server)."""
    fmt = check_format(fmt)
    if actor is not None and not may_export_records(actor, team=team, street=street):
        raise PermissionDenied(
            "export_forbidden",
            "您不能导出该队伍或街道的志愿服务记录",
            "you may not export the volunteer records of this team or street",
            field="team" if team is not None else "street",
        )
    tz = timezone.get_current_timezone()
    rows = [_row(s, tz) for s in export_lines(team=team, street=street)]
    now: datetime = clock.now()
    scope = f"team-{team.pk}" if team is not None else f"street-{street.code}"
    title = (
        f"志愿服务记录 · {team.name if team is not None else street.name} · 导出于 "
        f"{timezone.localtime(now):%Y-%m-%d %H:%M}"
    )
    content = _csv(rows) if fmt == "csv" else _xlsx(rows, title)
    filters = {"format": fmt, "via": via}
    filters.update({"team": team.pk} if team is not None else {"street": street.code})
    export_record(
        actor=actor, request=request, name=AUDIT_NAME, filters=filters, rows=len(rows), personal=False
    )
    return RecordsExport(
        content=content,
        filename=f"volunteer-records-{scope}-{timezone.localdate(now):%Y%m%d}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
        rows=len(rows),
    )


def exportable_scopes(user) -> tuple[list[Team], list[Street]]:
    """The teams and streets whose records `user` may export (for the download page's choices)."""
    teams = [
        t
        for t in Team.objects.select_related("street").order_by("name", "id")
        if may_export_records(user, team=t)
    ]
    streets = [s for s in Street.objects.order_by("code") if may_export_records(user, street=s)]
    return teams, streets
