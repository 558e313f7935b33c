"""Evaluation API (mounted at /api/evaluation; scope `evaluation:use`): editions (list, publish, copy,
import, export), rounds (draw), the inspector's sampled sites with their checklist and observations,
rectification tasks (evidence, re-inspection, opening a case). Writes take form fields (multipart with
`photos` / `files` where they carry files), so a phone's draft is sent as it was kept."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.cases.uploads import uploads_process
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.evaluation import selectors, services
from civicgrid.evaluation.models import Edition, Observation, RectificationTask, Round, RoundSite, Standard

router = Router(tags=["evaluation"], auth=AUTH)


# --- schemas -----------------------------------------------------------------------------------------


class EditionOut(Schema):
    id: int
    name: str
    year: int
    status: str
    copied_from_id: int | None
    published_at: datetime | None

    @staticmethod
    def build(e: Edition) -> EditionOut:
        return EditionOut(
            id=e.pk,
            name=e.name,
            year=e.year,
            status=e.status,
            copied_from_id=e.copied_from_id,
            published_at=e.published_at,
        )


class CopyIn(Schema):
    name: str | None = None
    year: int | None = None


class RowErrorOut(Schema):
    line: int
    field: str
    message: str


class ImportOut(Schema):
    ok: bool
    created: int
    updated: int
    errors: list[RowErrorOut]


class RoundOut(Schema):
    id: int
    edition_id: int
    name: str
    starts_on: date
    ends_on: date
    status: str
    seed: str  # as text: a 62-bit integer does not survive a JavaScript number
    strata: dict
    drawn_at: datetime | None
    sites: int

    @staticmethod
    def build(r: Round) -> RoundOut:
        return RoundOut(
            id=r.pk,
            edition_id=r.edition_id,
            name=r.name,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            status=r.status,
            seed=str(r.seed),
            strata=r.strata,
            drawn_at=r.drawn_at,
            sites=RoundSite.objects.filter(round=r).count(),
        )


class SiteOut(Schema):
    id: int  # the sampled site (RoundSite)
    round_id: int
    name: str
    site_type: str
    address: str
    lat: float
    lon: float
    street: str
    unit: str
    visited_at: datetime | None

    @staticmethod
    def build(rs: RoundSite) -> SiteOut:
        s = rs.site
        return SiteOut(
            id=rs.pk,
            round_id=rs.round_id,
            name=s.name,
            site_type=s.site_type.name,
            address=s.address,
            lat=s.lat,
            lon=s.lon,
            street=s.street.name,
            unit=s.unit.name,
            visited_at=rs.visited_at,
        )


class ObservationOut(Schema):
    id: int
    standard_id: int
    result: str
    note: str
    observed_at: datetime
    distance_m: float | None
    reinspects_id: int | None
    client_uuid: uuid.UUID | None
    task_id: int | None

    @staticmethod
    def build(o: Observation) -> ObservationOut:
        task = RectificationTask.objects.filter(observation=o).values_list("pk", flat=True).first()
        return ObservationOut(
            id=o.pk,
            standard_id=o.standard_id,
            result=o.result,
            note=o.note,
            observed_at=o.observed_at,
            distance_m=o.distance_m,
            reinspects_id=o.reinspects_id,
            client_uuid=o.client_uuid,
            task_id=task,
        )


class ChecklistItemOut(Schema):
    standard_id: int
    code: str
    item: str
    content: str
    text: str
    points: Decimal
    latest: ObservationOut | None


class SiteDetailOut(Schema):
    site: SiteOut
    checklist: list[ChecklistItemOut]


class ObservationIn(Schema):
    standard: int
    result: str
    lat: float | None = None
    lon: float | None = None
    at: datetime | None = None
    note: str = ""
    client_uuid: uuid.UUID | None = None


class TaskOut(Schema):
    id: int
    state: str
    light: str
    unit: str
    site: str
    standard: str
    standard_code: str
    due_at: datetime
    escalated_at: datetime | None
    evidence_note: str
    case_id: int | None

    @staticmethod
    def build(t: RectificationTask) -> TaskOut:
        return TaskOut(
            id=t.pk,
            state=t.state,
            light=selectors.task_light(t),
            unit=t.unit.name,
            site=t.observation.round_site.site.name,
            standard=t.observation.standard.text,
            standard_code=t.observation.standard.code,
            due_at=t.due_at,
            escalated_at=t.escalated_at,
            evidence_note=t.evidence_note,
            case_id=t.case_id,
        )


class EvidenceIn(Schema):
    note: str = ""


class ReinspectIn(Schema):
    result: str
    lat: float | None = None
    lon: float | None = None
    note: str = ""
    client_uuid: uuid.UUID | None = None


class CaseRefOut(Schema):
    task_id: int
    case_id: int
    number: str | None
    status: str


class TaskFilter(Schema):
    state: str | None = None
    red: bool = False


# --- editions and rounds (administrators; leaders and inspectors read) -------------------------------


def _edition(request: HttpRequest, edition_id: int) -> Edition:
    edition = selectors.editions_visible(request.user).filter(pk=edition_id).first()
    if edition is None:
        raise NotFound("edition_not_found", "测评体系不存在", "no such edition")
    return edition


@router.get("/editions", response=list[EditionOut])
@api_scope(Scope.EVALUATION_USE)
def edition_list(request: HttpRequest):
    return [EditionOut.build(e) for e in selectors.editions_visible(request.user)]


@router.post("/editions/{int:edition_id}/publish", response=EditionOut)
@api_scope(Scope.EVALUATION_USE)
def edition_publish(request: HttpRequest, edition_id: int):
    """Publish (freeze) a draft edition."""
    return EditionOut.build(
        services.edition_publish(edition=_edition(request, edition_id), actor=request.user)
    )


@router.post("/editions/{int:edition_id}/copy", response={201: EditionOut})
@api_scope(Scope.EVALUATION_USE)
def edition_copy(request: HttpRequest, edition_id: int, payload: CopyIn):
    """A new draft edition copied from this one."""
    copy = services.edition_copy(
        edition=_edition(request, edition_id), actor=request.user, name=payload.name, year=payload.year
    )
    return Status(201, EditionOut.build(copy))


@router.post("/editions/{int:edition_id}/import", response=ImportOut)
@api_scope(Scope.EVALUATION_USE)
def edition_import(request: HttpRequest, edition_id: int, file: File[UploadedFile], fmt: Form[str] = "csv"):
    """Standards from a CSV or xlsx file (multipart `file`, `fmt`): all rows or none; a 422 names each
    bad row ("第 N 行 field: reason")."""
    result = services.indicators_import(
        edition=_edition(request, edition_id), file=file.read(), fmt=fmt, actor=request.user
    )
    if not result.ok:
        lines = "; ".join(f"第 {e.line} 行 {e.field}: {e.message}" for e in result.errors[:50])
        lines_en = "; ".join(f"line {e.line} {e.field}: {e.message}" for e in result.errors[:50])
        raise DomainError(
            "import_rows_invalid",
            f"{len(result.errors)} 行有误，未导入任何内容：{lines}",
            f"{len(result.errors)} bad rows, nothing imported: {lines_en}",
            field="file",
        )
    return ImportOut(ok=True, created=result.created, updated=result.updated, errors=[])


@router.get("/editions/{int:edition_id}/export")
@api_scope(Scope.EVALUATION_USE)
def edition_export(request: HttpRequest, edition_id: int, fmt: str = "csv"):
    """The edition's standards as CSV or xlsx, in the columns the import reads."""
    edition = _edition(request, edition_id)
    data = services.indicators_export(edition=edition, fmt=fmt)
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="edition-{edition.pk}.{fmt}"'
    return response


