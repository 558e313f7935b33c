"""The case loop as data plus one choke point.

`MOVES` says, for every action, from which statuses it may start, which status it leads to,
which capability (accounts/roles.py) the actor needs and how the actor must relate to the case
(its department, its reporter, a grid member of its cell). `case_transition` performs them: it
locks the case, checks the move and the actor, applies the action's effect (deadlines,
department, counters), appends the immutable CaseEvent, runs the hooks (cases/hooks.py) and
queues notifications — all in one transaction, so a refused move changes nothing.

The effects change the case in memory (`move_apply`); the rows a move writes besides the case and
its event (the step clocks, extension requests) and the routing it reads go through a `MoveStore`:
the database here, memory in the bulk history (demo/bulk), which so follows the same effects.

A report's way in has its own three moves (`ARRIVALS`): `case_report` (上报, and 并案 for a
duplicate) and `case_me_too` (附议). This module is the only code that sets a case's status or
writes a CaseEvent (cases/tests/test_choke_point.py reads the source to keep it so), and every
event runs its hooks — but for the bulk history, which writes in bulk the events' values made here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Capability, Role, is_staff_member, user_can
from civicgrid.cases import deadlines, hooks, reportstore
from civicgrid.cases.choices import AUTO_DISPATCH_NOTE, OPEN_STATUSES, Action, CaseStatus, Channel, Rating
from civicgrid.cases.models import (
    Case,
    CaseDeadline,
    CaseEvent,
    CaseFollower,
    ExtensionRequest,
    ExtensionStatus,
    PhotoStage,
)
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.grids.scope import area_of
from civicgrid.notifications.services import notification_draft, notifications_settle, notify
from civicgrid.taxonomy.choices import Step
from civicgrid.taxonomy.models import Category
from civicgrid.taxonomy.routing import route_case

S = CaseStatus
NOTE_MAX_LENGTH = 2000  # a move's note (说明)
RATING_COMMENT_MAX_LENGTH = 500  # the note of a rating is its comment (评价意见)
TIMED_OPEN = frozenset(OPEN_STATUSES - {S.LONG_TERM})


class Scope:
    ANY = "any"  # the capability is enough
    DEPARTMENT = "department"  # the actor works for the case's current department
    REPORTER = "reporter"  # the actor reported the case
    CELL_OR_ANY = "cell_or_any"  # the capability, or a grid member of the case's cell (on-site check)
    SYSTEM = "system"  # the platform's own follow-up of another move: never a person's


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    capability: str | None
    scope: str = Scope.ANY
    note_required: bool = False


MOVES: dict[str, Move] = {
    Action.REGISTER: Move(frozenset({S.REPORTED}), S.REGISTERED, Capability.REGISTER),
    Action.REJECT: Move(frozenset({S.REPORTED}), S.REJECTED, Capability.REGISTER, note_required=True),
    Action.DISPATCH: Move(frozenset({S.REGISTERED, S.RETURNED}), S.DISPATCHED, Capability.DISPATCH),
    Action.ACCEPT: Move(frozenset({S.DISPATCHED}), S.ACCEPTED, Capability.HANDLE, Scope.DEPARTMENT),
    Action.RETURN: Move(
        frozenset({S.DISPATCHED, S.ACCEPTED}),
        S.RETURNED,
        Capability.HANDLE,
        Scope.DEPARTMENT,
        note_required=True,
    ),
    Action.REQUEST_EXTENSION: Move(
        frozenset({S.DISPATCHED, S.ACCEPTED}), None, Capability.HANDLE, Scope.DEPARTMENT, note_required=True
    ),
    Action.APPROVE_EXTENSION: Move(TIMED_OPEN, None, Capability.APPROVE_EXTENSION),
    Action.REFUSE_EXTENSION: Move(TIMED_OPEN, None, Capability.APPROVE_EXTENSION, note_required=True),
    Action.FEEDBACK: Move(
        frozenset({S.ACCEPTED}), S.HANDLED, Capability.HANDLE, Scope.DEPARTMENT, note_required=True
    ),
    Action.VERIFY: Move(frozenset({S.HANDLED}), S.VERIFIED, Capability.CLOSE, Scope.CELL_OR_ANY),
    Action.REWORK: Move(
        frozenset({S.HANDLED, S.VERIFIED}),
        S.ACCEPTED,
        Capability.CLOSE,
        Scope.CELL_OR_ANY,
        note_required=True,
    ),
    Action.CLOSE: Move(frozenset({S.VERIFIED}), S.CLOSED, Capability.CLOSE),
    Action.HANG: Move(
        frozenset({S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.RETURNED}),
        S.LONG_TERM,
        Capability.DISPATCH,
        note_required=True,
    ),
    Action.RESUME: Move(frozenset({S.LONG_TERM}), S.REGISTERED, Capability.DISPATCH),
    Action.SUPERVISE: Move(frozenset(OPEN_STATUSES), None, Capability.SUPERVISE),
    Action.RATE: Move(frozenset({S.CLOSED}), None, None, Scope.REPORTER),
    # 改派 / 撤回: the centre corrects a dispatch that nobody has accepted (签收) yet.
    Action.REDISPATCH: Move(frozenset({S.DISPATCHED}), S.DISPATCHED, Capability.DISPATCH, note_required=True),
    Action.RECALL: Move(frozenset({S.DISPATCHED}), S.REGISTERED, Capability.DISPATCH, note_required=True),
    # 并案 by hand (the intake merges a duplicate by itself: ARRIVALS) and its undoing.
    Action.MERGE: Move(frozenset({S.REPORTED}), S.MERGED, Capability.REGISTER, note_required=True),
    Action.UNMERGE: Move(frozenset({S.MERGED}), S.REPORTED, Capability.REGISTER, note_required=True),
    # 不满意 → 重办: the follow-up of an unsatisfied rating (within CIVICGRID_REOPEN_LIMIT), made by the platform.
    Action.REOPEN: Move(frozenset({S.CLOSED}), S.DISPATCHED, None, Scope.SYSTEM),
}

# A report's way in (cases/intake.py): made by the platform for the reporter, never offered as buttons.
ARRIVALS: dict[str, Move] = {
    Action.REPORT: Move(frozenset({""}), S.REPORTED, None),  # a new case; who may report how: intake
    Action.MERGE: Move(frozenset({S.REPORTED}), S.MERGED, None),  # 并案: a duplicate of an open case
    Action.ME_TOO: Move(frozenset(OPEN_STATUSES), None, None),  # 附议: one more report of an open case
}

ACTION_LABELS_EN = {
    Action.REGISTER: "register",
    Action.REJECT: "reject",
    Action.DISPATCH: "dispatch",
    Action.ACCEPT: "accept",
    Action.RETURN: "return",
    Action.REQUEST_EXTENSION: "request an extension",
    Action.APPROVE_EXTENSION: "approve the extension",
    Action.REFUSE_EXTENSION: "refuse the extension",
    Action.FEEDBACK: "feed back",
    Action.VERIFY: "verify",
    Action.REWORK: "send back for rework",
    Action.CLOSE: "close",
    Action.HANG: "put on the long-term list",
    Action.RESUME: "resume",
    Action.SUPERVISE: "supervise",
    Action.RATE: "rate",
    Action.REDISPATCH: "re-dispatch",
    Action.RECALL: "recall the dispatch",
    Action.MERGE: "merge",
    Action.UNMERGE: "undo the merge",
    Action.REOPEN: "reopen",
}


@dataclass
class MoveInput:
    """What a move may carry besides the actor and the note."""

    department: Department | None = None
    category: Category | None = None
    urgency: str | None = None
    hours: Decimal | None = None
    rating: str | None = None
    photos: Sequence = ()  # ProcessedPhoto objects (cases/photos.py), stored with the event
    data: dict = field(default_factory=dict)
    original: Case | None = None  # 并案: the case a report is merged into


@dataclass(frozen=True)
class FollowUp:
    """A move the platform makes at once after another, as a system move (auto-dispatch)."""

    action: str
    note: str
    payload: MoveInput


class MoveStore:
    """What an effect writes besides the case and its event, and the routing it reads: the database.

    The effects below call only these methods for anything but the case itself, so another store
    can keep the rows elsewhere: the bulk history (demo/bulk/simulate.py) keeps them in memory and
    writes them in bulk afterwards. The effects read and set a deadline's or a request's fields as
    attributes only, and read their `pk`.
    """

    def clock_start(self, case: Case, step: str, at: datetime) -> None:
        deadlines.deadline_start(case=case, step=step, at=at)

    def clock_finish(self, case: Case, at: datetime) -> bool | None:
        return deadlines.deadline_finish(case=case, at=at)

    def clock_running(self, case: Case) -> CaseDeadline | None:
        return deadlines.current_deadline(case)

    def clock_extend(self, case: Case, deadline: CaseDeadline, hours: Decimal) -> tuple[datetime, datetime]:
        return deadlines.deadline_extend(case=case, deadline=deadline, hours=hours)

    def extension_pending(self, case: Case) -> ExtensionRequest | None:
        return (
            case.extension_requests.select_related("deadline").filter(status=ExtensionStatus.PENDING).first()
        )

    def extension_add(self, values: dict) -> None:
        """A new ExtensionRequest row of these values (by field name)."""
        ExtensionRequest.objects.create(**values)

    def extension_decided(self, request: ExtensionRequest) -> None:
        request.save(update_fields=["status", "decided_by", "decided_at"])

    def route(self, category: Category, cell_code: str | None) -> Department | None:
        return route_case(category, cell_code)

    def case_locked(self, pk: int) -> Case | None:
        """Another case a move reads and changes (并案: the original), locked until the move commits."""
        return Case.objects.select_for_update().filter(pk=pk).first()


DATABASE = MoveStore()


# --- authorisation --------------------------------------------------------------------------------


def acts_for_department(user: User, department_id: int | None) -> bool:
    """Staff of the department itself, or the admin of a department above it (bureau → section)."""
    if department_id is None or user.department_id is None:
        return False
    if user.department_id == department_id:
        return True
    if user.role != Role.DEPARTMENT_ADMIN:
        return False
    node = Department.objects.filter(pk=department_id).values_list("parent_id", flat=True).first()
    seen = set()
    while node is not None and node not in seen:
        if node == user.department_id:
            return True
        seen.add(node)
        node = Department.objects.filter(pk=node).values_list("parent_id", flat=True).first()
    return False


def is_cell_member(user: User, case: Case) -> bool:
    return (
        user.role == Role.GRID_MEMBER
        and case.cell_id is not None
        and user.cell_assignments.filter(cell_id=case.cell_id).exists()
    )


def actor_refusal(move: Move, case: Case, actor: User | None) -> str | None:
    """Why `actor` may not perform `move` on `case` ("login", "reporter", "role", "department", "area"), or None."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return "login"
    if move.scope == Scope.SYSTEM:
        return "role"
    if move.scope == Scope.REPORTER:
        return None if case.reporter_id == actor.pk else "reporter"
    if move.scope == Scope.CELL_OR_ANY and is_cell_member(actor, case):
        return None
    if move.capability and not user_can(actor, move.capability):
        return "role"
    if move.scope == Scope.DEPARTMENT and not acts_for_department(actor, case.department_id):
        return "department"
    # A district's or street's command centre acts on its own area's cases only (grids/scope.py).
    area = area_of(actor)
    if area is not None and not area.covers(case.street_id):
        return "area"
    return None


