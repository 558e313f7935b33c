"""Cases API: intake, lists, detail, moves, nearby cases and the public (masked) view.

Endpoints stay thin: parse → access → service → output schema.
"""

from __future__ import annotations

import enum
import functools
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ValidationError as PydanticValidationError

from civicgrid.accounts.auth import AUTH, api_client_of, api_scope
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.cases import indicators, selectors
from civicgrid.cases.access import (
    access_case,
    allowed_actions,
    contact_phone_for,
    description_for,
    event_actor_for,
    event_note_for,
    events_for,
    external_id_for,
    merge_target,
    rating_comment_for,
    reporter_name,
    visible_cases,
)
from civicgrid.cases.choices import Action, CaseKind, Channel
from civicgrid.cases.intake import (
    Submission,
    case_submit,
    external_id_check,
    external_key,
    nearby_open_cases,
)
from civicgrid.cases.models import Case
from civicgrid.cases.publication import case_public_summary_edit
from civicgrid.cases.queues import QUEUES, may_open
from civicgrid.cases.reportstore import ReportRows
from civicgrid.cases.uploads import uploads_process
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.renderers import json_response
from civicgrid.core.text import text_check
from civicgrid.grids.coords import CoordSystem
from civicgrid.grids.models import Street
from civicgrid.grids.scope import area_street_ids, check_street_in_area
from civicgrid.grids.services import place_resolve
from civicgrid.taxonomy.selectors import category_by_code

router = Router(tags=["cases"])
public_router = Router(tags=["public"])


# --- schemas ---------------------------------------------------------------------------------------


class CaseIn(Schema):
    """A report. Send JSON, or multipart/form-data with the same fields plus up to 9 `photos` files."""

    description: str
    lat: float | None = None
    lon: float | None = None
    crs: CoordSystem = CoordSystem.WGS84
    kind: CaseKind = CaseKind.COMPLAINT
    channel: Channel = Channel.APP
    category: str | None = None  # "06010" or "matter:06010"
    urgency: str | None = None
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    is_public: bool = True
    # The sending system's own id of the report (a 12345 order number): ≤ 64 characters. The same id
    # from the same client again returns the case it made (200, `Idempotency-Replayed: true`).
    external_id: str | None = None


class MoveIn(Schema):
    note: str = ""
    department: str | None = None  # department code (dispatch)
    category: str | None = None  # category code (register)
    urgency: str | None = None
    hours: Decimal | None = None  # extension request
    rating: str | None = None  # satisfied / basically / unsatisfied
    original: str | None = None  # merge (并案): the number of the case the report is merged into


class DeadlineOut(Schema):
    step: str
    started_at: datetime
    due_at: datetime
    limit_hours: Decimal
    extended_hours: Decimal
    unit: str
    completed_at: datetime | None
    on_time: bool | None


class EventOut(Schema):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: str
    department: str | None
    note: str
    data: dict
    on_time: bool | None
    created_at: datetime
    photos: list[str]


class CaseSummaryOut(Schema):
    number: str
    status: str
    status_label: str
    kind: str
    channel: str
    category: str | None
    category_name: str | None
    urgency: str
    description: str
    address: str
    lat: float
    lon: float
    cell: str | None
    street: str | None
    department: str | None
    department_name: str | None
    light: str
    step: str
    due_at: datetime | None
    supervised: bool
    me_too_count: int
    created_at: datetime


class CaseOut(CaseSummaryOut):
    public_summary: str
    routed_department: str | None
    duplicate_of: str | None
    reporter: str | None
    contact_phone: str
    rework_count: int
    return_count: int
    reopen_count: int
    rating: str
    rating_comment: str
    registered_at: datetime | None
    dispatched_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    deadlines: list[DeadlineOut]
    events: list[EventOut]
    photos: list[dict]
    duplicates: list[str]
    allowed_actions: list[str]
    external_id: str | None  # the reporting system's own id: for that system and staff only


class PublicCaseOut(Schema):
    number: str
    status: str
    status_label: str
    category_name: str | None
    description: str
    address: str
    lat: float
    lon: float
    street: str | None
    me_too_count: int
    created_at: datetime
    closed_at: datetime | None
    timeline: list[dict]
    result_photos: list[str]


class PublicSummaryIn(Schema):
    public_summary: str = ""


class NearbyOut(Schema):
    number: str
    status_label: str
    category_name: str | None
    description: str
    distance_m: float
    me_too_count: int
    created_at: datetime


# --- helpers ---------------------------------------------------------------------------------------


