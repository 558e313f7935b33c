"""Registration routes the case with the most specific routing rule; without one, the dispatcher chooses."""

from __future__ import annotations

import pytest

from civicgrid.cases.tests.helpers import (
    LAKE,
    NORTH_1,
    NORTH_2,
    api_move,
    as_user,
    assert_error,
    move,
    snapshot,
    submit,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "point", "expected"),
    [
        ("06013", NORTH_1, "ZJJ-SZ"),  # a rule naming the category beats the street's rule for class 06
        ("06010", NORTH_1, "JD-QCS"),  # class 06 in street 150603001 beats class 06 city-wide
        ("06010", NORTH_2, "JD-QCS"),
        ("06010", LAKE, "CGJ"),  # the lake is in no cell, so no street: only the city-wide rule matches
        ("06013", LAKE, "ZJJ-SZ"),
        ("04002", NORTH_1, "YLZX"),
        ("01003", NORTH_2, "ZJJ-SZ"),
        ("09006", NORTH_1, None),  # no rule for 09 街面秩序类
    ],
)
def test_registration_routes_with_the_most_specific_rule(
    client, routed_world, categories, code, point, expected
):
    case = submit(routed_world.citizen, point, category=categories[code])
    r = api_move(as_user(client, routed_world.dispatcher), case.number, "register")
    assert r.status_code == 200, r.content
    assert r.json()["routed_department"] == expected
    assert r.json()["events"][-1]["data"]["routed_department"] == expected


def test_without_a_rule_dispatch_needs_a_department(client, routed_world, categories):
    case = submit(routed_world.citizen, NORTH_1, category=categories["09006"])
    move(case, "register", routed_world.dispatcher)
    assert case.routed_department is None
    as_user(client, routed_world.dispatcher)
    before = snapshot(case)
    assert_error(api_move(client, case.number, "dispatch"), 422, "department_required", "department")
    assert snapshot(case) == before
    r = api_move(client, case.number, "dispatch", department="CGJ")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["department"]) == ("dispatched", "CGJ")
    assert r.json()["events"][-1]["data"]["routed"] is None


def test_registering_with_another_category_routes_by_that_category(client, routed_world, categories):
    case = submit(routed_world.citizen, NORTH_1, category=categories["09006"])
    r = api_move(as_user(client, routed_world.dispatcher), case.number, "register", category="04002")
    assert (r.json()["category"], r.json()["routed_department"]) == ("04002", "YLZX")


def test_inactive_department_is_neither_routed_to_nor_dispatched_to(client, routed_world, categories):
    w = routed_world
    roads = w.departments["ZJJ_SZ"]
    roads.active = False
    roads.save(update_fields=["active"])
    case = submit(w.citizen, NORTH_1, category=categories["06013"])
    move(case, "register", w.dispatcher)
    # The category rule's department is inactive: the next most specific rule (street, class 06) wins.
    assert case.routed_department == w.departments["JD_QCS"]
    as_user(client, w.dispatcher)
    before = snapshot(case)
    assert_error(api_move(client, case.number, "dispatch", department="ZJJ-SZ"), 422, "department_inactive")
    assert snapshot(case) == before
