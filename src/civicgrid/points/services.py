"""Writes of the points ledger. Every function is keyword-only and runs in one transaction.

Invariants (tests/test_ledger_invariants.py checks them under hypothesis):
- the ledger is append-only; a correction is a reversal entry (`entry_reverse`), never an edit;
- `PointsAccount.balance` equals the sum of the person's entries (both change in one transaction,
  the cache with F());
- one source (`source_key`, unique) is awarded at most once, also under retries and races;
- a redemption never takes a balance below zero (the account row is locked, and the debit is a
  conditional UPDATE ... WHERE balance >= cost); deductions may (a debt to work off).

Who may do what is asked of accounts/roles.py (`user_can`): inspectors (INSPECT) record uncivil
behaviour and review appeals, administrators (CONFIGURE) edit rules, review and award honours.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, Role, user_can
from civicgrid.core import clock, tokens
from civicgrid.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.grids.models import Community
from civicgrid.notifications.services import notify
from civicgrid.points.choices import (
    DEFAULT_RULES,
    RULED_REASONS,
    AppealStatus,
    HonourStatus,
    Reason,
    UncivilBehaviour,
    UncivilStatus,
)
from civicgrid.points.models import (
    Appeal,
    Honour,
    PointsAccount,
    PointsEntry,
    PointsRule,
    RewardItem,
    UncivilPhoto,
    UncivilRecord,
    Voucher,
)

logger = logging.getLogger("civicgrid.points")

VOUCHER_PURPOSE = "voucher"
# A voucher of an item without a "valid until" date is valid this long after redemption.
DEFAULT_VOUCHER_DAYS = 90


def appeal_window() -> timedelta:
    return timedelta(days=getattr(settings, "CIVICGRID_APPEAL_WINDOW_DAYS", 7))


# --- rules --------------------------------------------------------------------------------------


def rule_current(reason: str) -> PointsRule | None:
    """The highest version of the rule for `reason`; version 1 from DEFAULT_RULES if none exists yet."""
    rule = PointsRule.objects.filter(reason=reason).order_by("-version").first()
    if rule is not None or reason not in DEFAULT_RULES:
        return rule
    defaults = DEFAULT_RULES[reason]
    try:
        with transaction.atomic():
            return PointsRule.objects.create(
                reason=reason,
                version=1,
                points=defaults["points"],
                monthly_cap=defaults["monthly_cap"],
                unit=defaults["unit"],
                description=defaults["description"],
                created_at=clock.now(),
            )
    except IntegrityError:  # another transaction wrote version 1 first
        return PointsRule.objects.filter(reason=reason).order_by("-version").first()


@transaction.atomic
def points_rule_save(
    *,
    reason: str,
    points: int,
    monthly_cap: int,
    description: str,
    unit: str = "次",
    active: bool = True,
    actor: User | None,
) -> PointsRule:
    """Write a new version of the rule for `reason`; older entries keep pointing at theirs."""
    if actor is not None and not user_can(actor, Capability.CONFIGURE):
        raise PermissionDenied(
            "forbidden", "只有系统管理员可以修改积分规则", "only administrators may edit points rules"
        )
    if reason not in RULED_REASONS:
        raise DomainError(
            "reason_invalid", f"该事由不使用规则：{reason}", f"no rule for reason {reason!r}", field="reason"
        )
    if points < 0 or monthly_cap < 0:
        raise DomainError(
            "rule_invalid", "分值和上限不能为负数", "points and cap must not be negative", field="points"
        )
    description = text_check(description, field="description", max_length=300)
    unit = text_check(unit, field="unit", max_length=10)
    if not description:
        raise DomainError("description_required", "请填写规则说明", "explain the rule", field="description")
    last = PointsRule.objects.select_for_update().filter(reason=reason).aggregate(v=Max("version"))["v"] or 0
    return PointsRule.objects.create(
        reason=reason,
        version=last + 1,
        points=points,
        monthly_cap=monthly_cap,
        unit=unit or "次",
        description=description,
        active=active,
        created_by=actor,
        created_at=clock.now(),
    )


# --- the ledger ---------------------------------------------------------------------------------


def _account_locked(person: User) -> PointsAccount:
    """The person's account, created on first use, locked for this transaction."""
    account, _ = PointsAccount.objects.get_or_create(person=person)
    return PointsAccount.objects.select_for_update().get(pk=account.pk)


