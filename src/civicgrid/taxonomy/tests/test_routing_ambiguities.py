"""`routing_ambiguities`: two active rules about exactly the same scope that name different departments."""

from __future__ import annotations

from civicgrid.taxonomy.models import RoutingRule
from civicgrid.taxonomy.routing import routing_ambiguities


def test_two_rules_with_the_same_scope_and_different_departments_are_reported(world, categories):
    d = world.departments
    first = RoutingRule.objects.create(
        major_code="06", kind="matter", area_code="150603001", department=d["CGJ"]
    )
    second = RoutingRule.objects.create(
        major_code="06", kind="matter", area_code="150603001", department=d["JD_QCS"]
    )
    RoutingRule.objects.create(major_code="06", kind="matter", department=d["CGJ"])  # different area: fine
    assert routing_ambiguities(RoutingRule.objects.all()) == [(first, second)]


def test_the_same_for_exact_categories(world, categories):
    d = world.departments
    first = RoutingRule.objects.create(category=categories["06013"], department=d["ZJJ_SZ"])
    second = RoutingRule.objects.create(category=categories["06013"], department=d["CGJ"])
    assert routing_ambiguities(RoutingRule.objects.all()) == [(first, second)]


def test_a_category_rule_clashes_whether_or_not_it_repeats_the_kind(world, categories):
    d = world.departments
    first = RoutingRule.objects.create(category=categories["06013"], department=d["ZJJ_SZ"])
    second = RoutingRule.objects.create(
        category=categories["06013"], kind="matter", major_code="06", department=d["CGJ"]
    )
    assert routing_ambiguities(RoutingRule.objects.all()) == [(first, second)]


def test_duplicates_naming_the_same_department_are_not_ambiguous(world, categories):
    d = world.departments
    RoutingRule.objects.create(major_code="06", kind="matter", department=d["CGJ"])
    RoutingRule.objects.create(major_code="06", kind="matter", department=d["CGJ"])
    assert routing_ambiguities(RoutingRule.objects.all()) == []


def test_inactive_rules_are_not_ambiguous(world, categories):
    d = world.departments
    RoutingRule.objects.create(major_code="06", kind="matter", department=d["CGJ"])
    RoutingRule.objects.create(major_code="06", kind="matter", department=d["YLZX"], active=False)
    assert routing_ambiguities(RoutingRule.objects.all()) == []


def test_the_test_world_rules_are_unambiguous(routed_world):
    assert routing_ambiguities(RoutingRule.objects.all()) == []


def test_the_golden_rules_are_unambiguous(world, categories):
    from pathlib import Path

    from civicgrid.taxonomy.csvio import routing_import

    routing_import((Path(__file__).parent / "data" / "routing_rules.csv").read_text(encoding="utf-8"))
    assert routing_ambiguities(RoutingRule.objects.all()) == []
