"""A published edition cannot change, whatever is tried (hypothesis): each attempt is refused with
FrozenEdition, and the rows the scores are computed from — and so the scores — stay as they were."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.evaluation import indicators
from civicgrid.evaluation.errors import FrozenEdition
from civicgrid.evaluation.models import Content, GateRule, Item, NegativeItem, Result, Standard
from civicgrid.evaluation.scoring import compute, round_inputs
from civicgrid.evaluation.tests.score_helpers import observe, open_round, small_edition

points = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2)
attempt = st.one_of(
    st.tuples(
        st.just("update"),
        st.sampled_from(["litter", "ads", "docs"]),
        st.sampled_from(["points", "text", "rule", "deduction"]),
        points,
    ),
    st.tuples(st.just("add_standard"), st.integers(0, 99), points),
    st.tuples(st.just("add_item"), st.integers(0, 99)),
    st.tuples(st.just("add_content"), st.integers(0, 99)),
    st.tuples(st.just("save"), st.sampled_from(["litter", "ads", "docs"]), points),
    st.tuples(st.just("delete"), st.sampled_from(["standard", "content", "item", "gate", "negative"])),
    st.tuples(st.just("gate"), st.integers(0, 100)),
    st.tuples(st.just("negative"), points),
)


def snapshot(rnd):
    data = round_inputs(rnd)
    scores = compute(data)
    return (
        data.items,
        data.contents,
        data.standards,
        data.gates,
        data.negative_items,
        scores.city.total,
        scores.city.points,
    )


@pytest.fixture
def published(world):
    edition, s = small_edition()
    GateRule.objects.create(edition=edition, item=None, min_rate=Decimal("0.6"), description="总分 60%")
    NegativeItem.objects.create(
        edition=edition, code="N1", name="重大事故", deduction=Decimal("1"), cap=Decimal("2")
    )
    rnd, (one, two) = open_round(edition, world)
    observe(one, s["litter"], Result.FAIL, world.inspector)
    observe(two, s["ads"], Result.PASS, world.inspector)
    indicators.edition_publish(edition=edition, actor=world.admin)
    return world, edition, s, rnd


def attempt_change(op, world, edition, s) -> None:
    admin = world.admin
    kind = op[0]
    if kind == "update":
        _, which, name, value = op
        change = {"points": value, "text": f"改为{value}", "rule": "all_or_nothing", "deduction": value}[name]
        indicators.standard_update(
            standard=Standard.objects.get(pk=s[which].pk), actor=admin, **{name: change}
        )
    elif kind == "add_standard":
        indicators.standard_add(
            content=Content.objects.filter(item__edition=edition).first(),
            code=f"X{op[1]}",
            text="新增",
            points=op[2],
            method="field",
            rule="proportional",
            actor=admin,
            site_types=["road"],
        )
    elif kind == "add_item":
        indicators.item_add(edition=edition, code=f"X{op[1]}", name="新项目", actor=admin)
    elif kind == "add_content":
        indicators.content_add(
            item=Item.objects.filter(edition=edition).first(), code=f"X{op[1]}", name="新内容", actor=admin
        )
    elif kind == "save":
        standard = Standard.objects.get(pk=s[op[1]].pk)
        standard.points = op[2]
        standard.save()
    elif kind == "delete":
        model = {
            "standard": Standard,
            "content": Content,
            "item": Item,
            "gate": GateRule,
            "negative": NegativeItem,
        }[op[1]]
        rows = {
            Standard: Standard.objects.filter(content__item__edition=edition),
            Content: Content.objects.filter(item__edition=edition),
            Item: Item.objects.filter(edition=edition),
            GateRule: GateRule.objects.filter(edition=edition),
            NegativeItem: NegativeItem.objects.filter(edition=edition),
        }[model]
        rows.first().delete()
    elif kind == "gate":
        gate = GateRule.objects.filter(edition=edition).first()
        gate.min_rate = Decimal(op[1]) / 100
        gate.save()
    else:
        negative = NegativeItem.objects.filter(edition=edition).first()
        negative.cap = op[1]
        negative.save()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(attempt, min_size=1, max_size=6))
def test_a_published_edition_refuses_every_change(published, ops):
    world, edition, s, rnd = published
    before = snapshot(rnd)
    for op in ops:
        with pytest.raises(FrozenEdition):
            attempt_change(op, world, edition, s)
    assert snapshot(rnd) == before


def test_a_copy_can_change_and_the_original_scores_stay(published):
    world, edition, s, rnd = published
    before = snapshot(rnd)
    copy = indicators.edition_copy(edition=edition, actor=world.admin, name="2027 版")
    standard = Standard.objects.get(content__item__edition=copy, code=s["litter"].code)
    indicators.standard_update(standard=standard, actor=world.admin, points=Decimal("9.00"))
    assert Standard.objects.get(pk=standard.pk).points == Decimal("9.00")
    assert snapshot(rnd) == before
