"""The score arithmetic under hypothesis: any edition, any sample, any observations, materials, answers and
negative incidents.

- every standard keeps between 0 and its points, and exactly what its rule says (an oracle written
  plainly here, from the raw rows);
- contents, items and the total are the sums of their standards (the total is the weighted sum,
  minus the negative list), and never above the edition's maximum;
- PER_FAILURE deductions stop at the standard's points, negative deductions at their item's cap;
- a re-inspection replaces the observation it re-inspects; the city's observations are the streets' and
  the units' observations added up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.evaluation import scoring as sc

CENT = Decimal("0.01")
money = st.integers(1, 2000).map(lambda n: Decimal(n) / 100)


@st.composite
def inputs(draw) -> sc.Inputs:
    n_items = draw(st.integers(1, 3))
    items = [sc.ItemRow(i + 1, f"I{i + 1}", f"项目{i + 1}", draw(st.booleans())) for i in range(n_items)]
    contents = [
        sc.ContentRow(k + 1, draw(st.sampled_from(items)).id, f"C{k + 1}", f"内容{k + 1}")
        for k in range(draw(st.integers(1, 4)))
    ]
    standards = []
    for k in range(draw(st.integers(1, 8))):
        rule = draw(st.sampled_from([sc.PER_FAILURE, sc.ALL_OR_NOTHING, sc.PROPORTIONAL]))
        standards.append(
            sc.StandardRow(
                id=k + 1,
                content_id=draw(st.sampled_from(contents)).id,
                code=f"S{k + 1}",
                text=f"标准{k + 1}",
                points=draw(money),
                method=draw(st.sampled_from([sc.FIELD, sc.FIELD, sc.MATERIAL, sc.QUESTIONNAIRE, sc.ONLINE])),
                rule=rule,
                deduction=draw(st.none() | money) if rule == sc.PER_FAILURE else None,
            )
        )
    sites = [
        sc.SiteRow(k + 1, f"点位{k + 1}", draw(st.integers(1, 3)), draw(st.integers(10, 12)))
        for k in range(draw(st.integers(1, 6)))
    ]
    observations: list[sc.ObservationRow] = []
    for k in range(draw(st.integers(0, 40))):
        fails = [o for o in observations if o.result == sc.FAIL]
        reinspect = draw(st.booleans()) and bool(fails)
        if reinspect:
            taken = {o.reinspects_id for o in observations}
            fails = [o for o in fails if o.id not in taken]
        if reinspect and fails:
            old = draw(st.sampled_from(fails))
            row = sc.ObservationRow(
                k + 1, old.standard_id, old.site_id, draw(st.sampled_from([sc.PASS, sc.FAIL])), old.id
            )
        else:
            row = sc.ObservationRow(
                k + 1,
                draw(st.sampled_from(standards)).id,
                draw(st.sampled_from(sites)).id,
                draw(st.sampled_from([sc.PASS, sc.FAIL, sc.FAIL, sc.NOT_APPLICABLE])),
            )
        observations.append(row)
    materials = []
    for k in range(draw(st.integers(0, 6))):
        s = draw(st.sampled_from(standards))
        score = draw(st.none() | st.integers(0, int(s.points * 100)).map(lambda n: Decimal(n) / 100))
        materials.append(
            sc.MaterialRow(k + 1, s.id, draw(st.integers(10, 12)), draw(st.integers(1, 2)), score)
        )
    answers = [
        sc.AnswerRow(
            draw(st.sampled_from(standards)).id,
            draw(st.integers(1, 3)),
            draw(st.integers(1, 5)),
            draw(st.integers(1, 9)),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    negatives = [
        sc.NegativeItemRow(k + 1, f"N{k + 1}", f"负面{k + 1}", draw(money), draw(money))
        for k in range(draw(st.integers(0, 2)))
    ]
    incidents = (
        [
            sc.IncidentRow(
                k + 1,
                draw(st.sampled_from(negatives)).id,
                draw(st.none() | st.integers(1, 3)),
                draw(st.none() | st.integers(10, 12)),
            )
            for k in range(draw(st.integers(0, 6)))
        ]
        if negatives
        else []
    )
    gates = [
        sc.GateRow(
            k + 1,
            draw(st.none() | st.sampled_from([i.id for i in items])),
            Decimal(draw(st.integers(0, 100))) / 100,
            f"门槛{k + 1}",
        )
        for k in range(draw(st.integers(0, 2)))
    ]
    return sc.Inputs(
        items, contents, standards, sites, observations, materials, answers, negatives, incidents, gates
    )


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def expected_standard(data: sc.Inputs, s: sc.StandardRow, scope: str, key) -> Decimal | None:
    """What the rule says a standard keeps in a scope, straight from the rows (None: not assessed)."""
    site_of = {x.id: x for x in data.sites}

    def in_scope_site(site_id: int) -> bool:
        site = site_of[site_id]
        return scope == sc.CITY or (site.street_id if scope == sc.STREET else site.unit_id) == key

    if s.method == sc.FIELD:
        replaced = {o.reinspects_id for o in data.observations}
        results = [
            o.result
            for o in data.observations
            if o.standard_id == s.id
            and o.id not in replaced
            and o.result != sc.NOT_APPLICABLE
            and in_scope_site(o.site_id)
        ]
        if not results:
            return None
        failed = results.count(sc.FAIL)
        if s.rule == sc.PER_FAILURE:
            return cents(s.points - min(s.points, (s.deduction or s.points) * failed))
        if s.rule == sc.ALL_OR_NOTHING:
            return Decimal(0) if failed else s.points
        return cents(s.points * (len(results) - failed) / len(results))
    if s.method == sc.MATERIAL:
        units = {x.unit_id for x in data.sites if in_scope_site(x.id)} if scope != sc.CITY else None
        best: dict[int, sc.MaterialRow] = {}
        for m in data.materials:
            if m.standard_id == s.id and m.score is not None and (units is None or m.unit_id in units):
                if m.unit_id not in best or best[m.unit_id].attempt < m.attempt:
                    best[m.unit_id] = m
        if not best:
            return None
        rate = sum(min(Decimal(1), m.score / s.points) for m in best.values()) / len(best)
    else:
        if scope == sc.UNIT:
            return None
        rows = [a for a in data.answers if a.standard_id == s.id and (scope == sc.CITY or a.street_id == key)]
        n = sum(a.n for a in rows)
        if not n:
            return None
        rate = Decimal(sum((a.value - 1) * a.n for a in rows)) / (4 * n)
    if s.rule == sc.ALL_OR_NOTHING:
        return s.points if rate >= 1 else Decimal(0)
    return cents(s.points * rate)


def scopes(result: sc.RoundScores):
    yield result.city
    yield from result.streets.values()
    yield from result.units.values()


@settings(max_examples=300, deadline=None)
@given(data=inputs())
def test_every_standard_keeps_what_its_rule_says(data):
    result = sc.compute(data)
    for score in scopes(result):
        for s in data.standards:
            line = score.standards[s.id]
            want = expected_standard(data, s, score.scope, score.key)
            assert line.assessed is (want is not None)
            assert line.score == (want or 0)
            assert 0 <= line.score <= s.points
            assert 0 <= line.lost <= s.points


@settings(max_examples=300, deadline=None)
@given(data=inputs())
def test_the_total_is_the_weighted_sum_and_never_above_the_maximum(data):
    result = sc.compute(data)
    maximum = sum(s.points for s in data.standards)
    for score in scopes(result):
        lines = score.lines()
        assert sorted(x.id for x in lines) == sorted(s.id for s in data.standards)
        # Σ points × rate over the assessed standards: the rate each line reports, weighted by its points.
        assert score.subtotal == sum(x.score for x in lines)
        assert score.subtotal == sum(i.score for i in score.items)
        for item in score.items:
            assert item.score == sum(c.score for c in item.children)
            assert item.points == sum(x.points for c in item.children for x in c.children)
        assert score.total == max(Decimal(0), score.subtotal - score.negative_total)
        assert 0 <= score.total <= score.assessed <= score.points == maximum
        assert sum(m.score for m in score.methods.values()) == score.subtotal
        if score.rate is not None:
            assert 0 <= score.rate <= 1


@settings(max_examples=300, deadline=None)
@given(data=inputs())
def test_deductions_respect_their_caps(data):
    result = sc.compute(data)
    by_id = {n.id: n for n in data.negative_items}
    for score in scopes(result):
        for n in score.negatives:
            item = by_id[n.id]
            assert n.deduction == min(item.cap, item.deduction * len(n.incidents))
            assert n.deduction <= item.cap
        assert score.negative_total == sum(n.deduction for n in score.negatives)
    city_incidents = sorted(i for n in result.city.negatives for i in n.incidents)
    assert city_incidents == sorted(i.id for i in data.incidents)


@settings(max_examples=200, deadline=None)
@given(data=inputs())
def test_the_city_counts_what_the_streets_and_units_count(data):
    result = sc.compute(data)
    for s in data.standards:
        city = result.city.standards[s.id]
        assert city.observed == sum(x.standards[s.id].observed for x in result.streets.values())
        assert city.observed == sum(x.standards[s.id].observed for x in result.units.values())
        assert sorted(city.failed_observations) == sorted(
            o for x in result.streets.values() for o in x.standards[s.id].failed_observations
        )


@settings(max_examples=200, deadline=None)
@given(data=inputs())
def test_gates_compare_the_rate_with_the_minimum(data):
    result = sc.compute(data)
    for score in scopes(result):
        items = {i.id: i for i in score.items}
        for g in score.gates:
            rate = score.rate if g.item_id is None else items[g.item_id].rate
            assert g.rate == rate
            assert g.passed is (rate is None or rate >= g.min_rate)
        assert score.passed is all(g.passed for g in score.gates)


def test_a_reinspection_that_passes_gives_the_points_back():
    s = sc.StandardRow(1, 1, "S1", "无乱堆乱放", Decimal("2.00"), sc.FIELD, sc.PER_FAILURE, Decimal("0.50"))
    base = dict(
        items=[sc.ItemRow(1, "I1", "公共环境")],
        contents=[sc.ContentRow(1, 1, "C1", "市容环境")],
        standards=[s],
        sites=[sc.SiteRow(1, "a", 1, 10), sc.SiteRow(2, "b", 2, 10)],
    )
    failed = [sc.ObservationRow(1, 1, 1, sc.FAIL), sc.ObservationRow(2, 1, 2, sc.FAIL)]
    before = sc.compute(sc.Inputs(**base, observations=failed))
    assert before.city.total == Decimal("1.00")
    assert before.city.standards[1].failed_observations == [1, 2]
    after = sc.compute(sc.Inputs(**base, observations=[*failed, sc.ObservationRow(3, 1, 1, sc.PASS, 1)]))
    assert after.city.total == Decimal("1.50")
    assert after.streets[1].total == Decimal("2.00") and after.streets[2].total == Decimal("1.50")
    assert after.city.standards[1].failed_observations == [2]


def test_per_failure_stops_at_the_points_and_says_so():
    s = sc.StandardRow(1, 1, "S1", "公益广告", Decimal("1.00"), sc.FIELD, sc.PER_FAILURE, Decimal("0.30"))
    data = sc.Inputs(
        items=[sc.ItemRow(1, "I1", "公共环境")],
        contents=[sc.ContentRow(1, 1, "C1", "公益广告")],
        standards=[s],
        sites=[sc.SiteRow(k, str(k), 1, 10) for k in range(1, 6)],
        observations=[sc.ObservationRow(k, 1, k, sc.FAIL) for k in range(1, 6)],
    )
    line = sc.compute(data).city.standards[1]
    assert line.score == 0 and line.lost == Decimal("1.00")
    assert "封顶" in line.reason and line.failed == 5
