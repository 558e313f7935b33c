"""Reads of the points app: balances, the social contribution score, leaderboards, the public display.

Social contribution score (社会贡献度)
------------------------------------
Computed over the entries of the last 365 days (a rolling window, reversals included so that a
withdrawn deduction or a corrected award counts as nothing), by dimension:

    reporting     = net points of reason "report"      (registered reports)
    volunteering  = net points of reason "volunteer"   (volunteer hours)
    honours       = net points of reason "honour"      (好人评选)
    deductions    = −(net points of reason "uncivil")  (a positive number)

    score = max(0, reporting + volunteering + honours − 2 × deductions)

Redemptions (spending) and manual adjustments do not change the score: spending points is not
less contribution. Deductions weigh double, so that uncivil behaviour is not simply bought back.

Levels (badges) by score: 新手 0–49, 铜牌 50–199, 银牌 200–499, 金牌 500–999, 钻石 ≥ 1000.

Leaderboards rank people by score in a community, a street (its communities) or the whole city;
names are always masked (王*), never a phone number in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.masking import mask_name, mask_phone
from civicgrid.points.choices import Reason, UncivilBehaviour, UncivilStatus
from civicgrid.points.models import Appeal, PointsAccount, PointsEntry, RewardItem, UncivilRecord, Voucher

WINDOW = timedelta(days=365)
DEDUCTION_WEIGHT = 2
SCORED_REASONS = (Reason.REPORT, Reason.VOLUNTEER, Reason.HONOUR, Reason.UNCIVIL)
# (threshold, name, badge colour) from the top: the first threshold the score reaches is the level.
LEVELS = [
    (1000, gettext_noop("钻石"), "cyan"),
    (500, gettext_noop("金牌"), "amber"),
    (200, gettext_noop("银牌"), "grey"),
    (50, gettext_noop("铜牌"), "brown"),
    (0, gettext_noop("新手"), "green"),
]


def person_masked_name(user: User | None) -> str:
    """How a person appears to the public: family name and stars (王*), or a masked phone number."""
    if user is None:
        return ""
    return mask_name(user.real_name) if (user.real_name or "").strip() else mask_phone(user.phone)


def balance_of(person: User) -> int:
    """The cached balance (equal to the sum of the entries; 0 before the first entry)."""
    return PointsAccount.objects.filter(person=person).values_list("balance", flat=True).first() or 0


def ledger_sum(person: User) -> int:
    return PointsEntry.objects.filter(person=person).aggregate(s=Sum("delta"))["s"] or 0


@dataclass(frozen=True)
class Level:
    name: str
    colour: str
    floor: int
    next_at: int | None  # the score of the next level, None at the top


def level_for(score: int) -> Level:
    for index, (threshold, name, colour) in enumerate(LEVELS):
        if score >= threshold:
            next_at = LEVELS[index - 1][0] if index > 0 else None
            return Level(name=gettext(name), colour=colour, floor=threshold, next_at=next_at)
    return Level(name=gettext(LEVELS[-1][1]), colour=LEVELS[-1][2], floor=0, next_at=LEVELS[-2][0])


@dataclass(frozen=True)
class Contribution:
    reporting: int
    volunteering: int
    honours: int
    deductions: int

    @property
    def score(self) -> int:
        return max(0, self.reporting + self.volunteering + self.honours - DEDUCTION_WEIGHT * self.deductions)

    @property
    def level(self) -> Level:
        return level_for(self.score)


def _dimension_sums(since: datetime) -> dict:
    def net(reason: str):
        return Coalesce(
            Sum(
                "points_entries__delta",
                filter=Q(points_entries__reason=reason, points_entries__created_at__gte=since),
            ),
            Value(0),
            output_field=IntegerField(),
        )

    return {
        "d_report": net(Reason.REPORT),
        "d_volunteer": net(Reason.VOLUNTEER),
        "d_honour": net(Reason.HONOUR),
        "d_uncivil": net(Reason.UNCIVIL),
    }


def contribution(person: User, *, at: datetime | None = None) -> Contribution:
    """The person's social contribution over the 365 days up to `at` (see the module docstring)."""
    since = (at or clock.now()) - WINDOW
    rows = dict(
        PointsEntry.objects.filter(person=person, reason__in=SCORED_REASONS, created_at__gte=since)
        .values_list("reason")
        .annotate(s=Sum("delta"))
        .values_list("reason", "s")
    )
    return Contribution(
        reporting=rows.get(Reason.REPORT, 0),
        volunteering=rows.get(Reason.VOLUNTEER, 0),
        honours=rows.get(Reason.HONOUR, 0),
        deductions=max(0, -rows.get(Reason.UNCIVIL, 0)),
    )


@dataclass(frozen=True)
class Rank:
    position: int
    name: str
    score: int
    level: Level
    community: str
    is_me: bool = False


def leaderboard(
    *,
    scope: str = "city",
    community_code: str = "",
    street_code: str = "",
    limit: int = 50,
    viewer: User | None = None,
    at: datetime | None = None,
) -> list[Rank]:
    """People ranked by contribution score in the city, a street or a community; names masked."""
    since = (at or clock.now()) - WINDOW
    accounts = PointsAccount.objects.all()
    if scope == "community":
        accounts = accounts.filter(community__code=community_code)
    elif scope == "street":
        accounts = accounts.filter(community__street__code=street_code)
    people = (
        User.objects.filter(pk__in=accounts.values("person_id"))
        .annotate(**_dimension_sums(since))
        .values(
            "pk",
            "real_name",
            "phone",
            "d_report",
            "d_volunteer",
            "d_honour",
            "d_uncivil",
            "points_account__community__name",
        )
    )
    rows = []
    for p in people:
        c = Contribution(
            reporting=p["d_report"],
            volunteering=p["d_volunteer"],
            honours=p["d_honour"],
            deductions=max(0, -p["d_uncivil"]),
        )
        rows.append((c.score, p))
    rows.sort(key=lambda r: (-r[0], r[1]["pk"]))
    out = []
    for position, (score, p) in enumerate(rows[:limit], start=1):
        name = mask_name(p["real_name"]) if (p["real_name"] or "").strip() else mask_phone(p["phone"])
        out.append(
            Rank(
                position=position,
                name=name,
                score=score,
                level=level_for(score),
                community=p["points_account__community__name"] or "",
                is_me=viewer is not None and viewer.pk == p["pk"],
            )
        )
    return out


