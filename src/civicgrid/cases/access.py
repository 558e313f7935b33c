"""Who may see and do what with a case — the one place every page and endpoint asks."""

from __future__ import annotations

from django.db.models import ExpressionWrapper, F, IntegerField, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext, gettext_lazy

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import STAFF_ROLES, Capability, Role, is_staff_member, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.cases.choices import SYSTEM_NOTES, Action
from civicgrid.cases.models import PUBLIC_PHOTO_STAGES, Case, CaseEvent, CasePhoto, ExtensionStatus
from civicgrid.cases.publication import case_public_text
from civicgrid.cases.workflow import MOVES, actor_refusal
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.core.masking import mask_phone
from civicgrid.grids.models import Street
from civicgrid.grids.scope import area_of


def department_subtree(department_id: int) -> list[int]:
    """The department and every department below it (a bureau admin sees its sections' cases)."""
    ids, frontier = [department_id], [department_id]
    while frontier:
        frontier = list(Department.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        ids.extend(frontier)
    return ids


# --- An API client (`user.api_client`, set by the key that authenticated the request) ---------------
# It acts as its account, and its own settings narrow that further: the streets it is limited to
# (`ApiClient.streets`) and, without the scope cases:read:personal, no one's name or phone.


def client_street_ids(user: User) -> frozenset[int] | None:
    """The streets an API client is limited to (ids), or None: no limit (no client, or none set)."""
    client = getattr(user, "api_client", None)
    if client is None or not client.streets:
        return None
    cached = getattr(client, "_street_ids", None)
    if cached is None:
        cached = frozenset(Street.objects.filter(code__in=client.streets).values_list("id", flat=True))
        client._street_ids = cached
    return cached


def client_street_check(user: User, street_id: int | None) -> None:
    """Refuse a report by an API client outside the streets it is limited to."""
    allowed = client_street_ids(user)
    if allowed is not None and street_id not in allowed:
        client = user.api_client
        raise DomainError(
            "street_not_allowed",
            f"该客户端只能上报以下街道的案件：{', '.join(client.streets)}",
            f"this client may only report in the streets {', '.join(client.streets)}",
            field="location",
            status=403,
        )


def personal_data_withheld(viewer: User) -> bool:
    """Whether names and phones are masked for this viewer whatever its role: an API client's key
    without the scope cases:read:personal. A browser session (no client) is governed by its role."""
    client = getattr(viewer, "api_client", None)
    return client is not None and not client.has_scope(Scope.CASES_READ_PERSONAL)


def visible_cases(user: User) -> QuerySet[Case]:
    """The cases a user may open (`_visible_cases`), within the streets its API client is limited to."""
    qs = _visible_cases(user)
    streets = client_street_ids(user)
    return qs if streets is None else qs.filter(street_id__in=streets)


def _visible_cases(user: User) -> QuerySet[Case]:
    """The cases a user may open: all for the centre and leaders (a district's or street's centre: its
    area's; grids/scope.py), their department's, their cells', their own."""
    qs = Case.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user_can(user, Capability.VIEW_CITY):
        area = area_of(user)
        if area is None:
            return qs
        # The street compared as `street_id + 0`, which no index answers (as analytics.selectors._open_cases):
        # a district holds a large share of the cases, so the database walks the queue's own index (status,
        # created_at) and tests the street, instead of reading the area's cases through the street index and
        # sorting them (the "all" queue of a district at 100 000 cases on SQLite: 445 → 7 ms a page). The
        # list is the area's only; a case they reported elsewhere opens by its number (`can_view`).
        return qs.alias(
            area_street=ExpressionWrapper(F("street_id") + 0, output_field=IntegerField())
        ).filter(area_street__in=area.street_ids)
    mine = Q(reporter=user) | Q(followers__user=user)
    if user.role in (Role.HANDLER, Role.DEPARTMENT_ADMIN) and user.department_id:
        depts = (
            department_subtree(user.department_id)
            if user.role == Role.DEPARTMENT_ADMIN
            else [user.department_id]
        )
        return qs.filter(Q(department_id__in=depts) | mine).distinct()
    if user.role == Role.GRID_MEMBER:
        return qs.filter(Q(cell__assignments__user=user) | mine).distinct()
    return qs.filter(mine).distinct()


def can_view(user: User, case: Case) -> bool:
    """The same rule as `visible_cases`, for one case already in hand (at most two small queries).

    Checking one row in Python keeps the single-case path free of the DISTINCT over joins that
    the list needs — on PostgreSQL, planning that query alone cost ~20 ms per request.
    """
    if not user.is_authenticated:
        return False
    streets = client_street_ids(user)
    if streets is not None and case.street_id not in streets:
        return False
    if case.reporter_id == user.pk:
        return True
    if user_can(user, Capability.VIEW_CITY):
        area = area_of(user)
        return area is None or area.covers(case.street_id)
    if user.role in (Role.HANDLER, Role.DEPARTMENT_ADMIN) and user.department_id and case.department_id:
        depts = (
            department_subtree(user.department_id)
            if user.role == Role.DEPARTMENT_ADMIN
            else [user.department_id]
        )
        if case.department_id in depts:
            return True
    if (
        user.role == Role.GRID_MEMBER
        and case.cell_id
        and user.cell_assignments.filter(cell_id=case.cell_id).exists()
    ):
        return True
    return case.followers.filter(user=user).exists()


def access_case(user: User, number: str, *, for_update: bool = False) -> Case:
    """The case with this number if the user may see it; 404 otherwise (existence is not revealed)."""
    qs = Case.objects.select_related(
        "category",
        "cell",
        "street",
        "community",
        "department",
        "routed_department",
        "reporter",
        "duplicate_of",
    )
    if for_update:
        qs = qs.select_for_update()
    case = qs.filter(number=number).first() if user.is_authenticated else None
    if case is None or not can_view(user, case):
        raise NotFound(
            "case_not_found", f"案件 {number} 不存在或无权查看", f"case {number} not found", field="number"
        )
    return case


def merge_target(user: User, number: str | None) -> Case | None:
    """The case a report is to be merged into (并案), by its number, if the user may open it; a number
    they may not open is a mistake in the field, refused as unknown (existence is not revealed)."""
    number = (number or "").strip()
    if not number:
        return None
    try:
        return access_case(user, number)
    except NotFound as exc:
        raise DomainError(
            "original_unknown",
            f"案件 {number} 不存在或无权查看，请填写要并入的案件编号",
            f"case {number} not found: give the number of the case to merge into",
            field="original",
        ) from exc


def access_case_photo(user: User, name: str) -> FieldFile:
    """The public copy or thumbnail stored under `name` (relative to MEDIA_ROOT), if the user may see it.

    Anyone sees the photos a public case's public page shows (`PUBLIC_PHOTO_STAGES`); every other
    photo only those who may open its case. 404 otherwise, as for the case itself (existence is not
    revealed). The photo is found by its file name (indexed), so the URLs the pages and the API
    embed (`photo.public.url`) stay what they were.
    """
    photo = CasePhoto.objects.select_related("case").filter(Q(public=name) | Q(thumbnail=name)).first()
    if photo is not None and (
        (photo.stage in PUBLIC_PHOTO_STAGES and Case.objects.public().filter(pk=photo.case_id).exists())
        or can_view(user, photo.case)
    ):
        return photo.public if photo.public.name == name else photo.thumbnail
    raise NotFound("photo_not_found", "照片不存在或无权查看", "photo not found")


def first_thumbnails(user: User, cases: list[Case]) -> dict[int, str]:
    """The thumbnail URL of each case's first report photo that `user` may fetch (the rule of
    `access_case_photo`: a public case's public stages for anyone, any photo of a case they may open).
    Two queries and a check per non-public case."""
    if not cases:
        return {}
    by_pk = {c.pk: c for c in cases}
    public = set(Case.objects.public().filter(pk__in=by_pk).values_list("pk", flat=True))
    out: dict[int, str] = {}
    photos = CasePhoto.objects.filter(case_id__in=by_pk).exclude(thumbnail="").order_by("case_id", "id")
    for photo in photos.only("id", "case_id", "stage", "thumbnail"):
        if photo.case_id in out:
            continue
        if (photo.stage in PUBLIC_PHOTO_STAGES and photo.case_id in public) or can_view(
            user, by_pk[photo.case_id]
        ):
            out[photo.case_id] = photo.thumbnail.url
    return out


def sees_personal_data(user: User, case: Case) -> bool:
    """Reporter identity and phone: the reporter themself and the dispatch centre only (and never an
    API client without the scope cases:read:personal)."""
    return (
        user.is_authenticated
        and not personal_data_withheld(user)
        and (case.reporter_id == user.pk or user_can(user, Capability.VIEW_PERSONAL_DATA))
    )


def allowed_actions(user: User, case: Case) -> list[str]:
    """Exactly the moves this user may make on this case now (the buttons a page shows)."""
    out = []
    pending = None
    for action, move in MOVES.items():
        # What check_state and check_actor would refuse, without composing their messages.
        if case.status not in move.sources or actor_refusal(move, case, user) is not None:
            continue
        if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION, Action.REQUEST_EXTENSION):
            if pending is None:
                pending = case.extension_requests.filter(status=ExtensionStatus.PENDING).exists()
            # Deciding needs a pending request; asking again while one is pending is refused.
            # (A request lapses when its step ends — deadlines.deadline_finish — so a pending one is current.)
            if pending == (action == Action.REQUEST_EXTENSION):
                continue
        if action == Action.SUPERVISE and case.supervised:
            continue
        if action == Action.RATE and case.rated_at and case.closed_at and case.rated_at >= case.closed_at:
            continue
        out.append(str(action))
    return out


