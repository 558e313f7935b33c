"""Performance indicators (绩效评价, GB/T 30428.4 style), computed from the case events.

Definitions, per group (department, street or unit grid cell) and period [start, end):

| indicator | 中文 | definition |
| --- | --- | --- |
| registered | 立案数 | REGISTER events in the period |
| on_time_registration_rate | 按时立案率 | REGISTER events within the 立案 limit / REGISTER events |
| dispatched | 派遣数 (应处置数) | DISPATCH events in the period |
| dispatch_accuracy | 派遣准确率 | (DISPATCH − RETURN events) / DISPATCH events |
| handled | 处置数 | FEEDBACK events |
| handling_rate | 处置率 | FEEDBACK events / DISPATCH events (capped at 1) |
| on_time_handling_rate | 按期处置率 | FEEDBACK events within the 处置 limit / FEEDBACK events |
| rework_rate | 返工率 | REWORK events / FEEDBACK events |
| due_to_close | 应结案数 | cases registered in the period |
| closed | 结案数 | of those, closed now |
| closing_rate | 结案率 | closed / due_to_close |
| on_time_closing_rate | 按期结案率 | of those, closed with every step within its limit / due_to_close |
| satisfaction_rate | 满意率 | (满意 + 基本满意) / ratings given in the period |
| grid_report_rate | 监督举报率 | registered cases reported by grid members / registered |

Composite indicators (综合指标值, 0–100):
- department: count score × 10 % + handling rate × 30 % + on-time handling × 30 % + (1 − rework) × 30 %;
- street/cell: (grid report rate × 10 % + count score × 20 % + closing rate × 30 % + on-time closing × 10 %)
  ÷ 70 % — the published weights sum to 70 %, so they are rescaled to 100.
The count score is banded (fewer problems or a lighter load score higher); see COUNT_BANDS.
Rates with a zero denominator are None (no data), and count as 1 in the composite.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q

from civicgrid.accounts.models import Department
from civicgrid.accounts.roles import Role
from civicgrid.cases.choices import Action, CaseStatus, Channel, Rating
from civicgrid.cases.models import Case, CaseDeadline, CaseEvent
from civicgrid.core.errors import DomainError
from civicgrid.grids.models import Cell, Street

GROUPS = {
    "department": ("department_id", "department_id"),  # (event field, case field)
    "street": ("case__street_id", "street_id"),
    "cell": ("case__cell_id", "cell_id"),
}
UNKNOWN_LABELS = {
    "department": "未派遣 (not dispatched)",
    "street": "网格外 (outside the grid)",
    "cell": "网格外 (outside the grid)",
}
# (upper bound inclusive, score): a department with ≤ 50 cases to handle in the period scores 100 …
COUNT_BANDS = [(50, 100), (100, 90), (300, 75), (600, 60), (1000, 40)]


@dataclass
class IndicatorRow:
    key: int | None
    code: str
    name: str
    registered: int = 0
    on_time_registration_rate: float | None = None
    dispatched: int = 0
    dispatch_accuracy: float | None = None
    handled: int = 0
    handling_rate: float | None = None
    on_time_handling_rate: float | None = None
    rework_rate: float | None = None
    due_to_close: int = 0
    closed: int = 0
    closing_rate: float | None = None
    on_time_closing_rate: float | None = None
    rated: int = 0
    satisfaction_rate: float | None = None
    grid_report_rate: float | None = None
    composite: float = 0.0
    rank: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def count_score(count: int) -> float:
    for bound, score in COUNT_BANDS:
        if count <= bound:
            return float(score)
    return 0.0


def _or_one(value: float | None) -> float:
    return 1.0 if value is None else value


def compute(
    *,
    group: str,
    start: datetime,
    end: datetime,
    street_id: int | None = None,
    street_ids: tuple[int, ...] | None = None,
) -> list[IndicatorRow]:
    """All indicators for every member of `group` with activity in [start, end), ranked by composite.

    `street_ids`: only the cases of these streets (a district's or street's command area)."""
    if group not in GROUPS:
        raise DomainError(
            "group_invalid",
            "分组只能是 department、street 或 cell",
            "group must be department, street or cell",
            field="group",
        )
    if start >= end:
        raise DomainError(
            "period_invalid", "开始时间必须早于结束时间", "start must be before end", field="start"
        )
    event_key, case_key = GROUPS[group]
    events = CaseEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    if street_id is not None:
        events = events.filter(case__street_id=street_id)
    if street_ids is not None:
        events = events.filter(case__street_id__in=street_ids)
    on_time = Q(on_time=True)
    counts = events.values(event_key).annotate(
        registered=Count("id", filter=Q(action=Action.REGISTER)),
        registered_on_time=Count("id", filter=Q(action=Action.REGISTER) & on_time),
        dispatched=Count("id", filter=Q(action=Action.DISPATCH)),
        returned=Count("id", filter=Q(action=Action.RETURN)),
        handled=Count("id", filter=Q(action=Action.FEEDBACK)),
        handled_on_time=Count("id", filter=Q(action=Action.FEEDBACK) & on_time),
        reworked=Count("id", filter=Q(action=Action.REWORK)),
        rated=Count("id", filter=Q(action=Action.RATE)),
        satisfied=Count(
            "id", filter=Q(action=Action.RATE, data__rating__in=[Rating.SATISFIED, Rating.BASICALLY])
        ),
    )
    # For departments, registration (before any department is known) counts where the case went.
    registered_cases = Case.objects.filter(registered_at__gte=start, registered_at__lt=end)
    if street_id is not None:
        registered_cases = registered_cases.filter(street_id=street_id)
    if street_ids is not None:
        registered_cases = registered_cases.filter(street_id__in=street_ids)
    late = CaseDeadline.objects.filter(case=OuterRef("pk"), on_time=False)
    closing = registered_cases.values(case_key).annotate(
        due=Count("id"),
        # 监督举报: reported by a grid member, through the grid channel or the app alike.
        registered_by_grid=Count("id", filter=Q(channel=Channel.GRID) | Q(reporter__role=Role.GRID_MEMBER)),
        closed=Count("id", filter=Q(status=CaseStatus.CLOSED)),
        closed_on_time=Count("id", filter=Q(status=CaseStatus.CLOSED) & ~Q(Exists(late))),
    )
    rows: dict[int | None, dict] = {}
    for row in counts:
        rows.setdefault(row[event_key], {}).update(row)
    for row in closing:
        rows.setdefault(row[case_key], {}).update(
            {
                "due": row["due"],
                "closed": row["closed"],
                "closed_on_time": row["closed_on_time"],
                "cases_by_grid": row["registered_by_grid"],
            }
        )
    names = _names(group, [k for k in rows if k is not None])
    out = []
    for key, r in rows.items():
        code, name = names.get(key, ("", UNKNOWN_LABELS[group] if key is None else str(key)))
        registered = r.get("registered", 0)
        item = IndicatorRow(
            key=key,
            code=code,
            name=name,
            registered=registered,
            on_time_registration_rate=_rate(r.get("registered_on_time", 0), registered),
            dispatched=r.get("dispatched", 0),
            dispatch_accuracy=_rate(
                max(r.get("dispatched", 0) - r.get("returned", 0), 0), r.get("dispatched", 0)
            ),
            handled=r.get("handled", 0),
            handling_rate=_rate(min(r.get("handled", 0), r.get("dispatched", 0)), r.get("dispatched", 0)),
            on_time_handling_rate=_rate(r.get("handled_on_time", 0), r.get("handled", 0)),
            rework_rate=_rate(r.get("reworked", 0), r.get("handled", 0)),
            due_to_close=r.get("due", 0),
            closed=r.get("closed", 0),
            closing_rate=_rate(r.get("closed", 0), r.get("due", 0)),
            on_time_closing_rate=_rate(r.get("closed_on_time", 0), r.get("due", 0)),
            rated=r.get("rated", 0),
            satisfaction_rate=_rate(r.get("satisfied", 0), r.get("rated", 0)),
            grid_report_rate=_rate(r.get("cases_by_grid", 0), r.get("due", 0)),
        )
        if not (item.registered or item.dispatched or item.handled or item.due_to_close or item.rated):
            continue  # only reports or notes in the period: nothing to evaluate
        item.composite = round(composite(group, item), 2)
        out.append(item)
    out.sort(key=lambda row: (-row.composite, row.code))
    for rank, row in enumerate(out, start=1):
        row.rank = rank
    return out


def composite(group: str, row: IndicatorRow) -> float:
    if group == "department":
        return (
            0.10 * count_score(row.dispatched)
            + 30 * _or_one(row.handling_rate)
            + 30 * _or_one(row.on_time_handling_rate)
            + 30 * (1 - (row.rework_rate or 0.0))
        )
    weighted = (
        10 * _or_one(row.grid_report_rate)
        + 0.20 * count_score(row.due_to_close)
        + 30 * _or_one(row.closing_rate)
        + 10 * _or_one(row.on_time_closing_rate)
    )
    return weighted / 0.70


def _names(group: str, keys: list[int]) -> dict[int, tuple[str, str]]:
    model = {"department": Department, "street": Street, "cell": Cell}[group]
    return {
        pk: (code, name)
        for pk, code, name in model.objects.filter(pk__in=keys).values_list("pk", "code", "name")
    }