def my_entries(person: User, *, limit: int = 200) -> QuerySet[PointsEntry]:
    return (
        PointsEntry.objects.filter(person=person)
        .select_related("rule", "reverses")
        .prefetch_related("reversed_by")
        .order_by("-created_at", "-id")[:limit]
    )


def my_records(person: User) -> QuerySet[UncivilRecord]:
    return UncivilRecord.objects.filter(person=person).select_related("appeal").prefetch_related("photos")


def public_display(*, at: datetime | None = None, limit: int = 100) -> list[dict]:
    """晾晒: confirmed deductions whose appeal window has passed, newest first — masked, no phone.

    Withdrawn records (appeal upheld) and records under appeal are never listed. The dicts carry
    only what may be public: never the person object, phone, exact coordinates or the note.
    """
    now = at or clock.now()
    records = (
        UncivilRecord.objects.filter(
            status__in=[UncivilStatus.RECORDED, UncivilStatus.CONFIRMED], appeal_deadline__lte=now
        )
        .select_related("person", "community")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        {
            "id": r.pk,
            "name": person_masked_name(r.person),
            "behaviour": r.get_behaviour_display(),
            "address": r.address,
            "community": r.community.name if r.community_id else "",
            "points": r.points,
            "created_at": r.created_at,
            "photos": [p.thumbnail.url for p in r.photos.all()],
        }
        for r in records
    ]


def catalogue() -> QuerySet[RewardItem]:
    today = timezone.localdate(clock.now())
    return RewardItem.objects.filter(active=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def my_vouchers(person: User) -> QuerySet[Voucher]:
    return Voucher.objects.filter(person=person).select_related("item")


def pending_appeals() -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(status="pending")
        .select_related("record", "record__person", "record__inspector")
        .prefetch_related("record__photos")
    )


def display_count() -> int:
    return UncivilRecord.objects.filter(
        status__in=[UncivilStatus.RECORDED, UncivilStatus.CONFIRMED], appeal_deadline__lte=clock.now()
    ).aggregate(n=Count("id"))["n"]


# --- the ledger as a citizen reads it ----------------------------------------------------------------


def signed(n: int) -> str:
    """+5, −5 (a true minus sign) or 0: never "−0" or "+0"."""
    if n > 0:
        return f"+{n}"
    if n < 0:
        return f"−{-n}"
    return "0"


def entry_reason_text(entry: PointsEntry, *, item_name: str = "", behaviour: str = "") -> str:
    """Why the points moved, in plain words: no rule version or formula (those are the ledger's
    `explanation`, for the administrators and the API)."""
    reason = entry.reason
    if reason == Reason.REPORT:
        text = gettext("上报的问题已立案")
    elif reason == Reason.VOLUNTEER:
        text = gettext("参加志愿服务 %(hours)s 小时") % {"hours": entry.quantity}
    elif reason == Reason.HONOUR:
        text = gettext("获评好人好事")
    elif reason == Reason.UNCIVIL:
        text = (
            gettext("不文明行为：%(behaviour)s") % {"behaviour": behaviour}
            if behaviour
            else gettext("不文明行为扣分")
        )
    elif reason == Reason.REDEMPTION:
        text = gettext("兑换 %(item)s") % {"item": item_name} if item_name else gettext("积分兑换")
    else:
        text = gettext("积分调整")
    rule = entry.rule
    if (
        rule is not None
        and entry.reverses_id is None
        and entry.delta > 0
        and entry.delta < rule.points * entry.quantity
    ):
        text += gettext("（本月已达上限，只计 %(n)s 分）") % {"n": entry.delta}
    if entry.reverses_id is not None:
        text = gettext("撤销：%(text)s") % {"text": text}
    return text


@dataclass(frozen=True)
class LedgerLine:
    entry: PointsEntry
    text: str  # entry_reason_text
    amount: str  # signed(delta)
    detail: str  # the entry's note (a case number, a place, a volunteer activity)


def my_ledger(person: User, *, limit: int = 200) -> list[LedgerLine]:
    """My entries, newest first, each with its plain reason and signed amount. At most three queries."""
    entries = list(my_entries(person, limit=limit))
    redeemed = [e.source_id for e in entries if e.reason == Reason.REDEMPTION]
    vouchers = dict(
        Voucher.objects.filter(person=person, payload__in=redeemed).values_list("payload", "item__name")
        if redeemed
        else []
    )
    recorded = [e.source_id for e in entries if e.reason == Reason.UNCIVIL and e.source_id.isdigit()]
    behaviours = {
        str(pk): UncivilBehaviour(value).label
        for pk, value in (
            UncivilRecord.objects.filter(pk__in=recorded).values_list("pk", "behaviour") if recorded else []
        )
        if value in UncivilBehaviour.values
    }
    return [
        LedgerLine(
            entry=entry,
            text=entry_reason_text(
                entry,
                item_name=vouchers.get(entry.source_id, ""),
                behaviour=behaviours.get(entry.source_id, ""),
            ),
            amount=signed(entry.delta),
            detail=entry.note,
        )
        for entry in entries
    ]
