"""Rectification (整改) closed loop: a failed observation becomes a task for the site's responsible unit.

    待整改 OPEN ──submit (unit: evidence)──> 待复查 SUBMITTED ──reinspect pass──> 复查通过 PASSED
         │  ^                                     │
         │  └──────── 复查未通过 REOPENED <─reinspect fail
         └── any active state ──(its case closes)──> 已关闭 CLOSED

The loop is data (`MOVES`: from which states, to which state) and one function (`task_transition`)
that checks the move under the task's row lock and applies it. The re-inspection is a new, append-only
observation (`reinspects` the last one of the task's chain), so the score follows the latest look.

A task may open a case in the case loop (`task_open_case`, when its standard maps to a category: the
problem is a city component or matter a department fixes); when that case is closed (结案) the task
closes with it (`case_closed`, a `cases.hooks` reaction registered in EvaluationConfig.ready()).

Overdue (超期) active tasks are red-lit (`selectors.task_light`) and escalated once to the leaders and
the unit (`tasks_overdue_escalate`, the worker's periodic task): a conditional update claims each task,
so two workers never escalate one twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, Role, user_can
from civicgrid.cases.choices import CaseKind, CaseStatus, Channel
from civicgrid.cases.intake import Submission, case_submit
from civicgrid.cases.models import Case
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.evaluation.models import (
    Observation,
    RectificationTask,
    Result,
    TaskEvidence,
    TaskState,
)
from civicgrid.evaluation.onsite import (
    draft_replay,
    photos_process,
    photos_store,
    position_check,
    uuid_check,
)
from civicgrid.notifications.services import notify
from civicgrid.worktime.calendar import get_calendar

KIND_TASK = "evaluation_task"  # a unit's new rectification task, or one sent back after re-inspection
KIND_OVERDUE = "evaluation_overdue"  # a task past its deadline (escalation)
ACTIVE_STATES = frozenset({TaskState.OPEN, TaskState.SUBMITTED, TaskState.REOPENED})
# States in which the unit owes the work (the deadline runs); 待复查 waits for the inspector.
UNIT_STATES = frozenset({TaskState.OPEN, TaskState.REOPENED})
EVIDENCE_MAX_FILES = 9


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str


MOVES: dict[str, Move] = {
    "submit": Move(UNIT_STATES, TaskState.SUBMITTED),
    "pass": Move(ACTIVE_STATES, TaskState.PASSED),
    "fail": Move(ACTIVE_STATES, TaskState.REOPENED),
    "close": Move(ACTIVE_STATES, TaskState.CLOSED),
}


def due_after(start: datetime, working_days: int) -> datetime:
    """The end of the `working_days`-th workday after `start`'s day (the platform's calendar: holidays,
    make-up workdays and the admin's overrides), at the end of its last working period."""
    calendar = get_calendar()
    day = timezone.localdate(start)
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            left -= 1
    end_of_day: time = calendar.periods[-1][1]
    return timezone.make_aware(datetime.combine(day, end_of_day), calendar.tz)


def task_open_for(observation: Observation, *, now: datetime) -> RectificationTask:
    """The task of a failed observation (called by `observation_record`, in its transaction)."""
    site = observation.round_site.site
    task = RectificationTask.objects.create(
        observation=observation,
        unit_id=site.unit_id,
        due_at=due_after(now, settings.CIVICGRID_EVALUATION_TASK_DAYS),
        created_at=now,
    )
    _tell_unit(task, title="新的整改任务", body=f"{site.name}：{observation.standard.text[:80]}")
    return task


def _tell_unit(task: RectificationTask, *, title: str, body: str, kind: str = KIND_TASK) -> None:
    for person in User.objects.filter(
        department_id=task.unit_id, is_active=True, role__in=[Role.HANDLER, Role.DEPARTMENT_ADMIN]
    ).only("pk"):
        notify(recipient=person, kind=kind, title=title, body=body, link=f"/e/tasks/{task.pk}/")


