"""The evaluation H5 pages (/e/): the inspector's sites of the day (list and map), a sampled site's
checklist (pass / fail / not applicable per standard, with photos; the phone's position and time go with
every answer), the responsible unit's rectification tasks with their evidence, and re-inspection.

Views stay thin: parse → service or selector → render. A refusal (DomainError) comes back as JSON to the
checklist's script (which keeps the draft on the phone until it is accepted or refused for good), next to
the form field it names, or as a message on the page it came from.

Who sees what: inspectors (Capability.INSPECT) their assigned sites; a responsible unit's staff (a
department role) their own unit's tasks and nothing else; a task beyond what one may see is 404.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core import clock
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.evaluation import questionnaires, selectors, services
from civicgrid.evaluation.forms import EvidenceForm, ObservationForm, ReinspectForm
from civicgrid.evaluation.models import (
    Observation,
    Questionnaire,
    RectificationTask,
    Result,
    RoundSite,
    TaskState,
)
from civicgrid.grids.models import Street
from civicgrid.web import add_domain_error, forbidden, http_error, mobile_login_required, wants_json

# A task the unit still has to act on, and one waiting for the inspector.
UNIT_TODO = (TaskState.OPEN, TaskState.REOPENED)
STATE_COLOURS = {
    TaskState.OPEN: "amber",
    TaskState.REOPENED: "red",
    TaskState.SUBMITTED: "blue",
    TaskState.PASSED: "green",
    TaskState.CLOSED: "grey",
}
RESULT_COLOURS = {Result.PASS: "green", Result.FAIL: "red", Result.NOT_APPLICABLE: "grey"}


def _inspector(user) -> bool:
    return user.is_authenticated and user_can(user, Capability.INSPECT)


def _unit_of(user):
    """The responsible unit a person acts for: their department (department staff only)."""
    if user.is_authenticated and user.department_id and user_can(user, Capability.HANDLE):
        return user.department
    return None


def _site_not_found() -> NotFound:
    return NotFound("round_site_not_found", "点位不存在或未分配给您", "no such site among yours")


def _task_not_found() -> NotFound:
    return NotFound("task_not_found", "整改任务不存在", "no such rectification task")


# --- the inspector's day ------------------------------------------------------------------------------


@mobile_login_required
def home(request: HttpRequest) -> HttpResponse:
    """今日点位: the inspector's sampled sites of the open rounds, on a map and in a list, with how many
    standards each still lacks."""
    if not _inspector(request.user):
        if _unit_of(request.user) is not None:
            return redirect("evaluation:tasks")
        return forbidden(request, _("此页面仅供督查员使用。"))
    today = timezone.localdate(clock.now())
    rows, markers = [], []
    for rs in selectors.sites_for_inspector(request.user):
        if not rs.round.starts_on <= today <= rs.round.ends_on:
            continue
        total = len(services.standards_for(rs))
        done = len(selectors.observations_of(rs))
        url = reverse("evaluation:site", args=[rs.pk])
        rows.append({"rs": rs, "total": total, "done": done, "url": url})
        markers.append(
            {
                "id": rs.pk,
                "title": rs.site.name,
                "kind": rs.site.site_type.name,
                "lat": rs.site.lat,
                "lon": rs.site.lon,
                "url": url,
                "filled": f"{done}/{total}",
                "colour": "green" if total and done >= total else ("amber" if done else "blue"),
            }
        )
    context = {
        "rows": rows,
        "markers": markers,
        "centre": [markers[0]["lat"], markers[0]["lon"]] if markers else None,
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
        "today": today,
    }
    return render(request, "evaluation/home.html", context)


def _my_round_site(request: HttpRequest, pk: int) -> RoundSite:
    rs = selectors.sites_for_inspector(request.user).filter(pk=pk).first()
    if rs is None:
        raise _site_not_found()
    return rs


@mobile_login_required
def site_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    """A sampled site's checklist: each field standard of its type with pass / fail / n.a., a note and
    photos. Answers are kept on the phone as drafts and sent one by one (static/evaluation/inspect.js)."""
    if not _inspector(request.user):
        return forbidden(request, _("此页面仅供督查员使用。"))
    try:
        rs = _my_round_site(request, pk)
    except DomainError as err:
        return http_error(err, request)
    latest = selectors.observations_of(rs)
    rows = []
    for standard in services.standards_for(rs):
        obs = latest.get(standard.pk)
        rows.append(
            {
                "standard": standard,
                "obs": obs,
                "colour": RESULT_COLOURS.get(obs.result) if obs else "",
                "form": ObservationForm(
                    prefix=f"s{standard.pk}", initial={"standard": standard.pk, "client_uuid": uuid.uuid4()}
                ),
            }
        )
    context = {
        "rs": rs,
        "site": rs.site,
        "rows": rows,
        "done": sum(1 for r in rows if r["obs"]),
        "max_distance": getattr(settings, "CIVICGRID_EVALUATION_MAX_DISTANCE_M", 200),
        "results": Result.choices,
        "tile_url": settings.CIVICGRID_TILE_URL,
        "tile_attribution": settings.CIVICGRID_TILE_ATTRIBUTION,
    }
    return render(request, "evaluation/site.html", context)


def _error_json(err: DomainError) -> JsonResponse:
    return JsonResponse({"error": err.as_dict()}, status=err.status)


@require_POST
@mobile_login_required
def observe(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one answer of the checklist. The script sends a draft as a form (photos included) and asks for
    JSON; the same `client_uuid` sent again is recorded once (the service is idempotent on it)."""
    as_json = wants_json(request)
    if not _inspector(request.user):
        err = DomainError("not_inspector", "仅督查员可以记录测评结果", "inspectors only", status=403)
        return _error_json(err) if as_json else forbidden(request, err.message)
    try:
        rs = _my_round_site(request, pk)
    except DomainError as err:
        return _error_json(err) if as_json else http_error(err, request)
    form = ObservationForm(request.POST, request.FILES)
    if not form.is_valid():
        err = DomainError("invalid", "请检查填写内容", "please check the answer", field=form.first_field())
        if as_json:
            return JsonResponse({"error": {**err.as_dict(), "fields": form.errors}}, status=422)
        messages.error(request, "；".join(m for errs in form.errors.values() for m in errs))
        return redirect("evaluation:site", pk=rs.pk)
    data = form.cleaned_data
    standard = next((s for s in services.standards_for(rs) if s.pk == data["standard"]), None)
    try:
        if standard is None:
            raise NotFound("standard_not_found", "该点位没有这项测评标准", "no such standard at this site")
        obs = services.observation_record(
            round_site=rs,
            standard=standard,
            result=data["result"],
            inspector=request.user,
            lat=data["lat"],
            lon=data["lon"],
            at=data["at"],
            note=data["note"],
            photos=request.FILES.getlist("photos"),
            client_uuid=data["client_uuid"],
        )
    except DomainError as err:
        if as_json:
            return _error_json(err)
        messages.error(request, err.message)
        return redirect("evaluation:site", pk=rs.pk)
    if as_json:
        return JsonResponse(
            {
                "id": obs.pk,
                "standard": obs.standard_id,
                "result": obs.result,
                "result_label": obs.get_result_display(),
                "distance_m": round(obs.distance_m) if obs.distance_m is not None else None,
                "task": getattr(getattr(obs, "task", None), "pk", None),
            }
        )
    messages.success(
        request,
        _("已记录：%(code)s %(result)s") % {"code": standard.code, "result": obs.get_result_display()},
    )
    return redirect("evaluation:site", pk=rs.pk)


