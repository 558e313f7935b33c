"""Intake (上报): turning a submission from any channel into a durable, numbered case.

One transaction writes the case, its REPORT event, its first deadline, the follow-up moves
(auto-registration of a grid member's report, auto-dispatch), the duplicate link and the
outbox row; it commits before the 201 goes out, so an acknowledged report is on disk. A retried
submission with the same Idempotency-Key returns the case it created the first time.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, Role, user_can
from civicgrid.cases import deadlines
from civicgrid.cases.choices import OPEN_STATUSES, Action, CaseKind, CaseStatus, Channel
from civicgrid.cases.models import Case, CaseCounter, CaseDeadline, CaseEvent, CaseFollower, PhotoStage
from civicgrid.cases.photostore import photos_store
from civicgrid.cases.workflow import MoveInput, case_transition
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.core.rawsql import ModelInsert, prepared_cursor
from civicgrid.grids.coords import CoordSystem, distance_m
from civicgrid.grids.services import place_resolve
from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notification_draft
from civicgrid.taxonomy.choices import Step, Urgency
from civicgrid.taxonomy.models import Category

# Which roles may submit through which channel (everyone else: the app, or a code scan).
STAFF_CHANNELS = {Channel.HOTLINE, Channel.MAILBOX}


@dataclass
class Submission:
    """A report as it arrives, before it is a case."""

    description: str
    lat: float | None = None
    lon: float | None = None
    crs: str = CoordSystem.WGS84
    kind: str = CaseKind.COMPLAINT
    channel: str = Channel.APP
    category: Category | None = None
    urgency: str | None = None
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    is_public: bool = True
    source_ref: str = ""
    photos: Sequence = field(default_factory=tuple)  # ProcessedPhoto objects


@dataclass
class IntakeRecord:
    """The rows the intake transaction wrote for a new case (attached as `case.intake_record`).

    Set only when nothing else touched the case in that transaction (no photos, no automatic
    registration), so the case as saved plus these rows are exactly what reading it back would give.
    """

    events: list[CaseEvent]
    deadlines: list[CaseDeadline]


def _check(submission: Submission, reporter: User) -> None:
    description = (submission.description or "").strip()
    if not description:
        raise DomainError("description_required", "请描述问题", "describe the problem", field="description")
    if len(description) > 2000:
        raise DomainError("description_too_long", "问题描述不能超过 2000 字", "the description is limited to 2000 "
                          "characters", field="description")
    if submission.kind not in CaseKind.values:
        raise DomainError("kind_invalid", f"未知的诉求类型 {submission.kind!r}", f"unknown kind {submission.kind!r}",
                          field="kind")
    if submission.channel not in Channel.values:
        raise DomainError("channel_invalid", f"未知的来源 {submission.channel!r}",
                          f"unknown channel {submission.channel!r}", field="channel")
    if submission.channel in STAFF_CHANNELS and not user_can(reporter, Capability.REGISTER):
        raise DomainError("channel_forbidden", "只有受理员可以录入热线和信箱来件",
                          "only dispatchers may enter hotline calls and mailbox letters", field="channel", status=403)
    if submission.channel == Channel.GRID and reporter.role != Role.GRID_MEMBER:
        raise DomainError("channel_forbidden", "只有网格员可以使用网格员上报渠道",
                          "only grid members may use the grid channel", field="channel", status=403)
    if submission.urgency is not None and submission.urgency not in Urgency.values:
        raise DomainError("urgency_invalid", "紧急程度应为 normal 或 urgent", "urgency must be normal or urgent",
                          field="urgency")
    if len(submission.photos) > settings.CIVICGRID_PHOTO_MAX_COUNT:
        raise DomainError("photo_too_many", f"最多上传 {settings.CIVICGRID_PHOTO_MAX_COUNT} 张照片",
                          f"at most {settings.CIVICGRID_PHOTO_MAX_COUNT} photos", field="photos")
    if submission.lat is None or submission.lon is None:
        raise DomainError("location_required", "请在地图上选择位置", "a location (lat, lon) is required", field="lat")


def find_original(*, category: Category, lat: float, lon: float, at) -> Case | None:
    """The open case of the same category within the radius and window, nearest first."""
    radius = settings.CIVICGRID_DUPLICATE_RADIUS_M
    since = at - timedelta(hours=settings.CIVICGRID_DUPLICATE_WINDOW_HOURS)
    # The same candidates and the same choice as nearby_open_cases(limit=1), but only (pk, lat, lon,
    # number, status) are read for them: the original comes back with those fields loaded and the
    # others deferred, which is all the intake needs of it. The statement is _nearby_qs(...)
    # .order_by("created_at").values_list(…)[:200] written out once, since building it through the
    # ORM on every report cost more than running it.
    min_lon, min_lat, max_lon, max_lat = _bbox(lat, lon, radius)
    with prepared_cursor() as cursor:
        cursor.execute(_find_original_sql(), [
            category.pk, *sorted(OPEN_STATUSES), min_lon, max_lon, min_lat, max_lat,
            connection.ops.adapt_datetimefield_value(since)])
        near = [(distance_m(lat, lon, c_lat, c_lon), pk, number, status)
                for pk, c_lat, c_lon, number, status in cursor.fetchall()]
    best = min(((d, pk, number, status) for d, pk, number, status in near if d <= radius), default=None)
    if best is None:
        return None
    return Case.from_db(connection.alias, ["id", "number", "status"], best[1:])


def _bbox(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


@functools.cache
def _find_original_sql() -> str:
    t = connection.ops.quote_name
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    # SQLite without ANALYZE statistics would take case_dup_idx (category, created_at) and read every
    # case of the category from the last 72 h; the box on the partial case_near_idx reads a handful.
    hint = " INDEXED BY case_near_idx" if connection.vendor == "sqlite" else ""
    return (f"SELECT {t('id')}, {t('lat')}, {t('lon')}, {t('number')}, {t('status')} FROM {t(Case._meta.db_table)}{hint} "  # noqa: S608
            f"WHERE {t('category_id')} = %s AND {t('status')} IN ({statuses}) AND {t('duplicate_of_id')} IS NULL "
            f"AND {t('lon')} >= %s AND {t('lon')} <= %s AND {t('lat')} >= %s AND {t('lat')} <= %s "
            f"AND {t('created_at')} >= %s ORDER BY {t('created_at')} LIMIT 200")


def _nearby_qs(*, category: Category, lat: float, lon: float, radius_m: float, since=None):
    qs = Case.objects.filter(category=category, status__in=OPEN_STATUSES, duplicate_of__isnull=True).in_bbox(
        *_bbox(lat, lon, radius_m))
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs


def nearby_open_cases(*, category: Category, lat: float, lon: float, radius_m: float, since=None,
                      limit: int = 5) -> list[Case]:
    """Open, non-duplicate cases of a category within `radius_m` of a point, nearest first."""
    qs = _nearby_qs(category=category, lat=lat, lon=lon, radius_m=radius_m, since=since)
    near = [(distance_m(lat, lon, c.lat, c.lon), c.pk, c) for c in qs.order_by("created_at")[:200]]
    return [c for d, _, c in sorted(near, key=lambda t: (t[0], t[1])) if d <= radius_m][:limit]


def next_case_number(day: str) -> str:
    """YYYYMMDD + 5-digit sequence of that (local) day, unique under concurrency.

    The counter row is locked by the UPDATE until the transaction commits, so two intakes can
    never read the same value (on SQLite the transaction holds the whole database anyway).
    """
    table = CaseCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])  # noqa: S608
        row = cursor.fetchone()
        if row is None:
            CaseCounter.objects.bulk_create([CaseCounter(day=day, last=0)], ignore_conflicts=True)
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])  # noqa: S608
            row = cursor.fetchone()
    return f"{day}{row[0]:05d}"


def clock_local_day(at) -> str:
    return timezone.localtime(at).strftime("%Y%m%d")


def case_submit(*, reporter: User, submission: Submission, idempotency_key: str | None = None) -> tuple[Case, bool]:
    """Create the case for a submission. Returns (case, created); created is False for a replay."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not 8 <= len(idempotency_key) <= 80:
            raise DomainError("idempotency_key_invalid", "Idempotency-Key 长度应为 8–80 个字符",
                              "Idempotency-Key must be 8 to 80 characters", field="Idempotency-Key")
        # Nearly every key is new, so a photo-less submission does not look first: the unique key
        # refuses the second insert and the IntegrityError below answers with the first case. With
        # photos it looks first, so that a retry does not store its photos a second time.
        if submission.photos:
            replay = _replay(reporter, idempotency_key)
            if replay is not None:
                return replay, False
    _check(submission, reporter)
    place = place_resolve(lat=submission.lat, lon=submission.lon, crs=submission.crs)
    try:
        return _create(reporter, submission, place, idempotency_key), True
    except IntegrityError:
        # Two submissions with the same key raced; the other one won and its case is the answer.
        replay = _replay(reporter, idempotency_key) if idempotency_key else None
        if replay is None:
            raise
        return replay, False