def actor_name(viewer: User, case: Case, event: CaseEvent, *, revealed: bool = True) -> str:
    """The name of whoever made a move, as this viewer may see it.

    Staff act under their names. Citizens who reported or joined a case ("me too") are named in
    full only to the dispatch centre and to themselves; everyone else sees 王*. `revealed=False`:
    the dispatch centre too sees 王* until it asks to see the case's personal data (console: with
    a reason, recorded in the access audit).
    """
    if not event.actor_id:
        return gettext("系统")
    actor = event.actor
    if personal_data_withheld(viewer) and actor.role not in STAFF_ROLES:
        return actor.display_name
    if (
        (revealed and user_can(viewer, Capability.VIEW_PERSONAL_DATA))
        or event.actor_id == viewer.pk
        or (event.actor_id != case.reporter_id and event.action != Action.ME_TOO)
        or (actor.role in STAFF_ROLES and sees_staff_names(viewer))  # only citizens are masked
    ):
        return actor.full_display_name
    return actor.display_name


def callback_extension(case: Case) -> str:
    """The extension code a relay call-back (回访) keys in to reach this case's reporter: its id, 6+ digits."""
    return f"{case.pk:06d}"


def callback_relay(viewer: User, case: Case) -> str:
    """The relay number (setting CIVICGRID_CALLBACK_RELAY) this viewer calls the reporter back through,
    or "": offered to who handles the case for its department and may not see the number itself, on an
    open case with a number to call."""
    from django.conf import settings

    from civicgrid.cases.choices import OPEN_STATUSES
    from civicgrid.cases.workflow import acts_for_department

    relay = settings.CIVICGRID_CALLBACK_RELAY
    if (
        not relay
        or sees_personal_data(viewer, case)
        or case.status not in OPEN_STATUSES
        or not (case.contact_phone or case.reporter_id)
        or not user_can(viewer, Capability.HANDLE)
        or not acts_for_department(viewer, case.department_id)
    ):
        return ""
    return relay