def _request_data(request: HttpRequest) -> tuple[dict, list]:
    """The fields and uploaded photos of a JSON or multipart request."""
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type == "application/x-www-form-urlencoded":
        data = {k: v for k, v in request.POST.items()}
        return data, request.FILES.getlist("photos")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than Python parses
        raise DomainError(
            "json_invalid", "请求体不是有效的 JSON", "the request body is not valid JSON"
        ) from exc
    if not isinstance(data, dict):
        raise DomainError("json_invalid", "请求体应为 JSON 对象", "the request body must be a JSON object")
    return data, []


def _parse(schema: type[Schema], data: dict) -> Schema:
    try:
        return schema.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise DomainError(
            "invalid_input",
            f"输入有误：{field} — {first.get('msg')}",
            f"invalid input: {field} — {first.get('msg')}",
            field=field,
        ) from exc


def summary_out(case: Case, now: datetime, viewer) -> dict:
    from civicgrid.cases.deadlines import light_of

    return {
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "kind": case.kind,
        "channel": case.channel,
        "category": case.category.code if case.category_id else None,
        "category_name": case.category.name if case.category_id else None,
        "urgency": case.urgency,
        "description": description_for(viewer, case),
        "address": case.address,
        "lat": case.lat,
        "lon": case.lon,
        "cell": case.cell.code if case.cell_id else None,
        "street": case.street.name if case.street_id else None,
        "department": case.department.code if case.department_id else None,
        "department_name": case.department.name if case.department_id else None,
        "light": light_of(case, now),
        "step": case.step,
        "due_at": case.due_at,
        "supervised": case.supervised,
        "me_too_count": case.me_too_count,
        "created_at": case.created_at,
    }


def case_out(case: Case, user, detail: selectors.CaseDetail | None = None) -> dict:
    detail = detail or selectors.case_detail(case)
    return {
        **summary_out(case, clock.now(), user),
        "public_summary": case.public_summary,
        "routed_department": case.routed_department.code if case.routed_department_id else None,
        "duplicate_of": case.duplicate_of.number if case.duplicate_of_id else None,
        "reporter": reporter_name(user, case),
        "contact_phone": contact_phone_for(user, case),
        "rework_count": case.rework_count,
        "return_count": case.return_count,
        "reopen_count": case.reopen_count,
        "rating": case.rating,
        "rating_comment": rating_comment_for(user, case),
        "registered_at": case.registered_at,
        "dispatched_at": case.dispatched_at,
        "handled_at": case.handled_at,
        "closed_at": case.closed_at,
        "deadlines": detail.deadlines,
        "events": [
            {
                "action": e.action,
                "action_label": e.get_action_display(),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": event_actor_for(user, case, e),
                "department": e.department.name if e.department_id else None,
                "note": event_note_for(user, e),
                "data": e.data,
                "on_time": e.on_time,
                "created_at": e.created_at,
                "photos": detail.event_photos.get(e.pk, []),
            }
            for e in events_for(user, detail.events)
        ],
        "photos": detail.photos,
        "duplicates": detail.duplicates,
        "allowed_actions": allowed_actions(user, case),
        "external_id": external_id_for(user, case),
    }


# --- endpoints -------------------------------------------------------------------------------------


@router.post(
    "",
    response={200: CaseOut, 201: CaseOut},
    auth=AUTH,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": CaseIn.model_json_schema()},
                "multipart/form-data": {"schema": CaseIn.model_json_schema()},
            }
        }
    },
)
@api_scope(Scope.CASES_CREATE)
def case_create(request, response: HttpResponse):
    """Report a problem (随手拍): 201 with the new case.

    With an `Idempotency-Key` header, a retry returns the case the first attempt created (200, header
    `Idempotency-Replayed: true`) instead of creating a second one.

    A system that has its own id for the report (a 12345 hotline's order number) sends it as
    `external_id` (≤ 64 characters, kept in the case as its source reference): the id is then the
    idempotency key, per API client (an `Idempotency-Key` header is not needed and not used). The same
    order again returns the same case (200, `Idempotency-Replayed: true`); the same order id with a
    different report is refused (409 `external_id_reused`). The answer carries `external_id` back.
    """
    data, files = _request_data(request)
    payload = _parse(CaseIn, data)
    external_id = external_id_check(payload.external_id)
    key = request.headers.get("Idempotency-Key")
    if external_id:
        client = api_client_of(request)
        key = external_key(
            external_id=external_id, client_id=client.pk if client else None, user_id=request.auth.pk
        )
    submission = Submission(
        description=payload.description,
        lat=payload.lat,
        lon=payload.lon,
        crs=payload.crs,
        kind=payload.kind,
        channel=payload.channel,
        category=category_by_code(payload.category),
        urgency=payload.urgency,
        address=payload.address,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        is_public=payload.is_public,
        source_ref=external_id,
        photos=uploads_process(files, user=request.auth),
    )
    try:
        result = case_submit(reporter=request.auth, submission=submission, idempotency_key=key)
    except DomainError as exc:
        if external_id and exc.code == "idempotency_key_reused":
            raise Conflict(
                "external_id_reused",
                f"外部编号 {external_id} 已用于内容不同的另一件上报；同一工单请原样重发，新工单请使用新编号",
                f"the external_id {external_id} came with a different report: resend an order "
                "unchanged, or give a new order a new id",
                field="external_id",
            ) from exc
        raise
    if result.written is not None:
        return _rendered(request, 201, case_out(result.case, request.auth, _fresh_detail(result.written)))
    case = access_case(request.auth, result.case.number)
    if not result.created:
        response["Idempotency-Replayed"] = "true"
    return Status(201 if result.created else 200, case_out(case, request.auth))