def check_actor(move: Move, action: str, case: Case, actor: User | None) -> None:
    """Raise PermissionDenied unless `actor` may perform `move` on `case`."""
    refusal = actor_refusal(move, case, actor)
    if refusal is None:
        return
    label_en = ACTION_LABELS_EN.get(action, action)
    label_zh = Action(action).label
    if refusal == "login":
        raise PermissionDenied("forbidden_role", f"需要登录才能{label_zh}", f"sign in to {label_en}")
    if refusal == "reporter":
        raise PermissionDenied(
            "forbidden_reporter", f"只有上报人可以{label_zh}", f"only the reporter may {label_en} this case"
        )
    if refusal == "role":
        raise PermissionDenied("forbidden_role", f"您的角色不能{label_zh}", f"your role may not {label_en}")
    if refusal == "area":
        area = area_of(actor)
        raise PermissionDenied(
            "forbidden_area",
            f"该案件不在您的指挥范围（{area.name}）内，不能{label_zh}",
            f"this case is outside your command area ({area.code}): you may not {label_en} it",
        )
    raise PermissionDenied(
        "forbidden_department",
        f"该案件不属于您的部门，不能{label_zh}",
        f"this case is not your department's: you may not {label_en} it",
    )


def check_state(move: Move, action: str, case: Case) -> None:
    if case.status not in move.sources:
        raise Conflict(
            "illegal_transition",
            f"案件当前状态为“{CaseStatus(case.status).label}”，不能{Action(action).label}",
            f"a case in status '{case.status}' cannot be moved by '{action}'",
            field="action",
        )