def _replay(reporter: User, key: str) -> Case | None:
    # Nearly every key is new: a bare EXISTS answers that, and only a real replay loads the case.
    if not Case.objects.filter(idempotency_key=key).exists():
        return None
    case = Case.objects.filter(idempotency_key=key).first()
    if case is not None and case.reporter_id != reporter.pk:
        raise DomainError("idempotency_key_reused", "该 Idempotency-Key 已被其他用户使用",
                          "this Idempotency-Key belongs to another submission", field="Idempotency-Key")
    return case


def _create(reporter: User, s: Submission, place, idempotency_key: str | None) -> Case:
    # Everything that needs no lock is prepared first: on SQLite the transaction holds the whole
    # database from BEGIN IMMEDIATE to COMMIT, so the work inside it sets the reports/s of all writers.
    at = clock.now()
    category = s.category
    cell = place.cell
    case = Case(
        kind=s.kind, channel=s.channel, category=category,
        urgency=s.urgency or (category.default_urgency if category else Urgency.NORMAL),
        description=s.description.strip(), address=(s.address or "").strip()[:200], lat=place.lat, lon=place.lon,
        cell=cell, community_id=cell.community_id if cell else None, street=cell.street if cell else None,
        reporter=reporter, contact_name=(s.contact_name or "")[:40], contact_phone=(s.contact_phone or "")[:20],
        is_public=s.is_public, source_ref=s.source_ref[:80], created_at=at, idempotency_key=idempotency_key,
        status=CaseStatus.REPORTED,
    )
    # The 立案 clock goes into the case's INSERT, its CaseDeadline row beside it.
    deadline = deadlines.deadline_plan(case=case, step=Step.REGISTER, at=at)
    events = [CaseEvent(case=case, action=Action.REPORT, from_status="", to_status=CaseStatus.REPORTED,
                        actor=reporter, actor_role=reporter.role, created_at=at,
                        data={"channel": s.channel, "crs": s.crs})]
    receipt = notification_draft(recipient=reporter, kind="case_progress", title=RECEIPT_TITLE,
                                 body="我们会尽快核实处理。")
    # The duplicate search reads what is committed, before the write and outside its transaction,
    # as it would inside a read-committed one: on SQLite the write's transaction holds the whole
    # database from BEGIN IMMEDIATE to COMMIT, and the reports/s of all writers depend on how
    # short it is. (Two reports of one problem sent at the same instant may both become cases,
    # on either database; the next report merges into the older one.)
    original = find_original(category=category, lat=place.lat, lon=place.lon, at=at) if category else None
    me_too = follower = None
    if original is not None:
        # A duplicate: merged into the original at once; it has no clock of its own.
        case.status, case.duplicate_of = CaseStatus.MERGED, original
        case.step, case.due_at, case.warn_at, deadline = "", None, None, None
        events.append(CaseEvent(case=case, action=Action.MERGE, from_status=CaseStatus.REPORTED,
                                to_status=CaseStatus.MERGED, actor=None, actor_role="system", created_at=at,
                                data={"original": original.number}))
        receipt.body = f"附近已有相同问题 {original.number}，已为您关注该案件。"
        receipt.case_id, receipt.link = original.pk, f"/m/cases/{original.number}/"
        # The original counts one more report (附议) and the reporter follows it.
        me_too = CaseEvent(case=original, action=Action.ME_TOO, from_status=original.status,
                           to_status=original.status, actor=reporter, actor_role=reporter.role, created_at=at,
                           data={"duplicate": None})  # the new case's id, set as it is written
        follower = CaseFollower(case=original, user=reporter, created_at=at)
    rows = IntakeRows(case, events, deadline, receipt, at, me_too=me_too, follower=follower)  # before the lock
    trusted = original is None and category is not None and user_can(reporter, Capability.REPORT_TRUSTED)
    # On PostgreSQL a report without photos that is not registered at once is written by one
    # statement, which is a transaction by itself: no BEGIN and COMMIT round trips.
    # (Inside a caller's transaction, a savepoint as usual: a refused row must not abort the caller's.)
    one_statement = (connection.vendor == "postgresql" and not s.photos and not trusted
                     and connection.get_autocommit())
    with contextlib.nullcontext() if one_statement else transaction.atomic():
        rows.write()
        if s.photos:
            photos_store(case=case, event=events[0], photos=s.photos, stage=PhotoStage.REPORT)
        if trusted:
            # 网格员上报自动立案: a grid member's report is trusted and registered at once.
            case_transition(case=case, action=Action.REGISTER, actor=reporter, note="网格员上报，自动立案",
                            payload=MoveInput(), system=True)
            case.refresh_from_db()
        elif not s.photos:
            # Nothing but this transaction wrote the case: the answer may show these rows without reading back.
            case.intake_record = IntakeRecord(events=events, deadlines=[deadline] if deadline is not None else [])
    return case