def _rendered(request, status: int, data: dict) -> HttpResponse:
    """An answer already in its schema's shape (CaseOut from the rows just written), rendered as the
    API renders every answer but not validated a second time: on the intake, re-validating the
    detail it had just built cost a tenth of the request. Tests compare it with the validated
    answer of GET /api/cases/<number>.
    """
    return json_response(request, data, status=status)


def _fresh_detail(written: ReportRows) -> selectors.CaseDetail:
    """The detail of a case this request has just created, from the rows it wrote (IntakeResult.written).

    Saves reading back the case and its events and deadlines (five queries, a third of an intake).
    The reporter may always see their own case, so access_case would find it; its relations are
    the objects the intake used (category, cell, reporter, original), and the street loads lazily.
    Values are given as the database gives them back: datetimes in UTC, decimals at their scale,
    JSON through its encoder, choices as plain strings.
    """
    written_deadlines = [written.deadline] if written.deadline is not None else []
    for obj in (written.case, *written.events, *written_deadlines):
        _as_read_back(obj)
    deadlines = [
        {
            "step": d.step,
            "started_at": d.started_at,
            "due_at": d.due_at,
            "limit_hours": d.limit_hours,
            "extended_hours": d.extended_hours,
            "unit": d.unit,
            "completed_at": d.completed_at,
            "on_time": d.on_time,
        }
        for d in written_deadlines
    ]
    events = sorted(written.events, key=lambda e: (e.created_at, e.pk))
    # A brand-new case has no photos (else there is no record) and nothing merged into it yet.
    return selectors.CaseDetail(events=events, deadlines=deadlines, photos=[], event_photos={}, duplicates=[])


def _as_read_back(obj) -> None:
    for attname, kind, field in _read_back_plan(type(obj)):
        value = getattr(obj, attname)
        if value is None:
            continue
        if kind == "datetime":
            value = value.astimezone(UTC)
        elif kind == "decimal":
            value = Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
        elif kind == "json":
            value = json.loads(json.dumps(value, cls=field.encoder), cls=field.decoder)
        elif isinstance(value, enum.Enum):
            value = value.value
        setattr(obj, attname, value)


@functools.cache
def _read_back_plan(model) -> list[tuple[str, str, models.Field]]:
    """The columns whose value in a fresh instance can differ from the value read back, and how."""
    plan = []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.DateTimeField):
            plan.append((f.attname, "datetime", f))
        elif isinstance(f, models.DecimalField):
            plan.append((f.attname, "decimal", f))
        elif isinstance(f, models.JSONField):
            plan.append((f.attname, "json", f))
        elif f.choices:  # an enum member (TextChoices) is read back as its plain value
            plan.append((f.attname, "choice", f))
    return plan


@router.get("", response=list[CaseSummaryOut], auth=AUTH)
@api_scope(Scope.CASES_READ)
def case_list(request, filters: Query[selectors.CaseFilter], queue: str | None = None):
    """Cases the caller may see, filtered, sorted and paged (`limit` ≤ 200).

    `queue` narrows the list to one of the caller's work queues (cases/queues.py), as the console
    shows them: a department's `to_accept` (待签收) and `handling` (处置中); the centre's `new`,
    `to_dispatch`, `returned`, `extensions`, `to_verify`, `to_close`; `supervised`, `red`, `all`, `mine`.
    """
    now = clock.now()
    qs = visible_cases(request.auth)
    if queue:
        qs = qs.filter(_queue_of(request.auth, queue).condition(request.auth, now))
    cases = selectors.case_list(qs, filters, now=now)
    return [summary_out(c, now, request.auth) for c in cases]


