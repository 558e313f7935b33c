"""Writes for codes: create entities with their code, revoke and re-issue, resolve a scanned token,
count scans, and the actions taken from a scan page (inspect, violation, e-bike reports).

Deductions go through the points app (`uncivil_record_create`), which checks that the actor is an
inspector, writes the ledger entry and notifies the person.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.codes.choices import CodeKind, CodeStatus, EBikeReportStatus, Grade
from civicgrid.codes.models import (
    ENTITY_FIELDS,
    Code,
    EBike,
    EBikeReport,
    Household,
    Merchant,
    MerchantInspection,
    Place,
    ScanDay,
    Stall,
)
from civicgrid.codes.validation import as_domain_error
from civicgrid.core import clock, tokens
from civicgrid.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.grids.services import place_resolve
from civicgrid.notifications.services import notify

logger = logging.getLogger("civicgrid.codes")

EBIKE_WINDOW = timedelta(days=30)
EBIKE_CONFIRMED_FOR_DEDUCTION = 3


# --- refusals ------------------------------------------------------------------------------------------


class CodeRefused(DomainError):
    """A scanned token that does not open anything; `reason` is forged / revoked / unknown."""

    def __init__(self, reason: str, *, status: int, message_zh: str, message_en: str) -> None:
        super().__init__(f"code_{reason}", message_zh, message_en, field="token", status=status)
        self.reason = reason


def _refuse(reason: str, token: str, **extra: object) -> CodeRefused:
    # The token is not a secret (it is printed on a sticker); log it whole for investigation.
    logger.warning(
        "code refused reason=%s token=%r %s",
        reason,
        (token or "")[:120],
        " ".join(f"{k}={v}" for k, v in extra.items()),
    )
    if reason == "forged":
        return CodeRefused(
            reason,
            status=400,
            message_zh="二维码无效或已被篡改，请勿使用。",
            message_en="This code is invalid or has been altered.",
        )
    if reason == "revoked":
        return CodeRefused(
            reason,
            status=410,
            message_zh="此二维码已作废，请扫描新张贴的二维码。",
            message_en="This code has been revoked; scan the newly posted code.",
        )
    return CodeRefused(
        reason,
        status=404,
        message_zh="找不到此二维码对应的对象。",
        message_en="No object belongs to this code.",
    )


def code_resolve(token: str) -> Code:
    """The active code behind a scanned token, or CodeRefused (logged on "civicgrid.codes")."""
    try:
        kid, payload = tokens.verify("code", token)
    except tokens.InvalidToken as exc:
        raise _refuse("forged", token) from exc
    code = Code.objects.filter(payload=payload).first()
    if code is None or code.kid != kid:
        raise _refuse("unknown", token)
    if code.status != CodeStatus.ACTIVE:
        raise _refuse("revoked", token, code=code.pk)
    return code


def scan_record(*, code: Code, at: datetime | None = None) -> None:
    """Count one scan on the code's local day; concurrent first scans of a day make one row."""
    day = timezone.localdate(at or clock.now())
    if ScanDay.objects.filter(code=code, day=day).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ScanDay.objects.create(code=code, day=day, count=1)
    except IntegrityError:  # another request created the row in between
        ScanDay.objects.filter(code=code, day=day).update(count=F("count") + 1)


# --- issuing, revoking, re-issuing ---------------------------------------------------------------------


def _require_configure(actor: User | None) -> None:
    if actor is not None and not user_can(actor, Capability.CONFIGURE):
        raise PermissionDenied(
            "forbidden", "只有系统管理员可以管理二维码", "only administrators manage codes", status=403
        )


def code_issue(*, entity, kind: str, actor: User | None = None, reissued_from: Code | None = None) -> Code:
    """A new active code with a fresh payload for an existing entity."""
    _require_configure(actor)
    code = Code(
        kind=kind,
        payload=tokens.new_payload(),
        kid=tokens.current_key_id(),
        created_at=clock.now(),
        created_by=actor,
        reissued_from=reissued_from,
        **{ENTITY_FIELDS[kind]: entity},
    )
    code.save()
    return code


