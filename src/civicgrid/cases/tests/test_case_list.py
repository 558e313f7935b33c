"""GET /api/cases: filters, sorting and paging over the cases the caller may see."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.cases.tests.helpers import (
    LAKE,
    NORTH_1,
    NORTH_2,
    as_user,
    assert_error,
    local,
    move,
    run_to,
    submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(routed_world, categories):
    """road (N1, Mon, dispatched 市政科, supervised), tree (N2, Tue, registered), lake (Wed, reported)."""
    w = routed_world
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False) as t:
        road = submit(
            w.citizen, NORTH_1, category=categories["06013"], address="青春山路 8 号", description="井盖缺失"
        )
        run_to(road, "dispatched", w)
        move(road, "supervise", w.leader, "尽快")
        t.move_to(local(2026, 11, 24, 9, 0))
        tree = submit(w.citizen, NORTH_2, category=categories["04002"], description="行道树倒伏")
        move(tree, "register", w.dispatcher)
        t.move_to(local(2026, 11, 25, 9, 0))
        lake = submit(w.citizen, LAKE, category=categories["06010"], description="湖边暴露垃圾")
    return {"road": road, "tree": tree, "lake": lake}


def names(client, listed, **params) -> list[str]:
    r = client.get("/api/cases", params)
    assert r.status_code == 200, r.content
    by_number = {c.number: name for name, c in listed.items()}
    return [by_number[row["number"]] for row in r.json()]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["lake", "tree", "road"]),  # newest first
        ({"sort": "created"}, ["road", "tree", "lake"]),
        ({"status": "registered"}, ["tree"]),
        ({"status": ["registered", "dispatched"]}, ["tree", "road"]),
        ({"category": "06013"}, ["road"]),
        ({"category": "component:04002"}, ["tree"]),
        ({"department": "ZJJ-SZ"}, ["road"]),
        ({"street": "150603001"}, ["tree", "road"]),  # the lake is in no cell, so in no street
        ({"cell": "150603001001001"}, ["road"]),
        ({"cell": "150603001001"}, ["tree", "road"]),  # a community code: every cell in it
        ({"supervised": "true"}, ["road"]),
        ({"supervised": "false"}, ["lake", "tree"]),
        ({"q": "井盖"}, ["road"]),
        ({"q": "青春山路"}, ["road"]),
        ({"date_from": "2026-11-24"}, ["lake", "tree"]),
        ({"date_to": "2026-11-24"}, ["tree", "road"]),
        ({"date_from": "2026-11-24", "date_to": "2026-11-24"}, ["tree"]),
        ({"limit": 2}, ["lake", "tree"]),
        ({"limit": 2, "offset": 2}, ["road"]),
    ],
)
def test_filters(client, routed_world, listed, params, expected):
    assert names(as_user(client, routed_world.dispatcher), listed, **params) == expected


def test_number_prefix_search(client, routed_world, listed):
    as_user(client, routed_world.dispatcher)
    assert names(client, listed, q=listed["tree"].number) == ["tree"]
    assert names(client, listed, q="20261123") == ["road"]


def test_sort_by_due(client, routed_world, listed):
    with time_machine.travel(local(2026, 11, 25, 9, 5), tick=False):
        as_user(client, routed_world.dispatcher)
        # tree: 派遣 due Tue 10:00; lake: 立案 due Wed 11:00; road: 处置 due Thu 09:00.
        assert names(client, listed, sort="due") == ["tree", "lake", "road"]


def test_bad_sort_is_a_422(client, routed_world, listed):
    assert_error(
        as_user(client, routed_world.dispatcher).get("/api/cases", {"sort": "priority"}),
        422,
        "sort_invalid",
        "sort",
    )