@router.get("/rounds", response=list[RoundOut])
@api_scope(Scope.EVALUATION_USE)
def round_list(request: HttpRequest):
    return [RoundOut.build(r) for r in selectors.rounds_visible(request.user)]


@router.post("/rounds/{int:round_id}/draw", response=RoundOut)
@api_scope(Scope.EVALUATION_USE)
def round_draw(request: HttpRequest, round_id: int):
    """Draw the round's sample (once; reproducible from its seed)."""
    round = selectors.rounds_visible(request.user).filter(pk=round_id).first()
    if round is None:
        raise NotFound("round_not_found", "测评轮次不存在", "no such round")
    services.round_draw(round=round, actor=request.user)
    return RoundOut.build(Round.objects.get(pk=round.pk))


# --- the inspector's sites ---------------------------------------------------------------------------


@router.get("/sites", response=list[SiteOut])
@api_scope(Scope.EVALUATION_USE)
def site_list(request: HttpRequest):
    """The sampled sites of open rounds assigned to me (not yet visited first)."""
    return [SiteOut.build(rs) for rs in selectors.sites_for_inspector(request.user)]


def _checklist(round_site: RoundSite) -> SiteDetailOut:
    latest = selectors.observations_of(round_site)
    items = []
    for s in services.standards_for(round_site):
        seen = latest.get(s.pk)
        items.append(
            ChecklistItemOut(
                standard_id=s.pk,
                code=s.code,
                item=s.content.item.name,
                content=s.content.name,
                text=s.text,
                points=s.points,
                latest=ObservationOut.build(seen) if seen else None,
            )
        )
    return SiteDetailOut(site=SiteOut.build(round_site), checklist=items)


