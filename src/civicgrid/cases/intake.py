"""Intake (上报): a submission from any channel becomes a durable, numbered case.

The rules, in the order they apply:
1. Check the submission (text, kind, who may use which channel, urgency, photos, a location) and
   place it: WGS-84 and its unit grid cell (`grids.services.place_resolve`).
2. A retried submission with the same Idempotency-Key returns the case the first attempt made.
3. In one transaction: a report with a category looks for an open case of that category within
   CIVICGRID_DUPLICATE_RADIUS_M metres and CIVICGRID_DUPLICATE_WINDOW_HOURS hours (`find_original`),
   holding the lock on its duplicate box (`reportstore.duplicate_box_lock`), so two reports of one
   problem arriving together make one case and one me-too. Then `workflow.case_report` writes the
   new case — merged into the original if one was found and is still open — with its events,
   clock and receipt;
   its photos are stored; a grid member's report is registered at once (网格员上报自动立案).
4. It commits before the answer goes out: an acknowledged report is on disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, Role, user_can
from civicgrid.cases import reportstore
from civicgrid.cases.access import client_street_check
from civicgrid.cases.choices import OPEN_STATUSES, Action, CaseKind, Channel
from civicgrid.cases.models import EXTERNAL_KEY_PREFIX, Case, PhotoStage
from civicgrid.cases.photostore import photos_store
from civicgrid.cases.reportstore import ReportRows, box_around
from civicgrid.cases.workflow import MoveInput, case_report, case_transition
from civicgrid.core import clock
from civicgrid.core.errors import DomainError
from civicgrid.core.text import phone_check, text_check
from civicgrid.grids.coords import CoordSystem, distance_m
from civicgrid.grids.services import Place, place_resolve
from civicgrid.taxonomy.choices import Urgency
from civicgrid.taxonomy.models import Category

# Which roles may submit through which channel (everyone else: the app, or a code scan).
STAFF_CHANNELS = {Channel.HOTLINE, Channel.MAILBOX}
AUTO_REGISTER_NOTE = "网格员上报，自动立案"  # the note of the registration `registers_at_once` makes


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


class Outcome(StrEnum):
    CREATED = "created"  # a new case
    MERGED = "merged"  # a new case, merged at once into an open case of the same problem (并案)
    REPLAYED = "replayed"  # the case an earlier submission with the same Idempotency-Key made


@dataclass(frozen=True)
class IntakeResult:
    """The case a submission made (or replayed) and, when nothing but the intake wrote to it in its
    transaction (no photos, no automatic registration), the rows it wrote: the answer to the
    submission shows them without reading the case back."""

    case: Case
    outcome: Outcome
    written: ReportRows | None = None

    @property
    def created(self) -> bool:
        return self.outcome != Outcome.REPLAYED


def _check(submission: Submission, reporter: User) -> None:
    """Refuse what the case cannot hold; the free text fields come back stripped and checked."""
    description = text_check(submission.description, field="description")
    submission.address = text_check(submission.address, field="address", max_length=200)
    submission.contact_name = text_check(submission.contact_name, field="contact_name", max_length=40)
    submission.contact_phone = phone_check(submission.contact_phone, field="contact_phone")
    submission.source_ref = text_check(submission.source_ref, field="source_ref", max_length=80)
    if not description:
        raise DomainError("description_required", "请描述问题", "describe the problem", field="description")
    if len(description) > 2000:
        raise DomainError(
            "description_too_long",
            "问题描述不能超过 2000 字",
            "the description is limited to 2000 characters",
            field="description",
        )
    if submission.kind not in CaseKind.values:
        raise DomainError(
            "kind_invalid",
            f"未知的诉求类型 {submission.kind!r}",
            f"unknown kind {submission.kind!r}",
            field="kind",
        )
    if submission.channel not in Channel.values:
        raise DomainError(
            "channel_invalid",
            f"未知的来源 {submission.channel!r}",
            f"unknown channel {submission.channel!r}",
            field="channel",
        )
    if submission.channel in STAFF_CHANNELS and not user_can(reporter, Capability.REGISTER):
        raise DomainError(
            "channel_forbidden",
            "只有受理员可以录入热线和信箱来件",
            "only dispatchers may enter hotline calls and mailbox letters",
            field="channel",
            status=403,
        )
    if submission.channel == Channel.GRID and reporter.role != Role.GRID_MEMBER:
        raise DomainError(
            "channel_forbidden",
            "只有网格员可以使用网格员上报渠道",
            "only grid members may use the grid channel",
            field="channel",
            status=403,
        )
    if submission.channel == Channel.EVALUATION and not (
        user_can(reporter, Capability.INSPECT) or user_can(reporter, Capability.CONFIGURE)
    ):
        raise DomainError(
            "channel_forbidden",
            "只有督查员可以从文明测评转办案件",
            "only inspectors may open a case from an evaluation",
            field="channel",
            status=403,
        )
    if submission.urgency is not None and submission.urgency not in Urgency.values:
        raise DomainError(
            "urgency_invalid",
            "紧急程度应为 normal 或 urgent",
            "urgency must be normal or urgent",
            field="urgency",
        )
    if len(submission.photos) > settings.CIVICGRID_PHOTO_MAX_COUNT:
        raise DomainError(
            "photo_too_many",
            f"最多上传 {settings.CIVICGRID_PHOTO_MAX_COUNT} 张照片",
            f"at most {settings.CIVICGRID_PHOTO_MAX_COUNT} photos",
            field="photos",
        )
    if submission.lat is None or submission.lon is None:
        raise DomainError(
            "location_required", "请在地图上选择位置", "a location (lat, lon) is required", field="lat"
        )


def case_submit(
    *,
    reporter: User,
    submission: Submission,
    idempotency_key: str | None = None,
    beside: Sequence[Model] = (),
) -> IntakeResult:
    """Turn a submission into a case (see the module docstring for the rules).

    `beside`: rows a channel keeps with a new case (an Open311 request's record: unsaved, their `case`
    filled by the intake), written in the case's own statement and transaction; not for a replay."""
    key = _checked_key(idempotency_key)
    digest = submission_digest(submission) if key is not None else None
    # Nearly every key is new, so a photo-less submission does not look first: the unique key
    # refuses the second insert and the IntegrityError below answers with the first case. With
    # photos it looks first, so that a retry does not store its photos a second time.
    if key is not None and submission.photos:
        replay = _replay(reporter, key, digest)
        if replay is not None:
            return IntakeResult(replay, Outcome.REPLAYED)
    _check(submission, reporter)
    place = place_resolve(lat=submission.lat, lon=submission.lon, crs=submission.crs)
    client_street_check(reporter, place.cell.street_id if place.cell else None)
    try:
        return _intake(reporter, submission, place, key, digest, beside)
    except IntegrityError:
        # Two submissions with the same key raced; the other one won and its case is the answer.
        replay = _replay(reporter, key, digest) if key is not None else None
        if replay is None:
            raise
        return IntakeResult(replay, Outcome.REPLAYED)