# --- the choke point --------------------------------------------------------------------------------


def case_transition(
    *,
    case: Case,
    action: str,
    actor: User | None,
    note: str = "",
    payload: MoveInput | None = None,
    system: bool = False,
) -> CaseEvent:
    """Perform one move on a case (see MOVES); refused moves raise and change nothing.

    `system=True` is for moves the platform makes itself (auto-registration of a grid member's
    report, auto-dispatch): the state is still checked, the role is not.
    """
    if action not in MOVES:
        raise DomainError(
            "unknown_action", f"未知的操作 {action!r}", f"unknown action {action!r}", field="action"
        )
    move = MOVES[action]
    payload = payload or MoveInput()
    note = text_check(note, field="note", max_length=NOTE_MAX_LENGTH)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        check_state(move, action, case)
        if not system:
            check_actor(move, action, case, actor)
        values, extra = move_apply(
            case=case, action=action, actor=actor, note=note, payload=payload, at=clock.now(), store=DATABASE
        )
        case.save()
        event = CaseEvent.objects.create(**values)
        if payload.photos:
            from civicgrid.cases.photostore import photos_store

            photos_store(
                case=case,
                event=event,
                photos=payload.photos,
                stage=extra.get("photo_stage", PhotoStage.FEEDBACK),
            )
        hooks.run(action, case, event)
        if "merged_into" in extra:
            _merge_follow(case, extra["merged_into"], event)
        if action == Action.UNMERGE:
            _unmerge_original(case, extra.get("detached_from"), event)
        for follow_up in extra.get("then", ()):
            case_transition(
                case=case,
                action=follow_up.action,
                actor=None,
                note=follow_up.note,
                payload=follow_up.payload,
                system=True,
            )
        _notify(case, action, event)
    return event