@transaction.atomic
def code_revoke(*, code: Code, actor: User | None = None) -> Code:
    _require_configure(actor)
    code = Code.objects.select_for_update().get(pk=code.pk)
    if code.status == CodeStatus.REVOKED:
        raise Conflict("code_already_revoked", "此二维码已作废", "this code is already revoked")
    code.status, code.revoked_at = CodeStatus.REVOKED, clock.now()
    code.save(update_fields=["status", "revoked_at"])
    logger.info("code revoked code=%s by=%s", code.pk, getattr(actor, "pk", None))
    return code


@transaction.atomic
def code_reissue(*, code: Code, actor: User | None = None) -> Code:
    """Revoke the code (if still active) and issue a new payload for the same entity."""
    _require_configure(actor)
    code = Code.objects.select_for_update().get(pk=code.pk)
    if hasattr(code, "reissued_as"):
        raise Conflict("code_already_reissued", "此二维码已经重新生成过", "this code was already re-issued")
    if code.status == CodeStatus.ACTIVE:
        code.status, code.revoked_at = CodeStatus.REVOKED, clock.now()
        code.save(update_fields=["status", "revoked_at"])
    return code_issue(entity=code.entity, kind=code.kind, actor=actor, reissued_from=code)


def _full_clean(obj) -> None:
    for f in obj._meta.concrete_fields:  # control characters in any text field: refused on that field
        value = getattr(obj, f.attname)
        if isinstance(value, str):
            text_check(value, field=f.name, strip=False)
    try:
        obj.full_clean()
    except ValidationError as err:
        raise as_domain_error(err) from err


def _in_city(lat: float, lon: float):
    return place_resolve(lat=lat, lon=lon)


@transaction.atomic
def household_create(
    *,
    community,
    building: str,
    room: str,
    unit: str = "",
    residents: Sequence[User] = (),
    lat: float | None = None,
    lon: float | None = None,
    actor: User | None = None,
) -> Code:
    _require_configure(actor)
    if lat is not None and lon is not None:
        p = _in_city(lat, lon)
        lat, lon = p.lat, p.lon
    household = Household(community=community, building=building, unit=unit, room=room, lat=lat, lon=lon)
    _full_clean(household)
    household.save()
    household.residents.set(residents)
    return code_issue(entity=household, kind=CodeKind.HOUSEHOLD, actor=actor)


@transaction.atomic
def place_create(
    *,
    name: str,
    category,
    component_code: str,
    lat: float,
    lon: float,
    address: str = "",
    actor: User | None = None,
) -> Code:
    _require_configure(actor)
    p = _in_city(lat, lon)
    place = Place(
        name=name,
        category=category,
        component_code=component_code,
        lat=p.lat,
        lon=p.lon,
        address=address,
        cell=p.cell,
    )
    _full_clean(place)
    place.save()
    return code_issue(entity=place, kind=CodeKind.PLACE, actor=actor)


@transaction.atomic
def merchant_create(
    *,
    name: str,
    address: str,
    lat: float,
    lon: float,
    owner: User | None = None,
    license_no: str = "",
    area=None,
    grade: str = "",
    actor: User | None = None,
) -> Code:
    _require_configure(actor)
    p = _in_city(lat, lon)
    merchant = Merchant(
        name=name, owner=owner, license_no=license_no, address=address, lat=p.lat, lon=p.lon, grade=grade
    )
    merchant.set_shape(area)
    _full_clean(merchant)
    merchant.save()
    return code_issue(entity=merchant, kind=CodeKind.MERCHANT, actor=actor)


@transaction.atomic
def stall_create(
    *, vendor: User, goods: str, zone, hours_start: time, hours_end: time, actor: User | None = None
) -> Code:
    _require_configure(actor)
    if hours_start == hours_end:
        raise DomainError(
            "hours_empty",
            "开始和结束时间不能相同",
            "the hours must not start and end at the same time",
            field="hours_end",
        )
    stall = Stall(vendor=vendor, goods=goods, hours_start=hours_start, hours_end=hours_end)
    stall.set_shape(zone)
    _full_clean(stall)
    stall.save()
    return code_issue(entity=stall, kind=CodeKind.STALL, actor=actor)


@transaction.atomic
def ebike_create(*, plate: str, owner: User, actor: User | None = None) -> Code:
    _require_configure(actor)
    ebike = EBike(plate=plate.strip().upper(), owner=owner)
    _full_clean(ebike)
    ebike.save()
    return code_issue(entity=ebike, kind=CodeKind.EBIKE, actor=actor)