def task_transition(
    task: RectificationTask, move: str, *, now: datetime | None = None, replay_of: uuid.UUID | None = None
):
    """Apply one move of MOVES to the task, locked (Conflict if its state does not allow it). With
    `replay_of`, the observation of that draft if it was recorded while this call waited for the lock."""
    rule = MOVES[move]
    locked = RectificationTask.objects.select_for_update().get(pk=task.pk)
    if replay_of is not None:
        found = Observation.objects.filter(client_uuid=replay_of).first()
        if found is not None:
            return found
    if locked.state not in rule.sources:
        raise Conflict(
            "task_state",
            f"整改任务当前为「{locked.get_state_display()}」，不能执行此操作",
            f"the task is {locked.state}; {move} is not possible now",
        )
    now = now or clock.now()
    locked.state = rule.target
    fields = ["state"]
    if rule.target == TaskState.SUBMITTED:
        locked.submitted_at = now
        fields.append("submitted_at")
    if rule.target in {TaskState.PASSED, TaskState.CLOSED}:
        locked.closed_at = now
        fields.append("closed_at")
    locked.save(update_fields=fields)
    task.state, task.submitted_at, task.closed_at = locked.state, locked.submitted_at, locked.closed_at
    return locked


def unit_member_check(task: RectificationTask, actor: User) -> None:
    """Only the responsible unit's staff act on its tasks."""
    if not (user_can(actor, Capability.HANDLE) and actor.department_id == task.unit_id):
        raise PermissionDenied(
            "task_not_your_unit",
            "只有责任单位的人员可以提交整改材料",
            "only the responsible unit's staff submit evidence",
        )


def task_submit_evidence(
    *, task: RectificationTask, actor: User, files: Sequence = (), note: str = ""
) -> RectificationTask:
    """The unit reports the problem fixed, with photos or documents and a note: 待整改 → 待复查."""
    unit_member_check(task, actor)
    note = text_check(note, field="note", max_length=500)
    if not files and not note:
        raise DomainError(
            "evidence_required",
            "请上传整改照片或材料，或填写整改说明",
            "upload a photo or a document, or describe what was done",
            field="files",
        )
    if len(files) > EVIDENCE_MAX_FILES:
        raise DomainError(
            "evidence_too_many",
            f"最多上传 {EVIDENCE_MAX_FILES} 个文件",
            f"at most {EVIDENCE_MAX_FILES} files",
            field="files",
        )
    limit = settings.CIVICGRID_PHOTO_MAX_BYTES
    contents = []
    for upload in files:
        if upload.size > limit:
            raise DomainError(
                "evidence_too_large",
                f"文件「{upload.name}」太大（最大 {limit // (1024 * 1024)} MB）",
                f"the file {upload.name!r} is too large (at most {limit // (1024 * 1024)} MB)",
                field="files",
            )
        contents.append((upload.name or "evidence", upload.read()))
    with transaction.atomic():
        locked = task_transition(task, "submit")
        locked.evidence_note = note
        locked.save(update_fields=["evidence_note"])
        for name, data in contents:
            row = TaskEvidence(task=locked)
            row.file.save(name.rsplit("/", 1)[-1][:100], ContentFile(data), save=False)
            row.save(force_insert=True)
    task.evidence_note = note
    return locked


def chain_last(observation: Observation) -> Observation:
    """The latest look at a failed standard: the observation, or its re-inspection's, and so on."""
    current = observation
    while True:
        following = Observation.objects.filter(reinspects=current).first()
        if following is None:
            return current
        current = following


def task_reinspect(
    *,
    task: RectificationTask,
    inspector: User,
    result: str,
    lat: float | None,
    lon: float | None,
    photos: Sequence = (),
    note: str = "",
    client_uuid: uuid.UUID | str | None = None,
) -> Observation:
    """An inspector looks again on site: a new observation re-inspecting the last one; pass → 复查通过,
    fail → back to the unit (复查未通过). A draft sent again (same `client_uuid`) answers with the
    observation it made."""
    key = uuid_check(client_uuid)
    replay = draft_replay(key, inspector)
    if replay is not None:
        return replay
    if not user_can(inspector, Capability.INSPECT):
        raise PermissionDenied("inspect_forbidden", "只有督查员可以复查", "only inspectors re-inspect")
    if result not in (Result.PASS, Result.FAIL):
        raise DomainError(
            "result_invalid", "复查结果应为 pass 或 fail", "the result must be pass or fail", field="result"
        )
    note = text_check(note, field="note", max_length=500)
    first = task.observation
    distance = position_check(first.round_site, lat, lon)
    processed = photos_process(photos) if photos else []
    now = clock.now()
    with transaction.atomic():
        # Locks the task: a second copy of the draft waits here, then finds the first.
        locked = task_transition(task, "pass" if result == Result.PASS else "fail", now=now, replay_of=key)
        if isinstance(locked, Observation):
            return locked
        observation = Observation.objects.create(
            round_site=first.round_site,
            standard=first.standard,
            result=result,
            note=note,
            lat=float(lat),
            lon=float(lon),
            distance_m=round(distance, 1),
            observed_at=now,
            inspector=inspector,
            reinspects=chain_last(first),
            client_uuid=key,
        )
        photos_store(observation, processed)
        if result == Result.FAIL:
            _tell_unit(
                locked, title="复查未通过", body=f"{first.round_site.site.name}：{first.standard.text[:80]}"
            )
    return observation


