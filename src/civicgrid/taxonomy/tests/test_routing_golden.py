"""Routing pinned as a golden table: data/routing_rules.csv applied to data/routing_expected.csv.

Both files are meant to be read (and extended) by people who are not developers: one row per case,
with the department that must get it — blank when no rule applies and the dispatcher routes by hand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from civicgrid.taxonomy.csvio import routing_import
from civicgrid.taxonomy.models import Category, RoutingRule
from civicgrid.taxonomy.routing import route, route_case

DATA = Path(__file__).parent / "data"


def expected_rows() -> list[dict[str, str]]:
    with open(DATA / "routing_expected.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def golden_rules(world, categories):
    count = routing_import((DATA / "routing_rules.csv").read_text(encoding="utf-8"))
    assert count == RoutingRule.objects.count() > 0
    return list(RoutingRule.objects.select_related("department", "category"))


def test_the_expected_table_covers_every_kind_of_decision():
    rows = expected_rows()
    assert {"kind", "category_code", "cell_code", "expected_department_code"} <= set(rows[0])
    assert any(r["expected_department_code"] == "" for r in rows), "a manual-dispatch row"
    assert any(r["cell_code"] == "" for r in rows), "a row without a cell"
    assert len(rows) >= 15


def test_every_row_of_the_golden_table(golden_rules):
    failures = []
    for line, row in enumerate(expected_rows(), start=2):
        category = Category.objects.get(kind=row["kind"], code=row["category_code"])
        cell = row["cell_code"] or None
        want = row["expected_department_code"] or None
        rule = route(category, cell, golden_rules)
        by_rule = rule.department.code if rule else None
        by_case = getattr(route_case(category, cell), "code", None)
        if by_rule != want or by_case != want:
            failures.append(
                f"line {line} {row['kind']}/{row['category_code']} @ {cell}: "
                f"expected {want}, route() gave {by_rule}, route_case() gave {by_case}"
                f" ({row.get('why', '')})"
            )
    assert not failures, "\n".join(failures)


def test_no_category_means_manual_dispatch(golden_rules):
    assert route(None, "150603001001001", golden_rules) is None
    assert route_case(None, "150603001001001") is None


def test_a_rule_to_an_inactive_department_is_not_used(golden_rules, world, categories):
    world.departments["JD_QCS"].active = False
    world.departments["JD_QCS"].save()
    # The street's major-class rule points at the closed street office; the city-wide rule takes over.
    assert route_case(categories["06010"], "150603001001001").code == "CGJ"


def test_of_two_equally_specific_rules_the_older_wins(world, categories):
    d = world.departments
    older = RoutingRule.objects.create(major_code="09", kind="matter", department=d["CGJ"])
    RoutingRule.objects.create(major_code="09", kind="matter", department=d["YLZX"])
    rules = list(RoutingRule.objects.all())
    assert route(categories["09006"], "150603001001001", rules) == older
    assert route(categories["09006"], "150603001001001", list(reversed(rules))) == older
    assert route_case(categories["09006"], "150603001001001") == d["CGJ"]


def test_the_fixture_routing_of_the_test_world(routed_world, categories):
    # civicgrid.testing.load_test_routing, as other apps' tests rely on it.
    cell = "150603001001001"
    assert route_case(categories["06013"], cell).code == "ZJJ-SZ"
    assert route_case(categories["06010"], cell).code == "JD-QCS"
    assert route_case(categories["06010"], "150603002001001").code == "CGJ"
    assert route_case(categories["04002"], cell).code == "YLZX"
    assert route_case(categories["01003"], cell).code == "ZJJ-SZ"
    assert route_case(categories["09006"], cell) is None