# --- stall check (a pure rule) -------------------------------------------------------------------------


@dataclass(frozen=True)
class StallCheck:
    inside_zone: bool
    within_hours: bool
    local_time: time

    @property
    def ok(self) -> bool:
        return self.inside_zone and self.within_hours


def within_hours(t: time, start: time, end: time) -> bool:
    """Is local time t inside [start, end)? A window that ends before it starts spans midnight."""
    if start < end:
        return start <= t < end
    return t >= start or t < end


def stall_check(*, stall: Stall, lat: float, lon: float, at: datetime | None = None) -> StallCheck:
    from shapely.geometry import Point

    local = timezone.localtime(at or clock.now()).time().replace(microsecond=0)
    inside = bool(stall.shape is not None and stall.shape.covers(Point(lon, lat)))
    return StallCheck(
        inside_zone=inside,
        within_hours=within_hours(local, stall.hours_start, stall.hours_end),
        local_time=local,
    )


# --- inspections and violations ------------------------------------------------------------------------


def _require_inspector(user: User) -> None:
    if not user_can(user, Capability.INSPECT):
        raise PermissionDenied(
            "forbidden",
            "只有督查员可以检查和记录不文明行为",
            "only inspectors inspect and record uncivil behaviour",
            status=403,
        )


def _deduct(
    *,
    code: Code,
    inspector: User,
    person: User,
    behaviour: str,
    note: str,
    photos: Sequence,
    lat: float | None,
    lon: float | None,
    address: str,
    source_ref: str,
):
    from civicgrid.points.services import uncivil_record_create

    return uncivil_record_create(
        inspector=inspector,
        person=person,
        behaviour=behaviour,
        lat=lat,
        lon=lon,
        address=address,
        note=note,
        photos=list(photos),
        source_ref=source_ref,
    )


@transaction.atomic
def merchant_inspect(
    *, code: Code, inspector: User, grade: str, note: str = "", violation: str = "", photos: Sequence = ()
) -> MerchantInspection:
    """Grade a merchant; with a violation, the owner gets a points deduction (uncivil record)."""
    _require_inspector(inspector)
    merchant: Merchant = code.merchant
    if grade not in Grade.values:
        raise DomainError(
            "grade_invalid", "请选择 A/B/C/D 等级", "choose a grade A, B, C or D", field="grade"
        )
    if violation and merchant.owner_id is None:
        raise DomainError(
            "no_owner",
            "该商户未登记经营者，无法记录扣分",
            "the merchant has no registered owner",
            field="violation",
        )
    note = text_check(note, field="note", max_length=500)
    now = clock.now()
    inspection = MerchantInspection.objects.create(
        merchant=merchant, inspector=inspector, grade=grade, note=note, violation=violation, created_at=now
    )
    merchant.grade = grade
    merchant.save(update_fields=["grade"])
    if violation:
        record = _deduct(
            code=code,
            inspector=inspector,
            person=merchant.owner,
            behaviour=violation,
            note=f"{merchant.name}：{note}".strip("："),
            photos=photos,
            lat=merchant.lat,
            lon=merchant.lon,
            address=merchant.address,
            source_ref=f"{code.source_ref}:inspection:{inspection.pk}",
        )
        inspection.uncivil_record_id = record.pk
        inspection.save(update_fields=["uncivil_record_id"])
    return inspection


def violation_people(code: Code) -> list[User]:
    """Whom an inspector may record a violation against from this code's page."""
    e = code.entity
    if code.kind == CodeKind.HOUSEHOLD:
        return list(e.residents.order_by("id"))
    if code.kind == CodeKind.STALL:
        return [e.vendor]
    if code.kind == CodeKind.EBIKE:
        return [e.owner]
    if code.kind == CodeKind.MERCHANT and e.owner_id:
        return [e.owner]
    return []


def code_point(code: Code) -> tuple[float | None, float | None]:
    e = code.entity
    if code.kind in (CodeKind.PLACE, CodeKind.MERCHANT):
        return e.lat, e.lon
    if code.kind in (CodeKind.HOUSEHOLD, CodeKind.STALL):
        return e.point or (None, None)
    return None, None


def code_address(code: Code) -> str:
    e = code.entity
    if code.kind in (CodeKind.HOUSEHOLD, CodeKind.MERCHANT):
        return e.address
    if code.kind == CodeKind.PLACE:
        return e.address or e.name
    return code.label