def move_apply(
    *,
    case: Case,
    action: str,
    actor: User | None,
    note: str,
    payload: MoveInput,
    at: datetime,
    store: MoveStore,
) -> tuple[dict, dict]:
    """The move's effect: the case changed in memory, the other rows through `store`; returns the
    values of its CaseEvent and what the effect said besides ("then": the follow-up moves, "photo_stage").

    `case_transition` calls it with the case locked and the actor checked; it checks the state and
    the note itself, so that the bulk history, which calls it on unsaved cases, makes legal moves only.
    """
    move = MOVES[action]
    check_state(move, action, case)  # case_transition checked it before the actor; the bulk history did not
    if move.note_required and not note:
        raise DomainError(
            "note_required",
            f"{Action(action).label}需要填写说明/理由",
            f"a note (reason) is required to {ACTION_LABELS_EN.get(action, action)}",
            field="note",
        )
    from_status = case.status
    effect = EFFECTS.get(action)
    extra = effect(case, actor, note, payload, at, store) if effect else {}
    if move.target is not None and extra.get("status") is None:
        case.status = move.target
    elif extra.get("status"):
        case.status = extra["status"]
    event = dict(
        case=case,
        action=action,
        from_status=from_status,
        to_status=case.status,
        actor=actor,
        actor_role=(actor.role if actor else "system"),
        department=extra.get("department"),
        note=note,
        data={**payload.data, **extra.get("data", {})},
        on_time=extra.get("on_time"),
        created_at=at,
    )
    return event, extra


RECEIPT_TITLE = "已收到您的上报 "  # + the case number (回执)


def case_report(
    *, case: Case, original: Case | None, data: dict, beside: Sequence[Model] = ()
) -> reportstore.ReportRows:
    """上报: a new case enters the loop, in the caller's transaction.

    The case (unsaved: the intake built it from the submission) becomes REPORTED with its 立案 clock
    running and the reporter gets a receipt; or, as a duplicate of the open case `original`, it counts
    as one more report of the original (附议), which the reporter then follows, and is merged at once
    (并案: REPORTED → MERGED, no clock of its own). An original closed since the intake found it is
    left alone: the report then stands on its own. The rows are written by `cases.reportstore`, the
    case last (its number locks the day's counter until commit); the hooks of each event run as for
    any move. `beside`: rows the channel keeps with the case (reportstore.ReportRows), written with it.
    Returns the new case's rows.
    """
    if not case._state.adding:
        raise ValueError("case_report writes a new case")
    reporter = case.reporter
    if (
        original is not None
        and case_me_too(case=original, user=reporter, at=case.created_at, by_report=True) is None
    ):
        original = None
    first = _FirstClock()
    events = [
        CaseEvent(**values) for values in report_apply(case=case, original=original, data=data, store=first)
    ]
    recipient, phone, channels = reporter, "", None
    if typed_in_for_caller(case):
        # The receipt is the caller's: their account if one has the number, else an SMS to it; never
        # the operator's. Without a number it is kept unaddressed (no inbox, nothing sent).
        account = (
            User.objects.filter(phone=case.contact_phone, is_active=True).first()
            if case.contact_phone
            else None
        )
        if account is not None and not is_staff_member(account):
            recipient = account
        else:
            recipient, phone, channels = None, case.contact_phone, (["sms"] if case.contact_phone else [])
    if original is None:
        receipt = notification_draft(
            recipient=recipient,
            kind="case_progress",
            title=RECEIPT_TITLE,
            body="我们会尽快核实处理。",
            phone=phone,
            channels=channels,
        )
    else:
        receipt = notification_draft(
            recipient=recipient,
            kind="case_progress",
            title=RECEIPT_TITLE,
            body=f"附近已有相同问题 {original.number}，已为您关注该案件。",
            case_id=original.pk,
            link=f"/m/cases/{original.number}/",
            phone=phone,
            channels=channels,
        )
    if recipient is not None and is_staff_member(recipient):
        receipt.read_at = receipt.created_at  # staff's own reports: on record, nothing to act on
    rows = reportstore.ReportRows(
        case=case, events=events, deadline=first.deadline, receipt=receipt, beside=list(beside)
    )
    reportstore.report_write(rows)
    for event in events:
        hooks.run(event.action, case, event)
    return rows


class _FirstClock(MoveStore):
    """The intake's store: the first clock is planned, then written with the case (cases.reportstore)."""

    deadline: CaseDeadline | None = None

    def clock_start(self, case: Case, step: str, at: datetime) -> None:
        self.deadline = deadlines.deadline_plan(case=case, step=step, at=at)


def report_apply(*, case: Case, original: Case | None, data: dict, store: MoveStore) -> list[dict]:
    """What a report does to its new case, in memory: REPORTED with its 立案 clock started in `store`,
    or, as a duplicate of `original`, merged (并案) at once without a clock. Returns the values of its
    CaseEvents: REPORT, and MERGE for a duplicate. The original's me-too is `me_too_apply`."""
    at, reporter = case.created_at, case.reporter
    report = ARRIVALS[Action.REPORT]
    case.status = report.target
    events = [
        dict(
            case=case,
            action=Action.REPORT,
            from_status="",
            to_status=case.status,
            actor=reporter,
            actor_role=reporter.role,
            created_at=at,
            data=data,
        )
    ]
    if original is None:
        store.clock_start(case, Step.REGISTER, at)
        return events
    merge = ARRIVALS[Action.MERGE]
    check_state(merge, Action.MERGE, case)
    case.status, case.duplicate_of = merge.target, original
    events.append(
        dict(
            case=case,
            action=Action.MERGE,
            from_status=report.target,
            to_status=case.status,
            actor=None,
            actor_role="system",
            created_at=at,
            data={"original": original.number},
        )
    )
    return events


