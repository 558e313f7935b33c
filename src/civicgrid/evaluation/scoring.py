"""The score arithmetic of a round (测评计分): standard → content → item → total, for the city, each street
and each responsible unit, with every point explained.

`compute(inputs)` is a pure function over plain rows (no database), so it is fast on 150,000
observations and can be checked under hypothesis; `round_inputs(round)` reads those rows, and
`round_scores(round)` is the two together.

The rules, one place:
- A field standard is scored from the observations of the sampled sites in scope. Not-applicable
  observations do not count, and an observation re-inspected later is replaced by its re-inspection.
  PER_FAILURE loses `deduction` (default: all the points) per failed observation, at most the points;
  ALL_OR_NOTHING loses all the points at the first failure; PROPORTIONAL keeps points × passed / observed.
- A material standard takes each unit's latest reviewed score (score / points is the unit's rate); a scope
  with several units takes their mean rate. A questionnaire (or online) standard takes the mean
  satisfaction of the scale answers of the questions feeding it: 1 → 0 %, 5 → 100 %. For these two,
  ALL_OR_NOTHING keeps the points only at a rate of 100 %; the other rules keep points × rate.
- A standard with nothing to score it in a scope (no site of its types sampled there, no reviewed
  material, no answer) is not assessed: its points count neither for nor against, and its line says so.
  A scope's `rate` is score / assessed points.
- Each standard's score is rounded to 0.01 (half up); contents, items and totals are exact sums of those.
- Negative-list incidents deduct `deduction` each, at most `cap` per negative item, from the total, which
  never goes below zero. Gates: an item (or the whole edition) must reach its `min_rate`, or the scope
  does not pass whatever its total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")

FIELD, MATERIAL, QUESTIONNAIRE, ONLINE = "field", "material", "questionnaire", "online"
PER_FAILURE, ALL_OR_NOTHING, PROPORTIONAL = "per_failure", "all_or_nothing", "proportional"
PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "na"

CITY, STREET, UNIT = "city", "street", "unit"


# --- the rows -------------------------------------------------------------------------------------------


class ItemRow(NamedTuple):
    id: int
    code: str
    name: str
    local: bool = False


class ContentRow(NamedTuple):
    id: int
    item_id: int
    code: str
    name: str


class StandardRow(NamedTuple):
    id: int
    content_id: int
    code: str
    text: str
    points: Decimal
    method: str
    rule: str
    deduction: Decimal | None = None


class SiteRow(NamedTuple):
    """A sampled site of the round (RoundSite id) with its street and responsible unit."""

    id: int
    name: str
    street_id: int
    unit_id: int


class ObservationRow(NamedTuple):
    id: int
    standard_id: int
    site_id: int  # the RoundSite
    result: str
    reinspects_id: int | None = None


class MaterialRow(NamedTuple):
    id: int
    standard_id: int
    unit_id: int
    attempt: int
    score: Decimal | None  # None while not reviewed


class AnswerRow(NamedTuple):
    """`n` scale answers of `value` (1–5) feeding a standard, from respondents of a street."""

    standard_id: int
    street_id: int
    value: int
    n: int = 1


class NegativeItemRow(NamedTuple):
    id: int
    code: str
    name: str
    deduction: Decimal
    cap: Decimal


class IncidentRow(NamedTuple):
    id: int
    negative_id: int
    street_id: int | None
    unit_id: int | None


class GateRow(NamedTuple):
    id: int
    item_id: int | None  # None: the whole edition
    min_rate: Decimal
    description: str


@dataclass
class Inputs:
    items: list[ItemRow]
    contents: list[ContentRow]
    standards: list[StandardRow]
    sites: list[SiteRow] = field(default_factory=list)
    observations: list[ObservationRow] = field(default_factory=list)
    materials: list[MaterialRow] = field(default_factory=list)
    answers: list[AnswerRow] = field(default_factory=list)
    negative_items: list[NegativeItemRow] = field(default_factory=list)
    incidents: list[IncidentRow] = field(default_factory=list)
    gates: list[GateRow] = field(default_factory=list)
    street_names: dict[int, str] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)


# --- the results ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class StandardScore:
    """One line of the explanation: a standard in a scope, what scored it and the points lost."""

    id: int
    code: str
    text: str
    method: str
    rule: str
    points: Decimal
    assessed: bool
    score: Decimal
    rate: Decimal | None
    reason: str
    observed: int = 0
    failed: int = 0
    failed_observations: list[int] = field(default_factory=list)
    materials: list[int] = field(default_factory=list)
    answers: int = 0

    @property
    def lost(self) -> Decimal:
        return self.points - self.score if self.assessed else ZERO


@dataclass
class Node:
    """A content or an item: its points, the points of its assessed standards, its score and rate."""

    id: int
    code: str
    name: str
    points: Decimal = ZERO
    assessed: Decimal = ZERO
    score: Decimal = ZERO
    children: list = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.score, self.assessed)

    @property
    def lost(self) -> Decimal:
        return self.assessed - self.score


@dataclass
class MethodScore:
    method: str
    points: Decimal = ZERO
    assessed: Decimal = ZERO
    score: Decimal = ZERO

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.score, self.assessed)


@dataclass
class GateResult:
    id: int
    description: str
    item_id: int | None
    min_rate: Decimal
    rate: Decimal | None
    passed: bool


@dataclass
class NegativeResult:
    id: int
    code: str
    name: str
    incidents: list[int]
    deduction: Decimal  # after the cap
    uncapped: Decimal


@dataclass
class Score:
    """The score of one scope (the city, a street or a unit)."""

    scope: str
    key: int | None
    name: str
    items: list[Node]
    standards: dict[int, StandardScore]
    methods: dict[str, MethodScore]
    gates: list[GateResult]
    negatives: list[NegativeResult]
    points: Decimal  # every standard's points: the most a scope could score
    assessed: Decimal  # the points of the standards assessed in this scope
    subtotal: Decimal  # Σ standard scores
    negative_total: Decimal
    total: Decimal  # subtotal − negatives, at least 0

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.total, self.assessed)

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def lines(self) -> list[StandardScore]:
        """Every standard in edition order: the line-by-line explanation."""
        return [s for item in self.items for content in item.children for s in content.children]


@dataclass
class RoundScores:
    city: Score
    streets: dict[int, Score]
    units: dict[int, Score]


# --- the arithmetic -------------------------------------------------------------------------------------


def _rate(score: Decimal, assessed: Decimal) -> Decimal | None:
    return (score / assessed).quantize(Decimal("0.0001"), ROUND_HALF_UP) if assessed else None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def field_score(s: StandardRow, passed: int, failed: int) -> tuple[Decimal, str]:
    """The points kept by a field standard with `passed` and `failed` observations (at least one)."""
    observed = passed + failed
    if s.rule == PER_FAILURE:
        each = s.deduction if s.deduction is not None else s.points
        lost = min(s.points, each * failed)
        reason = f"{observed} 处观测，{failed} 处不达标，每处扣 {each} 分" + (
            f"，封顶 {s.points} 分" if each * failed > s.points else ""
        )
        return _cents(s.points - lost), reason
    if s.rule == ALL_OR_NOTHING:
        reason = f"{observed} 处观测，{failed} 处不达标（全有全无）"
        return (ZERO if failed else s.points), reason
    reason = f"{observed} 处观测，{passed} 处达标（按合格率）"
    return _cents(s.points * passed / observed), reason


def rate_score(s: StandardRow, rate: Decimal) -> Decimal:
    """The points kept by a material, questionnaire or online standard at `rate` (0 … 1)."""
    rate = min(ONE, max(ZERO, rate))
    if s.rule == ALL_OR_NOTHING:
        return s.points if rate >= ONE else ZERO
    return _cents(s.points * rate)


def compute(inputs: Inputs) -> RoundScores:
    """The scores of the city, of every street with a sampled site, and of every unit responsible for one."""
    standards = {s.id: s for s in inputs.standards}
    replaced = {row[4] for row in inputs.observations if row[4] is not None}

    # Observations tallied per (scope, key) and standard in one pass: [passed, failed, failed ids].
    # (Rows are unpacked as plain tuples: the loader hands them over straight from the cursor.)
    tallies: dict[tuple[str, int | None], dict[int, list]] = defaultdict(dict)
    city_t = tallies[(CITY, None)]
    tables_of_site = {
        site.id: (city_t, tallies[(STREET, site.street_id)], tallies[(UNIT, site.unit_id)])
        for site in inputs.sites
    }
    for oid, standard_id, site_id, result, _reinspects in inputs.observations:
        if result == NOT_APPLICABLE or oid in replaced or standard_id not in standards:
            continue
        failed = result == FAIL
        for table in tables_of_site[site_id]:
            t = table.get(standard_id)
            if t is None:
                t = table[standard_id] = [0, 0, []]
            if failed:
                t[1] += 1
                t[2].append(oid)
            else:
                t[0] += 1

    # Materials: each unit's latest reviewed submission per standard.
    latest: dict[tuple[int, int], MaterialRow] = {}
    for m in inputs.materials:
        if m.score is None:
            continue
        key = (m.standard_id, m.unit_id)
        if key not in latest or latest[key].attempt < m.attempt:
            latest[key] = m
    materials_by_unit: dict[int, dict[int, list[MaterialRow]]] = defaultdict(lambda: defaultdict(list))
    for (standard_id, unit_id), m in latest.items():
        materials_by_unit[unit_id][standard_id].append(m)
    units_of_street: dict[int, set[int]] = defaultdict(set)
    for s in inputs.sites:
        units_of_street[s.street_id].add(s.unit_id)

    # Answers: Σ(value − 1) and n per standard, city-wide and per street.
    answers_city: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    answers_street: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for a in inputs.answers:
        for acc in (answers_city[a.standard_id], answers_street[a.street_id][a.standard_id]):
            acc[0] += (a.value - 1) * a.n
            acc[1] += a.n

    def score_of(scope: str, key: int | None, name: str) -> Score:
        tally = tallies.get((scope, key), {})
        if scope == CITY:
            unit_ids = set(materials_by_unit)
            answers = answers_city
            incidents = inputs.incidents
        elif scope == STREET:
            unit_ids = units_of_street.get(key, set())
            answers = answers_street.get(key, {})
            incidents = [i for i in inputs.incidents if i.street_id == key]
        else:
            unit_ids = {key}
            answers = {}  # the public is asked about streets, not about units
            incidents = [i for i in inputs.incidents if i.unit_id == key]
        return _score(
            inputs,
            scope,
            key,
            name,
            lambda s: _standard(s, tally, unit_ids, materials_by_unit, answers),
            incidents,
        )

    city = score_of(CITY, None, "全市")
    streets = {
        k: score_of(STREET, k, inputs.street_names.get(k, str(k)))
        for k in sorted({s.street_id for s in inputs.sites})
    }
    units = {
        k: score_of(UNIT, k, inputs.unit_names.get(k, str(k)))
        for k in sorted({s.unit_id for s in inputs.sites})
    }
    return RoundScores(city=city, streets=streets, units=units)


def _standard(
    s: StandardRow,
    tally: dict[int, list],
    unit_ids: Iterable[int],
    materials_by_unit: dict[int, dict[int, list[MaterialRow]]],
    answers: dict[int, list[int]],
) -> StandardScore:
    line = StandardScore(
        id=s.id,
        code=s.code,
        text=s.text,
        method=s.method,
        rule=s.rule,
        points=s.points,
        assessed=False,
        score=ZERO,
        rate=None,
        reason="",
    )
    if s.method == FIELD:
        t = tally.get(s.id)
        if t is None:
            line.reason = "未测评：本范围内无适用点位的有效观测"
            return line
        passed, failed, failed_ids = t
        line.score, line.reason = field_score(s, passed, failed)
        line.observed, line.failed, line.failed_observations = passed + failed, failed, failed_ids
    elif s.method == MATERIAL:
        rows = [m for u in unit_ids for m in materials_by_unit.get(u, {}).get(s.id, ())]
        if not rows:
            line.reason = "未测评：无已评审的材料"
            return line
        rate = sum((min(ONE, m.score / s.points) for m in rows), ZERO) / len(rows)
        line.score = rate_score(s, rate)
        line.materials = sorted(m.id for m in rows)
        line.reason = f"{len(rows)} 家单位材料评审，平均得分率 {rate:.2%}"
    else:
        acc = answers.get(s.id)
        if not acc or not acc[1]:
            line.reason = "未测评：无问卷答卷"
            return line
        rate = Decimal(acc[0]) / (4 * acc[1])
        line.score = rate_score(s, rate)
        line.answers = acc[1]
        line.reason = f"{acc[1]} 份答卷，满意度 {rate:.2%}"
    line.assessed = True
    line.rate = _rate(line.score, s.points)
    return line


def _score(inputs: Inputs, scope, key, name, standard_line, incidents: list[IncidentRow]) -> Score:
    contents: dict[int, Node] = {}
    items: dict[int, Node] = {i.id: Node(i.id, i.code, i.name) for i in inputs.items}
    for c in inputs.contents:
        node = contents[c.id] = Node(c.id, c.code, c.name)
        items[c.item_id].children.append(node)
    item_of_content = {c.id: c.item_id for c in inputs.contents}
    methods: dict[str, MethodScore] = {}
    lines: dict[int, StandardScore] = {}
    for s in inputs.standards:
        line = lines[s.id] = standard_line(s)
        content, item = contents[s.content_id], items[item_of_content[s.content_id]]
        content.children.append(line)
        method = methods.setdefault(s.method, MethodScore(s.method))
        for node in (content, item, method):
            node.points += s.points
            if line.assessed:
                node.assessed += s.points
                node.score += line.score

    negatives = []
    by_negative: dict[int, list[int]] = defaultdict(list)
    for i in incidents:
        by_negative[i.negative_id].append(i.id)
    for n in inputs.negative_items:
        ids = sorted(by_negative.get(n.id, ()))
        uncapped = n.deduction * len(ids)
        negatives.append(NegativeResult(n.id, n.code, n.name, ids, min(n.cap, uncapped), uncapped))

    item_nodes = list(items.values())
    points = sum((i.points for i in item_nodes), ZERO)
    assessed = sum((i.assessed for i in item_nodes), ZERO)
    subtotal = sum((i.score for i in item_nodes), ZERO)
    negative_total = sum((n.deduction for n in negatives), ZERO)
    total = max(ZERO, subtotal - negative_total)

    gates = []
    for g in inputs.gates:
        if g.item_id is None:
            rate = _rate(total, assessed)
        else:
            node = items.get(g.item_id)
            rate = node.rate if node is not None else None
        # A part not assessed in this scope neither passes nor fails it.
        gates.append(
            GateResult(g.id, g.description, g.item_id, g.min_rate, rate, rate is None or rate >= g.min_rate)
        )

    return Score(
        scope=scope,
        key=key,
        name=name,
        items=item_nodes,
        standards=lines,
        methods=methods,
        gates=gates,
        negatives=negatives,
        points=points,
        assessed=assessed,
        subtotal=subtotal,
        negative_total=negative_total,
        total=total,
    )


# --- reading a round ------------------------------------------------------------------------------------


def observation_rows(round):
    """The observations of a round as ObservationRow fields (the query; `rows_fetch` runs it)."""
    from civicgrid.evaluation.models import Observation

    return (
        Observation.objects.filter(round_site__round=round)
        .order_by()
        .values_list("id", "standard_id", "round_site_id", "result", "reinspects_id")
    )


def rows_fetch(queryset) -> list[tuple]:
    """The rows of a values_list of integer and text columns, straight from the cursor: the ORM's own SQL
    without its per-row conversion, which is most of the time on 150,000 rows (these columns need none).
    Pinned against `list(queryset)` in tests/test_round_scores.py."""
    from django.db import connections

    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def round_inputs(round) -> Inputs:
    """The rows of a round, read in a few queries (values lists, no model instances)."""
    from django.db.models import Count

    from civicgrid.accounts.models import Department
    from civicgrid.evaluation.models import (
        Answer,
        Content,
        GateRule,
        Item,
        MaterialSubmission,
        NegativeIncident,
        NegativeItem,
        RoundSite,
        Standard,
    )
    from civicgrid.grids.models import Street

    edition_id = round.edition_id
    sites = [
        SiteRow(pk, name, street_id, unit_id)
        for pk, name, street_id, unit_id in RoundSite.objects.filter(round=round)
        .order_by("id")
        .values_list("id", "site__name", "site__street_id", "site__unit_id")
    ]
    street_ids = {s.street_id for s in sites}
    unit_ids = {s.unit_id for s in sites}
    answers = [
        AnswerRow(standard_id, street_id, int(value), n)
        for standard_id, street_id, value, n in Answer.objects.filter(
            response__questionnaire__round=round,
            question__kind="scale",
            question__standard__isnull=False,
            value__in=["1", "2", "3", "4", "5"],
        )
        .values_list("question__standard_id", "response__street_id", "value")
        .annotate(n=Count("id"))
        .order_by()
    ]
    return Inputs(
        items=[
            ItemRow(*row)
            for row in Item.objects.filter(edition_id=edition_id).values_list("id", "code", "name", "local")
        ],
        contents=[
            ContentRow(*row)
            for row in Content.objects.filter(item__edition_id=edition_id).values_list(
                "id", "item_id", "code", "name"
            )
        ],
        standards=[
            StandardRow(*row)
            for row in Standard.objects.filter(content__item__edition_id=edition_id)
            .order_by(
                "content__item__position",
                "content__item_id",
                "content__position",
                "content_id",
                "position",
                "id",
            )
            .values_list("id", "content_id", "code", "text", "points", "method", "rule", "deduction")
        ],
        sites=sites,
        observations=rows_fetch(observation_rows(round)),
        materials=[
            MaterialRow(*row)
            for row in MaterialSubmission.objects.filter(round=round).values_list(
                "id", "standard_id", "unit_id", "attempt", "score"
            )
        ],
        answers=answers,
        negative_items=[
            NegativeItemRow(*row)
            for row in NegativeItem.objects.filter(edition_id=edition_id).values_list(
                "id", "code", "name", "deduction", "cap"
            )
        ],
        incidents=[
            IncidentRow(*row)
            for row in NegativeIncident.objects.filter(round=round).values_list(
                "id", "item_id", "street_id", "unit_id"
            )
        ],
        gates=[
            GateRow(*row)
            for row in GateRule.objects.filter(edition_id=edition_id).values_list(
                "id", "item_id", "min_rate", "description"
            )
        ],
        street_names=dict(Street.objects.filter(id__in=street_ids).values_list("id", "name")),
        unit_names=dict(Department.objects.filter(id__in=unit_ids).values_list("id", "name")),
    )


def round_scores(round) -> RoundScores:
    """The scores of a round as they stand now (a closed round's do not change: its rows are append-only)."""
    return compute(round_inputs(round))