@transaction.atomic
def code_violation_record(
    *,
    code: Code,
    inspector: User,
    person: User,
    behaviour: str,
    note: str = "",
    photos: Sequence = (),
    lat: float | None = None,
    lon: float | None = None,
):
    """An inspector records uncivil behaviour of a resident, vendor or owner found through a code."""
    _require_inspector(inspector)
    if person.pk not in {p.pk for p in violation_people(code)}:
        raise DomainError(
            "person_invalid", "只能记录与此码关联的人员", "pick a person linked to this code", field="person"
        )
    if lat is None or lon is None:
        lat, lon = code_point(code)
    return _deduct(
        code=code,
        inspector=inspector,
        person=person,
        behaviour=behaviour,
        note=note,
        photos=photos,
        lat=lat,
        lon=lon,
        address=code_address(code),
        source_ref=code.source_ref,
    )


@transaction.atomic
def ebike_report_create(
    *, code: Code, reporter: User, lat: float | None = None, lon: float | None = None, note: str = ""
) -> EBikeReport:
    """Anyone signed in reports an illegally parked e-bike; the owner is told at once."""
    if not reporter.is_authenticated:
        raise PermissionDenied("unauthenticated", "请先登录", "sign in first", status=403)
    note = text_check(note, field="note", max_length=300)
    ebike: EBike = code.ebike
    now = clock.now()
    if EBikeReport.objects.filter(
        ebike=ebike,
        reporter=reporter,
        status=EBikeReportStatus.PENDING,
        created_at__gte=now - timedelta(hours=1),
    ).exists():
        raise Conflict(
            "ebike_report_repeat", "您一小时内已举报过这辆车", "you reported this e-bike within the hour"
        )
    report = EBikeReport.objects.create(
        ebike=ebike, reporter=reporter, lat=lat, lon=lon, note=note, created_at=now
    )
    notify(
        recipient=ebike.owner,
        kind="code_ebike_report",
        title=f"您的电动车 {ebike.plate} 被举报违规停放",
        body="请尽快将车辆挪至规定停放区域。多次违停经督查员确认将扣减文明积分。",
        link=code.path,
        dedupe_key=f"ebike-report:{report.pk}",
    )
    return report


@transaction.atomic
def ebike_report_decide(*, report: EBikeReport, inspector: User, confirm: bool, code: Code) -> EBikeReport:
    """An inspector confirms or dismisses a report; the 3rd confirmed one within 30 days deducts points."""
    _require_inspector(inspector)
    report = EBikeReport.objects.select_for_update().get(pk=report.pk)
    if report.status != EBikeReportStatus.PENDING:
        raise Conflict("ebike_report_decided", "该举报已处理", "this report was already decided")
    now = clock.now()
    report.status = EBikeReportStatus.CONFIRMED if confirm else EBikeReportStatus.DISMISSED
    report.decided_by, report.decided_at = inspector, now
    report.save(update_fields=["status", "decided_by", "decided_at"])
    if not confirm:
        return report
    counted = list(
        EBikeReport.objects.select_for_update()
        .filter(
            ebike=report.ebike,
            status=EBikeReportStatus.CONFIRMED,
            uncivil_record_id__isnull=True,
            created_at__gte=now - EBIKE_WINDOW,
        )
        .order_by("created_at")
    )
    if len(counted) >= EBIKE_CONFIRMED_FOR_DEDUCTION:
        ids = ",".join(str(r.pk) for r in counted)
        record = _deduct(
            code=code,
            inspector=inspector,
            person=report.ebike.owner,
            behaviour="parking",
            note=f"电动车 {report.ebike.plate} 30 天内 {len(counted)} 次违停经确认",
            photos=(),
            lat=report.lat,
            lon=report.lon,
            address=code.label,
            source_ref=f"{code.source_ref}:ebike:{ids}"[:80],
        )
        EBikeReport.objects.filter(pk__in=[r.pk for r in counted]).update(uncivil_record_id=record.pk)
        report.uncivil_record_id = record.pk
    return report


def code_get(pk: int) -> Code:
    code = Code.objects.filter(pk=pk).first()
    if code is None:
        raise NotFound("code_not_found", "二维码不存在", "no such code")
    return code
