"""The known fixture of the analytics tests: the indicators' week (cases/tests/test_indicators.py)
plus a reclassified report, a report outside the grid, a merged duplicate, a supervised case, a
case on the long-term list and a fresh report on a yellow light — all through the real services, counted by the worker as it goes."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.analytics import rollups
from civicgrid.cases.tests.helpers import LAKE, NORTH_1, NORTH_2, local, move, north_of, submit
from civicgrid.cases.tests.test_indicators import week  # noqa: F401  (the fixture)

NOW = local(2026, 11, 30, 12)  # when the figures are read: Monday after the week


def nov(day: int, hour: int, minute: int = 0):
    return local(2026, 11, day, hour, minute)


@pytest.fixture
def history(routed_world, categories, week):  # noqa: F811
    w = routed_world
    road, tree = categories["06013"], categories["04002"]
    cases = dict(week)
    with time_machine.travel(nov(24, 10), tick=False) as t:
        assert rollups.apply_pending(batch=7) == 7  # part of the week counted, the rest later
        cases["h"] = submit(w.citizen, LAKE)  # outside the grid, no category yet
        cases["j"] = submit(w.citizen, north_of(NORTH_2, -200), category=road)
        rollups.apply_pending()  # j's report is counted under 道路 …
        t.move_to(nov(24, 10, 20))
        cases["h"] = move(cases["h"], "register", w.dispatcher, category=tree)
        cases["j"] = move(cases["j"], "register", w.dispatcher, category=tree)  # … and moves to 行道树
        t.move_to(nov(25, 9))
        cases["k"] = submit(w.citizen, NORTH_2, category=road)  # a duplicate of B: merged, B gets a me-too
        assert cases["k"].status == "merged"
        t.move_to(nov(26, 9))
        cases["d"] = move(cases["d"], "supervise", w.leader, "尽快处理")
        t.move_to(nov(26, 10))
        cases["j"] = move(cases["j"], "hang", w.dispatcher, "需要统一规划")
        t.move_to(nov(30, 10, 15))
        cases["l"] = submit(
            w.citizen, NORTH_1, category=categories["06010"]
        )  # yellow at NOW (立案 due 14:45)
    while rollups.apply_pending(batch=5):
        pass
    return cases
