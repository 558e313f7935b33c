"""Points API (mounted at /api/points): my balance and entries, the catalogue, redeem, my vouchers,
using a voucher (merchant), appeals, the leaderboard and the public display (no sign-in)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Query, Router, Schema, Status

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.scopes import Scope
from civicgrid.core.errors import NotFound
from civicgrid.points import selectors, services
from civicgrid.points.models import RewardItem, UncivilRecord

router = Router(tags=["points"], auth=AUTH)


class LevelOut(Schema):
    name: str
    floor: int
    next_at: int | None


class BalanceOut(Schema):
    balance: int
    score: int
    level: LevelOut
    reporting: int
    volunteering: int
    honours: int
    deductions: int


class EntryOut(Schema):
    id: int
    delta: int
    reason: str
    reason_label: str
    explanation: str
    note: str
    rule_version: int | None
    reversal: bool
    reversed: bool
    created_at: datetime


class ItemOut(Schema):
    id: int
    name: str
    merchant_name: str
    description: str
    cost: int
    stock: int
    valid_until: date | None


class VoucherOut(Schema):
    id: int
    item: str
    merchant_name: str
    token: str
    cost: int
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None


class TokenIn(Schema):
    token: str = Field(..., min_length=1, max_length=200)


class AppealIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class AppealOut(Schema):
    id: int
    record_id: int
    status: str
    created_at: datetime


class LeaderboardIn(Schema):
    scope: str = Field("city", pattern="^(city|street|community)$")
    code: str = ""
    limit: int = Field(50, ge=1, le=200)


class RankOut(Schema):
    position: int
    name: str
    score: int
    level: str
    community: str
    is_me: bool


class DisplayOut(Schema):
    id: int
    name: str
    behaviour: str
    address: str
    community: str
    points: int
    created_at: datetime
    photos: list[str]


def _entry_out(e) -> EntryOut:
    return EntryOut(
        id=e.pk,
        delta=e.delta,
        reason=e.reason,
        reason_label=e.get_reason_display(),
        explanation=e.explanation,
        note=e.note,
        rule_version=e.rule.version if e.rule_id else None,
        reversal=e.reverses_id is not None,
        reversed=hasattr(e, "reversed_by"),
        created_at=e.created_at,
    )


def _voucher_out(v) -> VoucherOut:
    return VoucherOut(
        id=v.pk,
        item=v.item.name,
        merchant_name=v.item.merchant_name,
        token=v.token,
        cost=v.cost,
        issued_at=v.issued_at,
        expires_at=v.expires_at,
        used_at=v.used_at,
    )


@router.get("/balance", response=BalanceOut)
@api_scope(Scope.POINTS_USE)
def balance(request):
    """My balance, social contribution score (last 365 days) by dimension, and level."""
    c = selectors.contribution(request.auth)
    level = c.level
    return BalanceOut(
        balance=selectors.balance_of(request.auth),
        score=c.score,
        level=LevelOut(name=level.name, floor=level.floor, next_at=level.next_at),
        reporting=c.reporting,
        volunteering=c.volunteering,
        honours=c.honours,
        deductions=c.deductions,
    )


@router.get("/entries", response=list[EntryOut])
@api_scope(Scope.POINTS_USE)
def entries(request, limit: int = Query(100, ge=1, le=500)):
    """My ledger, newest first, every entry with its explanation (the rule version it was written under)."""
    return [_entry_out(e) for e in selectors.my_entries(request.auth, limit=limit)]


@router.get("/catalogue", response=list[ItemOut])
@api_scope(Scope.POINTS_USE)
def catalogue(request):
    return list(selectors.catalogue())


@router.post("/catalogue/{int:item_id}/redeem", response={201: VoucherOut})
@api_scope(Scope.POINTS_USE)
def redeem(request, item_id: int):
    """Spend points on a reward; 409 when out of stock or not enough points."""
    item = RewardItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("reward_not_found", "该商品不存在或已下架", "no such reward")
    return Status(201, _voucher_out(services.reward_redeem(person=request.auth, item=item)))


@router.get("/vouchers", response=list[VoucherOut])
@api_scope(Scope.POINTS_USE)
def vouchers(request):
    return [_voucher_out(v) for v in selectors.my_vouchers(request.auth)]


# 400: a forged or altered token; 404: a genuine token of no voucher (the error body: civicgrid/api.py).
@router.post("/vouchers/use", response={200: VoucherOut, 400: None, 404: None})
@api_scope(Scope.POINTS_USE)
def voucher_use(request, body: TokenIn):
    """核销 (merchant): mark a voucher used; 409 `voucher_used` the second time, 400 for a forged code."""
    return _voucher_out(services.voucher_use(token=body.token, merchant_user=request.auth))


@router.post("/uncivil/{int:record_id}/appeal", response={201: AppealOut})
@api_scope(Scope.POINTS_USE)
def appeal(request, record_id: int, body: AppealIn):
    """Appeal one of my deductions within the window."""
    record = UncivilRecord.objects.filter(pk=record_id, person=request.auth).first()
    if record is None:
        raise NotFound("record_not_found", "记录不存在", "no such record")
    a = services.appeal_create(record=record, person=request.auth, reason=body.reason)
    return Status(201, AppealOut(id=a.pk, record_id=record.pk, status=a.status, created_at=a.created_at))


@router.get("/leaderboard", response=list[RankOut])
@api_scope(Scope.POINTS_USE)
def leaderboard(request, params: Query[LeaderboardIn]):
    """Ranking by contribution score; names masked."""
    ranks = selectors.leaderboard(
        scope=params.scope,
        community_code=params.code,
        street_code=params.code,
        limit=params.limit,
        viewer=request.auth,
    )
    return [
        RankOut(
            position=r.position,
            name=r.name,
            score=r.score,
            level=r.level.name,
            community=r.community,
            is_me=r.is_me,
        )
        for r in ranks
    ]


@router.get("/display", response=list[DisplayOut], auth=None)
@api_scope(Scope.PUBLIC)
def display(request):
    """晾晒 (public): confirmed deductions after the appeal window; masked names, no phone numbers."""
    return selectors.public_display()