def reporter_name(viewer: User, case: Case) -> str | None:
    if not case.reporter_id:
        return None
    return case.reporter.full_display_name if sees_personal_data(viewer, case) else case.reporter.display_name


def description_for(viewer: User, case: Case) -> str:
    """The report's text as written for its reporter and for staff; a citizen who only follows the case
    (附议, a merged duplicate) reads what the public read — a neighbour's words may name a third person."""
    if case.reporter_id == viewer.pk or sees_staff_names(viewer):
        return case.description
    return case_public_text(case)


def is_rater(viewer: User, case: Case) -> bool:
    """Whether the viewer gave the case's rating (评价): its reporter, the only one who may rate."""
    return bool(case.rating) and case.reporter_id is not None and case.reporter_id == viewer.pk


def rating_comment_for(viewer: User, case: Case) -> str:
    """The rater's own words (评价意见) for the rater and staff; anyone else reads only the outcome."""
    return case.rating_comment if is_rater(viewer, case) or sees_staff_names(viewer) else ""


def event_note_for(viewer: User, event: CaseEvent) -> str:
    """A step's note as this viewer reads it: a rating's comment is its author's and staff's only."""
    if event.action == Action.RATE and not (event.actor_id == viewer.pk or sees_staff_names(viewer)):
        return ""
    return note_as_shown(event)