def case_me_too(
    *, case: Case, user: User, at: datetime | None = None, by_report: bool = False
) -> CaseEvent | None:
    """附议: one more report of an open case, whose reporter then follows it.

    From the "me too" button it counts once per person and never for the case's own reporter, and a
    case no longer open is refused (409). For a report merged into the case (`by_report`, from
    `case_report`) every report counts, and a case no longer open counts nothing. Returns the ME_TOO
    event, or None when nothing was counted.
    """
    sources = ARRIVALS[Action.ME_TOO].sources
    # A refusal leaves a caller's transaction usable; inside the intake's own transaction nothing
    # is refused, so no savepoint.
    with transaction.atomic(savepoint=not by_report):
        if not by_report:  # once per person: the case is locked while the rule looks
            reportstore.case_lock(case)
            if case.status not in sources:
                raise Conflict("case_not_open", "该案件已办结，不能附议", "the case is no longer open")
            if case.reporter_id == user.pk or case.followers.filter(user=user).exists():
                return None
        values, follower = me_too_apply(case=case, user=user, at=at or clock.now())
        event = CaseEvent(**values)
        # Counted only if the case is still open as it is written (a move may have changed it since).
        status = reportstore.me_too_write(event=event, follower=CaseFollower(**follower), sources=sources)
        if status is None:
            return None
        case.status = status
        hooks.run(Action.ME_TOO, case, event)
    return event


def me_too_apply(*, case: Case, user: User, at: datetime) -> tuple[dict, dict]:
    """What a me-too (附议) does to its open case, in memory: one more report counted; returns the
    values of its CaseEvent and of the CaseFollower row of `user`."""
    case.me_too_count += 1
    event = dict(
        case=case,
        action=Action.ME_TOO,
        from_status=case.status,
        to_status=case.status,
        actor=user,
        actor_role=user.role,
        created_at=at,
    )
    return event, dict(case=case, user=user, created_at=at)


# --- the effect of each action (called inside the transaction, case locked) --------------------------

Effect = Callable[[Case, "User | None", str, MoveInput, datetime, MoveStore], dict]