# --- rectification tasks ------------------------------------------------------------------------------


@mobile_login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """整改任务: a unit's tasks (to do first, then waiting for re-inspection, then done); an inspector's,
    those waiting for re-inspection at their sites first."""
    user = request.user
    if not (_inspector(user) or _unit_of(user) is not None or user_can(user, Capability.VIEW_CITY)):
        return forbidden(request, _("整改任务仅供责任单位、督查员和领导查看。"))
    tasks = list(selectors.tasks_visible(user))
    first = (TaskState.SUBMITTED,) if _inspector(user) else UNIT_TODO
    now = clock.now()
    rows = [
        {
            "task": t,
            "site": t.observation.round_site.site,
            "colour": STATE_COLOURS.get(t.state, "grey"),
            "overdue": t.state in UNIT_TODO and t.due_at < now,
            "url": reverse("evaluation:task", args=[t.pk]),
        }
        for t in tasks
    ]
    rows.sort(
        key=lambda r: (
            r["task"].state not in first,
            r["task"].state in (TaskState.PASSED, TaskState.CLOSED),
            r["task"].due_at,
        )
    )
    context = {
        "rows": rows,
        "todo": sum(1 for r in rows if r["task"].state in first),
        "inspector": _inspector(user),
        "unit": _unit_of(user),
    }
    return render(request, "evaluation/tasks.html", context)


def _task_for(request: HttpRequest, pk: int) -> RectificationTask:
    task = selectors.tasks_visible(request.user).filter(pk=pk).first()
    if task is None:
        raise _task_not_found()
    return task


def _later_looks(first: Observation) -> list[Observation]:
    """The re-inspections of a failed observation, in order (each re-inspects the one before)."""
    looks, current = [], first
    while (following := Observation.objects.filter(reinspects=current).first()) is not None:
        looks.append(following)
        current = following
    return looks


def _is_image(name: str) -> bool:
    return name.lower().rsplit(".", 1)[-1] in {"jpg", "jpeg", "png", "webp", "gif"}


