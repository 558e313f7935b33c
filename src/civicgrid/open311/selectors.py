"""What the Open311 endpoints read: services (categories), definitions, and the public's view of cases
and their public events. Every read here shows only what the public may see (cases.publication,
Case.objects.public()): no reporter, no phone, no actor; the public text; feedback photos only."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F, FloatField, Max
from django.db.models.expressions import ExpressionWrapper
from django.db.models.functions import Coalesce, Greatest
from django.utils import translation

from civicgrid.cases.choices import Action, CaseStatus
from civicgrid.cases.models import PUBLIC_PHOTO_STAGES, Case, CaseEvent, CasePhoto
from civicgrid.cases.publication import public_text
from civicgrid.core.errors import DomainError
from civicgrid.open311.models import Open311Attribute, Open311Request
from civicgrid.taxonomy.cache import current_revision, get_snapshot
from civicgrid.taxonomy.models import Category

WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
UPDATES_DEFAULT = timedelta(days=1)  # servicerequestupdates without dates: the last day
# The events the public timeline shows (cases.selectors.PUBLIC_ACTIONS): the status changes of the loop.
PUBLIC_ACTIONS = frozenset(
    {
        Action.REPORT,
        Action.REGISTER,
        Action.DISPATCH,
        Action.FEEDBACK,
        Action.CLOSE,
        Action.REWORK,
        Action.REOPEN,
    }
)
CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED})


def open_or_closed(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def bad(code: str, zh: str, en: str, field: str = "", status: int = 400) -> DomainError:
    return DomainError(code, zh, en, field=field or None, status=status)


# --- services ----------------------------------------------------------------------------------------


def service_codes() -> dict[int, str]:
    """Category id → its service code: the 5-digit code, or `kind:code` where a component and a matter
    share the code (the form cases.intake's category_by_code reads)."""
    out = {}
    for code, found in get_snapshot().by_code.items():
        for category in found:
            out[category.pk] = code if len(found) == 1 else f"{category.kind}:{code}"
    return out


def service_codes_for(rows: list[dict]) -> dict[int, str]:
    """The codes of the rows' categories; an inactive category (not in the snapshot) by its bare code."""
    codes = service_codes()
    missing = {r["category_id"] for r in rows if r["category_id"] and r["category_id"] not in codes}
    if missing:
        codes.update(Category.objects.filter(pk__in=missing).values_list("pk", "code"))
    return codes


def service_list() -> list[tuple[Category, str, bool]]:
    """Active categories with their service code and whether they have a definition (attributes)."""
    codes = service_codes()
    with_attributes = set(Open311Attribute.objects.values_list("category_id", flat=True).distinct())
    categories = [c for found in get_snapshot().by_code.values() for c in found]
    categories.sort(key=lambda c: (c.kind, c.code))
    return [(c, codes[c.pk], c.pk in with_attributes) for c in categories]


def service_by_code(raw: str) -> Category:
    kind, _, code = (raw or "").strip().rpartition(":")
    found = get_snapshot().categories(code, kind)
    if len(found) != 1:
        raise bad(
            "service_not_found", f"未知的服务编码 {raw}", f"unknown service_code {raw}", "service_code", 404
        )
    return found[0]


# Every service's questions, kept per process beside the taxonomy snapshot they belong to: loaded again
# whenever that snapshot is (an attribute's save or delete moves the taxonomy revision, see apps.py), so an
# admin's change reaches every server within CIVICGRID_GRID_RECHECK_SECONDS, as a category's does.
_definitions: tuple[object, dict[int, tuple[Open311Attribute, ...]]] | None = None


def attributes_of(category: Category) -> list[Open311Attribute]:
    """The service's questions in their order (no query on the path of a POST: a per-process copy)."""
    global _definitions
    snapshot = get_snapshot()
    kept = _definitions
    if kept is None or kept[0] is not snapshot:
        by_category: dict[int, list[Open311Attribute]] = {}
        for attribute in Open311Attribute.objects.order_by("category_id", "order", "id"):
            by_category.setdefault(attribute.category_id, []).append(attribute)
        kept = _definitions = (snapshot, {pk: tuple(found) for pk, found in by_category.items()})
    return list(kept[1].get(category.pk, ()))


def changeset() -> str:
    """Sortable: the last change of an attribute, then the taxonomy's revision number."""
    latest = Open311Attribute.objects.aggregate(at=Max("updated_at"))["at"]
    stamp = latest.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if latest else "00000000T000000Z"
    return f"{stamp}.{current_revision():010d}"


# --- requests ----------------------------------------------------------------------------------------


@dataclass
class Query:
    ids: list[str]
    categories: list[int] | None
    status: str  # "", "open", "closed"
    start: datetime | None
    end: datetime | None
    page: int = 1
    page_size: int = MAX_REQUESTS
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None  # lat, long, radius (m)


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The spec's window: 90 days at most; the last 90 days by default."""
    if start is None and end is None:
        end = now
    if start is None:
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise bad(
            "date_range_invalid", "end_date 早于 start_date", "end_date is before start_date", "end_date"
        )
    if end - start > WINDOW:
        raise bad(
            "date_range_too_long",
            "start_date 与 end_date 相隔不能超过 90 天",
            "start_date and end_date may be at most 90 days apart",
            "start_date",
        )
    return start, end


REQUEST_COLUMNS = (
    "id",
    "number",
    "status",
    "category_id",
    "category__name",
    "description",
    "public_summary",
    "department__name",
    "address",
    "lat",
    "lon",
    "created_at",
    "due_at",
    "channel",
)


def _last_move():
    """The time of the case's latest step (the spec's updated_datetime), computed by the database: one
    value per row to read instead of five."""
    steps = ("registered_at", "dispatched_at", "handled_at", "closed_at")
    return Greatest("created_at", *(Coalesce(step, "created_at") for step in steps))


def _values(qs):
    return qs.values(*REQUEST_COLUMNS, updated=_last_move())


def _near_filter(qs, lat: float, lon: float, radius: float):
    dlat = radius / 111_320.0
    dlon = radius / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    qs = qs.in_bbox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    ky = 111_320.0**2
    kx = (111_320.0 * math.cos(math.radians(lat))) ** 2
    d2 = ExpressionWrapper(
        (F("lat") - lat) * (F("lat") - lat) * ky + (F("lon") - lon) * (F("lon") - lon) * kx,
        output_field=FloatField(),
    )
    return qs.alias(d2=d2).filter(d2__lte=radius * radius)


def request_queryset(q: Query, now: datetime):
    qs = Case.objects.public()
    if q.ids:
        return qs.filter(number__in=q.ids)
    start, end = window(q.start, q.end, now)
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    if q.categories is not None:
        qs = qs.filter(category_id__in=q.categories)
    if q.status == "closed":
        qs = qs.filter(status__in=CLOSED_STATUSES)
    elif q.status == "open":
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    if q.bbox:
        qs = qs.in_bbox(*q.bbox)
    if q.near:
        qs = _near_filter(qs, *q.near)
    return qs


def request_rows(q: Query, now: datetime) -> list[dict]:
    """One page of public cases, newest first, as rows of values (one query)."""
    offset = (q.page - 1) * q.page_size
    qs = _values(request_queryset(q, now).order_by("-created_at", "-id"))
    return list(qs[offset : offset + q.page_size])


def request_count(q: Query, now: datetime) -> int:
    return request_queryset(q, now).count()


def public_request(number: str) -> dict:
    row = _values(Case.objects.public().filter(number=number)).first()
    if row is None:
        raise bad(
            "request_not_found", f"服务请求 {number} 不存在", f"service request {number} not found", "", 404
        )
    return row


def photos_of(case_ids: list[int]) -> dict[int, list[str]]:
    """The public photos (EXIF already stripped) of the cases, absolute URLs, oldest first."""
    if not case_ids:
        return {}
    storage = CasePhoto._meta.get_field("public").storage
    out: dict[int, list[str]] = {}
    rows = (
        CasePhoto.objects.filter(case_id__in=case_ids, stage__in=PUBLIC_PHOTO_STAGES)
        .order_by("created_at", "id")
        .values_list("case_id", "public")
    )
    for case_id, name in rows:
        out.setdefault(case_id, []).append(absolute(storage.url(name)))
    return out


def notes_of(case_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids, action__in=PUBLIC_ACTIONS)
        .order_by("created_at", "id")
        .values_list("case_id", "action", "to_status", "created_at")
    )
    for case_id, action, to_status, at in rows:
        out.setdefault(case_id, []).append(
            {"datetime": at, "description": action_label(action), "type": action, "status": to_status}
        )
    return out


def absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL.rstrip("/") + url


@functools.cache
def _label(choices, value: str, language: str) -> str:
    with translation.override(language):
        return str(choices(value).label)


def status_label(status: str) -> str:
    """In the answer's language; looked up once per status and language, not per row."""
    return _label(CaseStatus, status, translation.get_language() or "zh-hans")


def action_label(action: str) -> str:
    return _label(Action, action, translation.get_language() or "zh-hans")


def row_text(row: dict) -> str:
    return public_text(row["description"], row["public_summary"])


def updated_at(row: dict) -> datetime:
    return row["updated"]


# --- updates (FixMyStreet servicerequestupdates) -----------------------------------------------------


def update_rows(start: datetime, end: datetime, limit: int = MAX_REQUESTS) -> list[dict]:
    """The public events of public cases between two times, oldest first."""
    public_cases = Case.objects.public()
    return list(
        CaseEvent.objects.filter(
            created_at__gte=start,
            created_at__lte=end,
            action__in=PUBLIC_ACTIONS,
            case__in=public_cases.values("id"),
        )
        .order_by("created_at", "id")
        .values("id", "case__number", "action", "to_status", "created_at")[:limit]
    )


def in_language(lang: str, fn, *args):
    with translation.override(lang):
        return fn(*args)


# --- staff ---------------------------------------------------------------------------------------------


def case_open311(case: Case) -> dict | None:
    """What an Open311 request brought beside its case, for the staff's case page: the client, its own
    id, the answers (by the question asked) and the media_url link (never fetched by the server)."""
    if case.channel != "open311":
        return None
    record = Open311Request.objects.select_related("client").filter(case_id=case.pk).first()
    if record is None:
        return None
    questions = {}
    if case.category_id:
        questions = dict(
            Open311Attribute.objects.filter(category_id=case.category_id).values_list("code", "description")
        )
    answers = [
        (questions.get(code, code), ", ".join(value) if isinstance(value, list) else str(value))
        for code, value in record.attributes.items()
    ]
    return {"record": record, "answers": answers}