RECEIPT_TITLE = "已收到您的上报 "


@functools.cache
def _inserts() -> dict[type, ModelInsert]:
    return {model: ModelInsert(model) for model in (Case, CaseEvent, CaseDeadline, Notification, CaseFollower)}


class IntakeRows:
    """The case, its events, its deadline and the reporter's receipt (回执), as INSERT statements.

    Built before the transaction, so that the transaction itself only runs them. The case's number
    comes from the day's counter row, locked by its UPDATE until commit so that no two cases get one
    number. On PostgreSQL all of it is one statement, sent last so the counter row is held for the
    shortest time: WITH n (the counter), c (the case), x0… (its events and deadline), r (the receipt)
    — rows pointing at c by the id the same statement gives it — and for a duplicate m, u, f (the
    original's me-too event, count and follower) SELECT their ids. On SQLite, where BEGIN IMMEDIATE has already given the
    transaction the whole database, it is one short statement per row; the number and the case's id
    go into the prepared values as they become known.
    """

    def __init__(self, case: Case, events: list[CaseEvent], deadline: CaseDeadline | None, receipt: Notification,
                 at, *, me_too: CaseEvent | None = None, follower: CaseFollower | None = None) -> None:
        self.case, self.events, self.deadline, self.receipt = case, events, deadline, receipt
        # A duplicate also writes the original's ME_TOO event (with the new case's id in its data),
        # one more on the original's me-too count, and the reporter as its follower (once).
        self.me_too, self.follower = me_too, follower
        self.children = [*events, *([deadline] if deadline is not None else [])]
        self.day = clock_local_day(at)
        self.receipt_on_case = receipt.case_id is None  # else it points at the original (a duplicate)
        if connection.vendor == "postgresql":
            self._prepare_one_statement()
        else:
            self._prepare_statements()

    def _prepare_statements(self) -> None:
        inserts = _inserts()
        self.statements = [inserts[type(obj)].statement(obj) for obj in (self.case, *self.children, self.receipt)]
        self.number_at = inserts[Case].position("number")
        self.case_id_at = [inserts[type(obj)].position("case_id") for obj in self.children]
        n = inserts[Notification]
        self.receipt_at = (n.position("title"), n.position("case_id"), n.position("link"))

    def _prepare_one_statement(self) -> None:
        inserts = _inserts()
        parts, params = [], [self.day]
        sql, values = inserts[Case].statement(
            self.case, source="n", returning=("number",),
            expressions={"number": ("%s || lpad(n.last::text, greatest(5, length(n.last::text)), '0')", [self.day])})
        parts.append(f"c AS ({sql})")
        params += values
        to_case = {"case_id": ("c.id", [])}
        names = []
        for i, obj in enumerate(self.children):
            sql, values = inserts[type(obj)].statement(obj, source="c", expressions=to_case)
            parts.append(f"x{i} AS ({sql})")
            params += values
            names.append(f"x{i}")
        receipt_links = {"title": ("%s || c.number", [RECEIPT_TITLE])}
        if self.receipt_on_case:
            receipt_links |= {**to_case, "link": ("%s || c.number || %s", ["/m/cases/", "/"])}
        sql, values = inserts[Notification].statement(self.receipt, source="c", expressions=receipt_links)
        parts.append(f"r AS ({sql})")
        params += values
        names.append("r")
        if self.me_too is not None:
            sql, values = inserts[CaseEvent].statement(
                self.me_too, source="c", expressions={"data": ("jsonb_build_object('duplicate', c.id)", [])})
            parts.append(f"m AS ({sql})")
            params += values
            names.append("m")
            # FROM c: like every part, it writes only if the case is written (not when the day's
            # counter row is missing and the statement runs again).
            table = Case._meta.db_table
            parts.append(f"u AS (UPDATE {table} SET me_too_count = {table}.me_too_count + 1 FROM c "  # noqa: S608
                         f"WHERE {table}.id = %s RETURNING {table}.id)")
            params.append(self.me_too.case_id)
            sql, values = inserts[CaseFollower].statement(self.follower, source="c", on_conflict_ignore=True)
            parts.append(f"f AS ({sql})")
            params += values
        counter = CaseCounter._meta.db_table
        self.statement = (f"WITH n (last) AS (UPDATE {counter} SET last = last + 1 WHERE day = %s RETURNING last), "  # noqa: S608
                          + ", ".join(parts)
                          + f" SELECT c.id, c.number, {', '.join(f'(SELECT id FROM {n})' for n in names)} FROM c")
        self.params = params

    def write(self) -> None:
        """Run the statements (inside the intake's transaction) and leave the objects as saved."""
        case, receipt = self.case, self.receipt
        with prepared_cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(self.statement, self.params)
                row = cursor.fetchone()
                if row is None:  # the day's first case: its counter row does not exist yet
                    CaseCounter.objects.bulk_create([CaseCounter(day=self.day, last=0)], ignore_conflicts=True)
                    cursor.execute(self.statement, self.params)
                    row = cursor.fetchone()
                case.number = row[1]
                ids = list(row[2:])
                ModelInsert.saved(case, row[0])
            else:
                case.number = next_case_number(self.day)
                (case_sql, case_params), *children, (receipt_sql, receipt_params) = self.statements
                case_params[self.number_at] = case.number
                cursor.execute(case_sql, case_params)
                ModelInsert.saved(case, cursor.fetchone()[0])
                ids = []
                for (sql, params), at in zip(children, self.case_id_at, strict=True):
                    params[at] = case.pk
                    cursor.execute(sql, params)
                    ids.append(cursor.fetchone()[0])
                title_at, case_id_at, link_at = self.receipt_at
                receipt_params[title_at] = f"{RECEIPT_TITLE}{case.number}"
                if self.receipt_on_case:
                    receipt_params[case_id_at], receipt_params[link_at] = case.pk, f"/m/cases/{case.number}/"
                cursor.execute(receipt_sql, receipt_params)
                ids.append(cursor.fetchone()[0])
                if self.me_too is not None:
                    inserts = _inserts()
                    self.me_too.data = {"duplicate": case.pk}
                    cursor.execute(*inserts[CaseEvent].statement(self.me_too))
                    ids.append(cursor.fetchone()[0])
                    cursor.execute(f"UPDATE {Case._meta.db_table} SET me_too_count = me_too_count + 1 "  # noqa: S608
                                   f"WHERE id = %s", [self.me_too.case_id])
                    cursor.execute(*inserts[CaseFollower].statement(self.follower, on_conflict_ignore=True))
        if self.me_too is not None:
            self.me_too.data = {"duplicate": case.pk}
            ModelInsert.saved(self.me_too, ids.pop())
        for obj, pk in zip([*self.children, receipt], ids, strict=True):
            ModelInsert.saved(obj, pk)
        for obj in self.children:
            obj.case = case
        receipt.title = f"{RECEIPT_TITLE}{case.number}"
        if self.receipt_on_case:
            receipt.case_id, receipt.link = case.pk, f"/m/cases/{case.number}/"
