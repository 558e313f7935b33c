"""The social contribution score (formula in points/selectors.py) and the leaderboards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civicgrid.cases.tests.helpers import local
from civicgrid.points.choices import Reason, UncivilBehaviour
from civicgrid.points.selectors import contribution, leaderboard, level_for
from civicgrid.points.services import (
    entry_reverse,
    points_account_set_community,
    points_award,
    reward_redeem,
    uncivil_record_create,
    volunteer_hours_award,
)
from civicgrid.points.tests.helpers import item

pytestmark = pytest.mark.django_db
T0 = local(2026, 3, 1, 10)


def deduct(w, person):
    return uncivil_record_create(
        inspector=w.inspector,
        person=person,
        behaviour=UncivilBehaviour.DOG,
        lat=None,
        lon=None,
        address="滨河公园",
        note="",
    )


def test_score_is_dimensions_minus_double_deductions_over_365_days(world):
    w = world
    with time_machine.travel(T0 - timedelta(days=400)):  # outside the window
        points_award(person=w.citizen, reason=Reason.HONOUR, source_key="honour:old")
    with time_machine.travel(T0 - timedelta(days=10)):
        points_award(person=w.citizen, reason=Reason.REPORT, source_key="case:1:registered")  # 5
        volunteer_hours_award(person=w.citizen, hours=3, source_key="vol:1")  # 30
        points_award(person=w.citizen, reason=Reason.HONOUR, source_key="honour:1")  # 200
        deduct(w, w.citizen)  # 10, weighs 20
        withdrawn = deduct(w, w.citizen)
        entry_reverse(entry=withdrawn.entry, actor=w.admin)  # a withdrawn deduction counts nothing
        reward_redeem(person=w.citizen, item=item(cost=100))  # spending is not less contribution
    with time_machine.travel(T0):
        c = contribution(w.citizen)
    assert (c.reporting, c.volunteering, c.honours, c.deductions) == (5, 30, 200, 10)
    assert c.score == 5 + 30 + 200 - 2 * 10 == 215
    assert c.level.name == "银牌" and c.level.next_at == 500


def test_score_never_below_zero_and_levels_at_thresholds(world):
    deduct(world, world.citizen)
    assert contribution(world.citizen).score == 0
    assert [level_for(s).name for s in (0, 49, 50, 199, 200, 499, 500, 999, 1000, 5000)] == [
        "新手",
        "新手",
        "铜牌",
        "铜牌",
        "银牌",
        "银牌",
        "金牌",
        "金牌",
        "钻石",
        "钻石",
    ]


def test_leaderboards_by_community_street_and_city_are_masked(world):
    w = world
    points_account_set_community(person=w.citizen, community=w.north)
    points_account_set_community(person=w.grid_member, community=w.south)
    points_award(person=w.citizen, reason=Reason.REPORT, source_key="c:1")
    points_award(person=w.grid_member, reason=Reason.HONOUR, source_key="h:1")
    city = leaderboard(scope="city", viewer=w.citizen)
    assert [(r.position, r.name, r.score) for r in city] == [(1, "李*", 200), (2, "王*", 5)]
    assert city[1].is_me and not city[0].is_me
    assert [r.name for r in leaderboard(scope="community", community_code=w.north.code)] == ["王*"]
    assert len(leaderboard(scope="street", street_code=w.street.code)) == 2
    assert leaderboard(scope="street", street_code="999999999") == []
    for rank in city:
        assert "王芳" not in rank.name and "李强" not in rank.name