def _queue_of(user, name: str):
    queue = QUEUES.get(name)
    if queue is None or not may_open(user, queue):
        names = ", ".join(q.name for q in QUEUES.values() if may_open(user, q))
        raise DomainError(
            "queue_invalid",
            f"未知的或无权查看的工作队列 {name!r}（可选：{names}）",
            f"unknown queue {name!r}, or not one of yours (yours: {names})",
            field="queue",
        )
    return queue


@router.get("/nearby", response=list[NearbyOut], auth=AUTH)
@api_scope(Scope.CASES_READ)
def case_nearby(
    request, lat: float, lon: float, category: str, crs: CoordSystem = CoordSystem.WGS84, radius_m: float = 50
):
    """Up to 5 open cases of the same category near a point, to join ("me too") instead of reporting again."""
    from civicgrid.grids.coords import distance_m

    place = place_resolve(lat=lat, lon=lon, crs=crs)
    cat = category_by_code(category)
    if cat is None:  # an empty code would otherwise list uncategorised cases and then fail on cat.name
        raise DomainError("category_required", "请选择问题分类", "choose a category", field="category")
    radius = min(max(radius_m, 1), 500)
    # Private cases count as duplicates but are not shown to other people; a case not registered yet
    # is offered to join without its text (selectors.nearby_text).
    cases = [
        c
        for c in nearby_open_cases(category=cat, lat=place.lat, lon=place.lon, radius_m=radius, limit=50)
        if c.is_public
    ][:5]
    return [
        NearbyOut(
            number=c.number,
            status_label=c.get_status_display(),
            category_name=cat.name,
            description=selectors.nearby_text(c)[:140],
            distance_m=round(distance_m(place.lat, place.lon, c.lat, c.lon), 1),
            me_too_count=c.me_too_count,
            created_at=c.created_at,
        )
        for c in cases
        if c.number
    ]


class SimilarOut(Schema):
    number: str
    status_label: str
    category_name: str | None
    text: str  # what the caller may read: the public text (empty before 立案) or, for staff, the description
    distance_m: float
    age_days: int
    similarity: float  # text similarity of the descriptions, 0…1
    score: float  # the ranking (cases/similar.py)
    same_category: bool
    me_too_count: int
    created_at: datetime


@router.get("/similar", response=list[SimilarOut], auth=AUTH)
@api_scope(Scope.CASES_READ)
def case_similar(
    request,
    text: str,
    lat: float,
    lon: float,
    category: str | None = None,
    crs: CoordSystem = CoordSystem.WGS84,
):
    """可能重复: up to 5 open cases like a report being written — text similarity, distance (≤ 300 m) and
    age (≤ 30 days), whatever their category (a matching one ranks higher). Staff get their scope; anyone
    else the cases they may join (附议), with the public text only once registered."""
    from civicgrid.cases.similar import similar_open_cases

    text = text_check(text, field="text", max_length=2000, required=True)
    place = place_resolve(lat=lat, lon=lon, crs=crs)
    cat = category_by_code(category) if category else None
    found = similar_open_cases(text=text, lat=place.lat, lon=place.lon, category=cat, viewer=request.auth)
    return [
        SimilarOut(
            number=s.case.number,
            status_label=s.case.get_status_display(),
            category_name=s.case.category.name if s.case.category_id else None,
            text=s.text[:140],
            distance_m=s.distance_m,
            age_days=s.age_days,
            similarity=s.similarity,
            score=s.score,
            same_category=s.same_category,
            me_too_count=s.case.me_too_count,
            created_at=s.case.created_at,
        )
        for s in found
    ]


class IndicatorsIn(Schema):
    group: str = "department"
    start: date
    end: date
    street: str | None = None