def note_as_shown(event: CaseEvent) -> str:
    """A step's note in the reader's language: the platform's own notes translated, people's as written."""
    label = SYSTEM_NOTES.get(event.note)
    return event.note if label is None else str(label)


def contact_phone_for(viewer: User, case: Case) -> str:
    return case.contact_phone if sees_personal_data(viewer, case) else mask_phone(case.contact_phone)


# --- what citizens see of the people who handle a case ----------------------------------------------
# A citizen who reported or follows a case sees its steps (the H5's "办理过程", the API's events) with
# who acted by unit, never by name, and not the centre's internal bookkeeping (extension requests and
# decisions, supervision) nor its notes.

CITIZEN_TIMELINE_ACTIONS = frozenset(
    {
        Action.REPORT,
        Action.REGISTER,
        Action.REJECT,
        Action.MERGE,
        Action.ME_TOO,
        Action.DISPATCH,
        Action.ACCEPT,
        Action.RETURN,
        Action.FEEDBACK,
        Action.VERIFY,
        Action.REWORK,
        Action.CLOSE,
        Action.HANG,
        Action.RESUME,
        Action.RATE,
        Action.REOPEN,
    }
)

# Who did a step, as a citizen should read it: staff by their unit, never by name.
# (gettext_lazy spelled out: makemessages does not know an alias such as _lazy.)
ROLE_AS_SEEN = {
    Role.CITIZEN: gettext_lazy("市民"),
    Role.GRID_MEMBER: gettext_lazy("网格员"),
    Role.DISPATCHER: gettext_lazy("指挥中心"),
    Role.ADMIN: gettext_lazy("指挥中心"),
    Role.LEADER: gettext_lazy("领导"),
    Role.INSPECTOR: gettext_lazy("督查员"),
    "system": gettext_lazy("系统"),
}
DEPARTMENT_ROLES_SEEN = {Role.HANDLER, Role.DEPARTMENT_ADMIN}


def sees_staff_names(viewer: User) -> bool:
    """Staff read who acted by name and every note; citizens read units and the citizens' timeline."""
    return is_staff_member(viewer)


def unit_as_seen(event: CaseEvent) -> str:
    """The unit that made a move: a department's staff by their own department (not the case's: a
    bureau admin acts for its section's case as the bureau), anyone else by their role."""
    if event.actor_role in DEPARTMENT_ROLES_SEEN:
        if event.actor_id and event.actor.department_id:
            return event.actor.department.name
        if event.department_id:
            return event.department.name
    return str(ROLE_AS_SEEN.get(event.actor_role, ""))


def actor_unit(event: CaseEvent) -> str:
    """The unit of whoever made a move, for staff reading the timeline: the person's own department
    if they have one (a dispatcher of the centre, a handler), else their role; "" for the system."""
    if not event.actor_id:
        return ""
    if event.actor.department_id:
        return event.actor.department.name
    return str(ROLE_AS_SEEN.get(event.actor_role, ""))


def events_for(viewer: User, events: list[CaseEvent]) -> list[CaseEvent]:
    """The events of a case this viewer reads: all for staff, the citizens' timeline for anyone else."""
    if sees_staff_names(viewer):
        return events
    return [e for e in events if e.action in CITIZEN_TIMELINE_ACTIONS]


def event_actor_for(viewer: User, case: Case, event: CaseEvent) -> str:
    """Who made a move as this viewer may read it: staff see `actor_name`; a citizen sees their own
    name on their own moves and the unit (`unit_as_seen`) on everybody else's."""
    if not event.actor_id or sees_staff_names(viewer) or event.actor_id == viewer.pk:
        return actor_name(viewer, case, event)
    return unit_as_seen(event)


def external_id_for(viewer: User, case: Case) -> str | None:
    """The id an external system reported the case under (a 12345 order number): for that system (the
    case's reporter) and staff; None for anyone else, and for a case reported without one."""
    external_id = case.external_id
    if not external_id or not (case.reporter_id == viewer.pk or sees_staff_names(viewer)):
        return None
    return external_id