def _register(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    category = p.category or case.category
    if category is None:
        raise DomainError(
            "category_required",
            "立案前必须确定问题分类",
            "choose a category before registering",
            field="category",
        )
    reported = case.category if p.category is not None and case.category_id != p.category.pk else None
    if p.category is not None:
        case.category = p.category
        case.urgency = p.urgency or p.category.default_urgency
    elif p.urgency:
        case.urgency = p.urgency
    on_time = store.clock_finish(case, at)
    case.registered_at = at
    routed = store.route(category, case.cell.code if case.cell_id else None)
    case.routed_department = routed
    store.clock_start(case, Step.DISPATCH, at)
    then = []
    if routed is not None and category.auto_dispatch:
        then.append(FollowUp(Action.DISPATCH, AUTO_DISPATCH_NOTE, MoveInput(department=routed)))
    return {
        "on_time": on_time,
        "department": routed,
        "then": then,
        "data": {
            "category": category.code,
            "routed_department": routed.code if routed else None,
            # 立案 under another category than reported: what the reporter had chosen.
            **({"reported_category": reported.code, "reported_kind": reported.kind} if reported else {}),
        },
    }


def _reject(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    return {"on_time": store.clock_finish(case, at)}


def _dispatch(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    department = p.department or case.routed_department
    if department is None:
        raise DomainError(
            "department_required",
            "请选择处置部门",
            "choose the department to dispatch to",
            field="department",
        )
    if not department.active:
        raise DomainError(
            "department_inactive",
            f"部门“{department.name}”已停用",
            f"{department.name} is inactive",
            field="department",
        )
    on_time = store.clock_finish(case, at)
    case.department = department
    case.dispatched_at = at
    store.clock_start(case, Step.HANDLE, at)
    return {
        "on_time": on_time,
        "department": department,
        "data": {
            "department": department.code,
            "routed": case.routed_department_id == department.pk if case.routed_department_id else None,
        },
    }


def _accept(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    return {"department": case.department}


def _return(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    department = case.department
    on_time = store.clock_finish(case, at)
    case.department = None
    case.return_count += 1  # the row is locked (select_for_update): plain arithmetic is safe
    store.clock_start(case, Step.DISPATCH, at)
    return {"on_time": on_time, "department": department}


def _request_extension(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    hours = _positive_hours(p.hours)
    deadline = store.clock_running(case)
    if deadline is None:
        raise Conflict("no_deadline", "当前环节没有时限", "the current step has no time limit")
    if store.extension_pending(case) is not None:
        raise Conflict("extension_pending", "已有待审批的延期申请", "an extension request is already pending")
    store.extension_add(
        dict(case=case, deadline=deadline, hours=hours, reason=note, requested_by=actor, created_at=at)
    )
    return {"department": case.department, "data": {"hours": str(hours), "due_at": _local(deadline.due_at)}}


def _decide_extension(approve: bool) -> Effect:
    def effect(case: Case, actor, note, p, at, store: MoveStore) -> dict:
        request = store.extension_pending(case)
        if request is None:
            raise Conflict("no_extension_pending", "没有待审批的延期申请", "no extension request is pending")
        request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        request.decided_by, request.decided_at = actor, at
        store.extension_decided(request)
        data = {"hours": str(request.hours), "request": request.pk}
        if approve:  # pending requests always belong to the running step: they lapse when it ends
            old_due, new_due = store.clock_extend(case, request.deadline, request.hours)
            data.update(old_due=_local(old_due), new_due=_local(new_due), deadline=request.deadline.pk)
        return {"department": case.department, "data": data}

    return effect


def _feedback(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    on_time = store.clock_finish(case, at)
    case.handled_at = at
    store.clock_start(case, Step.VERIFY, at)
    return {"on_time": on_time, "department": case.department, "photo_stage": PhotoStage.FEEDBACK}


def _on_site_evidence(case: Case, actor, note: str, p: MoveInput) -> None:
    """A grid member's on-site check (核查, 返工) of a category that asks for it carries a photo and a note."""
    if actor is None or case.category_id is None or not is_cell_member(actor, case):
        return
    if not case.category.verify_evidence:
        return
    if not p.photos:
        raise DomainError(
            "verify_photo_required",
            "现场核查需要拍摄至少一张现场照片",
            "an on-site check needs at least one photo of the place",
            field="photos",
        )
    if not note:
        raise DomainError(
            "verify_note_required",
            "现场核查需要填写核查说明",
            "an on-site check needs a note of what was found",
            field="note",
        )


def _verify(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    _on_site_evidence(case, actor, note, p)
    on_time = store.clock_finish(case, at)
    store.clock_start(case, Step.CLOSE, at)
    return {"on_time": on_time, "department": case.department, "photo_stage": PhotoStage.VERIFY}


def _rework(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    _on_site_evidence(case, actor, note, p)
    on_time = store.clock_finish(case, at)
    case.rework_count += 1
    case.handled_at = None
    store.clock_start(case, Step.HANDLE, at)
    return {"on_time": on_time, "department": case.department, "photo_stage": PhotoStage.VERIFY}


def _close(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    on_time = store.clock_finish(case, at)
    case.closed_at = at
    return {"on_time": on_time, "department": case.department}


def _hang(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    store.clock_finish(case, at)
    return {"department": case.department}


def _resume(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    case.department = None
    store.clock_start(case, Step.DISPATCH, at)
    return {}


def _supervise(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    if case.supervised:
        raise Conflict("already_supervised", "该案件已在督办中", "the case is already supervised")
    case.supervised = True
    return {"department": case.department}


def _rate(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    if p.rating not in Rating.values:
        raise DomainError(
            "rating_invalid",
            "请选择满意、基本满意或不满意",
            "rating must be satisfied, basically or unsatisfied",
            field="rating",
        )
    if case.rated_at is not None and case.closed_at is not None and case.rated_at >= case.closed_at:
        raise Conflict("already_rated", "您已评价过本次办理结果", "you have already rated this result")
    if len(note) > RATING_COMMENT_MAX_LENGTH:
        raise DomainError(
            "text_too_long",
            f"评价意见不能超过 {RATING_COMMENT_MAX_LENGTH} 个字符",
            f"the comment is limited to {RATING_COMMENT_MAX_LENGTH} characters",
            field="note",
        )
    case.rating, case.rating_comment, case.rated_at = p.rating, note, at
    data = {"rating": p.rating}
    then = []
    if (
        p.rating == Rating.UNSATISFIED
        and case.reopen_count < settings.CIVICGRID_REOPEN_LIMIT
        and case.department_id
    ):
        # 不满意 → 重办: the platform's REOPEN follows, back to the same department.
        data["reopened"] = True
        then.append(FollowUp(Action.REOPEN, REOPEN_NOTE, MoveInput(department=case.department)))
    return {"department": case.department, "data": data, "then": then}


REOPEN_NOTE = "群众评价不满意，重新交办"


def _reopen(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    """重办: the closed case goes back to its department with a fresh handling limit; its rating stays
    on the case and in the RATE event as the earlier rating, and the next close may be rated again."""
    department = p.department or case.department
    if department is None:
        raise Conflict(
            "no_department", "案件没有处置部门，不能重办", "the case has no department to reopen to"
        )
    case.department = department
    case.reopen_count += 1
    case.closed_at = None
    store.clock_start(case, Step.HANDLE, at)
    return {"department": department, "data": {"department": department.code}}


def _redispatch(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    """改派: to another department before anyone there accepted it; the new one gets a fresh time limit."""
    previous = case.department
    department = p.department
    if department is None:
        raise DomainError(
            "department_required",
            "请选择改派的部门",
            "choose the department to re-dispatch to",
            field="department",
        )
    if department.pk == case.department_id:
        raise DomainError(
            "department_unchanged",
            f"案件已派遣至“{department.name}”，请选择另一个部门",
            f"the case is already with {department.name}: choose another department",
            field="department",
        )
    if not department.active:
        raise DomainError(
            "department_inactive",
            f"部门“{department.name}”已停用",
            f"{department.name} is inactive",
            field="department",
        )
    store.clock_finish(case, at)  # the step of the department that lost it ends unjudged
    case.department = department
    case.dispatched_at = at
    store.clock_start(case, Step.HANDLE, at)
    return {
        "department": department,
        "data": {"department": department.code, "from_department": previous.code if previous else None},
    }


def _recall(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    """撤回: back to 待派遣 before anyone accepted it; the department no longer has it."""
    department = case.department
    store.clock_finish(case, at)
    case.department = None
    case.dispatched_at = None
    store.clock_start(case, Step.DISPATCH, at)
    return {"department": department, "data": {"from_department": department.code if department else None}}


def _merge(case: Case, actor, note, p: MoveInput, at, store: MoveStore) -> dict:
    """并案 by hand: the report becomes a duplicate of an open case, whose follower its reporter becomes."""
    if p.original is None:
        raise DomainError(
            "original_required",
            "请填写要并入的案件编号",
            "give the number of the case to merge into",
            field="original",
        )
    original = store.case_locked(p.original.pk)
    if original is None or original.pk == case.pk:
        raise DomainError(
            "original_invalid", "不能并入本案件自身", "a case cannot be merged into itself", field="original"
        )
    if original.duplicate_of_id is not None or original.status not in OPEN_STATUSES:
        raise DomainError(
            "original_not_open",
            f"案件 {original.number} 已办结或已并案，不能作为并入对象",
            f"case {original.number} is closed or merged itself: merge into an open case",
            field="original",
        )
    store.clock_finish(case, at)
    case.duplicate_of = original
    return {"merged_into": original, "data": {"original": original.number}}


def _unmerge(case: Case, actor, note, p, at, store: MoveStore) -> dict:
    """撤销并案: a wrong merge undone; the report is its own case again, waiting for 立案. The original
    keeps its history (its ME_TOO event and count: a report did join it); the reporter stops following it."""
    original = case.duplicate_of
    case.duplicate_of = None
    store.clock_start(case, Step.REGISTER, at)
    return {"detached_from": original, "data": {"original": original.number if original else None}}


def _local(moment) -> str:
    return timezone.localtime(moment).isoformat()


def _positive_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        hours = Decimal(0)
    if not hours.is_finite() or not Decimal("0.01") <= hours <= 2000:
        raise DomainError(
            "hours_invalid",
            "延期时长应为 0.01–2000 之间的小时数",
            "hours must be between 0.01 and 2000",
            field="hours",
        )
    return hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # what is stored is what was approved


EFFECTS: dict[str, Effect] = {
    Action.REGISTER: _register,
    Action.REJECT: _reject,
    Action.DISPATCH: _dispatch,
    Action.ACCEPT: _accept,
    Action.RETURN: _return,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.APPROVE_EXTENSION: _decide_extension(True),
    Action.REFUSE_EXTENSION: _decide_extension(False),
    Action.FEEDBACK: _feedback,
    Action.VERIFY: _verify,
    Action.REWORK: _rework,
    Action.CLOSE: _close,
    Action.HANG: _hang,
    Action.RESUME: _resume,
    Action.SUPERVISE: _supervise,
    Action.RATE: _rate,
    Action.REDISPATCH: _redispatch,
    Action.RECALL: _recall,
    Action.MERGE: _merge,
    Action.UNMERGE: _unmerge,
    Action.REOPEN: _reopen,
}


def _merge_follow(case: Case, original: Case, event: CaseEvent) -> None:
    """A merge by hand counts as one more report of the original (附议), as the intake's merges do: its
    reporter follows the original from now on."""
    if case.reporter_id is not None:
        case_me_too(case=original, user=case.reporter, at=event.created_at, by_report=True)


def _unmerge_original(case: Case, original: Case | None, event: CaseEvent) -> None:
    """The original of an undone merge: the report's author no longer follows it, unless they joined it
    another way (another of their reports still merged into it)."""
    if original is None or case.reporter_id is None:
        return
    if (
        not Case.objects.filter(duplicate_of=original, reporter_id=case.reporter_id)
        .exclude(pk=case.pk)
        .exists()
    ):
        CaseFollower.objects.filter(case=original, user_id=case.reporter_id).delete()


# --- notifications (outbox rows in the same transaction) ---------------------------------------------

REPORTER_UPDATES = {
    Action.REGISTER: ("您的上报已立案", "Your report has been registered"),
    Action.REJECT: ("您的上报未予立案", "Your report was not registered"),
    Action.FEEDBACK: ("您上报的问题已处置", "Your reported problem has been handled"),
    Action.CLOSE: ("您上报的问题已结案，请评价", "Your case is closed: please rate the result"),
}


# Channels whose cases an operator types in for somebody else (a caller, a letter): the reporter on
# record is the operator, and what the case tells its citizen goes to the caller's number instead.
OPERATOR_CHANNELS = frozenset({Channel.HOTLINE, Channel.MAILBOX})


def typed_in_for_caller(case: Case) -> bool:
    return case.channel in OPERATOR_CHANNELS and case.reporter is not None and is_staff_member(case.reporter)


def citizen_audience(case: Case) -> tuple[list[User], str]:
    """Who is told of a case's progress: (the citizens with an account, a caller's number for SMS).

    The citizens who reported or follow it (附议, merged duplicates) — never staff, whose queues and
    tasks tell them what to do. For a case an operator typed in for a caller, the caller instead of
    the operator: their account if one has the number, else an SMS to it.
    """
    people = {f.user_id: f.user for f in case.followers.select_related("user") if not is_staff_member(f.user)}
    caller = ""
    if typed_in_for_caller(case):
        if case.contact_phone:
            account = User.objects.filter(phone=case.contact_phone, is_active=True).first()
            if account is not None and not is_staff_member(account):
                people[account.pk] = account
            else:
                caller = case.contact_phone
    elif case.reporter_id and not is_staff_member(case.reporter):
        people[case.reporter_id] = case.reporter
    return list(people.values()), caller


def reopen_message(department_name: str) -> str:
    """What a citizen is told when an unsatisfied rating reopens the case."""
    return f"已重新交办给{department_name}"


def system_actor(event: CaseEvent) -> bool:
    return event.actor_role == "system"


def _department_staff(department_id: int | None) -> list[User]:
    """Who acts on a case sent to a department: its handlers (签收, 处置), or its admins when it has
    no handler; the admins follow their department's work in the queues, not by message."""
    if department_id is None:
        return []
    staff = list(
        User.objects.filter(
            department_id=department_id, is_active=True, role__in=[Role.HANDLER, Role.DEPARTMENT_ADMIN]
        )
    )
    handlers = [u for u in staff if u.role == Role.HANDLER]
    return handlers or staff


def _notify(case: Case, action: str, event: CaseEvent) -> None:
    link = f"/console/cases/{case.number}/"
    if action in (Action.ACCEPT, Action.RETURN):
        # The department has answered the dispatch: nobody there has it to act on any more.
        notifications_settle(case_id=case.pk, kinds=["case_dispatched"])
    if event.actor_id and not system_actor(event):
        # Whoever moves a case has read what they were told about it.
        notifications_settle(
            case_id=case.pk, kinds=["case_dispatched", "case_supervised"], users=[event.actor]
        )
    number = case.number or f"#{case.pk}"
    if action == Action.DISPATCH or action == Action.REOPEN or action == Action.REWORK:
        title = {
            Action.DISPATCH: "新派遣案件",
            Action.REOPEN: "群众不满意，案件重办",
            Action.REWORK: "案件返工",
        }[action]
        for user in _department_staff(case.department_id):
            notify(
                recipient=user,
                kind="case_dispatched",
                title=f"{title} {number}",
                body=event.note or title,
                case_id=case.pk,
                link=link,
            )
    if action == Action.SUPERVISE:
        for user in _department_staff(case.department_id):
            notify(
                recipient=user,
                kind="case_supervised",
                title=f"督办 {number}",
                body=event.note or "领导督办",
                case_id=case.pk,
                link=link,
            )
    if action in (Action.REDISPATCH, Action.RECALL):
        lost = event.data.get("from_department")
        lost_id = Department.objects.filter(code=lost).values_list("pk", flat=True).first() if lost else None
        for user in _department_staff(lost_id):
            notify(
                recipient=user,
                kind="case_recalled",
                title=f"案件 {number} 已由指挥中心{Action(action).label}",
                body=event.note,
                case_id=case.pk,
                link="",
            )
        if action == Action.REDISPATCH:
            for user in _department_staff(case.department_id):
                notify(
                    recipient=user,
                    kind="case_dispatched",
                    title=f"改派案件 {number}",
                    body=event.note,
                    case_id=case.pk,
                    link=link,
                )
    if action in (Action.MERGE, Action.UNMERGE) and case.reporter_id and not is_staff_member(case.reporter):
        original = event.data.get("original")
        title, body, target = (
            (f"您的上报已并入案件 {original}", f"附近已有相同问题 {original}，已为您关注该案件。", original)
            if action == Action.MERGE
            else (f"您的上报 {number} 已恢复为独立案件", "我们会尽快核实处理。", case.number)
        )
        notify(
            recipient=case.reporter,
            kind="case_progress",
            title=title,
            body=body,
            case_id=case.pk,
            link=f"/m/cases/{target}/",
        )
    if action in REPORTER_UPDATES or action == Action.REOPEN:
        # The reporter, and everyone who follows the case (merged duplicates, "me too").
        if action == Action.REOPEN:
            zh = reopen_message(case.department.name if case.department_id else "")
        else:
            zh, en = REPORTER_UPDATES[action]
        people, caller = citizen_audience(case)
        for user in people:
            notify(
                recipient=user,
                kind="case_progress",
                title=f"{zh} {number}",
                body=event.note or zh,
                case_id=case.pk,
                link=f"/m/cases/{case.number}/",
            )
        if caller:
            notify(
                recipient=None,
                kind="case_progress",
                title=f"{zh} {number}",
                body="",
                phone=caller,
                channels=["sms"],
            )