def _write(
    *,
    account: PointsAccount,
    delta: int,
    reason: str,
    source_key: str,
    rule: PointsRule | None = None,
    quantity: int = 1,
    actor: User | None = None,
    explanation: str = "",
    note: str = "",
    source_type: str = "",
    source_id: str = "",
    reverses: PointsEntry | None = None,
    min_balance_after: int | None = None,
) -> PointsEntry | None:
    """Append one entry and move the cached balance with it; None when the source key is taken.

    `min_balance_after` makes the debit conditional (balance + delta >= it), else Conflict.
    """
    if min_balance_after is not None:
        moved = PointsAccount.objects.filter(pk=account.pk, balance__gte=min_balance_after - delta).update(
            balance=F("balance") + delta
        )
        if not moved:
            raise Conflict("insufficient_points", "积分不足", "not enough points", field="points")
    try:
        with transaction.atomic():  # a savepoint: a taken key leaves the caller's transaction usable
            entry = PointsEntry(
                person_id=account.person_id,
                delta=delta,
                reason=reason,
                rule=rule,
                quantity=quantity,
                source_key=source_key[:120],
                source_type=source_type[:40],
                source_id=str(source_id)[:64],
                reverses=reverses,
                actor=actor,
                explanation=explanation[:300],
                note=(note or "")[:300],
                created_at=clock.now(),
            )
            entry.save(force_insert=True)
    except IntegrityError:
        if min_balance_after is not None:
            raise  # the debit above must not stand without its entry
        if PointsEntry.objects.filter(source_key=source_key[:120]).exists():
            return None
        raise
    if min_balance_after is None:
        PointsAccount.objects.filter(pk=account.pk).update(balance=F("balance") + delta)
    return entry