@router.get("/indicators", auth=AUTH)
@api_scope(Scope.STATS_READ)
def case_indicators(request, params: Query[IndicatorsIn]):
    """Performance indicators per department, street or cell over [start, end) (local dates), ranked."""
    if not user_can(request.auth, Capability.VIEW_CITY):
        raise PermissionDenied("forbidden_role", "无权查看绩效评价", "your role may not see the indicators")
    street_id = None
    if params.street:
        street_id = Street.objects.filter(code=params.street).values_list("pk", flat=True).first()
        if street_id is None:  # not the whole city's figures under an unknown street's name
            raise DomainError(
                "street_unknown",
                f"未知的街道 {params.street!r}",
                f"unknown street {params.street!r}",
                field="street",
            )
    check_street_in_area(request.auth, street_id)
    clock.check_day(params.start, field="start")
    clock.check_day(params.end, field="end")
    tz = timezone.get_current_timezone()
    start = datetime.combine(params.start, time.min, tzinfo=tz)
    end = datetime.combine(params.end, time.min, tzinfo=tz)
    rows = indicators.compute(
        group=params.group,
        start=start,
        end=end,
        street_id=street_id,
        street_ids=area_street_ids(request.auth),
    )
    return {"group": params.group, "start": start, "end": end, "rows": [r.as_dict() for r in rows]}


@router.get("/{number}", response=CaseOut, auth=AUTH)
@api_scope(Scope.CASES_READ)
def case_detail(request, number: str):
    return case_out(access_case(request.auth, number), request.auth)


@router.post("/{number}/me-too", response=CaseSummaryOut, auth=AUTH)
@api_scope(Scope.CASES_ACT)
def case_me_too(request, number: str):
    """Join an open case ("me too", 附议): follow it and count one more report."""
    from civicgrid.cases.workflow import case_me_too as me_too

    case = selectors.joinable_case(number)
    me_too(case=case, user=request.auth)
    return summary_out(access_case(request.auth, number), clock.now(), request.auth)


@router.post(
    "/{number}/actions/{action}",
    response=CaseOut,
    auth=AUTH,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": MoveIn.model_json_schema()},
                "multipart/form-data": {"schema": MoveIn.model_json_schema()},
            }
        }
    },
)
@api_scope(Scope.CASES_ACT)
def case_move(request, number: str, action: Action):
    """Perform a move of the case loop (register, dispatch, accept, return, feedback, verify, close, …).

    The centre corrects a dispatch nobody has accepted yet: `redispatch` (改派, `department` and a
    `note`: the reason) or `recall` (撤回, back to 待派遣, `note`). `merge` (并案) makes a report waiting
    for 立案 a duplicate of the open case `original` (its number; `note`: the reason), whose follower
    the reporter becomes; `unmerge` (撤销并案, `note`) makes a merged report its own case again, waiting
    for 立案. A `register` of an auto-dispatch category dispatches at once to the routed department:
    the answer's `status` is then `dispatched` and `department` says where it went.

    A move the case's status does not allow is refused with 409 `illegal_transition`, whose body
    lists the moves the caller may make now (`allowed_actions`)."""
    data, files = _request_data(request)
    payload = _parse(MoveIn, data)
    case = access_case(request.auth, number)
    move = MoveInput(
        department=selectors.department_from_code(payload.department),
        category=category_by_code(payload.category),
        urgency=payload.urgency,
        hours=payload.hours,
        rating=payload.rating,
        photos=uploads_process(files, user=request.auth),
        original=merge_target(request.auth, payload.original),
    )
    try:
        case_transition(case=case, action=action, actor=request.auth, note=payload.note, payload=move)
    except Conflict as exc:
        if exc.code != "illegal_transition":
            raise
        case.refresh_from_db()
        body = {**exc.as_dict(), "allowed_actions": allowed_actions(request.auth, case)}
        return json_response(request, body, status=exc.status)
    # Not access_case again: a move may take the case out of the actor's sight (a department
    # returns it), and the answer to a move that succeeded must not be a 404.
    case.refresh_from_db()
    return case_out(case, request.auth)


@router.put("/{number}/public-summary", response=CaseOut, auth=AUTH)
@api_scope(Scope.CASES_ACT)
def case_public_summary(request, number: str, payload: PublicSummaryIn):
    """公开摘要: what the public read instead of the description (the dispatch centre; empty clears it)."""
    case = access_case(request.auth, number)
    case_public_summary_edit(case=case, actor=request.auth, summary=payload.public_summary)
    return case_out(case, request.auth)


# --- public, masked ---------------------------------------------------------------------------------


@public_router.get("/cases", response=list[PublicCaseOut])
@api_scope(Scope.PUBLIC)
def public_case_list(request, filters: Query[selectors.PublicCaseFilter]):
    """Public cases (no reporter identity), by bbox, status and category, newest first."""
    return [selectors.public_out(c, timeline=False) for c in selectors.public_case_list(filters)]


@public_router.get("/cases/{number}", response=PublicCaseOut)
@api_scope(Scope.PUBLIC)
def public_case_detail(request, number: str):
    return selectors.public_out(selectors.public_case(number), timeline=True)
