"""Bulk exports of cases (批量导出): CSV and GeoJSON, streamed for any period, never whole in memory.

The rows are read with `QuerySet.values(...).iterator(chunk_size=CHUNK)` — a server-side cursor on
PostgreSQL, `fetchmany` on SQLite — and each chunk is encoded and handed on before the next is read,
so that memory stays flat whatever the number of rows (`exports/tests/test_memory.py`,
`bench/export.py`).

The period is over the report time (`created_at`): `since` is inclusive, `until` exclusive. A date
(YYYY-MM-DD) is a whole local day: `since=2026-01-01&until=2026-12-31` is the year 2026, the last
day included; a date-time (ISO 8601, local time when it has no offset) is the moment itself.

Which cases: those the viewer may open (`cases.access.visible_cases`); an operator's command without
`--as` exports every case. The reporter's name and phone are unmasked only for a viewer whose role
may see personal data and, for an API client, whose key holds `cases:read:personal`; otherwise they
are masked (王*, 138****5678) as everywhere else (`core.masking`). Every export is recorded in the
access audit: who, which export, the filter, how many rows, unmasked or not.

CSV is UTF-8 with a BOM (Excel reads Chinese text correctly) and a cell a spreadsheet would read as
a formula (`=`, `+`, `-`, `@` first) starts with an apostrophe: descriptions are people's input.
GeoJSON is one FeatureCollection (RFC 7946): WGS-84, coordinates [lon, lat].
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, is_staff_member, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.audit.services import export_record
from civicgrid.cases.access import visible_cases
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.cases.selectors import category_q, department_from_code
from civicgrid.core.errors import DomainError
from civicgrid.core.masking import mask_name, mask_phone, redact_text
from civicgrid.core.text import spreadsheet_text
from civicgrid.grids.models import Street
from civicgrid.taxonomy.choices import Step

FORMATS = ("csv", "geojson")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json; charset=utf-8"}
CHUNK = 2000  # rows read from the cursor at a time, and encoded together
MAX_API_DAYS = 366  # the longest period one API call exports

# (key, header): the CSV's columns and the GeoJSON's properties, in this order.
COLUMNS: list[tuple[str, str]] = [
    ("number", "number"),
    ("status", "status"),
    ("status_label", "status_label"),
    ("kind", "kind"),
    ("channel", "channel"),
    ("category_code", "category_code"),
    ("category_name", "category_name"),
    ("urgency", "urgency"),
    ("department_code", "department_code"),
    ("department_name", "department_name"),
    ("street_code", "street_code"),
    ("street_name", "street_name"),
    ("community_name", "community_name"),
    ("cell_code", "cell_code"),
    ("address", "address"),
    ("lat", "lat"),
    ("lon", "lon"),
    ("description", "description"),
    ("reported_at", "reported_at"),
    ("registered_at", "registered_at"),
    ("dispatched_at", "dispatched_at"),
    ("closed_at", "closed_at"),
    ("on_time", "on_time"),
    ("rating", "rating"),
    ("reporter_name", "reporter_name"),
    ("contact_phone", "contact_phone"),
]
PERSONAL_COLUMNS = ("reporter_name", "contact_phone")
TIMES = ("reported_at", "registered_at", "dispatched_at", "closed_at")

# The columns read, by their database names (a values() query: no model instances).
_READ = {
    "id": "id",
    "number": "number",
    "status": "status",
    "kind": "kind",
    "channel": "channel",
    "category_code": "category__code",
    "category_name": "category__name",
    "urgency": "urgency",
    "department_code": "department__code",
    "department_name": "department__name",
    "street_code": "street__code",
    "street_name": "street__name",
    "community_name": "community__name",
    "cell_code": "cell__code",
    "address": "address",
    "lat": "lat",
    "lon": "lon",
    "description": "description",
    "reported_at": "created_at",
    "registered_at": "registered_at",
    "dispatched_at": "dispatched_at",
    "closed_at": "closed_at",
    "on_time": "handle_on_time",
    "rating": "rating",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
    "reporter_real_name": "reporter__real_name",
    "reporter_phone": "reporter__phone",
}
STATUS_LABELS = {value: str(label) for value, label in CaseStatus.choices}


@dataclass(frozen=True)
class ExportQuery:
    """What to export: the period [since, until) of the report time and the optional filters."""

    since: datetime
    until: datetime
    category: str = ""
    department: str = ""
    street: str = ""
    status: tuple[str, ...] = field(default_factory=tuple)

    def as_filters(self) -> dict:
        """The filter as the access audit records it."""
        out = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        for name in ("category", "department", "street"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.status:
            out["status"] = list(self.status)
        return out


def _moment(value: str | date | datetime, *, field: str, end: bool) -> datetime:
    """A bound of the period: a date is the start of that local day (`end`: of the next day)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    else:
        text = (value or "").strip()
        try:
            if len(text) == 10:
                return _moment(date.fromisoformat(text), field=field, end=end)
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise DomainError(
                "period_invalid",
                f"{field} 应为日期（YYYY-MM-DD）或日期时间（ISO 8601），收到 {text!r}",
                f"{field} must be a date (YYYY-MM-DD) or a date-time (ISO 8601), got {text!r}",
                field=field,
            ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def export_query(
    *,
    since: str | date | datetime,
    until: str | date | datetime,
    category: str | None = None,
    department: str | None = None,
    street: str | None = None,
    status: list[str] | tuple[str, ...] | str | None = None,
    max_days: int | None = None,
) -> ExportQuery:
    """The checked query; a clear 422 on the field for a bad bound, an empty or too long period, an
    unknown department, street or status."""
    start = _moment(since, field="since", end=False)
    end = _moment(until, field="until", end=True)
    if end <= start:
        raise DomainError(
            "period_empty", "结束时间应晚于开始时间", "until must be later than since", field="until"
        )
    if max_days is not None and end - start > timedelta(days=max_days):
        raise DomainError(
            "period_too_long",
            f"每次最多导出 {max_days} 天，请分段导出",
            f"one export covers at most {max_days} days: split the period",
            field="until",
        )
    department = (department or "").strip()
    if department:
        department_from_code(department)  # unknown → department_unknown
    street = (street or "").strip()
    if street and not Street.objects.filter(code=street).exists():
        raise DomainError(
            "street_unknown", f"未知的街道 {street!r}", f"unknown street {street!r}", field="street"
        )
    if isinstance(status, str):
        status = status.split(",")
    statuses = tuple(sorted({s.strip() for s in status or () if s and s.strip()}))
    unknown = [s for s in statuses if s not in STATUS_LABELS]
    if unknown:
        raise DomainError(
            "status_invalid",
            f"未知的状态 {', '.join(unknown)}",
            f"unknown status {', '.join(unknown)} (one of {', '.join(STATUS_LABELS)})",
            field="status",
        )
    return ExportQuery(
        since=start,
        until=end,
        category=(category or "").strip(),
        department=department,
        street=street,
        status=statuses,
    )


def sees_personal_data(viewer: User | None) -> bool:
    """Unmasked names and phones in an export: a role that may see personal data and, for an API
    client's key, the scope cases:read:personal too (a scope never widens a role)."""
    if viewer is None or not user_can(viewer, Capability.VIEW_PERSONAL_DATA):
        return False
    client = getattr(viewer, "api_client", None)
    return client is None or client.has_scope(Scope.CASES_READ_PERSONAL)


def export_cases(viewer: User | None, query: ExportQuery) -> QuerySet[Case]:
    """The cases of the export (not yet read): the viewer's visible cases (all without a viewer)."""
    qs = Case.objects.all()
    if viewer is not None:
        visible = visible_cases(viewer)
        # A list joined over followers or cells is DISTINCT: read it by its ids, so that the rows
        # come in created order from the plain table.
        qs = qs.filter(pk__in=visible.values("pk")) if visible.query.distinct else visible
    qs = qs.filter(created_at__gte=query.since, created_at__lt=query.until)
    if query.category:
        qs = qs.filter(category_q(query.category))
    if query.department:
        qs = qs.filter(department__code=query.department)
    if query.street:
        qs = qs.filter(street__code=query.street)
    if query.status:
        qs = qs.filter(status__in=query.status)
    return qs


def export_count(viewer: User | None, query: ExportQuery) -> int:
    return export_cases(viewer, query).count()


def _rows(viewer: User | None, query: ExportQuery) -> Iterator[dict]:
    """The rows as plain values, in report order, read CHUNK at a time (a server-side cursor)."""
    handled_on_time = CaseDeadline.objects.filter(case_id=OuterRef("pk"), step=Step.HANDLE).order_by("-id")
    qs = (
        export_cases(viewer, query)
        .annotate(handle_on_time=Subquery(handled_on_time.values("on_time")[:1]))
        .order_by("created_at", "id")
        .values(*_READ.values())
    )
    return qs.iterator(chunk_size=CHUNK)


_SHOWN = [key for key, _header in COLUMNS if key not in ("status_label", *PERSONAL_COLUMNS)]


def _shape(raw: dict, *, personal: bool, staff: bool) -> dict:
    """One database row → the export's values (masked for this viewer)."""
    row = {key: raw[_READ[key]] for key in _SHOWN}
    row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    name = raw["contact_name"] or raw["reporter__real_name"] or ""
    phone = raw["contact_phone"] or raw["reporter__phone"] or ""
    row["reporter_name"] = name if personal else mask_name(name)
    row["contact_phone"] = phone if personal else mask_phone(phone)
    if not staff:  # a citizen's export of their own cases: a neighbour's text may name a third person
        row["description"] = redact_text(row["description"])
    return row


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value is not None else None


def _csv_cell(value, tz=None) -> object:
    """A value as the CSV holds it: text guarded against formulas, local times, 1/0, "" for none."""
    if isinstance(value, str):
        return spreadsheet_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.astimezone(tz or timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M:%S")
    return value


def _csv(rows: Iterator[dict]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([header for _key, header in COLUMNS])
    keys = [key for key, _header in COLUMNS]
    tz = timezone.get_current_timezone()  # once: the lookup per value cost a fifth of the export
    pending = 0
    for row in rows:
        writer.writerow([_csv_cell(row[key], tz) for key in keys])
        pending += 1
        if pending == CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def _geojson(rows: Iterator[dict]) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    keys = [key for key, _header in COLUMNS if key not in ("lat", "lon")]
    tz = timezone.get_current_timezone()
    parts: list[str] = []
    first = True
    for row in rows:
        properties = {}
        for key in keys:
            value = row[key]
            properties[key] = value.astimezone(tz).isoformat() if isinstance(value, datetime) else value
        feature = {
            "type": "Feature",
            "id": row["number"],
            "geometry": {"type": "Point", "coordinates": [round(row["lon"], 7), round(row["lat"], 7)]},
            "properties": properties,
        }
        parts.append(("" if first else ",") + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        first = False
        if len(parts) == CHUNK:
            yield "".join(parts).encode("utf-8")
            parts.clear()
    if parts:
        yield "".join(parts).encode("utf-8")
    yield b"]}"


@dataclass
class CaseExport:
    """A running export: iterate it for the encoded bytes; `rows` counts what went out. When the
    iteration ends — finished, or stopped (a client gone) — the access audit records it once."""

    viewer: User | None
    query: ExportQuery
    fmt: str
    via: str  # "api" or "command"
    request: object = None
    rows: int = 0
    personal: bool = False
    _recorded: bool = False

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise DomainError(
                "format_invalid",
                "导出格式只能是 csv 或 geojson",
                "format must be csv or geojson",
                field="format",
            )
        self.personal = sees_personal_data(self.viewer)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.fmt]

    @property
    def filename(self) -> str:
        last = self.query.until - timedelta(microseconds=1)
        return f"cases-{_local(self.query.since):%Y%m%d}-{_local(last):%Y%m%d}.{self.fmt}"

    def _counted(self) -> Iterator[dict]:
        staff = self.viewer is None or is_staff_member(self.viewer)
        for raw in _rows(self.viewer, self.query):
            self.rows += 1
            yield _shape(raw, personal=self.personal, staff=staff)

    def __iter__(self) -> Iterator[bytes]:
        encode = _csv if self.fmt == "csv" else _geojson
        complete = False
        try:
            yield from encode(self._counted())
            complete = True
        finally:
            self.record(complete=complete)

    def record(self, *, complete: bool) -> None:
        if self._recorded:
            return
        self._recorded = True
        filters = {**self.query.as_filters(), "format": self.fmt, "via": self.via, "complete": complete}
        client = getattr(self.viewer, "api_client", None)
        if client is not None:
            filters["client"] = client.name
        export_record(
            actor=self.viewer,
            request=self.request,
            name=f"cases.{self.fmt}",
            filters=filters,
            rows=self.rows,
            personal=self.personal,
        )