@router.get("/sites/{int:site_id}", response=SiteDetailOut)
@api_scope(Scope.EVALUATION_USE)
def site_detail(request: HttpRequest, site_id: int):
    """A sampled site and its checklist: the standards that apply, each with its latest observation."""
    return _checklist(selectors.round_site_access(request.user, site_id))


@router.post("/sites/{int:site_id}/observations", response={201: ObservationOut})
@api_scope(Scope.EVALUATION_USE)
def observation_create(request: HttpRequest, site_id: int, payload: Form[ObservationIn]):
    """Record one standard (multipart with up to 9 `photos`). A draft sent again with the same
    `client_uuid` answers with the observation it made, recording nothing more."""
    round_site = selectors.round_site_access(request.user, site_id)
    standard = Standard.objects.filter(pk=payload.standard).first()
    if standard is None:
        raise NotFound("standard_not_found", "测评标准不存在", "no such standard")
    replay = (
        Observation.objects.filter(client_uuid=payload.client_uuid, inspector=request.user).first()
        if payload.client_uuid
        else None
    )
    photos = [] if replay else uploads_process(request.FILES.getlist("photos"), user=request.user)
    observation = services.observation_record(
        round_site=round_site,
        standard=standard,
        result=payload.result,
        inspector=request.user,
        lat=payload.lat,
        lon=payload.lon,
        at=payload.at,
        note=payload.note,
        photos=photos,
        client_uuid=payload.client_uuid,
    )
    return Status(201, ObservationOut.build(observation))


# --- rectification tasks -----------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskOut])
@api_scope(Scope.EVALUATION_USE)
def task_list(request: HttpRequest, filters: Query[TaskFilter]):
    """The tasks I may see (my unit's, my rounds', or all), with their light; `red=true` for overdue only."""
    rows = selectors.tasks_visible(request.user)
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.red:
        rows = rows.filter(pk__in=selectors.tasks_overdue().values("pk"))
    return [TaskOut.build(t) for t in rows.order_by("due_at", "pk")[:500]]


@router.get("/tasks/{int:task_id}", response=TaskOut)
@api_scope(Scope.EVALUATION_USE)
def task_detail(request: HttpRequest, task_id: int):
    return TaskOut.build(selectors.task_access(request.user, task_id))


@router.post("/tasks/{int:task_id}/evidence", response=TaskOut)
@api_scope(Scope.EVALUATION_USE)
def task_evidence(request: HttpRequest, task_id: int, payload: Form[EvidenceIn]):
    """The unit's evidence (multipart: `note` and up to 9 `files`): 待整改 → 待复查."""
    task = selectors.task_access(request.user, task_id)
    services.task_submit_evidence(
        task=task, actor=request.user, files=request.FILES.getlist("files"), note=payload.note
    )
    return TaskOut.build(selectors.task_access(request.user, task_id))


@router.post("/tasks/{int:task_id}/reinspect", response={201: ObservationOut})
@api_scope(Scope.EVALUATION_USE)
def task_reinspect(request: HttpRequest, task_id: int, payload: Form[ReinspectIn]):
    """Re-inspection on site (multipart with `photos`): pass closes the task, fail sends it back."""
    task = selectors.task_access(request.user, task_id)
    photos = uploads_process(request.FILES.getlist("photos"), user=request.user)
    observation = services.task_reinspect(
        task=task,
        inspector=request.user,
        result=payload.result,
        lat=payload.lat,
        lon=payload.lon,
        note=payload.note,
        photos=photos,
        client_uuid=payload.client_uuid,
    )
    return Status(201, ObservationOut.build(observation))


@router.post("/tasks/{int:task_id}/case", response={201: CaseRefOut})
@api_scope(Scope.EVALUATION_USE)
def task_case(request: HttpRequest, task_id: int):
    """Open a case in the case loop for the task (its standard's category); the task closes with the case."""
    task = selectors.task_access(request.user, task_id)
    case = services.task_open_case(task=task, actor=request.user)
    return Status(201, CaseRefOut(task_id=task.pk, case_id=case.pk, number=case.number, status=case.status))