def month_start(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def awarded_this_month(person: User, reason: str, at: datetime) -> int:
    """Points awarded for `reason` since the first of the (local) month; reversals do not give room back."""
    return (
        PointsEntry.objects.filter(
            person=person, reason=reason, delta__gt=0, reverses__isnull=True, created_at__gte=month_start(at)
        ).aggregate(s=Sum("delta"))["s"]
        or 0
    )


def rule_explanation(rule: PointsRule, quantity: int, amount: int, full: int) -> str:
    text = f"{rule.get_reason_display()}（规则 v{rule.version}：每{rule.unit} {rule.points} 分"
    if rule.monthly_cap:
        text += f"，每月上限 {rule.monthly_cap} 分"
    text += f"）× {quantity}"
    if amount < full:
        text += f"，已达每月上限，本次计 {amount} 分"
    return text


def points_award(
    *,
    person: User,
    reason: str,
    source_key: str,
    actor: User | None = None,
    quantity: int = 1,
    note: str = "",
    source_type: str = "",
    source_id: str = "",
) -> PointsEntry | None:
    """Award points for `reason` by its current rule (points per unit × quantity) under the monthly cap.

    Only what fits under the cap is awarded; nothing fits, an inactive rule or a source key that
    was already awarded → None and nothing is written.
    """
    if reason not in RULED_REASONS or reason == Reason.UNCIVIL:
        raise DomainError(
            "reason_invalid",
            f"不能以该事由加分：{reason}",
            f"cannot award for reason {reason!r}",
            field="reason",
        )
    if not isinstance(quantity, int) or quantity < 1:
        raise DomainError(
            "quantity_invalid", "数量必须是正整数", "quantity must be a positive integer", field="quantity"
        )
    if not source_key:
        raise DomainError("source_key_required", "缺少来源键", "a source key is required", field="source_key")
    with transaction.atomic():
        if PointsEntry.objects.filter(source_key=source_key).exists():
            return None
        rule = rule_current(reason)
        if rule is None or not rule.active or rule.points == 0:
            return None
        account = _account_locked(person)  # serialises this person's awards: the cap cannot be raced
        full = rule.points * quantity
        amount = full
        if rule.monthly_cap:
            amount = min(full, rule.monthly_cap - awarded_this_month(person, reason, clock.now()))
        if amount <= 0:
            return None
        return _write(
            account=account,
            delta=amount,
            reason=reason,
            source_key=source_key,
            rule=rule,
            quantity=quantity,
            actor=actor,
            explanation=rule_explanation(rule, quantity, amount, full),
            note=note,
            source_type=source_type,
            source_id=source_id,
        )


def volunteer_hours_award(
    *,
    person: User,
    hours: Decimal | int | float,
    source_key: str,
    actor: User | None = None,
    note: str = "",
    source_id: str = "",
) -> PointsEntry | None:
    """Points for volunteer hours (the volunteers app posts them): whole hours count, the rest is dropped."""
    whole = int(Decimal(str(hours)))
    if whole < 1:
        return None
    return points_award(
        person=person,
        reason=Reason.VOLUNTEER,
        source_key=source_key,
        actor=actor,
        quantity=whole,
        note=note or f"志愿服务 {hours} 小时",
        source_type="volunteer",
        source_id=source_id,
    )


@transaction.atomic
def entry_reverse(*, entry: PointsEntry, actor: User | None, note: str = "") -> PointsEntry:
    """Cancel an entry with one of the opposite sign (same reason, `reverses` = it). Once only."""
    if entry.reverses_id is not None:
        raise Conflict(
            "reversal_of_reversal", "冲正记录不能再冲正", "a reversal cannot be reversed", field="entry"
        )
    account = _account_locked(entry.person)
    reversal = _write(
        account=account,
        delta=-entry.delta,
        reason=entry.reason,
        source_key=f"reversal:{entry.pk}",
        rule=entry.rule,
        quantity=entry.quantity,
        actor=actor,
        reverses=entry,
        explanation=f"冲正：{entry.explanation}",
        note=note,
        source_type=entry.source_type,
        source_id=entry.source_id,
    )
    if reversal is None:
        raise Conflict("already_reversed", "该记录已冲正", "this entry was already reversed", field="entry")
    return reversal


@transaction.atomic
def points_account_set_community(*, person: User, community: Community | None) -> PointsAccount:
    """Which community's leaderboard the person is ranked on (e.g. from the household code, 户码)."""
    account = _account_locked(person)
    PointsAccount.objects.filter(pk=account.pk).update(community=community)
    account.community = community
    return account


# --- reports (cases hook) ------------------------------------------------------------------------

# Reports earn points only through these channels: a grid member's patrol report (channel "grid")
# is their duty and is counted in their performance, not as points (no double counting); hotline
# and mailbox cases are typed in by staff, so the "reporter" is the dispatcher, not the citizen.
AWARDED_CHANNELS = frozenset({"app", "code_scan", "open311"})
AWARDED_ROLES = frozenset({Role.CITIZEN, Role.GRID_MEMBER})


def on_case_registered(case, event) -> PointsEntry | None:
    """cases.hooks for Action.REGISTER: the reporter of a registered report earns "report" points.

    Merged duplicates and rejected reports never reach REGISTER, so they earn nothing; retries and
    a second registration of the same case find the source key taken.
    """
    reporter = case.reporter
    if reporter is None or reporter.role not in AWARDED_ROLES or case.channel not in AWARDED_CHANNELS:
        return None
    if case.duplicate_of_id is not None:
        return None
    entry = points_award(
        person=reporter,
        reason=Reason.REPORT,
        source_key=f"case:{case.pk}:registered",
        actor=event.actor if event is not None else None,
        note=f"案件 {case.number or case.pk}",
        source_type="case",
        source_id=str(case.pk),
    )
    if case.community_id and entry is not None:
        # A citizen's first registered report places them in that community's ranking.
        PointsAccount.objects.filter(person=reporter, community__isnull=True).update(
            community_id=case.community_id
        )
    return entry


# --- uncivil behaviour and appeals ------------------------------------------------------------------


def _check_inspector(user: User | None) -> None:
    if not user_can(user, Capability.INSPECT):
        raise PermissionDenied(
            "forbidden", "只有督查员可以记录不文明行为", "only inspectors may record uncivil behaviour"
        )


def _store_photos(record: UncivilRecord, photos) -> None:
    from civicgrid.cases.photostore import photo_save

    for photo in photos:
        photo_save(UncivilPhoto(record=record), photo)


def uncivil_record_create(
    *,
    inspector: User,
    person: User,
    behaviour: str,
    lat: float | None,
    lon: float | None,
    address: str,
    note: str,
    photos=(),
    source_ref: str = "",
) -> UncivilRecord:
    """Record uncivil behaviour with its evidence, deduct at once and tell the person (appealable)."""
    _check_inspector(inspector)
    if behaviour not in UncivilBehaviour.values:
        raise DomainError(
            "behaviour_invalid",
            f"未知的不文明行为类别 {behaviour!r}",
            f"unknown behaviour {behaviour!r}",
            field="behaviour",
        )
    if person is None or not getattr(person, "pk", None):
        raise DomainError("person_required", "请确定当事人", "identify the person", field="person")
    if person.pk == inspector.pk:
        raise DomainError(
            "person_invalid", "不能记录自己", "an inspector cannot record themselves", field="person"
        )
    address = text_check(address, field="address", max_length=200)
    note = text_check(note, field="note", max_length=500)
    source_ref = text_check(source_ref, field="source_ref", max_length=80)
    if not address and (lat is None or lon is None):
        raise DomainError(
            "place_required", "请填写地点或在地图上选择位置", "give the place or a location", field="address"
        )
    if len(photos) > settings.CIVICGRID_PHOTO_MAX_COUNT:
        raise DomainError(
            "photo_too_many",
            f"最多上传 {settings.CIVICGRID_PHOTO_MAX_COUNT} 张照片",
            f"at most {settings.CIVICGRID_PHOTO_MAX_COUNT} photos",
            field="photos",
        )
    community = None
    if lat is not None and lon is not None:
        from civicgrid.grids.services import place_resolve

        place = place_resolve(lat=lat, lon=lon)  # refuses a point outside the city
        lat, lon = place.lat, place.lon
        community = place.cell.community if place.cell is not None else None
    with transaction.atomic():
        rule = rule_current(Reason.UNCIVIL)
        if rule is None or not rule.active:
            raise Conflict(
                "deductions_disabled", "不文明行为扣分规则未启用", "the deduction rule is not active"
            )
        now = clock.now()
        record = UncivilRecord.objects.create(
            person=person,
            inspector=inspector,
            behaviour=behaviour,
            points=rule.points,
            lat=lat,
            lon=lon,
            address=address or f"{lat:.6f}, {lon:.6f}",
            community=community,
            note=note,
            source_ref=source_ref,
            appeal_deadline=now + appeal_window(),
            created_at=now,
        )
        _store_photos(record, photos)
        account = _account_locked(person)
        label = UncivilBehaviour(behaviour).label
        record.entry = _write(
            account=account,
            delta=-rule.points,
            reason=Reason.UNCIVIL,
            source_key=f"uncivil:{record.pk}",
            rule=rule,
            actor=inspector,
            explanation=f"不文明行为：{label}（规则 v{rule.version}：每{rule.unit}扣 {rule.points} 分）",
            note=record.address,
            source_type="uncivil",
            source_id=str(record.pk),
        )
        record.save(update_fields=["entry"])
        deadline = timezone.localtime(record.appeal_deadline)
        notify(
            recipient=person,
            kind="points_deduction",
            title=f"不文明行为扣分：{label} −{rule.points} 分",
            body=f"地点：{record.address}。如有异议，请于 {deadline:%Y-%m-%d %H:%M} 前申诉。",
            link=f"/m/points/uncivil/{record.pk}/appeal/",
        )
    return record


@transaction.atomic
def appeal_create(*, record: UncivilRecord, person: User, reason: str) -> Appeal:
    """申诉: the person disputes the deduction within the window; the record waits for review."""
    record = UncivilRecord.objects.select_for_update().get(pk=record.pk)
    if record.person_id != person.pk:
        raise NotFound("record_not_found", "记录不存在", "no such record")
    reason = text_check(reason, field="reason", max_length=500)
    if not reason:
        raise DomainError("reason_required", "请填写申诉理由", "give a reason for the appeal", field="reason")
    if record.status != UncivilStatus.RECORDED:
        raise Conflict(
            "appeal_not_allowed", "该记录当前不能申诉", "this record cannot be appealed now", field="reason"
        )
    now = clock.now()
    if now >= record.appeal_deadline:
        raise Conflict("appeal_window_closed", "申诉期已过", "the appeal window has closed", field="reason")
    appeal = Appeal.objects.create(record=record, reason=reason, created_at=now)
    UncivilRecord.objects.filter(pk=record.pk).update(status=UncivilStatus.APPEALED)
    record.status = UncivilStatus.APPEALED
    return appeal


@transaction.atomic
def appeal_decide(*, appeal: Appeal, reviewer: User, upheld: bool, note: str = "") -> Appeal:
    """Review an appeal (another inspector): upheld → the deduction is reversed and withdrawn; else confirmed."""
    _check_inspector(reviewer)
    appeal = Appeal.objects.select_for_update().select_related("record").get(pk=appeal.pk)
    record = UncivilRecord.objects.select_for_update().get(pk=appeal.record_id)
    if record.inspector_id == reviewer.pk:
        raise PermissionDenied(
            "reviewer_is_recorder",
            "申诉须由记录人以外的督查员复核",
            "an appeal must be reviewed by another inspector than the one who recorded it",
            field="reviewer",
        )
    if record.person_id == reviewer.pk:
        raise PermissionDenied(
            "reviewer_is_person", "不能复核自己的申诉", "nobody reviews their own appeal", field="reviewer"
        )
    if appeal.status != AppealStatus.PENDING:
        raise Conflict("appeal_decided", "该申诉已复核", "this appeal has already been decided")
    now = clock.now()
    note = text_check(note, field="note", max_length=500)
    if upheld:
        entry_reverse(entry=record.entry, actor=reviewer, note=f"申诉成立：{note}" if note else "申诉成立")
        status, appeal_status = UncivilStatus.WITHDRAWN, AppealStatus.UPHELD
        title, body = (
            "申诉成立，扣分已撤销",
            f"您对“{record.get_behaviour_display()}”的申诉成立，{record.points} 分已退回。",
        )
    else:
        status, appeal_status = UncivilStatus.CONFIRMED, AppealStatus.REJECTED
        title, body = "申诉未通过", f"您对“{record.get_behaviour_display()}”的申诉经复核未通过。{note}"
    Appeal.objects.filter(pk=appeal.pk).update(
        status=appeal_status, reviewer=reviewer, decision_note=note, decided_at=now
    )
    UncivilRecord.objects.filter(pk=record.pk).update(status=status, decided_at=now)
    appeal.status, appeal.reviewer, appeal.decision_note, appeal.decided_at = (
        appeal_status,
        reviewer,
        note,
        now,
    )
    record.status, record.decided_at = status, now
    appeal.record = record
    notify(recipient=record.person, kind="points_appeal", title=title, body=body, link="/m/points/")
    return appeal


def uncivil_confirm_due(now: datetime | None = None) -> int:
    """A worker task: records whose appeal window passed without an appeal become confirmed."""
    now = now or clock.now()
    with transaction.atomic():
        return UncivilRecord.objects.filter(status=UncivilStatus.RECORDED, appeal_deadline__lte=now).update(
            status=UncivilStatus.CONFIRMED, decided_at=now
        )


# --- honours (好人评选) ----------------------------------------------------------------------------


@transaction.atomic
def honour_nominate(*, nominee: User, nominated_by: User | None, title: str, citation: str) -> Honour:
    title = text_check(title, field="title", max_length=100)
    citation = text_check(citation, field="citation", max_length=2000)
    if not title:
        raise DomainError("title_required", "请填写称号", "give the honour's title", field="title")
    if not citation:
        raise DomainError("citation_required", "请填写事迹", "describe what the person did", field="citation")
    return Honour.objects.create(
        nominee=nominee,
        nominated_by=nominated_by,
        title=title,
        citation=citation,
        created_at=clock.now(),
    )


def _check_configure(user: User | None) -> None:
    if not user_can(user, Capability.CONFIGURE):
        raise PermissionDenied(
            "forbidden", "只有系统管理员可以评审好人评选", "only administrators review honours"
        )


@transaction.atomic
def honour_review(*, honour: Honour, reviewer: User, approve: bool, note: str = "") -> Honour:
    _check_configure(reviewer)
    note = text_check(note, field="note", max_length=500)
    honour = Honour.objects.select_for_update().get(pk=honour.pk)
    if honour.status != HonourStatus.NOMINATED:
        raise Conflict("honour_reviewed", "该提名已审核", "this nomination was already reviewed")
    if honour.nominated_by_id == reviewer.pk:
        raise PermissionDenied(
            "reviewer_is_nominator", "提名人不能审核自己的提名", "nominators do not review their own"
        )
    honour.status = HonourStatus.APPROVED if approve else HonourStatus.REJECTED
    honour.reviewed_by, honour.review_note, honour.reviewed_at = reviewer, note, clock.now()
    honour.save(update_fields=["status", "reviewed_by", "review_note", "reviewed_at"])
    return honour


@transaction.atomic
def honour_award(*, honour: Honour, actor: User) -> Honour:
    """Award an approved honour: the large award goes through the ledger (source "honour:<pk>")."""
    _check_configure(actor)
    honour = Honour.objects.select_for_update().get(pk=honour.pk)
    if honour.status != HonourStatus.APPROVED:
        raise Conflict(
            "honour_not_approved", "只有审核通过的提名可以授予", "only an approved nomination can be awarded"
        )
    entry = points_award(
        person=honour.nominee,
        reason=Reason.HONOUR,
        source_key=f"honour:{honour.pk}",
        actor=actor,
        note=honour.title,
        source_type="honour",
        source_id=str(honour.pk),
    )
    honour.status, honour.entry, honour.awarded_at = HonourStatus.AWARDED, entry, clock.now()
    honour.save(update_fields=["status", "entry", "awarded_at"])
    notify(
        recipient=honour.nominee,
        kind="points_honour",
        title=f"恭喜获评“{honour.title}”",
        body=f"获得 {entry.delta if entry else 0} 积分。",
        link="/m/points/",
    )
    return honour


# --- redemption and vouchers ---------------------------------------------------------------------


def _voucher_expiry(item: RewardItem, now: datetime) -> datetime:
    if item.valid_until is not None:
        return timezone.make_aware(datetime.combine(item.valid_until, time(23, 59, 59)))
    return now + timedelta(days=DEFAULT_VOUCHER_DAYS)


@transaction.atomic
def reward_redeem(*, person: User, item: RewardItem) -> Voucher:
    """Spend points on a reward: the stock, the debit and the voucher change together or not at all."""
    item = RewardItem.objects.select_for_update().filter(pk=item.pk).first()
    now = clock.now()
    if item is None or not item.active:
        raise NotFound("reward_not_found", "该商品不存在或已下架", "no such reward")
    if item.valid_until is not None and item.valid_until < timezone.localdate(now):
        raise Conflict("reward_expired", "该商品已过兑换期", "this reward is no longer available")
    account = _account_locked(person)
    if item.stock <= 0:
        raise Conflict("out_of_stock", "库存不足，已兑完", "out of stock", field="stock")
    if account.balance < item.cost:
        raise Conflict(
            "insufficient_points",
            f"积分不足：需要 {item.cost} 分，当前 {account.balance} 分",
            f"not enough points: {item.cost} needed, {account.balance} available",
            field="points",
        )
    if not RewardItem.objects.filter(pk=item.pk, stock__gt=0).update(stock=F("stock") - 1):
        raise Conflict("out_of_stock", "库存不足，已兑完", "out of stock", field="stock")
    payload = tokens.new_payload()
    entry = _write(
        account=account,
        delta=-item.cost,
        reason=Reason.REDEMPTION,
        source_key=f"voucher:{payload}",
        actor=person,
        explanation=f"兑换：{item.name}（{item.merchant_name}）",
        source_type="voucher",
        source_id=payload,
        min_balance_after=0,
    )
    return Voucher.objects.create(
        item=item,
        person=person,
        payload=payload,
        token=tokens.sign(VOUCHER_PURPOSE, payload),
        cost=item.cost,
        entry=entry,
        issued_at=now,
        expires_at=_voucher_expiry(item, now),
    )


def voucher_lookup(token: str) -> Voucher:
    """The voucher a genuine token names; InvalidToken (400) for forged, NotFound for unknown."""
    _kid, payload = tokens.verify(VOUCHER_PURPOSE, (token or "").strip())
    voucher = Voucher.objects.select_related("item", "person").filter(payload=payload).first()
    if voucher is None:
        raise NotFound("voucher_not_found", "兑换券不存在", "no such voucher", field="token")
    return voucher


def may_use_voucher(user: User | None, voucher: Voucher) -> bool:
    """The item's merchant account or an administrator; for an item without one, the staff of a points
    counter (Capability.USE_VOUCHERS) — never just any signed-in person, nor the holder."""
    if user is None or not user.is_authenticated:
        return False
    if user_can(user, Capability.CONFIGURE):
        return True
    if voucher.item.merchant_id is not None:
        return voucher.item.merchant_id == user.pk
    return user_can(user, Capability.USE_VOUCHERS) and voucher.person_id != user.pk


def voucher_use(*, token: str, merchant_user: User) -> Voucher:
    """核销: mark a voucher used, exactly once (a conditional UPDATE; the second use is refused, 409)."""
    voucher = voucher_lookup(token)
    if not may_use_voucher(merchant_user, voucher):
        raise PermissionDenied(
            "forbidden", "您不是该兑换券的核销商户", "you are not this voucher's merchant", field="token"
        )
    now = clock.now()
    if voucher.used_at is not None:
        raise Conflict(
            "voucher_used",
            f"该兑换券已于 {timezone.localtime(voucher.used_at):%Y-%m-%d %H:%M} 核销",
            "this voucher has already been used",
            field="token",
        )
    if voucher.expires_at <= now:
        raise Conflict("voucher_expired", "该兑换券已过期", "this voucher has expired", field="token")
    with transaction.atomic():
        used = Voucher.objects.filter(pk=voucher.pk, used_at__isnull=True).update(
            used_at=now, used_by=merchant_user
        )
        if not used:
            raise Conflict(
                "voucher_used", "该兑换券已核销", "this voucher has already been used", field="token"
            )
        notify(
            recipient=voucher.person,
            kind="points_voucher",
            title=f"兑换券已使用：{voucher.item.name}",
            body=f"{voucher.item.merchant_name} 于 {timezone.localtime(now):%Y-%m-%d %H:%M} 核销。",
            link="/m/points/vouchers/",
            channels=[],
        )
    voucher.used_at, voucher.used_by = now, merchant_user
    return voucher