# --- an external system's own id (a 12345 hotline's order number) -----------------------------------
# A system that reports through the API names each report by its own id (`external_id`). The id is
# stored in `Case.source_ref` and, namespaced by who sent it, becomes the report's idempotency key:
# the same order sent again is the same case; two systems may use the same id for different orders.

EXTERNAL_ID_MAX = 64


def external_id_check(value: str | None) -> str:
    """The id trimmed ("" when none); an id over 64 characters, or with a control or invisible character
    (a line break, a zero-width space: a key must read as it compares) is refused."""
    external_id = text_check(value, field="external_id", max_length=EXTERNAL_ID_MAX)
    for position, char in enumerate(external_id, start=1):
        if not char.isprintable():
            raise DomainError(
                "text_control_character",
                f"external_id 含有不可见字符（U+{ord(char):04X}，第 {position} 个字符），请删除后重试",
                f"external_id contains an invisible character (U+{ord(char):04X} at position {position})",
                field="external_id",
            )
    return external_id


def external_key(*, external_id: str, client_id: int | None, user_id: int) -> str:
    """The idempotency key of a report named by an external id: per API client (per account for a
    signed-in person), so that the ids of two systems never meet. At most 80 characters."""
    owner = f"c{client_id}" if client_id is not None else f"u{user_id}"
    return f"{EXTERNAL_KEY_PREFIX}{owner}:{external_id}"


def _checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not 8 <= len(key) <= 80:
        raise DomainError(
            "idempotency_key_invalid",
            "Idempotency-Key 长度应为 8–80 个字符",
            "Idempotency-Key must be 8 to 80 characters",
            field="Idempotency-Key",
        )
    return key


def submission_digest(s: Submission) -> str:
    """SHA-256 of what a submission asks for, its text as the intake stores it (stripped) and its
    photos by their digests: a retry of the same report gives the same value."""

    def text(value) -> str:
        return (value or "").strip()

    fields = [
        text(s.description),
        s.lat,
        s.lon,
        str(s.crs),
        str(s.kind),
        str(s.channel),
        s.category.pk if s.category is not None else None,
        s.urgency,
        text(s.address),
        text(s.contact_name),
        text(s.contact_phone),
        bool(s.is_public),
        text(s.source_ref),
        [p.sha256 for p in s.photos],
    ]
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _replay(reporter: User, key: str, digest: str | None) -> Case | None:
    case = Case.objects.filter(idempotency_key=key).first()
    if case is not None and case.reporter_id != reporter.pk:
        raise DomainError(
            "idempotency_key_reused",
            "该 Idempotency-Key 已被其他用户使用",
            "this Idempotency-Key belongs to another submission",
            field="Idempotency-Key",
        )
    if case is not None and case.idempotency_digest and case.idempotency_digest != digest:
        raise DomainError(
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于内容不同的另一次上报，请为新的上报使用新的 Idempotency-Key",
            "idempotency_key_reused with a different body: this Idempotency-Key came with another "
            "report; use a new key for a new report",
            field="Idempotency-Key",
        )
    return case