# --- the case loop -----------------------------------------------------------------------------------


def task_open_case(*, task: RectificationTask, actor: User) -> Case:
    """Open a case in the case loop for the task's problem, with its standard's category; the task closes
    when the case closes. Once per task (a second call answers with the case already opened)."""
    observation = Observation.objects.select_related("standard__category", "round_site__site").get(
        pk=task.observation_id
    )
    standard, site = observation.standard, observation.round_site.site
    if standard.category is None:
        raise DomainError(
            "standard_without_category",
            "该测评标准没有对应的案件类别，不能转为案件",
            "the standard maps to no case category",
        )
    with transaction.atomic():
        locked = RectificationTask.objects.select_for_update().get(pk=task.pk)
        if locked.case_id is not None:
            task.case_id = locked.case_id
            return locked.case
        if locked.state not in ACTIVE_STATES:
            raise Conflict("task_state", "整改任务已结束", "the task is finished")
        outcome = case_submit(
            reporter=actor,
            submission=Submission(
                description=f"【文明测评】{site.name}：{standard.text}"[:2000]
                + (f"\n{observation.note}" if observation.note else ""),
                lat=site.lat,
                lon=site.lon,
                channel=Channel.EVALUATION,
                kind=CaseKind.COMPLAINT,
                category=standard.category,
                address=site.address,
            ),
            idempotency_key=f"evaluation-task-{locked.pk}",
        )
        case = outcome.case
        # A report merged at intake into an open case of the same problem follows that case.
        if case.status == CaseStatus.MERGED and case.duplicate_of_id:
            case = Case.objects.get(pk=case.duplicate_of_id)
        locked.case = case
        locked.save(update_fields=["case"])
    task.case = case
    return case


def case_closed(case: Case, event: object) -> None:
    """`cases.hooks` reaction to 结案: the tasks that opened this case close with it."""
    now = clock.now()
    tasks = RectificationTask.objects.filter(state__in=ACTIVE_STATES, case=case)
    for task in tasks.select_for_update():
        task_transition(task, "close", now=now)


# --- red lights and escalation -----------------------------------------------------------------------


def tasks_overdue_escalate(now: datetime | None = None) -> int:
    """Escalate once every task the unit still owes past its deadline: the leaders and the unit are told.
    Returns how many were escalated in this pass."""
    now = now or clock.now()
    count = 0
    overdue = RectificationTask.objects.filter(
        state__in=UNIT_STATES, due_at__lt=now, escalated_at__isnull=True
    ).select_related("observation__round_site__site", "observation__standard", "unit")
    leaders = list(User.objects.filter(role=Role.LEADER, is_active=True).only("pk"))
    for task in overdue:
        with transaction.atomic():
            # Claimed once: a second worker's update finds it escalated and matches nothing.
            if not RectificationTask.objects.filter(pk=task.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            count += 1
            site = task.observation.round_site.site
            title = "整改任务超期"
            body = f"{task.unit.name} · {site.name}：{task.observation.standard.text[:60]}（期限 {timezone.localtime(task.due_at):%m-%d %H:%M}）"
            for leader in leaders:
                notify(
                    recipient=leader,
                    kind=KIND_OVERDUE,
                    title=title,
                    body=body,
                    link=f"/e/tasks/{task.pk}/",
                    dedupe_key=f"evaluation-overdue:{task.pk}:{leader.pk}",
                )
            _tell_unit(task, title=title, body=body, kind=KIND_OVERDUE)
    return count