def _task_page(request: HttpRequest, task: RectificationTask, **forms_) -> HttpResponse:
    user = request.user
    obs = task.observation
    unit_may_act = _unit_of(user) == task.unit and task.state in UNIT_TODO
    may_reinspect = (
        _inspector(user) and obs.round_site.inspector_id == user.pk and task.state == TaskState.SUBMITTED
    )
    context = {
        "task": task,
        "obs": obs,
        "site": obs.round_site.site,
        "photos": list(obs.photos.all()),
        "evidence": [
            {"file": e.file, "name": e.file.name.rsplit("/", 1)[-1], "is_image": _is_image(e.file.name)}
            for e in task.evidence.all()
        ],
        "looks": _later_looks(obs),
        "colour": STATE_COLOURS.get(task.state, "grey"),
        "overdue": task.state in UNIT_TODO and task.due_at < clock.now(),
        "unit_may_act": unit_may_act,
        "may_reinspect": may_reinspect,
        "evidence_form": forms_.get("evidence_form") or (EvidenceForm() if unit_may_act else None),
        "reinspect_form": forms_.get("reinspect_form") or (ReinspectForm() if may_reinspect else None),
    }
    status = 422 if any(f is not None and f.errors for f in forms_.values()) else 200
    return render(request, "evaluation/task.html", context, status=status)


@mobile_login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        task = _task_for(request, pk)
    except DomainError as err:
        return http_error(err, request)
    return _task_page(request, task)


@require_POST
@mobile_login_required
def task_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's evidence of the rectification: photos or documents and a note; the task then waits for
    re-inspection."""
    try:
        task = _task_for(request, pk)
    except DomainError as err:
        return http_error(err, request)
    if _unit_of(request.user) != task.unit:
        return forbidden(request, _("只有责任单位可以上传整改材料。"))
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.task_submit_evidence(
                task=task,
                actor=request.user,
                files=request.FILES.getlist("files"),
                note=form.cleaned_data["note"],
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("整改材料已提交，等待督查员复查"))
            return redirect("evaluation:task", pk=task.pk)
    return _task_page(request, task, evidence_form=form)


@require_POST
@mobile_login_required
def task_reinspect(request: HttpRequest, pk: int) -> HttpResponse:
    """复查: the inspector of the site looks again (on the spot: the phone's position goes with it)."""
    try:
        task = _task_for(request, pk)
    except DomainError as err:
        return http_error(err, request)
    if not _inspector(request.user) or task.observation.round_site.inspector_id != request.user.pk:
        return forbidden(request, _("只有该点位的督查员可以复查。"))
    form = ReinspectForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.task_reinspect(
                task=task,
                inspector=request.user,
                result=data["result"],
                lat=data["lat"],
                lon=data["lon"],
                photos=request.FILES.getlist("photos"),
                note=data["note"],
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            if data["result"] == Result.PASS:
                messages.success(request, _("复查通过，整改任务完成"))
            else:
                messages.warning(request, _("复查未通过，任务已退回责任单位"))
            return redirect("evaluation:task", pk=task.pk)
    return _task_page(request, task, reinspect_form=form)


# --- the public questionnaire -------------------------------------------------------------------------

DEVICE_COOKIE = "cg_device"
DEVICE_MAX_AGE = 3 * 365 * 24 * 3600


def questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """问卷调查 for the public: anonymous, no sign-in. The device is a random id kept in a cookie; the service
    keeps only its keyed hash (one answer per device), the street and the group (the quota key)."""
    sheet = Questionnaire.objects.filter(pk=pk).first()
    if sheet is None:
        return http_error(NotFound("questionnaire_not_found", "问卷不存在", "no such questionnaire"), request)
    questions = list(sheet.questions.all())
    streets = list(Street.objects.filter(code__in=list(sheet.quotas or {})).order_by("code"))
    device = request.COOKIES.get(DEVICE_COOKIE) or ""
    if not _is_uuid(device):
        device = str(uuid.uuid4())
    errors: dict[str, str] = {}
    chosen = {k: v for k, v in request.POST.items() if k.startswith("q") or k in ("street", "group")}
    status = 200
    if request.method == "POST":
        street = next((s for s in streets if str(s.pk) == request.POST.get("street")), None)
        try:
            if street is None:
                raise DomainError(
                    "questionnaire_street", "请选择所在街道", "choose your street", field="street"
                )
            questionnaires.questionnaire_answer(
                questionnaire=sheet,
                street=street,
                group=request.POST.get("group", ""),
                respondent=f"device:{device}",
                answers={k: v for k, v in request.POST.items() if k.startswith("q") and k[1:].isdigit()},
            )
        except DomainError as err:
            errors[err.field or "__all__"] = err.message
            status = 422
        else:
            response = render(request, "evaluation/questionnaire_thanks.html", {"sheet": sheet})
            response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax")
            return response
    rows = [
        {
            "q": q,
            "name": f"q{q.pk}",
            "value": chosen.get(f"q{q.pk}", ""),
            "error": errors.get(f"q{q.pk}"),
            "options": ["1", "2", "3", "4", "5"] if q.kind == "scale" else [str(c) for c in q.choices or ()],
        }
        for q in questions
    ]
    context = {
        "sheet": sheet,
        "rows": rows,
        "streets": streets,
        "chosen": chosen,
        "errors": errors,
        "other_error": errors.get("__all__")
        or next(
            (m for f, m in errors.items() if f not in {"street", "group"} and not f.startswith("q")), None
        ),
        "open": sheet.opens_at <= clock.now() <= sheet.closes_at,
    }
    response = render(request, "evaluation/questionnaire.html", context, status=status)
    response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax")
    return response


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
