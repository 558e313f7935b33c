"""round_scores on a real round: the rows read from the database score as the arithmetic says, and a
failed observation's re-inspection changes the street's and the unit's scores."""

from __future__ import annotations

from decimal import Decimal

from civicgrid.evaluation.models import GateRule, NegativeIncident, NegativeItem, Result
from civicgrid.evaluation.scoring import round_scores
from civicgrid.evaluation.tests.score_helpers import a_date, observe, open_round, small_edition


def test_field_observations_reinspection_negatives_and_gates(world, django_assert_max_num_queries):
    edition, s = small_edition()
    rnd, (one, two) = open_round(edition, world)
    i = world.inspector
    first_fail = observe(one, s["litter"], Result.FAIL, i)
    observe(two, s["litter"], Result.FAIL, i)
    observe(one, s["ads"], Result.PASS, i)
    observe(two, s["ads"], Result.FAIL, i)
    observe(two, s["ads"], Result.NOT_APPLICABLE, i)
    env = edition.items.get(code="A")
    GateRule.objects.create(
        edition=edition, item=env, min_rate=Decimal("0.8"), description="公共环境须达 80%"
    )
    neg = NegativeItem.objects.create(
        edition=edition, code="N1", name="重大安全事故", deduction=Decimal("2"), cap=Decimal("3")
    )
    for k in range(2):
        NegativeIncident.objects.create(
            round=rnd,
            item=neg,
            street=world.street,
            occurred_on=a_date(),
            description=f"事件{k}",
            recorded_by=world.admin,
        )

    with django_assert_max_num_queries(12):
        scores = round_scores(rnd)
    city = scores.city
    # litter: 2 failures × 1 point of 4; ads: 1 of 2 passed of 2 points; material and questionnaire not assessed
    assert city.standards[s["litter"].pk].score == Decimal("2.00")
    assert city.standards[s["ads"].pk].score == Decimal("1.00")
    assert not city.standards[s["docs"].pk].assessed
    assert (
        city.subtotal == Decimal("3.00")
        and city.assessed == Decimal("6.00")
        and city.points == Decimal("14.00")
    )
    assert city.negative_total == Decimal("3") and city.total == Decimal("0.00")
    assert [n.incidents for n in city.negatives][0] and not city.passed
    unit_roads = scores.units[world.departments["ZJJ_SZ"].pk]
    assert unit_roads.standards[s["litter"].pk].failed_observations == [first_fail.pk]
    assert unit_roads.total == Decimal("5.00")  # litter 3 of 4, ads 2 of 2; the incident names no unit

    observe(one, s["litter"], Result.PASS, i, reinspects=first_fail)
    after = round_scores(rnd)
    assert after.city.standards[s["litter"].pk].score == Decimal("3.00")
    assert after.units[world.departments["ZJJ_SZ"].pk].total == Decimal("6.00")
    assert after.streets[world.street.pk].subtotal == Decimal("4.00")
    assert after.streets[world.street.pk].name == world.street.name


def test_the_fast_read_is_the_orm_read(world):
    from civicgrid.evaluation.scoring import observation_rows, rows_fetch

    edition, s = small_edition()
    rnd, (one, two) = open_round(edition, world)
    failed = observe(one, s["litter"], Result.FAIL, world.inspector)
    observe(one, s["litter"], Result.PASS, world.inspector, reinspects=failed)
    observe(two, s["ads"], Result.NOT_APPLICABLE, world.inspector)
    other, (elsewhere, _) = open_round(edition, world)
    observe(elsewhere, s["ads"], Result.PASS, world.inspector)
    fast = rows_fetch(observation_rows(rnd))
    assert sorted(fast) == sorted(observation_rows(rnd)) and len(fast) == 3