def _intake(
    reporter: User, s: Submission, place: Place, key: str | None, digest: str | None, beside: Sequence[Model]
) -> IntakeResult:
    case = _new_case(reporter, s, place, key)
    case.idempotency_digest = digest or ""
    category = case.category
    trusted = registers_at_once(reporter, category)
    with transaction.atomic():
        original = None
        if category is not None:
            radius = settings.CIVICGRID_DUPLICATE_RADIUS_M
            reportstore.duplicate_box_lock(
                category_id=category.pk, lat=case.lat, lon=case.lon, radius_m=radius
            )
            original = find_original(category=category, lat=case.lat, lon=case.lon, at=case.created_at)
        rows = case_report(
            case=case, original=original, data={"channel": s.channel, "crs": s.crs}, beside=beside
        )
        if s.photos:
            photos_store(case=case, event=rows.events[0], photos=s.photos, stage=PhotoStage.REPORT)
        if case.duplicate_of_id is not None:
            return IntakeResult(case, Outcome.MERGED, None if s.photos else rows)
        if trusted:
            # 网格员上报自动立案: a grid member's report is trusted and registered at once.
            case_transition(
                case=case,
                action=Action.REGISTER,
                actor=reporter,
                note=AUTO_REGISTER_NOTE,
                payload=MoveInput(),
                system=True,
            )
            case.refresh_from_db()
            return IntakeResult(case, Outcome.CREATED)
    return IntakeResult(case, Outcome.CREATED, None if s.photos else rows)


def registers_at_once(reporter: User, category: Category | None) -> bool:
    """网格员上报自动立案: a trusted reporter's report with a category is registered at once (a system move)."""
    return category is not None and user_can(reporter, Capability.REPORT_TRUSTED)


def _new_case(reporter: User, s: Submission, place: Place, key: str | None) -> Case:
    cell, category = place.cell, s.category
    return Case(
        kind=s.kind,
        channel=s.channel,
        category=category,
        urgency=s.urgency or (category.default_urgency if category else Urgency.NORMAL),
        description=s.description.strip(),
        address=s.address,
        lat=place.lat,
        lon=place.lon,
        cell=cell,
        community_id=cell.community_id if cell else None,
        street=cell.street if cell else None,
        reporter=reporter,
        contact_name=s.contact_name,
        contact_phone=s.contact_phone,
        is_public=s.is_public,
        source_ref=s.source_ref,
        created_at=clock.now(),
        idempotency_key=key,
    )


def find_original(*, category: Category, lat: float, lon: float, at) -> Case | None:
    """The open case of the same category within the radius and window, nearest first (ties: the older).

    The same choice as `nearby_open_cases(limit=1)` (a test compares them), from one indexed statement
    that reads only what the merge needs (id, number, status, me_too_count); the original comes back
    with those fields loaded.
    """
    radius = settings.CIVICGRID_DUPLICATE_RADIUS_M
    since = at - timedelta(hours=settings.CIVICGRID_DUPLICATE_WINDOW_HOURS)
    rows = reportstore.duplicate_candidates(
        category_id=category.pk, statuses=sorted(OPEN_STATUSES), box=box_around(lat, lon, radius), since=since
    )
    near = [
        (distance_m(lat, lon, c_lat, c_lon), pk, number, status, count)
        for pk, c_lat, c_lon, number, status, count in rows
    ]
    best = min((row for row in near if row[0] <= radius), default=None)
    if best is None:
        return None
    return Case.from_db(connection.alias, ["id", "number", "status", "me_too_count"], best[1:])


def _nearby_qs(*, category: Category, lat: float, lon: float, radius_m: float, since=None):
    qs = Case.objects.filter(category=category, status__in=OPEN_STATUSES, duplicate_of__isnull=True).in_bbox(
        *box_around(lat, lon, radius_m)
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs


def nearby_open_cases(
    *, category: Category, lat: float, lon: float, radius_m: float, since=None, limit: int = 5
) -> list[Case]:
    """Open, non-duplicate cases of a category within `radius_m` of a point, nearest first."""
    qs = _nearby_qs(category=category, lat=lat, lon=lon, radius_m=radius_m, since=since)
    near = [(distance_m(lat, lon, c.lat, c.lon), c.pk, c) for c in qs.order_by("created_at")[:200]]
    return [c for d, _, c in sorted(near, key=lambda t: (t[0], t[1])) if d <= radius_m][:limit]
